"""Collect submissions into the workspace: a folder per student, or an LMS zip export.

Two sources, one result (``<workspace>/submitted/<student>/<assignment>/``
holding the notebook, the weights files the notebook saved, and nbgrader's
``timestamp.txt`` for lateness):

- **A folder** with one sub-folder per student id, holding what the student
  handed in (``.ipynb`` and ``.weights.h5`` files). The submission time is
  the sub-folder's ``timestamp.txt`` when it holds a date and time, else the
  newest handed-in file's modification time.
- **An LMS zip export**. Each member's *base name* is matched against
  :data:`LMS_FILENAME_PATTERN`, Canvas's "Download submissions" pattern
  ``<name>_[late_]<student id>_<submission id>_<file name>``, e.g.
  ``doejane_late_12345_67890_problem_set.ipynb`` (pass another regular
  expression with ``student_id`` and ``file_id`` groups for other systems; a
  pattern containing ``/`` is matched against the member's whole path, for
  exports with a folder per student). The submission time is the LMS's own:
  a ``timestamp`` group of the pattern when it has one, else the member's
  time in the archive (its UTC extended timestamp when present, else its
  date and time read in ``archive_timezone``); never the time of extraction.

A student may hand in the one ``.zip`` that ``dlmusic.course.save_submission`` writes
(``<assignment>-submission.zip``: the notebook and its weights files), as it is, in
either source: its ``.ipynb`` and ``.h5`` members are unpacked into the submission
(each within its size limit; folders inside the zip are ignored, a name already
handed in beside the zip is kept) and the zip itself is not kept.

Whatever the source, every handed-in file must be a regular file (a symbolic
link, a device or a folder is refused) no larger than :data:`MAX_NOTEBOOK_BYTES`
(notebooks) or :data:`MAX_WEIGHTS_BYTES` (``.h5``), judged by its apparent size
before a byte is read; it is copied without following links. Each refusal is
logged for that student.

Names that browsers, Colab, Drive, Windows, macOS, Jupyter and LMSs give to
copies (``Copy of x.ipynb``, ``Kopie von x.ipynb``, ``x (1).ipynb``,
``x - Copy.ipynb``, ``x-Copy1.ipynb``, ``x-2.ipynb``, ``X.ipynb``) are
renamed to the released notebook name. When a submission holds several
notebooks for one released name, the newest by the submission's own time is
graded and the others are set aside in
``<workspace>/set_aside/<student>/<assignment>/``; every rename and choice is logged.

What collecting each student's submission did is kept in
``<workspace>/reports/collected-<assignment>.json`` (:func:`read_collection_notes`):
the reports add its problems (refused files, an unreadable time) to the student's
reasons and all of it to the feedback page.
"""

from __future__ import annotations

import csv
import errno
import json
import logging
import os
import re
import shutil
import stat
import struct
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from dateutil import tz
from nbgrader.utils import parse_utc

from dlmusic.errors import SubmissionError
from dlmusic_instructor.workspace import GradingError, Workspace

LMS_FILENAME_PATTERN = (
    r"^(?P<last_first>[^_/]+)_(?:late_)?(?P<student_id>[^_/]+)_(?P<submission>\d+)_"
    r"(?P<file_id>[^/]+)$"
)
SUBMITTED_EXTENSIONS = (".ipynb", ".h5", ".zip")
"""What a student hands in: the notebook and the Keras weights it saved, or a zip of them."""
UNPACKED_EXTENSIONS = (".ipynb", ".h5")
"""What is taken out of a handed-in zip."""
MAX_NOTEBOOK_BYTES = 128 * 2**20
"""Largest notebook collected (apparent size, bytes); outputs with audio can be large."""
MAX_WEIGHTS_BYTES = 256 * 2**20
"""Largest ``.h5`` weights file collected (apparent size, bytes)."""
MAX_ZIP_BYTES = MAX_NOTEBOOK_BYTES + 4 * MAX_WEIGHTS_BYTES
"""Largest handed-in ``.zip`` collected (apparent size, bytes): a notebook and weights."""
TIMESTAMP_FILE = "timestamp.txt"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"
TIMESTAMP_MAX_BYTES = 200
"""``timestamp.txt`` is read up to this many bytes; a date and time is far shorter."""
KEPT_NOTE = "kept the already collected submission (same or newer)"
SET_ASIDE = "set_aside"
"""Workspace folder for notebooks a submission held beside the one graded."""
_COPY_PREFIX = re.compile(
    r"^(?:copy of|kopie von|kopie van|copie de|copia de|cópia de|copia di|kopia av|kopi af|"
    r"kopi av|kopia|копия|копія)\s+",
    re.IGNORECASE,
)
_COPY_SUFFIX = re.compile(
    r"(?:\s*-\s*(?:copy|kopie|copie|copia|cópia)(?:\s*\(\d+\))?"  # Windows: x - Copy (2)
    r"|\s+(?:copy|kopie|copie|copia)(?:\s+\d+)?"  # macOS: x copy 2
    r"|-copy\d+"  # Jupyter: x-Copy1
    r"|\s*\(\d+\)"  # browsers: x (1), x(1)
    r"|[-_ ]\d+"  # LMS: x-1
    r"|\s*(?:のコピー|的副本|의 사본))$",  # Drive in Japanese, Chinese, Korean
    re.IGNORECASE,
)
_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")
_EXTENDED_TIMESTAMP = 0x5455
_COPY_CHUNK = 2**20

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Collected:
    """One collected submission and what collecting it did."""

    student: str
    assignment: str
    timestamp: str
    actions: tuple[str, ...]
    """Every log line of collecting it, problems included."""
    problems: tuple[str, ...] = ()
    """The lines that may cost points: refused files, an unreadable time, no notebook."""


