"""The committed student notebooks are exactly what nbgrader generates from the solutions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dlmusic_instructor import COURSE_ROOT, NBGRADER_CONFIG

sys.path.insert(0, str(COURSE_ROOT / "autograder"))

from release import assignment_ids, generate

ASSIGNMENTS = assignment_ids()


def notebook_cells(path: Path) -> list[dict]:
    """Cell types, sources and nbgrader metadata: what a student receives."""
    notebook = json.loads(path.read_text())
    return [
        {
            "type": cell["cell_type"],
            "source": "".join(cell["source"]),
            "nbgrader": cell.get("metadata", {}).get("nbgrader"),
        }
        for cell in notebook["cells"]
    ]


def test_there_are_assignments_to_release():
    assert "transcription" in ASSIGNMENTS


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_equals_a_fresh_nbgrader_generation(assignment, tmp_path):
    release = tmp_path / "release"
    generate(assignment, release_directory=str(release))
    fresh = sorted((release / assignment).glob("*.ipynb"))
    committed = sorted((COURSE_ROOT / "assignments" / assignment).glob("*.ipynb"))
    assert [p.name for p in fresh] == [p.name for p in committed]
    for fresh_nb, committed_nb in zip(fresh, committed, strict=True):
        assert notebook_cells(committed_nb) == notebook_cells(fresh_nb), (
            f"assignments/{assignment}/{committed_nb.name} is stale: "
            f"run `python autograder/release.py {assignment}`"
        )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solutions_and_no_hidden_tests(assignment):
    for notebook in (COURSE_ROOT / "assignments" / assignment).glob("*.ipynb"):
        text = notebook.read_text()
        assert "BEGIN SOLUTION" not in text
        assert "BEGIN HIDDEN TESTS" not in text
        assert "raise NotImplementedError()" in text


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stubs_fail_their_tests(assignment, tmp_path, quick_data_dir):
    """``nbgrader validate --invert`` passes only if every graded test fails on the stubs."""
    for notebook in (COURSE_ROOT / "assignments" / assignment).glob("*.ipynb"):
        copy = tmp_path / notebook.name
        copy.write_text(notebook.read_text())
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "nbgrader",
                "validate",
                "--invert",
                f"--config={NBGRADER_CONFIG}",
                str(copy),
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env={**os.environ, "DLMUSIC_MODE": "quick", "DLMUSIC_DATA": str(quick_data_dir)},
            timeout=900,
            check=False,
        )
        output = result.stdout + result.stderr
        assert "Success! The notebook does not pass any tests." in output, output[-3000:]
