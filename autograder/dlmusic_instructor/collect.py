"""Collect submissions into the workspace: a folder per student, or an LMS zip export.

Two sources, one result (``<workspace>/submitted/<student>/<assignment>/``
holding the notebook, the weights files the notebook saved, and nbgrader's
``timestamp.txt`` for lateness):

- **A folder** with one sub-folder per student id, holding what the student
  handed in (``.ipynb`` and ``.weights.h5`` files). The submission time is
  the sub-folder's ``timestamp.txt`` when present, else the newest file's
  modification time.
- **An LMS zip export**, unpacked and sorted by nbgrader's ``zip_collect``.
  File names follow Canvas's "Download submissions" pattern
  ``<name>_[late_]<student id>_<submission id>_<file name>``, e.g.
  ``doejane_late_12345_67890_transcription.ipynb``
  (:data:`LMS_FILENAME_PATTERN`; pass another regular expression with the
  same named groups for other systems). nbgrader takes the submission time
  from a ``timestamp`` group when the pattern has one.

Names that browsers, Colab and LMSs give to copies (``Copy of
transcription.ipynb``, ``transcription (1).ipynb``, ``transcription-2.ipynb``)
are renamed to the released notebook name, and each rename is logged.
"""

from __future__ import annotations

import csv
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nbgrader.utils import parse_utc

from dlmusic_instructor.workspace import GradingError, Workspace

LMS_FILENAME_PATTERN = (
    r"^(?P<last_first>[^_]+)_(?:late_)?(?P<student_id>\w+?)_(?P<submission>\d+)_(?P<file_id>.+)$"
)
SUBMITTED_EXTENSIONS = (".ipynb", ".h5")
"""What a student hands in: the notebook and the Keras weights it saved."""
TIMESTAMP_FILE = "timestamp.txt"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
_COPY_NAME = re.compile(r"^(?:Copy of )?(?P<stem>.+?)(?:[ _-]\(?\d+\)?)?(?P<ext>\.ipynb)$")


@dataclass(frozen=True)
class Collected:
    """One collected submission and what collecting it did."""

    student: str
    assignment: str
    timestamp: str
    actions: tuple[str, ...]