@dataclass
class _Notes:
    """What collecting one student's submission did, as it goes."""

    actions: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        self.actions.append(line)

    def problem(self, line: str) -> None:
        self.actions.append(line)
        self.problems.append(line)


def collect_folder(folder: str | Path, workspace: Workspace, assignment: str) -> list[Collected]:
    """Copy ``<folder>/<student id>/*`` into the workspace; newer submissions replace older ones.

    Raises
    ------
    GradingError
        ``folder`` does not exist or holds no student sub-folders.
    """
    folder = Path(folder)
    entries = sorted(folder.iterdir()) if folder.is_dir() else []
    students = [p for p in entries if p.is_dir()]
    if not students:
        raise GradingError(f"{folder} holds no per-student folders of submissions")
    collected = []
    for student_folder in students:
        student = student_folder.name
        if student_folder.is_symlink():
            refusal = ("not collected: the student's folder is a symbolic link",)
            collected.append(Collected(student, assignment, "", refusal, refusal))
            continue
        entries = sorted(student_folder.iterdir())
        handed_in = [p for p in entries if _is_handed_in(p.name)]
        notes = _Notes()
        for path in entries:
            if not _is_handed_in(path.name) and path.name != TIMESTAMP_FILE:
                notes.note(f"ignored {path.name!r} (not a notebook or weights file)")
        timestamp = _folder_timestamp(student_folder, handed_in, notes)
        if not handed_in:
            notes.note("the folder held no .ipynb or .weights.h5 file")
        collected.append(_store(workspace, student, assignment, handed_in, timestamp, notes))
    _record_collection(workspace, assignment, collected)
    return collected


def collect_zip(
    archive: str | Path,
    workspace: Workspace,
    assignment: str,
    *,
    filename_pattern: str = LMS_FILENAME_PATTERN,
    archive_timezone: str = "UTC",
) -> list[Collected]:
    """Sort an LMS export by student into the workspace, with the LMS's submission times.

    Members are unpacked into ``<workspace>/downloaded/<assignment>/<student>/`` (kept
    for inspection) and then collected like a folder per student. Of two members with
    the same student and file name, the newer is kept and the choice logged.

    Parameters
    ----------
    archive : str or Path
        The ``.zip`` the LMS exported.
    workspace : Workspace
        The grading folder.
    assignment : str
        The assignment id (it may contain ``_``).
    filename_pattern : str
        Regular expression with ``student_id`` and ``file_id`` groups and optionally a
        ``timestamp`` group (any format nbgrader's ``parse_utc`` reads).
    archive_timezone : str
        Time zone of the members' DOS date and time, used only for a member without a
        UTC extended timestamp (IANA name, e.g. ``Europe/Berlin``).

    Raises
    ------
    GradingError
        The archive is missing or not a zip, the pattern or time zone is invalid, or
        the pattern matched none of the archive's files.
    """
    archive = Path(archive)
    if not archive.is_file():
        raise GradingError(f"no LMS export at {archive}")
    pattern = _compile_pattern(filename_pattern)
    zone = tz.UTC if archive_timezone == "UTC" else tz.gettz(archive_timezone)
    if zone is None:
        raise GradingError(f"unknown time zone {archive_timezone!r}")
    staging = workspace.root / "downloaded" / assignment
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        with zipfile.ZipFile(archive) as zipped:
            by_student = _sort_members(zipped, pattern, zone)
            for student, handed_in in by_student.items():
                for name, (member, moment) in handed_in.members.items():
                    target = staging / student / name
                    refusal = _extract_member(zipped, member, target, moment)
                    if refusal is not None:
                        handed_in.notes.problem(f"refused {name!r}: {refusal}")
    except zipfile.BadZipFile as error:
        raise GradingError(f"{archive} is not a readable zip archive: {error}") from error
    collected = []
    for student, handed_in in by_student.items():
        folder = staging / student
        files = sorted(folder.iterdir()) if folder.is_dir() else []
        timestamp = _format_timestamp(max(handed_in.times))
        collected.append(_store(workspace, student, assignment, files, timestamp, handed_in.notes))
    _record_collection(workspace, assignment, collected)
    return collected


