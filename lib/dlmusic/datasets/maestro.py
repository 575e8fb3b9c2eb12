"""MAESTRO v3.0.0: about 200 hours of aligned piano audio and MIDI.

MAESTRO (Hawthorne et al., ICLR 2019) is published by Google Magenta under
CC BY-NC-SA 4.0 at https://magenta.tensorflow.org/datasets/maestro. It comes
as one archive with audio (101 GB zipped, 120 GB unpacked) or MIDI only
(56 MB). Both unpack to ``maestro-v3.0.0/`` holding ``maestro-v3.0.0.csv``
and one folder per year; this module unpacks that folder's contents into
``dataset_dir("maestro-v3.0.0")`` (or ``root``), where :func:`load_maestro`
reads them into :class:`~dlmusic.datasets.records.PianoRecording` records.

Without 101 GB: :func:`fetch_maestro_subset` reads the archive's central
directory over HTTP range requests and fetches only the first ``N``
recordings of each official split (audio and MIDI, or MIDI only), each
checked against the size and CRC-32 the archive records, resumable, with a
progress bar (see :mod:`dlmusic.datasets.remote_zip`). The CSV it writes lists
just those recordings, so :func:`load_maestro` reads them as usual.
:func:`maestro_subset_plan` says how many bytes such a subset costs before
anything is fetched. :func:`render_maestro_midi` renders MAESTRO MIDI with
``synthetic_piano``'s several pianos (the held-out one for test pieces only),
for training on real performances' notes without their audio.
"""

from __future__ import annotations

import csv
import functools
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from dlmusic.datasets.build_cache import build_once
from dlmusic.datasets.download import download, extract_zip, extraction_marker
from dlmusic.datasets.paths import dataset_dir
from dlmusic.datasets.records import PIANO_SPLITS, PianoRecording, read_piano_metadata
from dlmusic.datasets.remote_zip import fetch_members, remote_zip_members
from dlmusic.datasets.synthetic_piano import PieceSource, render_pieces, training_soundfonts
from dlmusic.errors import DatasetError
from dlmusic.synth import load_midi

MAESTRO_NAME = "maestro-v3.0.0"
"""Folder name under :func:`~dlmusic.datasets.paths.data_dir`, and the archives' top folder."""

MAESTRO_ZIP_NAME = "maestro-v3.0.0.zip"
MAESTRO_MIDI_ZIP_NAME = "maestro-v3.0.0-midi.zip"
MAESTRO_CSV_NAME = "maestro-v3.0.0.csv"
"""The metadata file :func:`load_maestro` reads, at the top of the dataset folder."""
MAESTRO_ALL_CSV_NAME = "maestro-v3.0.0-all.csv"
"""The archive's full CSV, kept beside a subset's ``maestro-v3.0.0.csv``."""

MAESTRO_BASE_URL = "https://storage.googleapis.com/magentadata/datasets/maestro/v3.0.0"
MAESTRO_ZIP_URL = f"{MAESTRO_BASE_URL}/{MAESTRO_ZIP_NAME}"
"""Audio, MIDI and metadata (101 GB)."""
MAESTRO_MIDI_ZIP_URL = f"{MAESTRO_BASE_URL}/{MAESTRO_MIDI_ZIP_NAME}"
"""MIDI and metadata only (56 MB)."""

# SHA-256 digests as published on the dataset's page (see the module docstring).
MAESTRO_ZIP_SHA256 = "6680fea5be2339ea15091a249fbd70e49551246ddbd5ca50f1b2352c08c95291"
MAESTRO_MIDI_ZIP_SHA256 = "70470ee253295c8d2c71e6d9d4a815189e35c89624b76d22fce5a019d5dde12c"

_DOWNLOAD_HINT = (
    "run `python data_scripts/download_maestro.py` or dlmusic.datasets.maestro.download_maestro()"
)
_MISSING_SHOWN = 5


def maestro_dir(root: str | Path | None = None) -> Path:
    """The MAESTRO folder: ``root`` if given, else ``dataset_dir("maestro-v3.0.0")``."""
    return Path(root) if root is not None else dataset_dir(MAESTRO_NAME)


