"""Collecting submissions: student folders, LMS zip exports, rosters, copies' names, lateness.

Also the reports of a partial regrade (export and feedback keep everyone else's reasons),
which need the same small prepared workspace.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import struct
import time
import warnings
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from sqlalchemy.exc import SAWarning

from dlmusic import submission
from dlmusic.errors import SubmissionError
from dlmusic_instructor import NBGRADER_CONFIG
from dlmusic_instructor.cli import detect_assignment
from dlmusic_instructor.collect import (
    MAX_WEIGHTS_BYTES,
    collect_folder,
    collect_zip,
    import_roster,
    normalise_notebook_names,
    read_timestamp,
)
from dlmusic_instructor.report import export_grades, write_feedback
from dlmusic_instructor.workspace import GradingError, Workspace

UNDERSCORED = "tiny_set"
"""A second assignment whose id holds ``_``, like ``problem_set``."""


def graded(cell, **nbgrader):
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "locked": False,
        "solution": False,
        "grade": False,
        **nbgrader,
    }
    return cell


def write_tiny_course(root: Path, names: tuple[str, ...] = ("tiny",)) -> Path:
    """A course of small assignments, each one answer and one test worth 2 points."""
    for name in names:
        write_tiny_assignment(root, name)
    (root / "autograder").mkdir()
    shutil.copy(NBGRADER_CONFIG, root / "autograder" / "nbgrader_config.py")
    return root


def write_tiny_assignment(root: Path, name: str) -> None:
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
    (root / "solutions" / name).mkdir(parents=True)
    nbformat.write(notebook, root / "solutions" / name / f"{name}.ipynb")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    root = tmp_path_factory.mktemp("grading_root")
    course = write_tiny_course(root / "course", ("tiny", UNDERSCORED))
    workspace = Workspace(root / "work_space", course)
    workspace.prepare("tiny", duedate="2026-12-01 17:00:00 UTC")
    workspace.prepare(UNDERSCORED, duedate="2026-12-01 17:00:00 UTC")
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


COPY_NAMES = [
    "Copy of problem_set.ipynb",
    "Copy of Copy of problem_set.ipynb",
    "Kopie von problem_set.ipynb",
    "Copie de problem_set.ipynb",
    "Copia de problem_set.ipynb",
    "Cópia de problem_set.ipynb",
    "Copia di problem_set.ipynb",
    "problem_set のコピー.ipynb",
    "problem_set - Copy.ipynb",
    "problem_set - Copy (2).ipynb",
    "problem_set - Kopie.ipynb",
    "problem_set copy 2.ipynb",
    "problem_set-Copy1.ipynb",
    "problem_set(1).ipynb",
    "problem_set (1).ipynb",
    "problem_set-1.ipynb",
    "Copy of problem_set (3).ipynb",
    "Problem_Set.ipynb",
    "PROBLEM_SET.IPYNB",
]


@pytest.mark.parametrize("name", COPY_NAMES)
def test_every_copy_name_variant_is_renamed_to_the_released_name_and_logged(name, tmp_path):
    (tmp_path / name).write_text("{}")
    actions = normalise_notebook_names(
        tmp_path, ["problem_set.ipynb"], set_aside=tmp_path / "aside"
    )
    assert actions == [f"renamed {name!r} to 'problem_set.ipynb'"]
    assert [p.name for p in tmp_path.iterdir()] == ["problem_set.ipynb"]


def test_names_of_other_notebooks_and_ambiguous_copies_are_left_alone(tmp_path):
    for name in ("essay.ipynb", "lab (1).ipynb", "problem_set.ipynb.orig", "lab_2 (1).ipynb"):
        (tmp_path / name).write_text("{}")
    releases = ["lab_1.ipynb", "lab_2.ipynb", "problem_set.ipynb"]
    actions = normalise_notebook_names(tmp_path, releases, set_aside=tmp_path / "aside")
    assert actions == ["renamed 'lab_2 (1).ipynb' to 'lab_2.ipynb'"]


def test_a_newer_copy_beside_a_stale_original_is_graded_and_the_choice_logged(tmp_path):
    stale, newer = tmp_path / "tiny.ipynb", tmp_path / "tiny (1).ipynb"
    stale.write_text('{"v": "stale"}')
    newer.write_text('{"v": "newer"}')
    os.utime(stale, (1_800_000_000, 1_800_000_000))
    os.utime(newer, (1_800_000_600, 1_800_000_600))
    aside = tmp_path / "aside"

    actions = normalise_notebook_names(tmp_path, ["tiny.ipynb"], set_aside=aside)

    assert "newer" in (tmp_path / "tiny.ipynb").read_text()
    assert "stale" in (aside / "tiny.ipynb").read_text()
    assert not newer.exists()
    assert actions[0].startswith("found 2 notebooks for 'tiny.ipynb': 'tiny (1).ipynb' (saved")
    assert "graded 'tiny (1).ipynb', the newest" in actions[0]
    assert actions[1] == "renamed 'tiny (1).ipynb' to 'tiny.ipynb'"


def test_a_stale_copy_beside_a_newer_original_is_set_aside_not_graded(workspace, tmp_path):
    hand_in(tmp_path, "mary", mtime=1_800_000_600).write_text('{"v": "newer"}')
    hand_in(tmp_path, "mary", name="Copy of tiny.ipynb", mtime=1_700_000_000)

    collected = collect_folder(tmp_path, workspace, "tiny")

    assert "newer" in (workspace.submission_dir("mary", "tiny") / "tiny.ipynb").read_text()
    assert [p.name for p in (workspace.root / "set_aside" / "mary" / "tiny").iterdir()] == [
        "Copy of tiny.ipynb"
    ]
    assert any("graded 'tiny.ipynb', the newest" in line for line in collected[0].actions)


def test_an_lms_zip_of_an_assignment_id_with_underscores_is_collected(workspace, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"lovelaceada_1001_555_{UNDERSCORED}.ipynb", '{"cells": []}')
        zipped.writestr("lovelaceada_1001_555_nmp_full.weights.h5", b"\x89HDF")
        zipped.writestr(f"hopper_late_1002_556_{UNDERSCORED}-1.ipynb", '{"cells": []}')
        zipped.writestr("hopper_late_1002_556_notes.pdf", b"%PDF")

    collected = {c.student: c for c in collect_zip(archive, workspace, UNDERSCORED)}

    assert set(collected) == {"1001", "1002"}
    first = workspace.submission_dir("1001", UNDERSCORED)
    assert sorted(p.name for p in first.iterdir()) == [
        "nmp_full.weights.h5",
        "timestamp.txt",
        f"{UNDERSCORED}.ipynb",
    ]
    assert (workspace.submission_dir("1002", UNDERSCORED) / f"{UNDERSCORED}.ipynb").is_file()
    renamed = f"renamed '{UNDERSCORED}-1.ipynb' to '{UNDERSCORED}.ipynb'"
    assert renamed in collected["1002"].actions
    assert "ignored 'notes.pdf' (not a notebook or weights file)" in collected["1002"].actions


def test_a_zip_that_matches_no_file_name_is_an_error_not_an_empty_collection(workspace, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(f"{UNDERSCORED}.ipynb", '{"cells": []}')
    with pytest.raises(GradingError, match="matched none of the 1 files"):
        collect_zip(archive, workspace, UNDERSCORED)


def test_lateness_comes_from_the_lms_times_in_the_zip_never_from_extraction(workspace, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        local = zipfile.ZipInfo("curie_2001_700_tiny.ipynb", date_time=(2026, 12, 2, 9, 30, 0))
        zipped.writestr(local, '{"cells": []}')
        utc = zipfile.ZipInfo("noether_2002_701_tiny.ipynb", date_time=(1999, 1, 1, 0, 0, 0))
        utc.extra = struct.pack("<HHBi", 0x5455, 5, 1, 1_796_140_800)  # 2026-12-01 16:00 UTC
        zipped.writestr(utc, '{"cells": []}')

    collected = {c.student: c for c in collect_zip(archive, workspace, "tiny")}

    assert collected["2001"].timestamp == "2026-12-02 09:30:00.000000 UTC"
    assert collected["2002"].timestamp == "2026-12-01 16:00:00.000000 UTC"
    folder = workspace.submission_dir("2001", "tiny")
    assert read_timestamp(folder) == "2026-12-02 09:30:00.000000 UTC"
    assert (folder / "tiny.ipynb").stat().st_mtime == pytest.approx(
        1_796_203_800  # 2026-12-02 09:30 UTC: the LMS's time, not the extraction's
    )


def test_a_timestamp_group_of_the_pattern_gives_the_submission_time(workspace, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ps_3001_attempt_2026-11-30T12:00:00Z_tiny.ipynb", '{"cells": []}')
        unparsable = zipfile.ZipInfo(
            "ps_3002_attempt_yesterday_tiny.ipynb", date_time=(2026, 11, 30, 13, 0, 0)
        )
        zipped.writestr(unparsable, '{"cells": []}')
    pattern = r"^ps_(?P<student_id>\d+)_attempt_(?P<timestamp>[^_]+)_(?P<file_id>.+)$"

    collected = {
        c.student: c for c in collect_zip(archive, workspace, "tiny", filename_pattern=pattern)
    }

    assert collected["3001"].timestamp == "2026-11-30 12:00:00.000000 UTC"
    assert any("ignored the timestamp 'yesterday'" in a for a in collected["3002"].actions)
    assert collected["3002"].timestamp == "2026-11-30 13:00:00.000000 UTC"


def test_a_bad_timestamp_file_is_that_students_logged_problem_only(workspace, tmp_path):
    hand_in(tmp_path, "evening", mtime=1_800_000_000)
    (tmp_path / "evening" / "timestamp.txt").write_text("yesterday evening")
    hand_in(tmp_path, "punctual", mtime=1_800_000_000)
    (tmp_path / "punctual" / "timestamp.txt").write_text("2026-11-30 10:00:00 UTC")

    collected = {c.student: c for c in collect_folder(tmp_path, workspace, "tiny")}

    assert collected["punctual"].timestamp == "2026-11-30 10:00:00.000000 UTC"
    assert collected["evening"].timestamp.startswith("2027-01-15 08:00:00")
    assert any(
        "ignored timestamp.txt" in line and "'yesterday evening'" in line
        for line in collected["evening"].actions
    )
    broken = workspace.submission_dir("evening", "tiny")
    (broken / "timestamp.txt").write_text("yesterday evening")
    with pytest.raises(SubmissionError, match="'yesterday evening', which is not a date"):
        read_timestamp(broken)


def test_weights_must_be_regular_files_under_the_size_limit(workspace, tmp_path):
    hand_in(tmp_path, "crafty", mtime=1_800_000_000)
    folder = tmp_path / "crafty"
    (folder / "nmp_full.weights.h5").symlink_to("/etc/passwd")
    (folder / "tiny_linked.ipynb").symlink_to("/etc/passwd")
    with (folder / "sparse.weights.h5").open("wb") as sparse:
        sparse.truncate(2 * 2**30)
    (folder / "small.weights.h5").write_bytes(b"\x89HDF")

    started = time.perf_counter()
    collected = collect_folder(tmp_path, workspace, "tiny")[0]
    assert time.perf_counter() - started < 5, "the sparse file must not be read"

    destination = workspace.submission_dir("crafty", "tiny")
    assert sorted(p.name for p in destination.iterdir()) == [
        "small.weights.h5",
        "timestamp.txt",
        "tiny.ipynb",
    ]
    assert not any(p.is_symlink() for p in destination.iterdir())
    assert "refused 'nmp_full.weights.h5': it is a symbolic link, not a regular file" in (
        collected.actions
    )
    assert "refused 'tiny_linked.ipynb': it is a symbolic link, not a regular file" in (
        collected.actions
    )
    limit = f"over the limit of {MAX_WEIGHTS_BYTES / 2**20:.1f} MiB"
    assert any(
        line.startswith("refused 'sparse.weights.h5'") and limit in line
        for line in collected.actions
    )


def test_weights_in_a_zip_are_refused_when_links_or_too_large(workspace, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("crafty_4001_800_tiny.ipynb", '{"cells": []}')
        link = zipfile.ZipInfo("crafty_4001_800_nmp_full.weights.h5")
        link.external_attr = 0o120777 << 16
        zipped.writestr(link, "/etc/passwd")
        huge = zipfile.ZipInfo("crafty_4001_800_big.weights.h5")
        huge.compress_type = zipfile.ZIP_DEFLATED
        zipped.writestr(huge, bytes(MAX_WEIGHTS_BYTES + 1))

    collected = collect_zip(archive, workspace, "tiny")[0]

    destination = workspace.submission_dir("4001", "tiny")
    assert sorted(p.name for p in destination.iterdir()) == ["timestamp.txt", "tiny.ipynb"]
    assert any(
        line.startswith("refused 'nmp_full.weights.h5': it is a symbolic link")
        for line in collected.actions
    )
    assert any(line.startswith("refused 'big.weights.h5'") for line in collected.actions)


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


def grade_by_hand(workspace: Workspace, student: str, score: float) -> None:
    """What autograde leaves for a student: gradebook scores and the autograded folder."""
    with workspace.gradebook() as book, warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's add_submission; rows are right
        book.update_or_create_student(student)
        submission = book.update_or_create_submission("tiny", student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = score
                grade.needs_manual_grade = False
        book.db.commit()
    autograded = workspace.submission_dir(student, "tiny", "autograded")
    autograded.mkdir(parents=True, exist_ok=True)
    shutil.copy(workspace.release_notebooks("tiny")[0], autograded / "tiny.ipynb")
    (autograded / "nmp_full.weights.h5").write_bytes(b"\x89HDF weights")
    (autograded / "timestamp.txt").write_text("2026-11-30 10:00:00 UTC")
    link = autograded / "linked.weights.h5"
    if not link.is_symlink():
        link.symlink_to("/etc/passwd")


def write_outcomes(workspace: Workspace, entries: list[dict]) -> None:
    workspace.reports.mkdir(parents=True, exist_ok=True)
    (workspace.reports / "outcomes-tiny.json").write_text(json.dumps(entries))


def rows(path: Path, student: str) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["student_id"] == student]


def test_feedback_folders_hold_the_pages_only_never_weights_or_links(workspace):
    grade_by_hand(workspace, "fb_weights", 2.0)
    write_outcomes(workspace, [{"student": "fb_weights", "assignment": "tiny", "graded": True}])

    pages = write_feedback(workspace, "tiny")

    folder = workspace.submission_dir("fb_weights", "tiny", "feedback")
    assert pages == [folder / "tiny.html"]
    assert [p.name for p in folder.iterdir()] == ["tiny.html"]
    assert "Grader's notes" in (folder / "tiny.html").read_text()


def test_a_partial_regrade_keeps_everyone_elses_reasons_in_totals_and_feedback(workspace):
    grade_by_hand(workspace, "pr_kept", 0.0)
    grade_by_hand(workspace, "pr_regraded", 0.0)
    write_outcomes(
        workspace,
        [
            {
                "student": "pr_kept",
                "assignment": "tiny",
                "graded": True,
                "reasons": ["test_square: 0/2 (AssertionError: square(3) is 6)"],
                "repairs": ["tiny.ipynb: restored kernelspec 'python3' (was 'ir')"],
                "seconds": 3.5,
            },
            {
                "student": "pr_regraded",
                "assignment": "tiny",
                "graded": True,
                "reasons": ["test_square: 0/2 (NameError: square)"],
            },
        ],
    )
    export_grades(workspace)
    write_feedback(workspace, "tiny")

    grade_by_hand(workspace, "pr_regraded", 2.0)
    write_outcomes(  # what `autograde --student pr_regraded` wrote, from a hand-made file
        workspace,
        [{"student": "pr_regraded", "graded": True, "reasons": [], "written_by": "a newer run"}],
    )
    cells_path, totals_path = export_grades(workspace)
    write_feedback(workspace, "tiny")

    kept = rows(totals_path, "pr_kept")
    assert [(row["graded"], row["reasons"]) for row in kept] == [
        ("True", "test_square: 0/2 (AssertionError: square(3) is 6)")
    ]
    assert [row["reason"] for row in rows(cells_path, "pr_kept")] == [
        "0/2 (AssertionError: square(3) is 6)"
    ]
    regraded = rows(totals_path, "pr_regraded")
    assert [(row["score"], row["reasons"]) for row in regraded] == [("2.0", "")]
    page = workspace.submission_dir("pr_kept", "tiny", "feedback") / "tiny.html"
    assert "square(3) is 6" in page.read_text()
    assert page.read_text().count("dlmusic-grader-notes") == 1
    regraded_page = workspace.submission_dir("pr_regraded", "tiny", "feedback") / "tiny.html"
    assert "NameError" not in regraded_page.read_text()


def test_collection_problems_reach_the_totals_reasons_and_the_feedback(workspace, tmp_path):
    hand_in(tmp_path, "late_note", mtime=1_800_000_000)
    (tmp_path / "late_note" / "timestamp.txt").write_text("yesterday evening")
    (tmp_path / "late_note" / "nmp_full.weights.h5").symlink_to("/etc/passwd")
    collect_folder(tmp_path, workspace, "tiny")
    grade_by_hand(workspace, "late_note", 2.0)
    write_outcomes(workspace, [{"student": "late_note", "graded": True, "reasons": []}])

    _, totals_path = export_grades(workspace)
    write_feedback(workspace, "tiny")

    (row,) = rows(totals_path, "late_note")
    assert "ignored timestamp.txt: timestamp.txt holds 'yesterday evening'" in row["reasons"]
    assert "refused 'nmp_full.weights.h5': it is a symbolic link" in row["reasons"]
    page = workspace.submission_dir("late_note", "tiny", "feedback") / "tiny.html"
    assert "When your files were collected" in page.read_text()


# --- the zip dlmusic.course.save_submission writes ---------------------------------------


def saved_submission(folder: Path, monkeypatch) -> Path:
    """The zip ``save_submission`` writes for a "tiny" notebook and its weights file."""
    monkeypatch.setitem(submission.SUBMISSION_FILES, "tiny", ("tiny_model.weights.h5",))
    monkeypatch.setattr(submission, "DRIVE_MOUNT", folder / "no-drive")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.ipynb").write_text(nbformat.writes(new_notebook()))
    (folder / "tiny_model.weights.h5").write_bytes(b"\x89HDF weights")
    return submission.save_submission("tiny", folder, show=lambda path, on_drive: None)


def test_the_zip_save_submission_writes_is_collected_as_it_is(workspace, tmp_path, monkeypatch):
    archive = saved_submission(tmp_path / "colab", monkeypatch)
    student = tmp_path / "class" / "grace"
    student.mkdir(parents=True)
    shutil.copy2(archive, student / archive.name)
    (collected,) = collect_folder(tmp_path / "class", workspace, "tiny")
    folder = workspace.submission_dir("grace", "tiny")
    assert sorted(p.name for p in folder.iterdir()) == [
        "timestamp.txt",
        "tiny.ipynb",
        "tiny_model.weights.h5",
    ]
    assert (folder / "tiny_model.weights.h5").read_bytes() == b"\x89HDF weights"
    assert collected.problems == ()
    assert any("unpacked" in line and archive.name in line for line in collected.actions)


def test_the_zip_save_submission_writes_is_collected_from_an_lms_export(
    workspace, tmp_path, monkeypatch
):
    archive = saved_submission(tmp_path / "colab", monkeypatch)
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as zipped:
        zipped.write(archive, f"hopper_54321_777_{archive.name}")
    (collected,) = collect_zip(export, workspace, "tiny")
    folder = workspace.submission_dir("54321", "tiny")
    assert {"tiny.ipynb", "tiny_model.weights.h5"} <= {p.name for p in folder.iterdir()}
    assert not list(folder.glob("*.zip"))
    assert collected.problems == ()


def test_a_broken_or_empty_zip_is_a_problem_with_a_reason(workspace, tmp_path):
    hand_in(tmp_path, "linus", name="tiny-submission.zip").write_bytes(b"not a zip")
    (collected,) = collect_folder(tmp_path, workspace, "tiny")
    assert any("not a readable zip archive" in line for line in collected.problems)
    assert any("no notebook was collected" in line for line in collected.problems)
