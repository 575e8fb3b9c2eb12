"""MAESTRO v3.0.0: about 200 hours of aligned piano audio and MIDI.

MAESTRO (Hawthorne et al., ICLR 2019) is published by Google Magenta under
CC BY-NC-SA 4.0 at https://magenta.tensorflow.org/datasets/maestro. It comes
as one archive with audio (101 GB zipped, 120 GB unpacked) or MIDI only
(56 MB). Both unpack to ``maestro-v3.0.0/`` holding ``maestro-v3.0.0.csv``
and one folder per year; this module unpacks that folder's contents into
``dataset_dir("maestro-v3.0.0")`` (or ``root``), where :func:`load_maestro`
reads them into :class:`~dlmusic.datasets.records.PianoRecording` records.
"""

from __future__ import annotations

from pathlib import Path

from dlmusic.datasets.download import download, extract_zip, extraction_marker
from dlmusic.datasets.paths import dataset_dir
from dlmusic.datasets.records import PIANO_SPLITS, PianoRecording, read_piano_metadata
from dlmusic.errors import DatasetError

MAESTRO_NAME = "maestro-v3.0.0"
"""Folder name under :func:`~dlmusic.datasets.paths.data_dir`, and the archives' top folder."""

MAESTRO_ZIP_NAME = "maestro-v3.0.0.zip"
MAESTRO_MIDI_ZIP_NAME = "maestro-v3.0.0-midi.zip"
MAESTRO_CSV_NAME = "maestro-v3.0.0.csv"
"""The metadata file :func:`load_maestro` reads, at the top of the dataset folder."""

MAESTRO_BASE_URL = "https://storage.googleapis.com/magentadata/datasets/maestro/v3.0.0"
MAESTRO_ZIP_URL = f"{MAESTRO_BASE_URL}/{MAESTRO_ZIP_NAME}"
"""Audio, MIDI and metadata (101 GB)."""
MAESTRO_MIDI_ZIP_URL = f"{MAESTRO_BASE_URL}/{MAESTRO_MIDI_ZIP_NAME}"
"""MIDI and metadata only (56 MB)."""
MAESTRO_CSV_URL = f"{MAESTRO_BASE_URL}/{MAESTRO_CSV_NAME}"
MAESTRO_JSON_URL = f"{MAESTRO_BASE_URL}/maestro-v3.0.0.json"

# SHA-256 digests as published on the dataset's page (see the module docstring).
# The page publishes none for the separate CSV and JSON files.
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