def normalise_notebook_names(
    folder: Path, release_names: Iterable[str], *, set_aside: Path
) -> list[str]:
    """Give each released notebook exactly one file in ``folder``, the newest the student saved.

    Every ``.ipynb`` whose name is a released name, or a copy of one (see the module
    docstring; case is ignored), is a candidate for that released name. A single
    candidate is renamed to the released name. Of several, the newest by modification
    time (the submission's own time, kept by collection) is graded under the released
    name (on a tie, the one already named so) and the others are moved to
    ``set_aside``. Names that map onto no released notebook are left alone.

    Parameters
    ----------
    folder : Path
        A collected submission.
    release_names : iterable of str
        The released notebooks' file names, e.g. ``["problem_set.ipynb"]``.
    set_aside : Path
        Where candidates not graded are moved (created when needed).

    Returns
    -------
    list of str
        One log line per rename or choice.
    """
    release_names = sorted(set(release_names))
    candidates: dict[str, list[Path]] = {name: [] for name in release_names}
    for path in sorted(folder.glob("*")):
        target = _released_name_of(path.name, release_names)
        if target is not None and stat.S_ISREG(path.lstat().st_mode):
            candidates[target].append(path)
    actions = []
    for name, paths in candidates.items():
        if not paths:
            continue
        chosen = max(paths, key=lambda p: (p.lstat().st_mtime_ns, p.name == name))
        others = [p for p in paths if p != chosen]
        if others:
            saved = ", ".join(f"{p.name!r} (saved {_file_time(p)})" for p in paths)
            tied = any(p.lstat().st_mtime_ns == chosen.lstat().st_mtime_ns for p in others)
            why = "saved at the same time and already named so" if tied else "the newest"
            actions.append(
                f"found {len(paths)} notebooks for {name!r}: {saved}; graded {chosen.name!r}, "
                f"{why}, and set the others aside (not graded)"
            )
            set_aside.mkdir(parents=True, exist_ok=True)
            for path in others:
                path.replace(set_aside / path.name)
        if chosen.name != name:
            chosen.rename(folder / name)
            actions.append(f"renamed {chosen.name!r} to {name!r}")
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


def read_timestamp(folder: Path) -> str | None:
    """The submission time in ``folder``'s ``timestamp.txt``, in :data:`TIMESTAMP_FORMAT` (UTC).

    Returns
    -------
    str or None
        The time normalised to UTC, e.g. ``2026-12-01 17:00:00.000000 UTC``; None when
        the file is absent or empty.

    Raises
    ------
    SubmissionError
        The file is not a regular file, or does not hold a date and time (e.g.
        ``yesterday evening``); the message says which file and what it holds.
    """
    path = Path(folder) / TIMESTAMP_FILE
    if not os.path.lexists(path):
        return None
    try:
        text = _read_small_text(path, TIMESTAMP_MAX_BYTES).strip()
    except (OSError, ValueError) as error:
        raise SubmissionError(f"{TIMESTAMP_FILE} cannot be read: {error}") from error
    if not text:
        return None
    try:
        moment = parse_utc(text)
    except (ValueError, OverflowError) as error:
        raise SubmissionError(
            f"{TIMESTAMP_FILE} holds {text[:60]!r}, which is not a date and time "
            "(expected e.g. '2026-12-01 17:00:00.000000 UTC')"
        ) from error
    return _format_timestamp(moment.replace(tzinfo=UTC))


