"""``dlmusic-grade``: one command per grading step, and ``all`` for the whole run.

Examples::

    dlmusic-grade --workdir ~/grading prepare transcription --duedate "2026-12-01 17:00 UTC"
    dlmusic-grade --workdir ~/grading roster students.csv
    dlmusic-grade --workdir ~/grading collect transcription downloads/      # or an LMS .zip
    dlmusic-grade --workdir ~/grading repair transcription
    dlmusic-grade --workdir ~/grading autograde transcription --workers 2
    dlmusic-grade --workdir ~/grading export
    dlmusic-grade --workdir ~/grading feedback transcription
    dlmusic-grade --workdir ~/grading all downloads.zip            # every step above
    dlmusic-grade example-class problem_set build/example_class   # a made-up class

``make grade SUBMISSIONS=<folder or zip>`` runs ``all``; the assignment is
found from the notebook names in the submissions when not given.
"""

from __future__ import annotations

import argparse
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from dlmusic.errors import DlmusicError, SubmissionError
from dlmusic_instructor import COURSE_ROOT, DEFAULT_GRADING_DIR, GRADING_DIR_ENV_VAR, grading_dir
from dlmusic_instructor.autograde import Limits, Outcome, autograde_assignment
from dlmusic_instructor.collect import (
    LMS_FILENAME_PATTERN,
    collect_folder,
    collect_zip,
    import_roster,
)
from dlmusic_instructor.example_class import write_example_class
from dlmusic_instructor.repair import repair_file
from dlmusic_instructor.report import export_grades, grade_table, summary_table, write_feedback
from dlmusic_instructor.workspace import HELDOUT_SIZES, GradingError, Workspace


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except DlmusicError as err:
        parser.exit(2, f"dlmusic-grade: {err}\n")


def released_assignments(course_root: Path = COURSE_ROOT) -> dict[str, str]:
    """``notebook file name -> assignment id`` for every released notebook."""
    notebooks = sorted((course_root / "assignments").glob("*/*.ipynb"))
    return {path.name: path.parent.name for path in notebooks}


def detect_assignment(submissions: Path, course_root: Path = COURSE_ROOT) -> str:
    """The assignment whose notebook names the submissions (folder or zip) hold.

    Raises
    ------
    GradingError
        No released notebook name, or names from several assignments, appear.
    """
    if submissions.is_file() and zipfile.is_zipfile(submissions):
        with zipfile.ZipFile(submissions) as archive:
            names = [Path(name).name for name in archive.namelist()]
    elif submissions.is_dir():
        names = [path.name for path in submissions.rglob("*.ipynb")]
    else:
        raise GradingError(f"{submissions} is neither a folder nor a zip file")
    released = released_assignments(course_root)
    found = {
        assignment
        for name in names
        for notebook, assignment in released.items()
        if name == notebook or name.endswith(f"_{notebook}") or Path(notebook).stem in name
    }
    if len(found) != 1:
        raise GradingError(
            f"cannot tell the assignment of {submissions} (found {sorted(found) or 'none'}); "
            "name it with --assignment"
        )
    return found.pop()


def _workspace(args: argparse.Namespace) -> Workspace:
    return Workspace(Path(args.workdir))


def _limits(args: argparse.Namespace) -> Limits:
    return Limits(
        cell_timeout_s=args.cell_timeout,
        notebook_timeout_s=args.notebook_timeout,
        memory_bytes=int(args.memory_gib * 2**30),
    )


def _cmd_prepare(args: argparse.Namespace) -> int:
    _workspace(args).prepare(args.assignment, duedate=args.duedate, heldout_size=args.heldout_size)
    print(f"registered {args.assignment} in {Path(args.workdir).resolve()}")
    return 0


def _cmd_roster(args: argparse.Namespace) -> int:
    count = import_roster(args.csv, _workspace(args))
    print(f"imported {count} students")
    return 0


