"""The record types every corpus is read into, and the layouts they share.

A synthetic corpus and its real counterpart use one on-disk layout, so one
reader serves both and a notebook switches corpus by switching folders:

- piano: MAESTRO v3's metadata CSV (``canonical_composer``, ``canonical_title``,
  ``split``, ``year``, ``midi_filename``, ``audio_filename``, ``duration``)
  beside the audio and MIDI files it names -> :class:`PianoRecording`;
- stems: MUSDB18-HQ's ``{train,test}/<track>/<stem>.wav`` -> :class:`StemTrack`;
- scores: ``<composer>/<piece>/<page images>`` (or ``<composer>/<piece>.pdf``)
  -> :class:`ScorePage`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ, load_audio
from dlmusic.errors import DatasetError

PIANO_SPLITS = ("train", "validation", "test")
MAESTRO_COLUMNS = (
    "canonical_composer",
    "canonical_title",
    "split",
    "year",
    "midi_filename",
    "audio_filename",
    "duration",
)
TIMBRE_COLUMN = "timbre"
"""Optional column of synthetic sets: the instrument a recording was rendered with."""
STEM_SUBSETS = ("train", "test")
STEM_NAMES = ("mixture", "vocals", "accompaniment", "drums", "bass", "other")
ACCOMPANIMENT_STEMS = ("drums", "bass", "other")


@dataclass(frozen=True)
class PianoRecording:
    """One performance: audio and its aligned MIDI, MAESTRO style.

    Attributes
    ----------
    composer, title : str
        The piece; splits are by piece, so one title never spans two splits.
    split : str
        ``"train"``, ``"validation"`` or ``"test"``.
    year : int
        Year of the recording (synthetic sets: the year they were built for).
    audio_path, midi_path : Path
        Absolute paths to the WAV and MIDI files.
    duration_s : float
        Length of the audio in seconds.
    timbre : str
        Synthetic sets: the instrument it was rendered with, ``"<soundfont>/<GM program>"``
        (one piece may be rendered in several); ``""`` for real recordings.
    """

    composer: str
    title: str
    split: str
    year: int
    audio_path: Path
    midi_path: Path
    duration_s: float
    timbre: str = ""


def read_piano_metadata(csv_path: str | Path) -> list[PianoRecording]:
    """Read a MAESTRO-style metadata CSV into :class:`PianoRecording` records.

    File names in the CSV are relative to the CSV's folder, as in MAESTRO.

    Raises
    ------
    DatasetError
        The CSV is missing, lacks a MAESTRO column, or names an unknown split.
    """
    csv_path = Path(csv_path)
    if not csv_path.is_file():
        raise DatasetError(f"no piano metadata CSV at {csv_path}")
    root = csv_path.parent
    with csv_path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(MAESTRO_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(f"{csv_path} lacks MAESTRO columns {sorted(missing)}")
        records = []
        for row in reader:
            if row["split"] not in PIANO_SPLITS:
                raise DatasetError(f"{csv_path}: unknown split {row['split']!r}")
            records.append(
                PianoRecording(
                    composer=row["canonical_composer"],
                    title=row["canonical_title"],
                    split=row["split"],
                    year=int(row["year"]),
                    audio_path=root / row["audio_filename"],
                    midi_path=root / row["midi_filename"],
                    duration_s=float(row["duration"]),
                    timbre=row.get(TIMBRE_COLUMN) or "",
                )
            )
    return records


def write_piano_metadata(csv_path: str | Path, records: Iterable[PianoRecording]) -> Path:
    """Write records as a MAESTRO-style CSV with paths relative to its folder.

    A ``timbre`` column follows MAESTRO's when any record has a timbre.
    """
    csv_path = Path(csv_path)
    root = csv_path.parent
    records = list(records)
    with_timbre = any(rec.timbre for rec in records)
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(MAESTRO_COLUMNS + ((TIMBRE_COLUMN,) if with_timbre else ()))
        for rec in records:
            writer.writerow(
                [
                    rec.composer,
                    rec.title,
                    rec.split,
                    rec.year,
                    rec.midi_path.relative_to(root).as_posix(),
                    rec.audio_path.relative_to(root).as_posix(),
                    f"{rec.duration_s:.6f}",
                    *([rec.timbre] if with_timbre else []),
                ]
            )
    return csv_path


@dataclass(frozen=True)
class StemTrack:
    """One multitrack song in the MUSDB18-HQ wav layout.

    Attributes
    ----------
    name : str
        Track folder name (``"Artist - Title"`` in MUSDB18).
    subset : str
        ``"train"`` or ``"test"``.
    folder : Path
        The folder holding ``mixture.wav``, ``vocals.wav``, ...
    """

    name: str
    subset: str
    folder: Path

    def load(self, stem: str, sr: int | None = SAMPLE_RATE_HZ, *, mono: bool = True) -> np.ndarray:
        """Load one stem as ``float32``, shape ``(n_samples,)`` (or channels-first).

        ``accompaniment`` is summed from drums, bass and other when the folder
        has no ``accompaniment.wav`` (MUSDB18-HQ ships none).
        """
        if stem not in STEM_NAMES:
            raise DatasetError(f"unknown stem {stem!r}; expected one of {STEM_NAMES}")
        path = self.folder / f"{stem}.wav"
        if stem == "accompaniment" and not path.is_file():
            parts = [self.load(part, sr, mono=mono) for part in ACCOMPANIMENT_STEMS]
            return np.sum(parts, axis=0, dtype=np.float32)
        return load_audio(path, sr, mono=mono)


def list_stem_tracks(root: str | Path, subset: str | None = None) -> list[StemTrack]:
    """The tracks under ``root/{train,test}/``, sorted by subset then name.

    A track folder counts when it holds ``mixture.wav`` and ``vocals.wav``.

    Raises
    ------
    DatasetError
        ``root`` has neither a ``train`` nor a ``test`` folder, or ``subset``
        is not one of them.
    """
    root = Path(root)
    subsets = STEM_SUBSETS if subset is None else (subset,)
    if subset is not None and subset not in STEM_SUBSETS:
        raise DatasetError(f"unknown subset {subset!r}; expected one of {STEM_SUBSETS}")
    if not any((root / name).is_dir() for name in subsets):
        raise DatasetError(f"{root} has no {' or '.join(subsets)} folder of stem tracks")
    tracks = []
    for name in subsets:
        for folder in sorted((root / name).glob("*/")):
            if (folder / "mixture.wav").is_file() and (folder / "vocals.wav").is_file():
                tracks.append(StemTrack(name=folder.name, subset=name, folder=folder))
    return tracks


@dataclass(frozen=True)
class ScorePage:
    """One page of engraved sheet music.

    Attributes
    ----------
    composer : str
        The class label.
    piece : str
        Piece identifier, unique within the composer; splits are by piece.
    page : int
        Page number within the piece, from 1.
    path : Path
        Image file (PNG/JPEG) or PDF holding the page.
    """

    composer: str
    piece: str
    page: int
    path: Path
