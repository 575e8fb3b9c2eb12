"""Run modes, seeding, Colab detection and the notebook setup cell."""

from __future__ import annotations

import ctypes.util
import os
import random
import subprocess

import numpy as np
import pytest

from dlmusic.course import (
    COLAB_APT_PACKAGES,
    COLAB_EXTRA_SOUNDFONTS,
    MODE_ENV_VAR,
    NBGRADER_ENV_VAR,
    PACKAGE_URL,
    STUDENT_REPOSITORY,
    NotebookContext,
    by_mode,
    colab_badge,
    colab_url,
    install_system_packages_on_colab,
    is_colab,
    mode,
    native_stderr_silenced,
    package_url,
    seed_everything,
    setup_notebook,
)
from dlmusic.datasets.paths import DATA_ENV_VAR
from dlmusic.errors import DlmusicError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """No run-mode or Colab variables."""
    for name in (NBGRADER_ENV_VAR, MODE_ENV_VAR, "COLAB_RELEASE_TAG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def apt_calls(monkeypatch) -> list[list[str]]:
    """Commands passed to subprocess.run, recorded instead of run."""
    calls: list[list[str]] = []

    def run(command: list[str], **kwargs) -> subprocess.CompletedProcess:
        calls.append(command)
        missing = command[-1] == "csound-soundfont"  # as on a distribution without it
        return subprocess.CompletedProcess(command, 100 if missing else 0)

    monkeypatch.setattr(subprocess, "run", run)
    return calls


# --- mode and by_mode ---------------------------------------------------------------------


def test_mode_defaults_to_full():
    assert mode() == "full"


@pytest.mark.parametrize(
    "value, expected", [("quick", "quick"), ("QUICK", "quick"), (" Full ", "full")]
)
def test_mode_reads_env_var_case_insensitively(monkeypatch, value, expected):
    monkeypatch.setenv(MODE_ENV_VAR, value)
    assert mode() == expected


@pytest.mark.parametrize("dlmusic_mode", [None, "quick", "full", "bogus"])
def test_mode_is_grading_under_nbgrader_whatever_dlmusic_mode_says(monkeypatch, dlmusic_mode):
    monkeypatch.setenv(NBGRADER_ENV_VAR, "1")
    if dlmusic_mode is not None:
        monkeypatch.setenv(MODE_ENV_VAR, dlmusic_mode)
    assert mode() == "grading"


def test_invalid_mode_raises_dlmusic_error_naming_allowed_modes(monkeypatch):
    monkeypatch.setenv(MODE_ENV_VAR, "fast")
    with pytest.raises(
        DlmusicError, match=r"DLMUSIC_MODE='fast' is not one of quick, full, grading"
    ):
        mode()


@pytest.mark.parametrize(
    "env, expected",
    [
        ({MODE_ENV_VAR: "quick"}, "q"),
        ({MODE_ENV_VAR: "full"}, "f"),
        ({}, "f"),
        ({NBGRADER_ENV_VAR: "1"}, "g"),
    ],
)
def test_by_mode_picks_value_of_current_mode(monkeypatch, env, expected):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert by_mode(quick="q", full="f", grading="g") == expected


def test_by_mode_grading_falls_back_to_quick(monkeypatch):
    monkeypatch.setenv(NBGRADER_ENV_VAR, "1")
    assert by_mode(quick=1, full=40) == 1


# --- seed_everything ----------------------------------------------------------------------


def test_seed_everything_repeats_numpy_and_python_random_draws():
    seed_everything(123)
    first = (np.random.rand(5), random.random())  # noqa: NPY002 - the global RNG is what is seeded
    seed_everything(123)
    second = (np.random.rand(5), random.random())  # noqa: NPY002
    np.testing.assert_array_equal(first[0], second[0])
    assert first[1] == second[1]


def test_seed_everything_leaves_the_environment_alone():
    # PYTHONHASHSEED is read once at interpreter start-up: writing it from a running
    # kernel would only pretend to seed string hashing.
    before = dict(os.environ)
    seed_everything(11)
    assert dict(os.environ) == before


def test_seed_everything_repeats_keras_draws_once_keras_is_imported():
    keras = pytest.importorskip("keras")
    seed_everything(7)
    first = keras.ops.convert_to_numpy(keras.random.normal((8,)))
    seed_everything(7)
    second = keras.ops.convert_to_numpy(keras.random.normal((8,)))
    np.testing.assert_array_equal(first, second)


# --- Colab --------------------------------------------------------------------------------


def test_is_colab_is_false_outside_colab():
    assert not is_colab()


def test_is_colab_is_true_with_colab_release_tag(monkeypatch):
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab_20250101-060000_RC00")
    assert is_colab()


def test_install_system_packages_does_nothing_when_fluidsynth_is_found(monkeypatch, apt_calls):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libfluidsynth.so.3")
    assert install_system_packages_on_colab() is False
    assert apt_calls == []


def test_install_system_packages_runs_apt_get_when_fluidsynth_is_missing(
    monkeypatch, apt_calls, capsys
):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert install_system_packages_on_colab() is True
    assert apt_calls == [
        ["apt-get", "-qq", "update"],
        ["apt-get", "-qq", "install", "-y", "--no-install-recommends", *COLAB_APT_PACKAGES],
        *(
            ["apt-get", "-qq", "install", "-y", "--no-install-recommends", package]
            for package in COLAB_EXTRA_SOUNDFONTS
        ),
    ]
    assert "libfluidsynth3" in COLAB_APT_PACKAGES
    assert "csound-soundfont is not available here" in capsys.readouterr().out


# --- setup_notebook -----------------------------------------------------------------------


def test_setup_notebook_returns_context_and_prints_one_summary_line(
    monkeypatch, tmp_path, capsys, apt_calls
):
    data = tmp_path / "data"
    monkeypatch.setenv(DATA_ENV_VAR, str(data))
    monkeypatch.setenv(MODE_ENV_VAR, "quick")
    monkeypatch.chdir(tmp_path)

    context = setup_notebook("transcription", seed=42)

    assert context == NotebookContext(
        assignment="transcription",
        mode="quick",
        seed=42,
        data_dir=data,
        work_dir=tmp_path,
        colab=False,
    )
    assert data.is_dir()
    assert apt_calls == []
    assert capsys.readouterr().out == (
        f"dlmusic transcription: mode=quick seed=42 data={data} outputs={tmp_path}\n"
    )


def test_setup_notebook_seeds_random_generators(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    setup_notebook("composer", seed=5, verbose=False)
    draw = np.random.rand(3)  # noqa: NPY002 - the global RNG is what is seeded
    seed_everything(5)
    np.testing.assert_array_equal(draw, np.random.rand(3))  # noqa: NPY002


def test_setup_notebook_is_quiet_when_not_verbose(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    setup_notebook("vocals", verbose=False)
    assert capsys.readouterr().out == ""


def test_setup_notebook_on_colab_installs_packages_and_says_so(
    monkeypatch, tmp_path, capsys, apt_calls
):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab")
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)

    context = setup_notebook("vocals")

    assert context.colab
    assert [call[:3] for call in apt_calls] == [
        ["apt-get", "-qq", "update"],
        *[["apt-get", "-qq", "install"]] * (1 + len(COLAB_EXTRA_SOUNDFONTS)),
    ]
    assert capsys.readouterr().out.rstrip("\n").endswith("(Colab)")


def test_mode_treats_an_empty_variable_as_unset(monkeypatch):
    monkeypatch.setenv("DLMUSIC_MODE", "")
    assert mode() == "full"


def test_native_stderr_silenced_drops_what_c_code_writes_to_fd_2_and_restores_it(capfd):
    os.write(2, b"before\n")
    with native_stderr_silenced():
        os.write(2, b"from C++\n")
        print("stdout still works")
    os.write(2, b"after\n")
    captured = capfd.readouterr()
    assert captured.err == "before\nafter\n"
    assert captured.out == "stdout still works\n"


def test_native_stderr_silenced_restores_fd_2_when_the_body_raises(capfd):
    with pytest.raises(RuntimeError, match="boom"):
        with native_stderr_silenced():
            raise RuntimeError("boom")
    os.write(2, b"visible\n")
    assert capfd.readouterr().err == "visible\n"


# --- where the student distribution is published -------------------------------------------


def test_package_url_and_colab_link_come_from_the_one_repository_setting():
    assert PACKAGE_URL == package_url(STUDENT_REPOSITORY)
    assert package_url("me/course") == "git+https://github.com/me/course.git"
    assert colab_url("vocals", "me/course", "term") == (
        "https://colab.research.google.com/github/me/course/blob/term/"
        "assignments/vocals/vocals.ipynb"
    )
    badge = colab_badge("composer", "me/course")
    assert badge.startswith("[![Open In Colab](https://colab.research.google.com/assets/")
    assert badge.endswith("(" + colab_url("composer", "me/course") + ")")


@pytest.mark.parametrize("repository", ["course", "a/b/c", "me/", "me/ course"])
def test_a_repository_that_is_not_owner_slash_name_is_refused(repository):
    with pytest.raises(DlmusicError, match="is not a GitHub repository"):
        package_url(repository)