def _store(
    workspace: Workspace,
    student: str,
    assignment: str,
    files: list[Path],
    timestamp: str,
    notes: _Notes,
) -> Collected:
    """Copy one student's handed-in files into the workspace unless it holds a newer submission."""
    destination = workspace.submission_dir(student, assignment)
    try:
        existing = read_timestamp(destination)
    except SubmissionError as error:
        existing = None
        notes.note(f"replaced the collected submission, whose time is unreadable ({error})")
    if existing is not None and parse_utc(existing) >= parse_utc(timestamp):
        return Collected(student, assignment, existing, (KEPT_NOTE,))
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    for path in files:
        refusal = _copy_regular(path, destination / path.name)
        if refusal is not None:
            notes.problem(f"refused {path.name!r}: {refusal}")
    for archive in sorted(p for p in destination.iterdir() if p.suffix.lower() == ".zip"):
        _unpack_submission_zip(archive, notes)
    (destination / TIMESTAMP_FILE).write_text(timestamp)
    set_aside = workspace.root / SET_ASIDE / student / assignment
    if set_aside.exists():
        shutil.rmtree(set_aside)
    release = [path.name for path in workspace.release_notebooks(assignment)]
    for line in normalise_notebook_names(destination, release, set_aside=set_aside):
        notes.note(line)
    if not any(destination.glob("*.ipynb")):
        notes.problem("no notebook was collected")
    return Collected(student, assignment, timestamp, tuple(notes.actions), tuple(notes.problems))


def read_collection_notes(workspace: Workspace, assignment: str) -> dict[str, Collected]:
    """What the latest collection of each student's submission did (empty if never collected).

    Read from ``reports/collected-<assignment>.json``, which :func:`collect_folder` and
    :func:`collect_zip` update student by student; a student whose newer submission was
    already collected keeps the notes of that one.
    """
    path = workspace.reports / f"collected-{assignment}.json"
    if not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        log.warning("%s is not valid JSON (%s): collection notes ignored", path, error)
        return {}
    if not isinstance(entries, dict):
        log.warning("%s is not a JSON object: collection notes ignored", path)
        return {}
    return {
        student: Collected(
            student,
            assignment,
            str(entry.get("timestamp", "")),
            tuple(entry.get("actions", ())),
            tuple(entry.get("problems", ())),
        )
        for student, entry in entries.items()
        if isinstance(entry, dict)
    }


def _record_collection(workspace: Workspace, assignment: str, collected: list[Collected]) -> None:
    """Merge the notes of the submissions just stored into the collection record."""
    notes = read_collection_notes(workspace, assignment)
    for item in collected:
        if item.actions != (KEPT_NOTE,):
            notes[item.student] = item
    workspace.reports.mkdir(parents=True, exist_ok=True)
    record = {
        student: {"timestamp": c.timestamp, "actions": c.actions, "problems": c.problems}
        for student, c in sorted(notes.items())
    }
    path = workspace.reports / f"collected-{assignment}.json"
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")


def _is_handed_in(name: str) -> bool:
    return name.lower().endswith(SUBMITTED_EXTENSIONS)


def _size_limit(name: str) -> int:
    lowered = name.lower()
    if lowered.endswith(".zip"):
        return MAX_ZIP_BYTES
    return MAX_NOTEBOOK_BYTES if lowered.endswith(".ipynb") else MAX_WEIGHTS_BYTES


