"""Autograde every submission of an assignment, each in its own sandboxed nbgrader run.

nbgrader keeps its gradebook in sqlite, which one writer at a time may use.
So each submission is graded in a *shard*: a scratch course folder with a
copy of the gradebook and of that one submission, where ``nbgrader
autograde`` runs under :func:`dlmusic_instructor.sandbox.run_limited`
(per-cell timeout, per-notebook wall clock, memory limit, no network).
Shards run in parallel worker threads (each drives its own process); the
main thread then copies the shard's grades into the real gradebook, one
submission at a time. A shard that fails for any reason (invalid notebook,
killed kernel, a notebook that deleted its own files) still leaves a grade:
zero for that submission, with the reason in the report, and the batch goes on.

Before grading, every notebook is repaired against the release
(:mod:`dlmusic_instructor.repair`); nbgrader then restores missing graded
cells (``OverwriteCells.add_missing_cells``) and always takes locked and
test cells from the gradebook, so a tampered test cannot pass.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning

from dlmusic.errors import SubmissionError
from dlmusic_instructor.collect import read_timestamp
from dlmusic_instructor.repair import repair_file
from dlmusic_instructor.sandbox import network_guard_dir, run_limited
from dlmusic_instructor.workspace import Workspace, nbgrader_environment

MAX_REASON_CHARS = 300


@dataclass(frozen=True)
class Limits:
    """Resource limits for grading one submission.

    Attributes
    ----------
    cell_timeout_s : int
        nbgrader interrupts a cell that runs longer (the cell scores 0).
    notebook_timeout_s : float
        The whole grading job of one submission is killed after this.
    memory_bytes : int
        Resident memory of the job's process tree (kernel included).
    max_output_lines : int
        Outputs longer than this are truncated in the graded notebook.
    """

    cell_timeout_s: int = 300
    notebook_timeout_s: float = 1800.0
    memory_bytes: int = 8 * 2**30
    max_output_lines: int = 1000


@dataclass
class Outcome:
    """What happened to one submission.

    ``graded`` is True when nbgrader graded it; otherwise every graded cell
    scored 0 and ``reasons`` says why. ``reasons`` also lists each test cell
    that lost points and why.
    """

    student: str
    assignment: str
    graded: bool = False
    reasons: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    seconds: float = 0.0


def autograde_assignment(
    workspace: Workspace,
    assignment: str,
    *,
    students: Iterable[str] | None = None,
    workers: int = 1,
    limits: Limits | None = None,
    progress: Callable[[Outcome], None] | None = None,
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
        Only these students (default: everyone with a submission).
    workers : int
        Submissions graded at the same time.
    limits : Limits, optional
        Per-submission resource limits.
    progress : callable, optional
        Called with each :class:`Outcome` as it is recorded.
    """
    limits = limits or Limits()
    if students is None:
        students = workspace.students_with_submissions(assignment)
    students = list(students)
    workspace.backup_gradebook()
    scratch = workspace.root / "shards"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    template = scratch / "gradebook-template.db"
    shutil.copy2(workspace.gradebook_path, template)
    guard = network_guard_dir(scratch / "network-guard")
    release = {path.name: path for path in workspace.release_notebooks(assignment)}

    outcomes = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        jobs = [
            pool.submit(
                _grade_in_shard, workspace, assignment, student, release, template, guard, limits
            )
            for student in students
        ]
        for job in as_completed(jobs):
            outcome, shard = job.result()
            _record(workspace, outcome, shard)
            shutil.rmtree(shard, ignore_errors=True)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    outcomes.sort(key=lambda o: o.student)
    _write_outcomes(workspace, assignment, outcomes)
    return outcomes


def read_outcomes(workspace: Workspace, assignment: str) -> list[Outcome]:
    """The outcomes the last grading run of ``assignment`` wrote (empty if none)."""
    path = workspace.reports / f"outcomes-{assignment}.json"
    if not path.is_file():
        return []
    return [Outcome(**entry) for entry in json.loads(path.read_text())]


def _grade_in_shard(
    workspace: Workspace,
    assignment: str,
    student: str,
    release: dict[str, Path],
    template: Path,
    guard: Path,
    limits: Limits,
) -> tuple[Outcome, Path]:
    """Grade one submission in ``shards/<student>``; never raises for a student's fault."""
    outcome = Outcome(student, assignment)
    shard = template.parent / student
    submission = workspace.submission_dir(student, assignment)
    try:
        missing = [name for name in release if not (submission / name).is_file()]
        if missing:
            raise SubmissionError(f"no notebook named {', '.join(missing)} in the submission")
        for name, release_path in release.items():
            report = repair_file(submission / name, release_path)
            outcome.repairs.extend(f"{name}: {action}" for action in report.actions)
    except SubmissionError as err:
        outcome.reasons.append(str(err))
        return outcome, shard

    shutil.copytree(submission, shard / "submitted" / student / assignment)
    shutil.copy2(template, shard / "gradebook.db")
    (shard / "source").symlink_to(workspace.course_root / "solutions", target_is_directory=True)
    shard_space = Workspace(shard, workspace.course_root)
    command = shard_space.nbgrader_command(
        "autograde",
        assignment,
        f"--student={student}",
        "--force",
        "--create",
        f"--Execute.timeout={limits.cell_timeout_s}",
        "--Execute.execute_retries=0",
        "--OverwriteCells.add_missing_cells=True",
        f"--LimitOutput.max_lines={limits.max_output_lines}",
    )
    env = nbgrader_environment(
        {
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(guard), os.environ.get("PYTHONPATH", "")])
            ),
            "MPLBACKEND": "Agg",
            "PYTHONUNBUFFERED": "1",
        }
    )
    result = run_limited(
        command,
        cwd=shard,
        env=env,
        wall_limit_s=limits.notebook_timeout_s,
        memory_limit_bytes=limits.memory_bytes,
    )
    outcome.seconds = result.seconds
    if result.killed_reason is not None:
        outcome.reasons.append(f"grading stopped: the notebook {result.killed_reason}")
    elif not _shard_has_submission(shard, assignment, student):
        outcome.reasons.append(f"nbgrader could not grade it: {_last_error(result.output_tail)}")
    else:
        outcome.graded = True
    return outcome, shard


