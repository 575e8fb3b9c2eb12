"""Export grades, write feedback, and summarise a grading run.

- ``reports/grades.csv``: one row per student, assignment and graded cell
  (score, points, whether it waits for manual grading, and why it lost points);
- ``reports/totals.csv``: one row per student and assignment (score, points,
  late penalty, graded or not, and the reasons: the problems met collecting the
  submission, then the grader's);
- ``feedback/<student>/<assignment>/<notebook>.html``: nbgrader's feedback,
  headed by the grader's notes (why points were lost, what collecting the
  files did, repairs made); a page
  with the reason alone for a submission nbgrader could not grade. Feedback
  folders hold these pages only: weights and other handed-in files are never
  copied there;
- :func:`grade_table`: one row per student with the automatic points, the points
  of manually graded answers (marked, and still waiting for a person), the total,
  and why points were lost;
- :func:`summary_table`: the score distribution and the tests failed most.

Points are always split the same way (:class:`PointsSplit`): a graded cell that is
also a solution cell is a manually graded answer, every other graded cell is
automatic. An answer waiting for manual grading counts 0 in nbgrader's total
until a person marks it, so the tables show those points apart.

The grader's outcomes (``reports/outcomes-<assignment>.json``) are read per
student and leniently: an entry with missing or unknown fields still counts,
the last entry of a student wins. After a partial regrade (``autograde
--student X``) a student without an entry keeps what the previous run recorded:
the graded flag and reasons of the previous ``totals.csv`` and ``grades.csv``,
and the grader's notes of the previous feedback page.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import itertools
import json
import re
import shutil
import stat
import statistics
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from dlmusic.datasets.summary import format_table
from dlmusic_instructor.autograde import Outcome
from dlmusic_instructor.collect import Collected, read_collection_notes
from dlmusic_instructor.workspace import GradingError, Workspace

SCORE_BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
FAILED_TESTS_LISTED = 5
FEEDBACK_NOT_COPIED = ("*.h5", "*.orig", "timestamp.txt")
"""Handed-in files nbgrader must not copy into ``feedback/`` (added to its ignore list)."""
NBGRADER_IGNORED = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback")
"""nbgrader's own default ``CourseDirectory.ignore``, kept when adding to it."""
_NOTES = re.compile(r"<div class='dlmusic-grader-notes'>.*?</div>", re.DOTALL)
WAITING_REASON = "waiting for manual grading"
"""How :mod:`dlmusic_instructor.autograde` marks a manually graded answer left to a person."""


@dataclass(frozen=True)
class PointsSplit:
    """One submission's points, split into automatic and manually graded ones.

    Attributes
    ----------
    automatic, automatic_max : float
        Points earned on, and available in, the automatically graded cells.
    manual, manual_max : float
        Points earned on, and available in, the manually graded answers a person
        has marked (or that scored 0 automatically because they were left blank).
    waiting_max : float
        Points of the answers still waiting for a person (0 in nbgrader's total).
    waiting_cells : tuple of str
        The grade ids of those answers.
    """

    automatic: float = 0.0
    automatic_max: float = 0.0
    manual: float = 0.0
    manual_max: float = 0.0
    waiting_max: float = 0.0
    waiting_cells: tuple[str, ...] = ()

    @property
    def total(self) -> float:
        """nbgrader's score: automatic plus marked manual points."""
        return self.automatic + self.manual

    @property
    def total_max(self) -> float:
        """Every point of the assignment."""
        return self.automatic_max + self.manual_max + self.waiting_max


def points_split(submission) -> PointsSplit:
    """The :class:`PointsSplit` of an nbgrader ``SubmittedAssignment``."""
    automatic = automatic_max = manual = manual_max = waiting_max = 0.0
    waiting: list[str] = []
    for notebook in submission.notebooks:
        answers = {cell.name for cell in notebook.notebook.solution_cells}
        for grade in notebook.grades:
            if grade.name not in answers:
                automatic += grade.score
                automatic_max += grade.max_score
            elif grade.needs_manual_grade:
                waiting_max += grade.max_score
                waiting.append(grade.name)
            else:
                manual += grade.score
                manual_max += grade.max_score
    return PointsSplit(automatic, automatic_max, manual, manual_max, waiting_max, tuple(waiting))


