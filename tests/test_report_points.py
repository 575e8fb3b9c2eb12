"""The instructor's tables keep automatic points, manual points and points waiting apart.

A gradebook is written directly with nbgrader's API (two automatically graded test
cells of 30 points in all, two manually graded answers of 20): a student whose
answers wait for a person must not read as having lost those points.
"""

from __future__ import annotations

import csv
import warnings

import pytest

from dlmusic_instructor.report import export_grades, grade_table, points_split, summary_table
from dlmusic_instructor.workspace import Workspace, nbgrader_environment

ASSIGNMENT = "demo"
NOTEBOOK = "demo"
TESTS = {"test-a": 10.0, "test-b": 20.0}
ANSWERS = {"answer-a": 8.0, "answer-b": 12.0}


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """``full`` answered everything (answers waiting); ``marked`` had one answer marked."""
    monkeypatch.setenv("PATH", nbgrader_environment()["PATH"])  # nbgrader runs alembic
    workspace = Workspace(tmp_path)
    with workspace.gradebook() as book:  # silences nbgrader's SQLAlchemy warnings
        book.add_assignment(ASSIGNMENT)
        book.add_notebook(NOTEBOOK, ASSIGNMENT)
        for name, points in TESTS.items():
            book.add_grade_cell(name, NOTEBOOK, ASSIGNMENT, max_score=points, cell_type="code")
        for name, points in ANSWERS.items():
            book.add_grade_cell(name, NOTEBOOK, ASSIGNMENT, max_score=points, cell_type="markdown")
            book.add_solution_cell(name, NOTEBOOK, ASSIGNMENT)
        for student in ("full", "marked"):
            book.add_student(student)
            submission = book.add_submission(ASSIGNMENT, student)
            for grade in submission.notebooks[0].grades:
                if grade.name in TESTS:
                    grade.auto_score = TESTS[grade.name] if student == "full" else 5.0
                    grade.needs_manual_grade = False
                elif student == "marked" and grade.name == "answer-a":
                    grade.manual_score = 6.0
                    grade.needs_manual_grade = False
                else:
                    grade.auto_score = None
                    grade.needs_manual_grade = True
        book.db.commit()
    return workspace


def test_points_split_separates_automatic_manual_and_waiting(workspace):
    with workspace.gradebook() as book:
        splits = {s.student.id: points_split(s) for s in book.assignment_submissions(ASSIGNMENT)}
    full, marked = splits["full"], splits["marked"]
    assert (full.automatic, full.automatic_max) == (30, 30)
    assert (full.manual, full.manual_max, full.waiting_max) == (0, 0, 20)
    assert full.waiting_cells == ("answer-a", "answer-b")
    assert (marked.automatic, marked.manual, marked.manual_max) == (10, 6, 8)
    assert marked.waiting_max == 12 and marked.waiting_cells == ("answer-b",)
    assert full.total_max == marked.total_max == 50


def test_grade_table_shows_points_waiting_and_names_the_waiting_answers(workspace):
    table = grade_table(workspace, ASSIGNMENT)
    header = table.splitlines()[1].split()
    assert header[:5] == ["student", "automatic", "manual", "waiting", "total"]
    rows = {line.split()[0]: line for line in table.splitlines()[3:]}
    assert rows["full"].split()[1:5] == ["30/30", "-", "20", "30/50"]
    assert "waiting for manual grading: answer-a, answer-b" in rows["full"]
    assert rows["marked"].split()[1:5] == ["10/30", "6/8", "12", "16/50"]


def test_summary_and_totals_csv_report_the_points_waiting(workspace):
    summary = summary_table(workspace, ASSIGNMENT)
    assert "2 students, 32 points" in summary
    _, totals = export_grades(workspace)
    with totals.open() as handle:
        rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert float(rows["full"]["automatic_score"]) == 30
    assert float(rows["full"]["waiting_for_manual_grading"]) == 20
    assert float(rows["marked"]["manual_score"]) == 6


def test_reports_print_no_library_warnings(workspace):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        grade_table(workspace, ASSIGNMENT)
        summary_table(workspace, ASSIGNMENT)
        export_grades(workspace)
    assert [str(w.message) for w in caught] == []
