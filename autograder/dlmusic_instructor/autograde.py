"""Autograde every submission of an assignment: run it in the sandbox, judge it outside.

Each submission (:func:`dlmusic_instructor.executor.grade_submission`) runs in
its own bubblewrap sandbox, in grading mode, with the test cells as released
(visible asserts only) and the grader's probe cells appended; its hidden checks
are judged in this process against the instructor's references and the
held-out data of the workspace. Worker threads each drive one sandboxed job;
the main thread writes the verdicts into nbgrader's gradebook (one writer at a
time), so export, formgrader and feedback keep working, and writes the
autograded notebook (the student's cells with their outputs, each test cell
followed by the grader's verdict, no hidden test source). A submission that
cannot be graded (invalid JSON, empty file, killed kernel, killed for time or
memory) still gets a grade: zero on its autograded cells, with the reason, and
the batch goes on. Outcomes are written after every submission, so a grader
that is itself stopped leaves a report of what it finished.

Before grading, every notebook is repaired against the release
(:mod:`dlmusic_instructor.repair`); cells the release locks (tests, given code)
are then taken from the release, and graded cells the student deleted are put
back, so a tampered or deleted test changes nothing.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from dlmusic.errors import SubmissionError
from dlmusic_instructor.checks import Check, Context, Verdict, checks_for
from dlmusic_instructor.collect import read_timestamp
from dlmusic_instructor.executor import Execution, Limits, grade_submission
from dlmusic_instructor.repair import cell_grade_id, repair_file
from dlmusic_instructor.sandbox import SandboxUnavailable, check_bubblewrap
from dlmusic_instructor.workspace import GradingError, Workspace

MAX_REASON_CHARS = 300
VERDICT_PREFIX = "Grader: "
"""Start of the line the grader adds to each test cell's outputs in the autograded notebook."""

__all__ = ["Limits", "Outcome", "autograde_assignment", "read_outcomes"]


@dataclass
class Outcome:
    """What happened to one submission.

    ``graded`` is True when the notebook ran and its checks were judged;
    otherwise every autograded cell scored 0 and ``reasons`` says why.
    ``reasons`` also lists each cell that lost points and why.
    """

    student: str
    assignment: str
    graded: bool = False
    reasons: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    seconds: float = 0.0
    sandboxed: bool = True


def autograde_assignment(
    workspace: Workspace,
    assignment: str,
    *,
    students: Iterable[str] | None = None,
    workers: int = 1,
    limits: Limits | None = None,
    progress: Callable[[Outcome], None] | None = None,
    sandboxed: bool = True,
) -> list[Outcome]:
    """Repair, grade and record every collected submission of ``assignment``.

    Idempotent: grading again replaces each submission's automatic scores
    and keeps any manual scores. The gradebook is backed up first.

    Parameters
    ----------
    workspace : Workspace
        Prepared (:meth:`Workspace.prepare`) and holding collected submissions.
    assignment : str
        The assignment id.
    students : iterable of str, optional
        Only these students (default: everyone with a submission); the others'
        grades and reasons stay as the last run left them.
    workers : int
        Submissions graded at the same time.
    limits : Limits, optional
        Per-submission resource limits.
    progress : callable, optional
        Called with each :class:`Outcome` as it is recorded.
    sandboxed : bool
        Run each notebook in bubblewrap (default). ``False`` is the instructor's
        explicit ``--unsandboxed`` choice; every outcome then says so.
    """
    limits = limits or Limits()
    checks = checks_for(assignment)
    if sandboxed:
        try:
            check_bubblewrap()
        except SandboxUnavailable as err:
            raise GradingError(str(err)) from err
    if students is None:
        students = workspace.students_with_submissions(assignment)
    students = list(students)
    workspace.backup_gradebook()
    workspace.build_public_data(assignment)
    scratch = workspace.root / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    release = {
        path.name: nbformat.read(path, as_version=4)
        for path in workspace.release_notebooks(assignment)
    }
    if len(release) != 1:
        raise GradingError(f"{assignment} should release exactly one notebook, not {len(release)}")
    previous = {o.student: o for o in read_outcomes(workspace, assignment)}

    outcomes: dict[str, Outcome] = {}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        jobs = [
            pool.submit(
                _grade_one,
                workspace,
                assignment,
                student,
                release,
                checks,
                scratch,
                limits,
                sandboxed,
            )
            for student in students
        ]
        students_of = dict(zip(jobs, students, strict=True))
        for job in as_completed(jobs):
            try:
                outcome, execution, notebook_name = job.result()
            except Exception as err:  # a grader fault costs one submission, not the batch
                outcome, execution, notebook_name = (
                    _grader_fault(students_of[job], assignment, sandboxed, err),
                    None,
                    next(iter(release)),
                )
            _record(workspace, outcome, execution, release, notebook_name)
            outcomes[outcome.student] = outcome
            shutil.rmtree(scratch / outcome.student, ignore_errors=True)
            _write_outcomes(workspace, assignment, [*previous.values(), *outcomes.values()])
            if progress is not None:
                progress(outcome)
    shutil.rmtree(scratch, ignore_errors=True)
    merged = {**previous, **outcomes}
    _write_outcomes(workspace, assignment, list(merged.values()))
    return sorted(outcomes.values(), key=lambda o: o.student)