def export_grades(workspace: Workspace) -> tuple[Path, Path]:
    """Write ``grades.csv`` (per graded cell) and ``totals.csv`` for every assignment."""
    workspace.reports.mkdir(parents=True, exist_ok=True)
    cells_path = workspace.reports / "grades.csv"
    totals_path = workspace.reports / "totals.csv"
    previous_cells = {
        (row.get("assignment"), row.get("student_id"), row.get("notebook"), row.get("cell")): row
        for row in _read_csv(cells_path)
    }
    previous_totals = {
        (row.get("assignment"), row.get("student_id")): row for row in _read_csv(totals_path)
    }
    cell_rows, total_rows = [], []
    with workspace.gradebook() as book:
        for assignment in book.assignments:
            outcomes = read_outcomes_by_student(workspace, assignment.name)
            collection = read_collection_notes(workspace, assignment.name)
            for submission in book.assignment_submissions(assignment.name):
                student = submission.student
                outcome = outcomes.get(student.id)
                reasons = _reasons_by_cell(outcome)
                before = previous_totals.get((assignment.name, student.id), {})
                identity = {
                    "assignment": assignment.name,
                    "student_id": student.id,
                    "last_name": student.last_name or "",
                    "first_name": student.first_name or "",
                    "email": student.email or "",
                }
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        key = (assignment.name, student.id, notebook.name, grade.name)
                        if outcome is None:
                            reason = previous_cells.get(key, {}).get("reason", "")
                        else:
                            reason = reasons.get(grade.name, reasons.get("*", ""))
                        cell_rows.append(
                            {
                                **identity,
                                "notebook": notebook.name,
                                "cell": grade.name,
                                "score": grade.score,
                                "max_score": grade.max_score,
                                "needs_manual_grade": grade.needs_manual_grade,
                                "reason": reason,
                            }
                        )
                split = points_split(submission)
                total_rows.append(
                    {
                        **identity,
                        "timestamp": submission.timestamp or "",
                        "late_penalty": submission.late_submission_penalty or 0.0,
                        "score": submission.score,
                        "max_score": submission.max_score,
                        "automatic_score": split.automatic,
                        "automatic_max_score": split.automatic_max,
                        "manual_score": split.manual,
                        "manual_max_score": split.manual_max,
                        "waiting_for_manual_grading": split.waiting_max,
                        "graded": outcome.graded if outcome else before.get("graded", ""),
                        "reasons": (
                            " | ".join(_all_reasons(outcome, collection.get(student.id)))
                            if outcome
                            else before.get("reasons", "")
                        ),
                    }
                )
    _write_csv(cells_path, cell_rows)
    _write_csv(totals_path, total_rows)
    return cells_path, totals_path