def download_maestro(
    root: str | Path | None = None, *, midi_only: bool = False, progress: bool = True
) -> Path:
    """Download and unpack MAESTRO v3.0.0 (skipped when already unpacked).

    The archive is verified against its published SHA-256, unpacked into the
    dataset folder (without the archive's ``maestro-v3.0.0/`` top folder)
    and then deleted to save disk space. An interrupted download resumes.

    Parameters
    ----------
    root : str, Path or None
        Dataset folder; ``None`` uses ``dataset_dir("maestro-v3.0.0")``.
    midi_only : bool
        Fetch the 56 MB MIDI-only archive instead of the 101 GB archive with
        audio (then load with ``load_maestro(..., require_audio=False)``).
    progress : bool
        Show progress bars.

    Returns
    -------
    Path
        The dataset folder, holding ``maestro-v3.0.0.csv``.

    Raises
    ------
    DownloadError, ChecksumError, DatasetError
    """
    root = maestro_dir(root)
    url, sha256, name = _archive_source(midi_only)
    archive = root / name
    if extraction_marker(archive, root).is_file():
        return root
    download(url, archive, sha256=sha256, progress=progress)
    extract_zip(archive, root, strip_components=1, progress=progress)
    archive.unlink()
    return root


def _archive_source(midi_only: bool) -> tuple[str, str, str]:
    """URL, SHA-256 and file name of the archive (read at call time, so tests can patch them)."""
    if midi_only:
        return MAESTRO_MIDI_ZIP_URL, MAESTRO_MIDI_ZIP_SHA256, MAESTRO_MIDI_ZIP_NAME
    return MAESTRO_ZIP_URL, MAESTRO_ZIP_SHA256, MAESTRO_ZIP_NAME


def load_maestro(
    root: str | Path | None = None,
    *,
    split: str | None = None,
    require_audio: bool = True,
) -> list[PianoRecording]:
    """The MAESTRO recordings, in the CSV's order, optionally of one split.

    Parameters
    ----------
    root : str, Path or None
        Dataset folder holding ``maestro-v3.0.0.csv``; ``None`` uses
        ``dataset_dir("maestro-v3.0.0")``.
    split : str or None
        ``"train"``, ``"validation"`` or ``"test"``; ``None`` returns all.
    require_audio : bool
        Check that every WAV file exists; pass ``False`` after a
        ``midi_only`` download (MIDI files are always checked).

    Returns
    -------
    list of PianoRecording
        With absolute ``audio_path`` and ``midi_path``.

    Raises
    ------
    DatasetError
        The CSV is absent (the message says how to download it), ``split``
        is unknown, or files the CSV lists are missing (the first few are
        named).
    """
    root = maestro_dir(root)
    if split is not None and split not in PIANO_SPLITS:
        raise DatasetError(f"unknown MAESTRO split {split!r}; expected one of {PIANO_SPLITS}")
    csv_path = root / MAESTRO_CSV_NAME
    if not csv_path.is_file():
        raise DatasetError(f"MAESTRO v3.0.0 not found: no {csv_path}; {_DOWNLOAD_HINT}")
    records = [rec for rec in read_piano_metadata(csv_path) if split in (None, rec.split)]
    _require_files(records, csv_path, require_audio=require_audio)
    return records


def _require_files(records: list[PianoRecording], csv_path: Path, *, require_audio: bool) -> None:
    """Raise :class:`DatasetError` naming the first missing files listed in ``csv_path``."""
    kinds = ("midi_path", "audio_path") if require_audio else ("midi_path",)
    paths = [getattr(rec, kind) for rec in records for kind in kinds]
    missing = [path for path in paths if not path.is_file()]
    if not missing:
        return
    shown = ", ".join(
        path.relative_to(csv_path.parent).as_posix() for path in missing[:_MISSING_SHOWN]
    )
    more = f" and {len(missing) - _MISSING_SHOWN} more" if len(missing) > _MISSING_SHOWN else ""
    hint = "" if not require_audio else "; after a MIDI-only download pass require_audio=False"
    raise DatasetError(
        f"{len(missing)} files listed in {csv_path} are missing: {shown}{more}"
        f" (the download may be incomplete: {_DOWNLOAD_HINT}{hint})"
    )


