"""Export grades, write feedback, and summarise a grading run.

- ``reports/grades.csv``: one row per student, assignment and graded cell
  (score, points, whether it waits for manual grading, and why it lost points);
- ``reports/totals.csv``: one row per student and assignment (score, points,
  late penalty, graded or not, and the reasons);
- ``feedback/<student>/<assignment>/<notebook>.html``: nbgrader's feedback,
  headed by the grader's notes (repairs made, why points were lost); a page
  with the reason alone for a submission nbgrader could not grade;
- :func:`summary_table`: the score distribution and the tests failed most.
"""

from __future__ import annotations

import csv
import html
import itertools
import statistics
from collections import Counter
from pathlib import Path

from dlmusic.datasets.summary import format_table
from dlmusic_instructor.autograde import Outcome, read_outcomes
from dlmusic_instructor.workspace import GradingError, Workspace

SCORE_BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
FAILED_TESTS_LISTED = 5


def export_grades(workspace: Workspace) -> tuple[Path, Path]:
    """Write ``grades.csv`` (per graded cell) and ``totals.csv`` for every assignment."""
    workspace.reports.mkdir(parents=True, exist_ok=True)
    cells_path = workspace.reports / "grades.csv"
    totals_path = workspace.reports / "totals.csv"
    cell_rows, total_rows = [], []
    with workspace.gradebook() as book:
        for assignment in book.assignments:
            outcomes = {o.student: o for o in read_outcomes(workspace, assignment.name)}
            for submission in book.assignment_submissions(assignment.name):
                student = submission.student
                outcome = outcomes.get(student.id)
                reasons = _reasons_by_cell(outcome)
                identity = {
                    "assignment": assignment.name,
                    "student_id": student.id,
                    "last_name": student.last_name or "",
                    "first_name": student.first_name or "",
                    "email": student.email or "",
                }
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        cell_rows.append(
                            {
                                **identity,
                                "notebook": notebook.name,
                                "cell": grade.name,
                                "score": grade.score,
                                "max_score": grade.max_score,
                                "needs_manual_grade": grade.needs_manual_grade,
                                "reason": reasons.get(grade.name, ""),
                            }
                        )
                total_rows.append(
                    {
                        **identity,
                        "timestamp": submission.timestamp or "",
                        "late_penalty": submission.late_submission_penalty or 0.0,
                        "score": submission.score,
                        "max_score": submission.max_score,
                        "graded": outcome.graded if outcome else "",
                        "reasons": " | ".join(outcome.reasons) if outcome else "",
                    }
                )
    _write_csv(cells_path, cell_rows)
    _write_csv(totals_path, total_rows)
    return cells_path, totals_path


def write_feedback(workspace: Workspace, assignment: str) -> list[Path]:
    """nbgrader's feedback HTML for every graded submission, headed by the grader's notes."""
    outcomes = read_outcomes(workspace, assignment)
    if not outcomes:
        raise GradingError(f"{assignment} has not been graded in {workspace.root}")
    if any(o.graded for o in outcomes):
        workspace.nbgrader("generate_feedback", assignment, "--force", "--log-level=WARN")
    pages = []
    notebook_names = [p.stem for p in workspace.release_notebooks(assignment)]
    for outcome in outcomes:
        folder = workspace.submission_dir(outcome.student, assignment, "feedback")
        folder.mkdir(parents=True, exist_ok=True)
        for name in notebook_names:
            page = folder / f"{name}.html"
            notes = _notes_html(outcome)
            if page.is_file() and outcome.graded:
                text = page.read_text()
                page.write_text(_insert_after_body(text, notes))
            else:
                page.write_text(
                    f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
                    f"<title>{html.escape(assignment)}: {html.escape(outcome.student)}</title>"
                    f"</head><body>{notes}<p>Score: 0 (the notebook could not be graded).</p>"
                    f"</body></html>"
                )
            pages.append(page)
    return pages


