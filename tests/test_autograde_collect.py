"""Collecting submissions: student folders, LMS zip exports, rosters, copies' names, lateness."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlmusic_instructor.cli import detect_assignment
from dlmusic_instructor.collect import (
    collect_folder,
    collect_zip,
    import_roster,
    normalise_notebook_names,
)
from dlmusic_instructor.workspace import NBGRADER_CONFIG, GradingError, Workspace


def graded(cell, **nbgrader):
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "locked": False,
        "solution": False,
        "grade": False,
        **nbgrader,
    }
    return cell


def write_tiny_course(root: Path) -> Path:
    """A course with one small assignment, ``tiny``: two answers, two tests, one essay."""
    notebook = new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [
        new_markdown_cell("# Tiny assignment"),
        graded(
            new_code_cell(
                "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION\n"
            ),
            grade_id="square",
            solution=True,
        ),
        graded(
            new_code_cell(
                "assert square(3) == 9\n### BEGIN HIDDEN TESTS\n"
                "assert square(-2) == 4\n### END HIDDEN TESTS\n"
            ),
            grade_id="test_square",
            grade=True,
            locked=True,
            points=2,
        ),
    ]
    (root / "solutions" / "tiny").mkdir(parents=True)
    nbformat.write(notebook, root / "solutions" / "tiny" / "tiny.ipynb")
    (root / "autograder").mkdir()
    shutil.copy(NBGRADER_CONFIG, root / "autograder" / "nbgrader_config.py")
    return root


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("grading")
    course = write_tiny_course(root / "course")
    workspace = Workspace(root / "work", course)
    workspace.prepare("tiny", duedate="2026-12-01 17:00:00 UTC")
    return workspace


def hand_in(folder: Path, student: str, name: str = "tiny.ipynb", mtime: float | None = None):
    target = folder / student / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text('{"cells": []}')
    if mtime is not None:
        os.utime(target, (mtime, mtime))
    return target


def test_prepare_registers_the_assignment_without_touching_the_course(workspace):
    with workspace.gradebook() as book:
        assignment = book.find_assignment("tiny")
        assert assignment.max_score == 2
        assert str(assignment.duedate).startswith("2026-12-01 17:00")
    assert not (workspace.course_root / "assignments").exists()
    assert workspace.release_notebooks("tiny")[0].name == "tiny.ipynb"


def test_a_folder_per_student_is_collected_with_weights_and_timestamps(workspace, tmp_path):
    hand_in(tmp_path, "ada", mtime=1_800_000_000)
    (tmp_path / "ada" / "nmp_full.weights.h5").write_bytes(b"\x89HDF")
    (tmp_path / "ada" / "notes.txt").write_text("not handed in")
    collected = collect_folder(tmp_path, workspace, "tiny")
    folder = workspace.submission_dir("ada", "tiny")
    assert sorted(p.name for p in folder.iterdir()) == [
        "nmp_full.weights.h5",
        "timestamp.txt",
        "tiny.ipynb",
    ]
    assert collected[0].timestamp.startswith("2027-01-15 08:00:00")


def test_an_older_submission_never_replaces_a_newer_one(workspace, tmp_path):
    newer, older = tmp_path / "newer", tmp_path / "older"
    hand_in(newer, "grace", mtime=1_800_000_000).write_text('{"cells": [], "v": "new"}')
    collect_folder(newer, workspace, "tiny")
    hand_in(older, "grace", mtime=1_700_000_000)
    collected = collect_folder(older, workspace, "tiny")
    assert "kept the already collected submission" in collected[0].actions[0]
    assert "new" in (workspace.submission_dir("grace", "tiny") / "tiny.ipynb").read_text()


def test_copies_made_by_colab_and_browsers_get_the_released_name(tmp_path):
    (tmp_path / "Copy of tiny.ipynb").write_text("{}")
    actions = normalise_notebook_names(tmp_path, ["tiny.ipynb"])
    assert actions == ["renamed 'Copy of tiny.ipynb' to 'tiny.ipynb'"]
    (tmp_path / "tiny (1).ipynb").write_text("{}")
    assert normalise_notebook_names(tmp_path, ["tiny.ipynb"]) == []  # tiny.ipynb exists


def test_an_lms_zip_is_sorted_by_student_with_nbgraders_zip_collect(workspace, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("lovelaceada_1001_555_tiny.ipynb", '{"cells": []}')
        zipped.writestr("lovelaceada_1001_555_nmp_full.weights.h5", b"\x89HDF")
        zipped.writestr("hopper_late_1002_556_tiny-1.ipynb", '{"cells": []}')
    collected = {c.student: c for c in collect_zip(archive, workspace, "tiny")}
    assert {"1001", "1002"} <= set(collected)
    assert (workspace.submission_dir("1001", "tiny") / "nmp_full.weights.h5").is_file()
    assert (workspace.submission_dir("1002", "tiny") / "tiny.ipynb").is_file()
    assert "renamed 'tiny-1.ipynb' to 'tiny.ipynb'" in collected["1002"].actions


def test_a_roster_adds_students_and_a_bad_roster_says_why(workspace, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("id,first_name,last_name,email\nada,Ada,Lovelace,ada@example.org\n")
    assert import_roster(roster, workspace) == 1
    with workspace.gradebook() as book:
        assert book.find_student("ada").last_name == "Lovelace"
    roster.write_text("name,email\nAda,ada@example.org\n")
    with pytest.raises(GradingError, match="'id' column"):
        import_roster(roster, workspace)


def test_missing_sources_are_clear_errors(workspace, tmp_path):
    with pytest.raises(GradingError, match="no per-student folders"):
        collect_folder(tmp_path / "absent", workspace, "tiny")
    with pytest.raises(GradingError, match="no LMS export"):
        collect_zip(tmp_path / "absent.zip", workspace, "tiny")


def test_the_assignment_is_found_from_the_notebook_names(tmp_path):
    hand_in(tmp_path, "ada", name="problem_set.ipynb")
    assert detect_assignment(tmp_path) == "problem_set"
    hand_in(tmp_path / "other", "bob", name="essay.ipynb")
    with pytest.raises(GradingError, match="cannot tell the assignment"):
        detect_assignment(tmp_path / "other")
    with pytest.raises(GradingError, match="neither a folder nor a zip"):
        detect_assignment(tmp_path / "ada" / "problem_set.ipynb")