@dataclass(frozen=True)
class MaestroSubset:
    """The recordings a subset fetch chooses and what they cost.

    Attributes
    ----------
    rows : list of dict
        The chosen rows of ``maestro-v3.0.0.csv`` (its columns, as text).
    members : dict of ZipInfo to str
        Each archive member to fetch and its path relative to the dataset folder.
    compressed_bytes : int
        Bytes to download (the members' compressed sizes).
    unpacked_bytes : int
        Bytes on disk once unpacked.
    """

    rows: list[dict[str, str]]
    members: dict[zipfile.ZipInfo, str]
    compressed_bytes: int
    unpacked_bytes: int


def maestro_subset_plan(
    per_split: int | Mapping[str, int],
    *,
    midi_only: bool = False,
    root: str | Path | None = None,
    progress: bool = True,
) -> MaestroSubset:
    """Choose the first recordings of each official split and count their bytes.

    Reads the archive's central directory and its CSV member (a few hundred
    kilobytes over range requests); the CSV is kept in the dataset folder as
    ``maestro-v3.0.0-all.csv``.

    Parameters
    ----------
    per_split : int or mapping of str to int
        Recordings per split (the first ones in the CSV's order), one number for
        all three splits or one per split name.
    midi_only : bool
        Plan the MIDI files only (from the 56 MB MIDI archive).
    root : str, Path or None
        The dataset folder (see :func:`maestro_dir`).
    progress : bool
        Show a progress bar while the CSV is fetched.

    Returns
    -------
    MaestroSubset

    Raises
    ------
    DownloadError
        The server fails or does not support range requests.
    DatasetError
        A count is negative, a split is unknown, or a file the CSV names is not in the archive.
    """
    counts = _split_counts(per_split)
    url = _archive_source(midi_only)[0]
    entries = remote_zip_members(url)
    csv_info = _entry(entries, MAESTRO_CSV_NAME, url)
    all_csv = maestro_dir(root) / MAESTRO_ALL_CSV_NAME
    fetch_members(url, {csv_info: all_csv}, progress=progress)
    with all_csv.open(newline="", encoding="utf-8") as handle:
        all_rows = list(csv.DictReader(handle))
    rows = [
        row
        for split, count in counts.items()
        for row in [r for r in all_rows if r["split"] == split][:count]
    ]
    columns = ("midi_filename",) if midi_only else ("midi_filename", "audio_filename")
    members = {_entry(entries, row[column], url): row[column] for row in rows for column in columns}
    return MaestroSubset(
        rows=rows,
        members=members,
        compressed_bytes=sum(info.compress_size for info in members),
        unpacked_bytes=sum(info.file_size for info in members),
    )


def fetch_maestro_subset(
    per_split: int | Mapping[str, int],
    root: str | Path | None = None,
    *,
    midi_only: bool = False,
    progress: bool = True,
) -> Path:
    """Fetch the first recordings of each split out of the remote MAESTRO archive.

    Only the chosen members are downloaded, with HTTP range requests; each is
    checked against its size and CRC-32, and an interrupted call resumes
    where it stopped. The dataset folder's ``maestro-v3.0.0.csv`` then lists
    exactly the fetched recordings (a later call with other counts rewrites it).

    Parameters
    ----------
    per_split, midi_only, progress
        See :func:`maestro_subset_plan`.
    root : str, Path or None
        The dataset folder (see :func:`maestro_dir`).

    Returns
    -------
    Path
        The dataset folder; read it with :func:`load_maestro`
        (``require_audio=False`` after a MIDI-only fetch).

    Raises
    ------
    DownloadError, ChecksumError, DatasetError
    """
    root = maestro_dir(root)
    plan = maestro_subset_plan(per_split, midi_only=midi_only, root=root, progress=progress)
    url = _archive_source(midi_only)[0]
    fetch_members(
        url, {info: root / name for info, name in plan.members.items()}, progress=progress
    )
    _write_rows(root / MAESTRO_CSV_NAME, plan.rows, root / MAESTRO_ALL_CSV_NAME)
    return root