def write_feedback(workspace: Workspace, assignment: str) -> list[Path]:
    """nbgrader's feedback HTML for every graded submission, headed by the grader's notes.

    Students with an outcome get notes from it; the pages of students without one
    (not regraded in a partial run) keep the notes they had. Anything in a feedback
    folder other than the HTML pages (weights, links, the timestamp) is removed.

    Returns
    -------
    list of Path
        The pages written for the students with an outcome.

    Raises
    ------
    GradingError
        ``assignment`` has no outcomes in this workspace.
    """
    outcomes = read_outcomes_by_student(workspace, assignment)
    if not outcomes:
        raise GradingError(f"{assignment} has not been graded in {workspace.root}")
    kept_notes = _notes_of_pages(workspace, assignment)
    collection = read_collection_notes(workspace, assignment)
    if any(o.graded for o in outcomes.values()):
        ignored = [*NBGRADER_IGNORED, *FEEDBACK_NOT_COPIED]
        workspace.nbgrader(
            "generate_feedback",
            assignment,
            "--force",
            "--log-level=WARN",
            f"--CourseDirectory.ignore={json.dumps(ignored)}",
        )
    pages = []
    notebook_names = [p.stem for p in workspace.release_notebooks(assignment)]
    for outcome in outcomes.values():
        folder = workspace.submission_dir(outcome.student, assignment, "feedback")
        folder.mkdir(parents=True, exist_ok=True)
        for name in notebook_names:
            page = folder / f"{name}.html"
            notes = _notes_html(outcome, collection.get(outcome.student))
            if page.is_file() and outcome.graded:
                page.write_text(_with_notes(page.read_text(), notes))
            else:
                page.write_text(
                    f"<!DOCTYPE html><html><head><meta charset='utf-8'>"
                    f"<title>{html.escape(assignment)}: {html.escape(outcome.student)}</title>"
                    f"</head><body>{notes}<p>Score: 0 (the notebook could not be graded).</p>"
                    f"</body></html>"
                )
            pages.append(page)
    for page, notes in kept_notes.items():
        if page.parent.parent.name not in outcomes and page.is_file():
            page.write_text(_with_notes(page.read_text(), notes))
    for student_folder in sorted((workspace.root / "feedback").glob(f"*/{assignment}")):
        _keep_pages_only(student_folder)
    return pages


def read_outcomes_by_student(workspace: Workspace, assignment: str) -> dict[str, Outcome]:
    """The grader's outcome of each student in ``reports/outcomes-<assignment>.json``.

    Read leniently: entries that are not objects with a ``student`` are skipped,
    unknown fields are ignored and missing ones take :class:`Outcome`'s defaults;
    of several entries for one student the last wins.

    Returns
    -------
    dict of str to Outcome
        Student id -> outcome; empty when the file is absent.

    Raises
    ------
    GradingError
        The file exists but is not a JSON list.
    """
    path = workspace.reports / f"outcomes-{assignment}.json"
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise GradingError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(entries, list):
        raise GradingError(f"{path} should hold a list of outcomes")
    fields = {f.name for f in dataclasses.fields(Outcome)}
    outcomes = {}
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("student"), str):
            continue
        known = {key: value for key, value in entry.items() if key in fields}
        known.setdefault("assignment", assignment)
        for key in ("reasons", "repairs"):
            if not isinstance(known.get(key, []), list):
                known[key] = [str(known[key])]
        outcomes[entry["student"]] = Outcome(**known)
    return outcomes


def summary_table(workspace: Workspace, assignment: str) -> str:
    """Score distribution, failures, seconds per submission and the tests failed most.

    The mean is given for the total and for the automatic points alone, with how
    many students have answers waiting for manual grading and how many points those
    hold (counted 0 in the total until marked).
    """
    outcomes = list(read_outcomes_by_student(workspace, assignment).values())
    with workspace.gradebook() as book:
        submissions = book.assignment_submissions(assignment)
        scores = [s.score for s in submissions]
        splits = [points_split(s) for s in submissions]
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
            "mean_automatic": (
                f"{statistics.fmean(s.automatic for s in splits):.1f}"
                f"/{max(s.automatic_max for s in splits):g}"
            ),
            "waiting_for_manual": (
                f"{sum(bool(s.waiting_max) for s in splits)} students, "
                f"{sum(s.waiting_max for s in splits):g} points"
            ),
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
        format_table(
            bands, "Score distribution (total; answers waiting for manual grading count 0)"
        ),
    ]
    if failing:
        parts.append(format_table(failing, "Tests failed most"))
    return "\n\n".join(parts)


