"""The dataset CLI and ``make demo``'s entry point, run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from dlmusic.datasets import cli
from dlmusic.errors import DatasetError
from dlmusic_instructor import COURSE_ROOT, demo


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "data"
    monkeypatch.setenv("DLMUSIC_DATA", str(folder))
    return folder


def test_demo_builds_summarises_and_plots_every_dataset(
    quick_data_dir, monkeypatch, tmp_path, capsys
):
    # The data folder the notebook tests share: building each dataset is tested in
    # test_synthetic_datasets; here the demo builds what is missing and reuses the rest.
    monkeypatch.setenv("DLMUSIC_DATA", str(quick_data_dir))
    out = tmp_path / "demo"
    assert demo.main(["--size", "quick", "--out", str(out), "--skip-grading"]) == 0
    printed = capsys.readouterr().out
    for title in ("synthetic_piano (quick)", "synthetic_scores (quick)", "synthetic_stems (quick)"):
        assert title in printed
    for column in ("pieces", "minutes", "notes", "pages", "tracks"):
        assert column in printed
    for name in ("synthetic_piano", "synthetic_scores", "synthetic_stems"):
        with Image.open(out / f"{name}.png") as image:
            assert image.format == "PNG" and image.width > 300
    assert (quick_data_dir / "synthetic_piano" / "quick" / "synthetic_piano.csv").is_file()


def test_cli_summary_of_unbuilt_data_fails_with_the_build_command(data_dir):
    with pytest.raises(DatasetError, match=r"build_synthetic\.py piano --size quick"):
        cli.main(["summary", "--size", "quick"])


def test_build_synthetic_script_builds_one_corpus(data_dir):
    result = subprocess.run(
        [
            sys.executable,
            str(COURSE_ROOT / "data_scripts" / "build_synthetic.py"),
            "stems",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "stems:" in result.stdout
    assert (data_dir / "synthetic_stems" / "quick" / "tracks.csv").is_file()