def collect_folder(folder: str | Path, workspace: Workspace, assignment: str) -> list[Collected]:
    """Copy ``<folder>/<student id>/*`` into the workspace; newer submissions replace older ones.

    Raises
    ------
    GradingError
        ``folder`` does not exist or holds no student sub-folders.
    """
    folder = Path(folder)
    students = sorted(p for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    if not students:
        raise GradingError(f"{folder} holds no per-student folders of submissions")
    collected = []
    for student_folder in students:
        files = [p for p in sorted(student_folder.iterdir()) if p.is_file()]
        handed_in = [p for p in files if p.name.endswith(SUBMITTED_EXTENSIONS)]
        timestamp = _folder_timestamp(student_folder, handed_in)
        destination = workspace.submission_dir(student_folder.name, assignment)
        existing = read_timestamp(destination)
        if existing is not None and parse_utc(existing) >= parse_utc(timestamp):
            collected.append(
                Collected(
                    student_folder.name,
                    assignment,
                    existing,
                    ("kept the already collected submission (same or newer)",),
                )
            )
            continue
        if destination.exists():
            shutil.rmtree(destination)
        destination.mkdir(parents=True)
        for path in handed_in:
            shutil.copy2(path, destination / path.name)
        (destination / TIMESTAMP_FILE).write_text(timestamp)
        actions = normalise_notebook_names(destination, _release_names(workspace, assignment))
        if not handed_in:
            actions.append("the folder held no .ipynb or .weights.h5 file")
        collected.append(Collected(student_folder.name, assignment, timestamp, tuple(actions)))
    return collected


def collect_zip(
    archive: str | Path,
    workspace: Workspace,
    assignment: str,
    *,
    filename_pattern: str = LMS_FILENAME_PATTERN,
) -> list[Collected]:
    """Unpack an LMS export with nbgrader's ``zip_collect`` and normalise notebook names.

    Raises
    ------
    GradingError
        The archive is missing or nbgrader could not collect from it.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise GradingError(f"no LMS export at {archive}")
    downloaded = workspace.root / "downloaded" / assignment
    if downloaded.exists():
        shutil.rmtree(downloaded)
    (downloaded / "archive").mkdir(parents=True)
    shutil.copy2(archive, downloaded / "archive" / archive.name)
    workspace.nbgrader(
        "zip_collect",
        assignment,
        "--force",
        f"--FileNameCollectorPlugin.named_regexp={filename_pattern}",
        f"--FileNameCollectorPlugin.valid_ext={list(SUBMITTED_EXTENSIONS)}",
        "--log-level=WARN",
    )
    release = _release_names(workspace, assignment)
    collected = []
    for student in workspace.students_with_submissions(assignment):
        destination = workspace.submission_dir(student, assignment)
        actions = normalise_notebook_names(destination, release)
        timestamp = read_timestamp(destination)
        if timestamp is None:
            timestamp = _format_timestamp(_newest_mtime(list(destination.iterdir())))
            (destination / TIMESTAMP_FILE).write_text(timestamp)
            actions.append("no submission time in the file name: used the file time")
        collected.append(Collected(student, assignment, timestamp, tuple(actions)))
    return collected


def normalise_notebook_names(folder: Path, release_names: Iterable[str]) -> list[str]:
    """Rename copies such as ``Copy of x.ipynb`` or ``x (1).ipynb`` to the released ``x.ipynb``.

    A name is only changed when it maps onto a released notebook that the
    folder does not already hold. Returns one log line per rename.
    """
    release_names = set(release_names)
    actions = []
    for path in sorted(folder.glob("*.ipynb")):
        if path.name in release_names:
            continue
        match = _COPY_NAME.match(path.name)
        if match is None:
            continue
        target = folder / f"{match['stem']}{match['ext']}"
        if target.name in release_names and not target.exists():
            path.rename(target)
            actions.append(f"renamed {path.name!r} to {target.name!r}")
    return actions


def import_roster(roster_csv: str | Path, workspace: Workspace) -> int:
    """Add or update the students of a roster CSV in the gradebook; returns how many.

    The CSV needs an ``id`` column; ``first_name``, ``last_name``, ``email``
    and ``lms_user_id`` are read when present (nbgrader's own format).

    Raises
    ------
    GradingError
        The file is missing, has no ``id`` column, or has a row without an id.
    """
    roster_csv = Path(roster_csv)
    if not roster_csv.is_file():
        raise GradingError(f"no roster at {roster_csv}")
    with roster_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "id" not in rows[0]:
        raise GradingError(f"{roster_csv} needs a header with an 'id' column")
    fields = ("first_name", "last_name", "email", "lms_user_id")
    with workspace.gradebook() as gradebook:
        for number, row in enumerate(rows, start=2):
            student = (row.get("id") or "").strip()
            if not student:
                raise GradingError(f"{roster_csv}, line {number}: empty student id")
            details = {key: row[key].strip() for key in fields if row.get(key)}
            gradebook.update_or_create_student(student, **details)
    return len(rows)


def _release_names(workspace: Workspace, assignment: str) -> list[str]:
    return [path.name for path in workspace.release_notebooks(assignment)]


def _folder_timestamp(folder: Path, files: list[Path]) -> str:
    explicit = read_timestamp(folder)
    if explicit is not None:
        return explicit
    return _format_timestamp(_newest_mtime(files or [folder]))


def _newest_mtime(paths: list[Path]) -> datetime:
    newest = max(path.stat().st_mtime for path in paths)
    return datetime.fromtimestamp(newest, tz=UTC)


def _format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def read_timestamp(folder: Path) -> str | None:
    """The submission time in ``folder``'s ``timestamp.txt``, or None when absent or empty."""
    path = folder / TIMESTAMP_FILE
    if not path.is_file():
        return None
    return path.read_text().strip() or None
