"""save_submission: one zip with the notebook and the weights files the grader scores."""

from __future__ import annotations

import json
import sys
import types
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell, new_notebook

from dlmusic import course, submission
from dlmusic.course import NotebookContext
from dlmusic.errors import DlmusicError
from dlmusic.submission import SUBMISSION_FILES, save_submission, submission_name


@pytest.fixture
def no_drive(tmp_path, monkeypatch):
    monkeypatch.setattr(submission, "DRIVE_MOUNT", tmp_path / "unmounted")
    monkeypatch.delenv(submission.SESSION_NOTEBOOK_ENV_VAR, raising=False)


def offered(calls: list):
    return lambda path, on_drive: calls.append((path, on_drive))


def write_notebook(path, text="# my answers"):
    notebook = new_notebook(cells=[new_markdown_cell(text)])
    path.write_text(nbformat.writes(notebook))


def test_the_zip_holds_the_notebook_and_every_weights_file_the_grader_scores(tmp_path, no_drive):
    write_notebook(tmp_path / "vocals.ipynb")
    for name in SUBMISSION_FILES["vocals"]:
        (tmp_path / name).write_bytes(b"weights of " + name.encode())
    (tmp_path / "vocals_ratio_mask.log.csv").write_text("epoch,loss\n")
    calls: list = []
    path = save_submission("vocals", tmp_path, show=offered(calls))
    assert path == tmp_path / submission_name("vocals")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(["vocals.ipynb", *SUBMISSION_FILES["vocals"]])
        assert "my answers" in archive.read("vocals.ipynb").decode()
    assert calls == [(path, False)]


def test_missing_weights_are_named_and_the_rest_still_handed_in(tmp_path, no_drive, capsys):
    write_notebook(tmp_path / "transcription.ipynb")
    (tmp_path / "nmp_full.weights.h5").write_bytes(b"w")
    path = save_submission("transcription", tmp_path, show=offered([]))
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["nmp_full.weights.h5", "transcription.ipynb"]
    out = capsys.readouterr().out
    assert "missing nmp_no_harmonic_stacking.weights.h5" in out
    assert "missing nmp_no_contour_supervision.weights.h5" in out


def test_with_drive_mounted_the_zip_goes_to_drive(tmp_path, monkeypatch):
    mount = tmp_path / "drive"
    (mount / "MyDrive").mkdir(parents=True)
    monkeypatch.setattr(submission, "DRIVE_MOUNT", mount)
    monkeypatch.setattr(submission, "DRIVE_FOLDER", mount / "MyDrive" / "dlmusic")
    work = tmp_path / "content"
    work.mkdir()
    write_notebook(work / "problem_set.ipynb")
    calls: list = []
    path = save_submission("problem_set", work, show=offered(calls))
    assert path == mount / "MyDrive" / "dlmusic" / "problem_set-submission.zip"
    assert calls == [(path, True)]


def test_on_colab_the_open_notebook_is_asked_from_the_front_end(tmp_path, no_drive, monkeypatch):
    notebook = json.loads(nbformat.writes(new_notebook(cells=[new_markdown_cell("from Colab")])))
    message = types.ModuleType("google.colab._message")
    message.blocking_request = lambda kind, request, timeout_sec: {"ipynb": notebook}
    colab = types.ModuleType("google.colab")
    colab._message = message
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab._message", message)
    path = save_submission("composer", tmp_path, show=offered([]))
    with zipfile.ZipFile(path) as archive:
        assert "from Colab" in archive.read("composer.ipynb").decode()


def test_the_context_method_hands_in_from_its_work_dir(tmp_path, no_drive):
    write_notebook(tmp_path / "problem_set.ipynb")
    context = NotebookContext("problem_set", "quick", 0, tmp_path, tmp_path, colab=False)
    path = context.save_submission(notebook=tmp_path / "problem_set.ipynb")
    assert path.parent == tmp_path and zipfile.is_zipfile(path)


def test_under_the_autograder_nothing_is_handed_in(tmp_path, no_drive, capsys):
    write_notebook(tmp_path / "vocals.ipynb")
    context = NotebookContext("vocals", "grading", 0, tmp_path, tmp_path, colab=False)
    assert context.save_submission() is None
    assert not list(tmp_path.glob("*.zip"))
    assert "nothing to hand in" in capsys.readouterr().out


def test_an_unsaved_notebook_or_a_file_that_is_no_notebook_is_refused(tmp_path, no_drive):
    with pytest.raises(DlmusicError, match="cannot find the notebook"):
        save_submission("vocals", tmp_path, show=offered([]))
    (tmp_path / "vocals.ipynb").write_text("not json")
    with pytest.raises(DlmusicError, match="not a notebook file"):
        save_submission("vocals", tmp_path, show=offered([]))
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.glob("*.partial"))


def test_the_expected_files_are_the_names_the_notebooks_save_under():
    from dlmusic.composer.model import weights_file as composer_file
    from dlmusic.transcription.saved import MODEL_CONFIGS
    from dlmusic.transcription.saved import weights_file as nmp_file
    from dlmusic.vocals.model import MASK_TARGETS
    from dlmusic.vocals.model import weights_file as vocals_file

    assert set(SUBMISSION_FILES["transcription"]) == {nmp_file(n).name for n in MODEL_CONFIGS}
    assert set(SUBMISSION_FILES["vocals"]) == {vocals_file(t).name for t in MASK_TARGETS}
    assert SUBMISSION_FILES["composer"] == (composer_file("resnet50").name,)


def test_on_colab_drive_is_mounted_and_becomes_the_working_folder(tmp_path, monkeypatch, capsys):
    mount = tmp_path / "drive"
    drive = types.ModuleType("google.colab.drive")
    drive.mount = lambda where: (Path(where) / "MyDrive").mkdir(parents=True)
    colab = types.ModuleType("google.colab")
    colab.drive = drive
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    monkeypatch.setattr(submission, "DRIVE_MOUNT", mount)
    monkeypatch.setattr(submission, "DRIVE_FOLDER", mount / "MyDrive" / "dlmusic")
    monkeypatch.setattr(course, "install_system_packages_on_colab", lambda: False)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab")
    monkeypatch.setenv("DLMUSIC_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    context = course.setup_notebook("vocals")
    assert context.work_dir == mount / "MyDrive" / "dlmusic" / "vocals"
    assert Path.cwd() == context.work_dir


def test_a_refused_drive_leaves_the_outputs_where_they_were_and_says_so(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, "google.colab", None)  # import fails, as when refused
    monkeypatch.chdir(tmp_path)
    assert course.mount_drive_on_colab("vocals") is None
    assert Path.cwd() == tmp_path
    assert "vanish on disconnect" in capsys.readouterr().out