def _grader_fault(student: str, assignment: str, sandboxed: bool, err: Exception) -> Outcome:
    """The outcome of a submission the grader itself failed on (an instructor's problem)."""
    reason = f"the grader failed on this submission (not the student's fault): {err!r}"
    return Outcome(student, assignment, reasons=[reason[:MAX_REASON_CHARS]], sandboxed=sandboxed)


def read_outcomes(workspace: Workspace, assignment: str) -> list[Outcome]:
    """The outcomes the grading runs of ``assignment`` wrote (empty if none)."""
    path = workspace.reports / f"outcomes-{assignment}.json"
    if not path.is_file():
        return []
    known = set(Outcome.__dataclass_fields__)
    return [
        Outcome(**{key: value for key, value in entry.items() if key in known})
        for entry in json.loads(path.read_text())
    ]


def executable_notebook(submitted: NotebookNode, release: NotebookNode) -> NotebookNode:
    """The student's notebook with every cell the release locks taken from the release.

    Test cells and given locked cells get the release's source (visible asserts only);
    graded or locked cells the student deleted are put back after the release cell
    that precedes them; the student's solution cells and own extra cells stay.
    """
    notebook = copy.deepcopy(submitted)
    locked = {
        cell_grade_id(cell): cell
        for cell in release.cells
        if cell_grade_id(cell) and cell.metadata["nbgrader"].get("locked")
    }
    cells = []
    for cell in notebook.cells:
        grade_id = cell_grade_id(cell)
        if grade_id in locked:
            cells.append(copy.deepcopy(locked[grade_id]))
        else:
            cells.append(cell)
    present = {cell_grade_id(cell) for cell in cells}
    previous_id = None
    for cell in release.cells:
        grade_id = cell_grade_id(cell)
        if grade_id and grade_id not in present:
            position = 0
            if previous_id is not None:
                position = 1 + max(
                    i for i, c in enumerate(cells) if cell_grade_id(c) == previous_id
                )
            cells.insert(position, copy.deepcopy(cell))
            present.add(grade_id)
        if grade_id:
            previous_id = grade_id
    notebook.cells = cells
    notebook.metadata["kernelspec"] = copy.deepcopy(release.metadata.get("kernelspec", {}))
    return notebook


def _grade_one(
    workspace: Workspace,
    assignment: str,
    student: str,
    release: dict[str, NotebookNode],
    checks: tuple[Check, ...],
    scratch: Path,
    limits: Limits,
    sandboxed: bool,
) -> tuple[Outcome, Execution | None, str]:
    """Grade one submission; never raises for a student's fault."""
    outcome = Outcome(student, assignment, sandboxed=sandboxed)
    if not sandboxed:
        outcome.reasons.append("graded WITHOUT the sandbox (--unsandboxed)")
    submission = workspace.submission_dir(student, assignment)
    ((name, release_notebook),) = release.items()
    try:
        if not (submission / name).is_file():
            raise SubmissionError(f"no notebook named {name} in the submission")
        report = repair_file(submission / name, workspace.root / "release" / assignment / name)
        outcome.repairs.extend(f"{name}: {action}" for action in report.actions)
        submitted = nbformat.read(submission / name, as_version=4)
    except SubmissionError as err:
        outcome.reasons.append(str(err))
        return outcome, None, name
    context = Context(
        student=student,
        assignment=assignment,
        submission=submission,
        heldout=workspace.heldout_dir,
        seed=workspace.heldout_seed(),
        size=workspace.heldout_size(),
    )
    execution = grade_submission(
        executable_notebook(submitted, release_notebook),
        checks,
        context,
        scratch / student,
        limits=limits,
        sandboxed=sandboxed,
    )
    outcome.seconds = execution.job.seconds if execution.job else 0.0
    outcome.reasons.extend(execution.problems)
    outcome.graded = execution.executed is not None and not execution.problems
    return outcome, execution, name