def _cmd_collect(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    source = Path(args.source)
    if source.is_file():
        collected = collect_zip(source, workspace, args.assignment, filename_pattern=args.pattern)
    else:
        collected = collect_folder(source, workspace, args.assignment)
    for item in collected:
        notes = "; ".join(item.actions)
        print(f"collected {item.student} ({item.timestamp}){': ' + notes if notes else ''}")
    return 0


def _cmd_repair(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    for student in workspace.students_with_submissions(args.assignment):
        folder = workspace.submission_dir(student, args.assignment)
        for release in workspace.release_notebooks(args.assignment):
            try:
                report = repair_file(folder / release.name, release)
            except SubmissionError as err:
                print(f"{student}: cannot repair: {err}")
                continue
            for action in report.actions:
                print(f"{student}: {action}")
    return 0


def _cmd_autograde(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    start = time.perf_counter()
    outcomes = autograde_assignment(
        workspace,
        args.assignment,
        students=args.student or None,
        workers=args.workers,
        limits=_limits(args),
        progress=_print_outcome,
        sandboxed=not args.unsandboxed,
    )
    seconds = time.perf_counter() - start
    print(
        f"graded {len(outcomes)} submissions in {seconds:.0f} s with {args.workers} worker(s): "
        f"{seconds / max(1, len(outcomes)):.1f} s per submission"
    )
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    for path in export_grades(_workspace(args)):
        print(f"wrote {path}")
    return 0


def _cmd_feedback(args: argparse.Namespace) -> int:
    pages = write_feedback(_workspace(args), args.assignment)
    print(f"wrote {len(pages)} feedback pages")
    return 0


def _cmd_all(args: argparse.Namespace) -> int:
    source = Path(args.submissions)
    args.assignment = args.assignment or detect_assignment(source)
    args.source = str(source)
    workspace = _workspace(args)
    workspace.prepare(args.assignment, duedate=args.duedate, heldout_size=args.heldout_size)
    if args.roster:
        import_roster(args.roster, workspace)
    _cmd_collect(args)
    _cmd_autograde(args)
    _cmd_export(args)
    _cmd_feedback(args)
    print()
    print(grade_table(workspace, args.assignment))
    print()
    print(summary_table(workspace, args.assignment))
    return 0


def _cmd_example_class(args: argparse.Namespace) -> int:
    release = COURSE_ROOT / "assignments" / args.assignment
    notebooks = sorted(release.glob("*.ipynb"))
    if len(notebooks) != 1:
        raise GradingError(f"{release} should hold exactly one notebook")
    solution = COURSE_ROOT / "solutions" / args.assignment / notebooks[0].name
    students = write_example_class(notebooks[0], solution, Path(args.out))
    for student in students:
        print(f"{student.student:20s} {student.description}")
    return 0


def _print_outcome(outcome: Outcome) -> None:
    status = "graded" if outcome.graded else "NOT GRADED"
    if not outcome.sandboxed:
        status += " (UNSANDBOXED)"
    print(f"  {outcome.student}: {status} in {outcome.seconds:.1f} s", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dlmusic-grade", description=__doc__.splitlines()[0].strip("`: ")
    )
    parser.add_argument(
        "--workdir",
        default=grading_dir(),
        help=f"grading folder (default ${GRADING_DIR_ENV_VAR} or ./{DEFAULT_GRADING_DIR})",
    )
    commands = parser.add_subparsers(required=True, metavar="command")

    def command(name: str, run, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.set_defaults(run=run)
        return sub

    def limit_options(sub: argparse.ArgumentParser) -> None:
        defaults = Limits()
        sub.add_argument("--workers", type=int, default=1, help="submissions graded at once")
        sub.add_argument("--cell-timeout", type=int, default=defaults.cell_timeout_s)
        sub.add_argument("--notebook-timeout", type=float, default=defaults.notebook_timeout_s)
        sub.add_argument("--memory-gib", type=float, default=defaults.memory_bytes / 2**30)
        sub.add_argument(
            "--unsandboxed",
            action="store_true",
            help="run student code without bubblewrap (refused otherwise when it is missing)",
        )

    def heldout_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--heldout-size",
            choices=HELDOUT_SIZES,
            default="full",
            help="held-out material for model scores: full (a class) or quick (tests, demo)",
        )

    prepare = command("prepare", _cmd_prepare, "register an assignment in the gradebook")
    prepare.add_argument("assignment")
    prepare.add_argument("--duedate", help="e.g. '2026-12-01 17:00:00 UTC'")
    heldout_option(prepare)
    roster = command("roster", _cmd_roster, "import students from a CSV (id, names, email)")
    roster.add_argument("csv")
    collect = command("collect", _cmd_collect, "collect a folder or an LMS zip export")
    collect.add_argument("assignment")
    collect.add_argument("source")
    collect.add_argument("--pattern", default=LMS_FILENAME_PATTERN, help="LMS file-name regexp")
    repair = command("repair", _cmd_repair, "repair what Colab broke, logged per student")
    repair.add_argument("assignment")
    autograde = command("autograde", _cmd_autograde, "grade every collected submission")
    autograde.add_argument("assignment")
    autograde.add_argument("--student", action="append", help="only this student (repeatable)")
    limit_options(autograde)
    command("export", _cmd_export, "write reports/grades.csv and reports/totals.csv")
    feedback = command("feedback", _cmd_feedback, "write per-student feedback HTML")
    feedback.add_argument("assignment")
    everything = command("all", _cmd_all, "prepare, collect, autograde, export and feedback")
    everything.add_argument("submissions", help="a folder of per-student folders, or an LMS zip")
    everything.add_argument("--assignment", help="default: found from the notebook names")
    everything.add_argument("--duedate")
    everything.add_argument("--roster")
    everything.add_argument("--pattern", default=LMS_FILENAME_PATTERN)
    everything.add_argument("--student", action="append", help=argparse.SUPPRESS)
    limit_options(everything)
    heldout_option(everything)
    example = command("example-class", _cmd_example_class, "write a made-up class")
    example.add_argument("assignment")
    example.add_argument("out")
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