def render_maestro_midi(
    records: list[PianoRecording],
    dest: str | Path,
    *,
    max_piece_s: float = 60.0,
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Render MAESTRO performances' MIDI with several pianos, as ``synthetic_piano`` does.

    Each recording keeps its official split; training pieces are rendered with
    every training soundfont, validation pieces with one, and test pieces with
    one and with the held-out piano (see :mod:`dlmusic.datasets.synthetic_piano`).
    Read the result with ``synthetic_piano.load_synthetic_piano(dest)``.

    Parameters
    ----------
    records : list of PianoRecording
        MAESTRO recordings, e.g. ``load_maestro(root, require_audio=False)[:20]``.
    dest : str or Path
        The rendered dataset's folder.
    max_piece_s : float
        Keep only the notes starting in the first this many seconds of each
        performance (whole MAESTRO pieces last about 9 minutes on average).
    seed : int
        Seeds the timbres.
    force : bool
        Render again even if an identical build exists.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        ``dest``.

    Raises
    ------
    DatasetError
        ``records`` is empty or ``max_piece_s`` is not positive.
    MissingFileError, MidiError
        A MIDI file is missing or unreadable.
    """
    if not records:
        raise DatasetError("no MAESTRO recordings to render")
    if not max_piece_s > 0:
        raise DatasetError(f"max_piece_s must be positive (seconds), got {max_piece_s}")
    fonts = training_soundfonts()
    pieces = [
        PieceSource(
            composer=record.composer,
            title=record.title,
            split=record.split,
            make_midi=functools.partial(_opening, record.midi_path, max_piece_s),
        )
        for record in records
    ]
    params = {
        "dataset": "maestro_rendered",
        "midi": [record.midi_path.name for record in records],
        "max_piece_s": max_piece_s,
        "seed": seed,
        "training_soundfonts": fonts,
    }

    def build(folder: Path) -> None:
        render_pieces(folder, pieces, seed=seed, fonts=fonts, progress=progress)

    return build_once(Path(dest), params, build, force=force)


def _opening(path: Path, seconds: float, rng: np.random.Generator) -> pretty_midi.PrettyMIDI:
    """The notes of a MIDI file that start in its first ``seconds`` (cut there), pedal too.

    ``rng`` is unused: a performance is what it is.
    """
    midi = load_midi(path)
    for instrument in midi.instruments:
        instrument.notes = [
            pretty_midi.Note(note.velocity, note.pitch, note.start, min(note.end, seconds))
            for note in instrument.notes
            if note.start < seconds
        ]
        instrument.control_changes = [cc for cc in instrument.control_changes if cc.time < seconds]
        instrument.pitch_bends = [bend for bend in instrument.pitch_bends if bend.time < seconds]
    midi.instruments = [instrument for instrument in midi.instruments if instrument.notes]
    if not midi.instruments:
        raise DatasetError(f"{path} has no notes in its first {seconds} s")
    return midi


def _split_counts(per_split: int | Mapping[str, int]) -> dict[str, int]:
    counts = (
        dict.fromkeys(PIANO_SPLITS, per_split) if isinstance(per_split, int) else dict(per_split)
    )
    unknown = set(counts) - set(PIANO_SPLITS)
    if unknown:
        raise DatasetError(f"unknown MAESTRO splits {sorted(unknown)}; expected {PIANO_SPLITS}")
    if any(not isinstance(n, int) or n < 0 for n in counts.values()):
        raise DatasetError(f"recordings per split must be integers >= 0, got {counts}")
    return counts


def _entry(entries: dict[str, zipfile.ZipInfo], name: str, url: str) -> zipfile.ZipInfo:
    """The archive entry of ``name`` (a path inside the dataset, under the top folder)."""
    info = entries.get(f"{MAESTRO_NAME}/{name}")
    if info is None:
        raise DatasetError(f"{url} holds no {MAESTRO_NAME}/{name}")
    return info


def _write_rows(path: Path, rows: list[dict[str, str]], source: Path) -> None:
    """Write ``rows`` as a CSV with the columns (and order) of ``source``."""
    with source.open(newline="", encoding="utf-8") as handle:
        columns = next(csv.reader(handle))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(text.getvalue(), encoding="utf-8")