def _shard_has_submission(shard: Path, assignment: str, student: str) -> bool:
    gradebook = shard / "gradebook.db"
    autograded = shard / "autograded" / student / assignment
    if not gradebook.is_file() or not autograded.is_dir():
        return False
    with Gradebook(f"sqlite:///{gradebook}") as book:
        try:
            book.find_submission(assignment, student)
        except MissingEntry:
            return False
    return True


def _last_error(output: str) -> str:
    """What went wrong, from nbgrader's log: a known cause, else its last specific error."""
    if "DeadKernelError" in output or "Kernel died" in output:
        return "the kernel died while running the notebook (os._exit, a crash, or killed)"
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [
        line
        for line in lines
        if re.search(r"\w+(Error|Exception)\b", line) and "see the the above traceback" not in line
    ]
    text = (errors or lines or ["no output"])[-1]
    return text[:MAX_REASON_CHARS]


def _record(workspace: Workspace, outcome: Outcome, shard: Path) -> None:
    """Write the outcome's scores into the workspace gradebook (main thread only)."""
    assignment, student = outcome.assignment, outcome.student
    timestamp = read_timestamp(workspace.submission_dir(student, assignment))
    with workspace.gradebook() as book, warnings.catch_warnings():
        # nbgrader's add_submission trips SQLAlchemy 2's autoflush warnings; the rows are right.
        warnings.simplefilter("ignore", SAWarning)
        book.update_or_create_student(student)
        kwargs = {"timestamp": timestamp} if timestamp else {}
        submission = book.update_or_create_submission(assignment, student, **kwargs)
        if outcome.graded:
            _copy_scores(shard, book, assignment, student)
        else:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0.0
                    grade.needs_manual_grade = False
            book.db.commit()
    destination = workspace.submission_dir(student, assignment, "autograded")
    shutil.rmtree(destination, ignore_errors=True)
    if outcome.graded:
        shutil.copytree(shard / "autograded" / student / assignment, destination)
        outcome.reasons.extend(_lost_points(workspace, destination, assignment, student))


def _copy_scores(shard: Path, book: Gradebook, assignment: str, student: str) -> None:
    with Gradebook(f"sqlite:///{shard / 'gradebook.db'}") as source:
        graded = source.find_submission(assignment, student)
        target = book.find_submission(assignment, student)
        target.late_submission_penalty = graded.late_submission_penalty
        for notebook in graded.notebooks:
            for grade in notebook.grades:
                mine = book.find_grade(grade.name, notebook.name, assignment, student)
                mine.auto_score = grade.auto_score
                mine.needs_manual_grade = grade.needs_manual_grade and mine.manual_score is None
            for comment in notebook.comments:
                book.find_comment(
                    comment.name, notebook.name, assignment, student
                ).auto_comment = comment.auto_comment
        book.db.commit()


def _lost_points(workspace: Workspace, folder: Path, assignment: str, student: str) -> list[str]:
    """One line per graded cell that did not earn full marks, saying why."""
    cells = {}
    for path in folder.glob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        for cell in notebook.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id:
                cells[(path.stem, grade_id)] = cell
    reasons = []
    with workspace.gradebook() as book:
        for notebook in book.find_submission(assignment, student).notebooks:
            for grade in notebook.grades:
                if grade.needs_manual_grade:
                    reasons.append(f"{grade.name}: waiting for manual grading")
                    continue
                if grade.score >= grade.max_score:
                    continue
                cell = cells.get((notebook.name, grade.name))
                why = _why_cell_lost_points(cell) if cell is not None else "cell missing"
                reasons.append(f"{grade.name}: {grade.score:g}/{grade.max_score:g} ({why})")
    return reasons


def _why_cell_lost_points(cell: nbformat.NotebookNode) -> str:
    if cell.cell_type != "code":
        return "left unanswered"
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            message = f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".strip()
            return message.splitlines()[0][:MAX_REASON_CHARS] if message else "error"
    for output in cell.get("outputs", []):
        if output.get("name") == "stderr":
            text = " ".join(output.get("text", "").split())
            return f"the test cell wrote to stderr: {text[:MAX_REASON_CHARS]}"
    if cell.get("execution_count") is None:
        return "not executed (an earlier cell stopped the kernel)"
    return "partial credit"


def _write_outcomes(workspace: Workspace, assignment: str, outcomes: list[Outcome]) -> None:
    workspace.reports.mkdir(parents=True, exist_ok=True)
    path = workspace.reports / f"outcomes-{assignment}.json"
    path.write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n")