def _unpack_submission_zip(archive: Path, notes: _Notes) -> None:
    """Unpack a handed-in zip's notebooks and weights beside it, then remove it.

    Members are taken by base name (folders inside the zip are ignored), each as a
    regular file within its size limit, dated like the zip (the submission's time).
    A name already in the folder (handed in beside the zip) is kept and the member
    skipped. Every step is noted; a refused or unreadable member is a problem.
    """
    moment = datetime.fromtimestamp(archive.lstat().st_mtime, tz=UTC)
    unpacked = []
    try:
        with zipfile.ZipFile(archive) as zipped:
            for member in zipped.infolist():
                name = PurePosixPath(member.filename).name
                if member.is_dir() or not name.lower().endswith(UNPACKED_EXTENSIONS):
                    continue
                if name.startswith(".") or PurePosixPath(member.filename).parts[0] == "__MACOSX":
                    continue
                target = archive.parent / name
                if target.exists():
                    notes.note(f"kept {name!r} handed in beside {archive.name!r}, not its copy")
                    continue
                refusal = _extract_member(zipped, member, target, moment)
                if refusal is not None:
                    notes.problem(f"refused {name!r} in {archive.name!r}: {refusal}")
                else:
                    unpacked.append(name)
    except zipfile.BadZipFile as error:
        notes.problem(f"refused {archive.name!r}: not a readable zip archive ({error})")
    archive.unlink()
    if unpacked:
        notes.note(f"unpacked {', '.join(map(repr, unpacked))} from {archive.name!r}")
    else:
        notes.problem(f"{archive.name!r} held no notebook or weights file")


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def _copy_regular(source: Path, destination: Path) -> str | None:
    """Copy a regular file under its size limit without following links; else say why not.

    The apparent size (``st_size``) is checked before reading, so a sparse file of
    gigabytes is refused at once; at most the limit is read in any case. The
    modification time is kept (it is the submission's own time).

    Returns
    -------
    str or None
        Why the file was refused, or None when it was copied.
    """
    limit = _size_limit(source.name)
    try:
        descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "it is a symbolic link, not a regular file"
        return f"it cannot be read ({error.strerror})"
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return "it is not a regular file"
        if info.st_size > limit:
            return f"it is {_mib(info.st_size)}, over the limit of {_mib(limit)}"
        with destination.open("xb") as out:
            copied = _copy_capped(handle, out, limit)
    if copied > limit:
        destination.unlink()
        return f"it grew past the limit of {_mib(limit)} while being copied"
    os.utime(destination, ns=(info.st_atime_ns, info.st_mtime_ns))
    return None


def _copy_capped(source: BinaryIO, destination: BinaryIO, limit: int) -> int:
    """Copy at most ``limit + 1`` bytes; return how many were copied."""
    copied = 0
    while copied <= limit:
        chunk = source.read(min(_COPY_CHUNK, limit + 1 - copied))
        if not chunk:
            break
        destination.write(chunk)
        copied += len(chunk)
    return copied


def _read_small_text(path: Path, limit: int) -> str:
    """The first ``limit`` bytes of a regular file (no links followed), as text."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("it is not a regular file")
        return handle.read(limit).decode("utf-8", errors="replace")


def _compile_pattern(filename_pattern: str) -> re.Pattern[str]:
    try:
        pattern = re.compile(filename_pattern)
    except re.error as error:
        raise GradingError(f"invalid file name pattern {filename_pattern!r}: {error}") from error
    missing = {"student_id", "file_id"} - set(pattern.groupindex)
    if missing:
        raise GradingError(
            f"the file name pattern needs the named groups {sorted(missing)}: {filename_pattern}"
        )
    return pattern


@dataclass
class _Members:
    """One student's files in an LMS export."""

    members: dict[str, tuple[zipfile.ZipInfo, datetime]] = field(default_factory=dict)
    """File name -> (archive member, submission time), the newest of each name."""
    times: list[datetime] = field(default_factory=list)
    """Submission times of all the student's files, handed in or not."""
    notes: _Notes = field(default_factory=_Notes)


def _sort_members(
    zipped: zipfile.ZipFile, pattern: re.Pattern[str], zone: tzinfo
) -> dict[str, _Members]:
    """Group an archive's files by student, the newest of each handed-in file name kept.

    Raises
    ------
    GradingError
        No member matched the pattern.
    """
    by_student: dict[str, _Members] = {}
    unmatched = []
    for member in zipped.infolist():
        if member.is_dir():
            continue
        path = PurePosixPath(member.filename)
        match = pattern.match(member.filename if "/" in pattern.pattern else path.name)
        student = (match["student_id"] or "") if match else ""
        name = PurePosixPath(match["file_id"] or "").name if match else ""
        if not _STUDENT_ID.match(student) or name in {"", ".", ".."}:
            unmatched.append(member.filename)
            continue
        found = by_student.setdefault(student, _Members())
        moment, source = _member_time(member, zone)
        stamp = match.groupdict().get("timestamp")
        if stamp:
            try:
                moment, source = parse_utc(stamp).replace(tzinfo=UTC), "the file name's timestamp"
            except (ValueError, OverflowError):
                found.notes.problem(f"ignored the timestamp {stamp!r} in {path.name!r}: not a date")
        found.times.append(moment)
        if not _is_handed_in(name):
            found.notes.note(f"ignored {name!r} (not a notebook or weights file)")
            continue
        found.notes.note(f"{name!r}: submitted {_format_timestamp(moment)} ({source})")
        previous = found.members.get(name)
        if previous is not None:
            older, newer = sorted([previous, (member, moment)], key=lambda item: item[1])
            found.notes.note(
                f"the export holds {name!r} twice: kept {newer[0].filename!r} "
                f"({_format_timestamp(newer[1])}), the newer, not {older[0].filename!r}"
            )
            found.members[name] = newer
        else:
            found.members[name] = (member, moment)
    if unmatched and not by_student:
        raise GradingError(
            f"the file name pattern matched none of the {len(unmatched)} files in the archive "
            f"(e.g. {unmatched[0]!r}); pattern: {pattern.pattern}"
        )
    for name in unmatched:
        log.warning("not collected: %r does not match the file name pattern", name)
    return by_student