def _record(
    workspace: Workspace,
    outcome: Outcome,
    execution: Execution | None,
    release: dict[str, NotebookNode],
    name: str,
) -> None:
    """Write the verdicts into the workspace gradebook and the autograded notebook."""
    assignment, student = outcome.assignment, outcome.student
    verdicts = {v.grade_id: v for v in execution.verdicts} if execution else {}
    notebook = execution.executed if execution else None
    submitted = _readable(workspace.submission_dir(student, assignment) / name)
    answers = _manual_answers(submitted or notebook, release[name])
    try:
        timestamp = read_timestamp(workspace.submission_dir(student, assignment))
    except SubmissionError as err:
        outcome.reasons.append(str(err))
        timestamp = None
    _write_grades(workspace, outcome, verdicts, answers, timestamp)
    destination = workspace.submission_dir(student, assignment, "autograded")
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    shown = notebook if notebook is not None else (submitted or release[name])
    nbformat.write(_with_verdicts(shown, verdicts, outcome), destination / name)


def _write_grades(
    workspace: Workspace,
    outcome: Outcome,
    verdicts: dict[str, Verdict],
    answers: dict[str, bool],
    timestamp: str | None,
) -> None:
    """Scores of every graded cell into the gradebook; manual answers wait for a person."""
    assignment, student = outcome.assignment, outcome.student
    with workspace.gradebook() as book:
        book.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        submission = book.update_or_create_submission(assignment, student, **kwargs)
        submission.late_submission_penalty = 0.0
        for submitted_notebook in submission.notebooks:
            for grade in submitted_notebook.grades:
                verdict = verdicts.get(grade.name)
                if grade.name in answers:
                    changed = answers[grade.name]
                    grade.auto_score = None if changed else 0.0
                    grade.needs_manual_grade = changed and grade.manual_score is None
                    if changed and grade.manual_score is None:
                        outcome.reasons.append(f"{grade.name}: waiting for manual grading")
                    elif not changed:
                        outcome.reasons.append(
                            f"{grade.name}: 0/{grade.max_score:g} (left unanswered)"
                        )
                    continue
                fraction = verdict.fraction if (verdict and outcome.graded) else 0.0
                grade.auto_score = fraction * grade.max_score
                grade.needs_manual_grade = False
                if fraction < 1.0 and outcome.graded:
                    why = verdict.reason if verdict else "no hidden check for this cell"
                    outcome.reasons.append(
                        f"{grade.name}: {grade.auto_score:g}/{grade.max_score:g} "
                        f"({why[:MAX_REASON_CHARS]})"
                    )
        book.db.commit()


def _readable(path: Path) -> NotebookNode | None:
    try:
        return nbformat.read(path, as_version=4)
    except Exception:
        return None


def _manual_answers(notebook: NotebookNode | None, release: NotebookNode) -> dict[str, bool]:
    """``grade_id -> changed`` for each manually graded answer cell."""
    stubs = {
        cell_grade_id(cell): cell.source.strip()
        for cell in release.cells
        if cell_grade_id(cell)
        and cell.metadata["nbgrader"].get("solution")
        and cell.metadata["nbgrader"].get("grade")
    }
    given = {
        cell_grade_id(cell): cell.source.strip() for cell in (notebook.cells if notebook else [])
    }
    return {
        grade_id: bool(given.get(grade_id)) and given[grade_id] != stub
        for grade_id, stub in stubs.items()
    }


def _with_verdicts(
    notebook: NotebookNode, verdicts: dict[str, Verdict], outcome: Outcome
) -> NotebookNode:
    """A copy whose test cells end with the grader's verdict line (no hidden test source)."""
    shown = copy.deepcopy(notebook)
    for cell in shown.cells:
        grade_id = cell_grade_id(cell)
        if cell.cell_type != "code" or grade_id not in verdicts:
            continue
        points = cell.metadata["nbgrader"].get("points", 0)
        verdict = verdicts[grade_id]
        if outcome.graded:
            earned = verdict.fraction * points
            text = f"{VERDICT_PREFIX}{earned:g}/{points:g} points"
            if verdict.reason:
                text += f": {verdict.reason}"
        else:
            text = f"{VERDICT_PREFIX}0/{points:g} points: " + "; ".join(outcome.reasons)
        cell.setdefault("outputs", []).append(
            nbformat.v4.new_output("stream", name="stdout", text=text + "\n")
        )
    return shown


def _write_outcomes(workspace: Workspace, assignment: str, outcomes: list[Outcome]) -> None:
    """Write the outcomes (one per student, sorted), replacing the file atomically."""
    workspace.reports.mkdir(parents=True, exist_ok=True)
    path = workspace.reports / f"outcomes-{assignment}.json"
    unique = {o.student: o for o in outcomes}
    rows = [asdict(unique[student]) for student in sorted(unique)]
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(rows, indent=2) + "\n")
    partial.replace(path)
