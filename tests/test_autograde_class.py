"""``make grade`` on a whole class built from the problem_set release, adversarial cases included.

One grading run (module fixture) of every example student of
:mod:`dlmusic_instructor.example_class`, through the same command ``make
grade`` runs; then each student's score and reason are checked against what
the example says should happen.
"""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest

from dlmusic_instructor import COURSE_ROOT, cli
from dlmusic_instructor.autograde import Limits, autograde_assignment, read_outcomes
from dlmusic_instructor.example_class import example_students, write_example_class
from dlmusic_instructor.report import summary_table
from dlmusic_instructor.workspace import Workspace

ASSIGNMENT = "problem_set"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
NOTEBOOK_TIMEOUT_S = 180
"""Grading a finished problem set takes 20-35 s here; the endless students wait this out."""
CELL_TIMEOUT_S = 60
"""The slowest cell (the first librosa CQT in a fresh kernel) took over 30 s on a loaded
2-core machine (2026-12-07: a perfect submission lost 14 points), so a minute."""


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    write_example_class(
        COURSE_ROOT / "assignments" / ASSIGNMENT / NOTEBOOK,
        COURSE_ROOT / "solutions" / ASSIGNMENT / NOTEBOOK,
        root / "submissions",
    )
    workspace = Workspace(root / "grading")
    status = cli.main(
        [
            "--workdir",
            str(workspace.root),
            "all",
            str(root / "submissions"),
            "--workers",
            "2",
            "--cell-timeout",
            str(CELL_TIMEOUT_S),
            "--notebook-timeout",
            str(NOTEBOOK_TIMEOUT_S),
            "--memory-gib",
            "3",
            "--heldout-size",
            "quick",
        ]
    )
    assert status == 0
    with (workspace.reports / "totals.csv").open() as handle:
        totals = {row["student_id"]: row for row in csv.DictReader(handle)}
    return workspace, totals


def autograded_points(workspace: Workspace) -> float:
    """Points of the test cells (manually graded answers excluded)."""
    with workspace.gradebook() as book:
        notebook = book.find_notebook(Path(NOTEBOOK).stem, ASSIGNMENT)
        return sum(cell.max_score for cell in notebook.grade_cells if cell.cell_type == "code")


@pytest.mark.parametrize("example", example_students(), ids=lambda e: e.student)
def test_every_submission_gets_the_grade_and_reason_it_deserves(graded_class, example):
    workspace, totals = graded_class
    row = totals[example.student]
    score, full = float(row["score"]), autograded_points(workspace)
    if example.expectation == "full":
        assert score == pytest.approx(full), row["reasons"]
    elif example.expectation == "zero":
        assert score == 0, row["reasons"]
        assert row["reasons"], "a zero needs a reason"
    else:
        assert 0 < score < full, row["reasons"]
    assert example.reason.lower() in row["reasons"].lower()


def test_the_class_is_exported_and_every_student_gets_feedback(graded_class):
    workspace, totals = graded_class
    assert set(totals) == {example.student for example in example_students()}
    with (workspace.reports / "grades.csv").open() as handle:
        cells = list(csv.DictReader(handle))
    graded_cells = {row["cell"] for row in cells if row["student_id"] == "perfect"}
    assert len(graded_cells) >= 10
    for student in totals:
        page = (
            workspace.submission_dir(student, ASSIGNMENT, "feedback")
            / f"{Path(NOTEBOOK).stem}.html"
        )
        assert "Grader's notes" in page.read_text()


def autograded_text(workspace: Workspace, student: str) -> str:
    return (workspace.submission_dir(student, ASSIGNMENT, "autograded") / NOTEBOOK).read_text()


def printed(workspace: Workspace, student: str) -> str:
    """What the student's notebook printed while it was graded (stream outputs only)."""
    notebook = nbformat.read(
        workspace.submission_dir(student, ASSIGNMENT, "autograded") / NOTEBOOK, as_version=4
    )
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def test_student_code_could_not_reach_the_network(graded_class):
    workspace, _ = graded_class
    assert "blocked:" in printed(workspace, "downloads")
    shown = printed(workspace, "raw_network")
    assert "raw socket refused" in shown
    assert "connection refused" in shown


def test_no_secret_was_visible_to_student_code(graded_class):
    workspace, _ = graded_class
    assert "secrets found: none | secret environment: none" in printed(workspace, "finds_secrets")


def test_student_code_could_not_change_the_course_package_or_the_grader(graded_class):
    workspace, _ = graded_class
    shown = printed(workspace, "writes_shared")
    assert "wrote" not in shown
    assert shown.count("refused") == 3
    assert "SystemExit" not in (COURSE_ROOT / "lib" / "dlmusic" / "course.py").read_text()
    assert (
        "SystemExit"
        not in (COURSE_ROOT / "autograder" / "dlmusic_instructor" / "probe_runtime.py").read_text()
    )


def test_feedback_shows_the_graders_verdicts_but_no_hidden_check(graded_class):
    workspace, _ = graded_class
    page = (
        workspace.submission_dir("aliased_scipy", ASSIGNMENT, "feedback")
        / f"{Path(NOTEBOOK).stem}.html"
    ).read_text()
    assert "Grader: " in page
    assert "scipy.ndimage.median_filter" in page
    assert "BEGIN HIDDEN TESTS" not in page
    assert "make_inputs" not in page and "def judge" not in page


def test_colab_damage_is_repaired_and_logged(graded_class):
    workspace, _ = graded_class
    outcome = {o.student: o for o in read_outcomes(workspace, ASSIGNMENT)}["colab_mangled"]
    assert any("restored nbgrader metadata" in action for action in outcome.repairs)
    original = workspace.submission_dir("colab_mangled", ASSIGNMENT) / f"{NOTEBOOK}.orig"
    assert original.is_file(), "the submission as handed in is kept"


def test_grading_again_is_idempotent_and_backs_up_the_gradebook(graded_class):
    workspace, totals = graded_class
    backups_before = len(list((workspace.root / "backups").glob("*.db")))
    before = autograded_text(workspace, "perfect")
    autograde_assignment(
        workspace,
        ASSIGNMENT,
        students=["perfect", "invalid_json"],
        limits=Limits(cell_timeout_s=60),
    )
    assert autograded_text(workspace, "perfect") == before, "a regrade is byte-identical"
    cli.main(["--workdir", str(workspace.root), "export"])
    with (workspace.reports / "totals.csv").open() as handle:
        after = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert after["aliased_scipy"]["reasons"] == totals["aliased_scipy"]["reasons"], (
        "a partial regrade keeps everyone else's reasons"
    )
    with workspace.gradebook() as book:
        for student in ("perfect", "invalid_json"):
            score = book.find_submission(ASSIGNMENT, student).score
            assert score == pytest.approx(float(totals[student]["score"]))
        assert len(book.assignment_submissions(ASSIGNMENT)) == len(totals)
    assert len(list((workspace.root / "backups").glob("*.db"))) == backups_before + 1


def test_the_summary_shows_the_distribution_and_the_tests_failed_most(graded_class):
    workspace, _ = graded_class
    summary = summary_table(workspace, ASSIGNMENT)
    assert f"Grading summary: {ASSIGNMENT}" in summary
    assert "Score distribution" in summary
    assert "Tests failed most" in summary