def summary_table(workspace: Workspace, assignment: str) -> str:
    """Score distribution, failures, seconds per submission and the tests failed most."""
    outcomes = read_outcomes(workspace, assignment)
    with workspace.gradebook() as book:
        submissions = book.assignment_submissions(assignment)
        scores = [s.score for s in submissions]
        max_score = book.find_assignment(assignment).max_score
        lost = Counter(
            grade.name
            for s in submissions
            for notebook in s.notebooks
            for grade in notebook.grades
            if not grade.needs_manual_grade and grade.score < grade.max_score
        )
    if not scores:
        return f"{assignment}: no submissions graded"
    fractions = [score / max_score for score in scores] if max_score else [0.0] * len(scores)
    seconds = [o.seconds for o in outcomes if o.seconds]
    overview = [
        {
            "assignment": assignment,
            "submissions": str(len(scores)),
            "not_gradable": str(sum(not o.graded for o in outcomes)),
            "mean": f"{statistics.fmean(scores):.1f}/{max_score:g}",
            "median": f"{statistics.median(scores):.1f}",
            "min": f"{min(scores):.1f}",
            "max": f"{max(scores):.1f}",
            "seconds_per_submission": f"{statistics.fmean(seconds):.1f}" if seconds else "-",
        }
    ]
    bands = []
    for low, high in itertools.pairwise(SCORE_BANDS):
        count = sum(low <= f < high or (high == 1.0 and f == 1.0) for f in fractions)
        bands.append({"score": f"{low:.0%}-{high:.0%}", "students": "#" * count + f" {count}"})
    failing = [
        {"test": name, "students_losing_points": str(count)}
        for name, count in lost.most_common(FAILED_TESTS_LISTED)
    ]
    parts = [
        format_table(overview, f"Grading summary: {assignment}"),
        format_table(bands, "Score distribution"),
    ]
    if failing:
        parts.append(format_table(failing, "Tests failed most"))
    return "\n\n".join(parts)


def grade_table(workspace: Workspace, assignment: str) -> str:
    """One row per student: score, points, and the first reason points were lost."""
    outcomes = {o.student: o for o in read_outcomes(workspace, assignment)}
    rows = []
    with workspace.gradebook() as book:
        for submission in sorted(
            book.assignment_submissions(assignment), key=lambda s: s.student.id
        ):
            outcome = outcomes.get(submission.student.id)
            reasons = [r for r in (outcome.reasons if outcome else []) if "manual" not in r]
            rows.append(
                {
                    "student": submission.student.id,
                    "score": f"{submission.score:g}/{submission.max_score:g}",
                    "why points were lost": (reasons[0] if reasons else "")[:90],
                }
            )
    return format_table(rows, f"Grades: {assignment}")


def _reasons_by_cell(outcome: Outcome | None) -> dict[str, str]:
    if outcome is None:
        return {}
    if not outcome.graded:
        return {"*": " | ".join(outcome.reasons)}
    by_cell = {}
    for reason in outcome.reasons:
        cell, _, why = reason.partition(": ")
        by_cell[cell] = why
    return by_cell


def _notes_html(outcome: Outcome) -> str:
    items = [f"<li>{html.escape(r)}</li>" for r in outcome.reasons]
    repairs = [f"<li>{html.escape(r)}</li>" for r in outcome.repairs]
    parts = ["<div class='dlmusic-grader-notes'><h2>Grader's notes</h2>"]
    if not outcome.graded:
        parts.append("<p><strong>This notebook could not be graded.</strong></p>")
    if items:
        parts.append(f"<p>Points lost:</p><ul>{''.join(items)}</ul>")
    if repairs:
        parts.append(f"<p>Repairs made before grading:</p><ul>{''.join(repairs)}</ul>")
    if not items and not repairs:
        parts.append("<p>Nothing to report.</p>")
    parts.append("</div>")
    return "".join(parts)


def _insert_after_body(page: str, fragment: str) -> str:
    start = page.find("<body")
    if start < 0:
        return fragment + page
    end = page.index(">", start) + 1
    return page[:end] + fragment + page[end:]


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        if not rows:
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