def _member_time(member: zipfile.ZipInfo, zone: tzinfo) -> tuple[datetime, str]:
    """When the LMS says a member was submitted, and where that time came from."""
    extra = member.extra
    while len(extra) >= 4:
        kind, size = struct.unpack("<HH", extra[:4])
        data = extra[4 : 4 + size]
        if kind == _EXTENDED_TIMESTAMP and len(data) >= 5 and data[0] & 1:
            (seconds,) = struct.unpack("<i", data[1:5])
            return datetime.fromtimestamp(seconds, tz=UTC), "the archive's UTC file time"
        extra = extra[4 + size :]
    local = datetime(*member.date_time, tzinfo=zone)
    return local.astimezone(UTC), f"the archive's file time, read as {local.tzname()}"


def _extract_member(
    zipped: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, moment: datetime
) -> str | None:
    """Unpack a member as a regular file within its size limit, dated ``moment``.

    Returns None when it was unpacked, else why it was refused.
    """
    kind = stat.S_IFMT(member.external_attr >> 16)  # 0 when the archiver recorded no type
    if kind not in (0, stat.S_IFREG):
        return "it is a symbolic link or special file in the archive"
    limit = _size_limit(target.name)
    if member.file_size > limit:
        return f"it is {_mib(member.file_size)}, over the limit of {_mib(limit)}"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipped.open(member) as source, target.open("xb") as out:
            copied = _copy_capped(source, out, limit)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        target.unlink(missing_ok=True)
        return f"it cannot be unpacked ({error})"
    if copied > limit:
        target.unlink()
        return f"it is over the limit of {_mib(limit)}"
    os.utime(target, (moment.timestamp(), moment.timestamp()))
    return None


def _released_name_of(name: str, release_names: list[str]) -> str | None:
    """The released notebook ``name`` is (a copy of), ignoring case; None if none or ambiguous.

    Copy decorations are removed one at a time, outermost first, and the first name
    that is a released one wins (so ``lab_1 (1).ipynb`` is ``lab_1.ipynb``). Failing
    that, names whose stems agree with every decoration removed from both sides match,
    provided only one released name does.
    """
    folded = {release.casefold(): release for release in release_names}
    stems = list(_undecorated(name))
    for stem in stems:
        if f"{stem}.ipynb" in folded:
            return folded[f"{stem}.ipynb"]
    if not stems:
        return None
    matches = [
        release for release in release_names if list(_undecorated(release))[-1:] == stems[-1:]
    ]
    return matches[0] if len(matches) == 1 else None


def _undecorated(name: str) -> Iterator[str]:
    """A notebook name's stem, case-folded, then with one copy decoration after another removed.

    Yields nothing unless ``name`` ends in ``.ipynb`` (any case).
    """
    name = unicodedata.normalize("NFC", name).strip()
    if not name.casefold().endswith(".ipynb"):
        return
    stem = name[: -len(".ipynb")].strip()
    while stem:
        yield stem.casefold()
        shorter = _COPY_PREFIX.sub("", stem, count=1).strip()
        if shorter == stem:
            shorter = _COPY_SUFFIX.sub("", stem, count=1).strip()
        if shorter == stem:
            return
        stem = shorter


def _folder_timestamp(folder: Path, files: list[Path], notes: _Notes) -> str:
    """The folder's ``timestamp.txt`` if it holds a time, else the newest file's time."""
    try:
        explicit = read_timestamp(folder)
    except SubmissionError as error:
        explicit = None
        notes.problem(f"ignored {TIMESTAMP_FILE}: {error}; used the files' time instead")
    if explicit is not None:
        return explicit
    times = [p.lstat().st_mtime for p in files if stat.S_ISREG(p.lstat().st_mode)]
    if not times:
        times = [folder.lstat().st_mtime]
    return _format_timestamp(datetime.fromtimestamp(max(times), tz=UTC))


def _file_time(path: Path) -> str:
    return _format_timestamp(datetime.fromtimestamp(path.lstat().st_mtime, tz=UTC))


def _format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)