def grade_table(workspace: Workspace, assignment: str) -> str:
    """One row per student: automatic points, manual points, points waiting, total, and why.

    ``automatic`` and ``manual`` are earned/available; ``waiting`` is the points of
    answers no person has marked yet (nbgrader's ``total`` counts them 0 until then);
    ``why`` is the first reason points were lost, else which answers wait.
    """
    outcomes = read_outcomes_by_student(workspace, assignment)
    rows = []
    with workspace.gradebook() as book:
        for submission in sorted(
            book.assignment_submissions(assignment), key=lambda s: s.student.id
        ):
            outcome = outcomes.get(submission.student.id)
            split = points_split(submission)
            reasons = [r for r in (outcome.reasons if outcome else []) if WAITING_REASON not in r]
            if not reasons and split.waiting_cells:
                reasons = [f"{WAITING_REASON}: {', '.join(split.waiting_cells)}"]
            rows.append(
                {
                    "student": submission.student.id,
                    "automatic": _points(split.automatic, split.automatic_max),
                    "manual": _points(split.manual, split.manual_max) if split.manual_max else "-",
                    "waiting": f"{split.waiting_max:g}" if split.waiting_max else "-",
                    "total": _points(submission.score, submission.max_score),
                    "why points were lost or wait": (reasons[0] if reasons else "")[:90],
                }
            )
    return format_table(rows, f"Grades: {assignment}")


def _points(earned: float, available: float) -> str:
    return f"{earned:g}/{available:g}"


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


def _all_reasons(outcome: Outcome, collected: Collected | None) -> list[str]:
    """The problems met collecting the submission, then the grader's reasons."""
    return [*(collected.problems if collected else ()), *outcome.reasons]


def _notes_html(outcome: Outcome, collected: Collected | None = None) -> str:
    items = [f"<li>{html.escape(r)}</li>" for r in outcome.reasons]
    repairs = [f"<li>{html.escape(r)}</li>" for r in outcome.repairs]
    collecting = [f"<li>{html.escape(r)}</li>" for r in (collected.actions if collected else ())]
    parts = ["<div class='dlmusic-grader-notes'><h2>Grader's notes</h2>"]
    if not outcome.graded:
        parts.append("<p><strong>This notebook could not be graded.</strong></p>")
    if items:
        parts.append(f"<p>Points lost:</p><ul>{''.join(items)}</ul>")
    if collecting:
        parts.append(f"<p>When your files were collected:</p><ul>{''.join(collecting)}</ul>")
    if repairs:
        parts.append(f"<p>Repairs made before grading:</p><ul>{''.join(repairs)}</ul>")
    if not items and not repairs and not collecting:
        parts.append("<p>Nothing to report.</p>")
    parts.append("</div>")
    return "".join(parts)


def _notes_of_pages(workspace: Workspace, assignment: str) -> dict[Path, str]:
    """The grader's notes block of every existing feedback page of ``assignment``."""
    notes = {}
    for page in sorted((workspace.root / "feedback").glob(f"*/{assignment}/*.html")):
        found = _NOTES.search(page.read_text(errors="replace"))
        if found is not None:
            notes[page] = found.group(0)
    return notes


def _with_notes(page: str, notes: str) -> str:
    """The page with its grader's notes block replaced by ``notes`` (inserted if absent)."""
    if _NOTES.search(page):
        return _NOTES.sub(lambda _: notes, page, count=1)
    return _insert_after_body(page, notes)


def _keep_pages_only(folder: Path) -> None:
    """Remove everything in a feedback folder but its regular ``.html`` files (links unfollowed)."""
    for entry in folder.iterdir():
        mode = entry.lstat().st_mode
        if stat.S_ISDIR(mode):
            shutil.rmtree(entry)
        elif not (stat.S_ISREG(mode) and entry.suffix == ".html"):
            entry.unlink()


def _insert_after_body(page: str, fragment: str) -> str:
    start = page.find("<body")
    if start < 0:
        return fragment + page
    end = page.index(">", start) + 1
    return page[:end] + fragment + page[end:]


def _read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV this module wrote before; empty when there is none."""
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        if not rows:
            return
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
