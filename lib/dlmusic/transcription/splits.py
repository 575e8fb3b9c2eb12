"""The notebook's training, validation and test clips, sized by run mode.

Notebook: ``solutions/transcription``, "The data". ``synthetic_piano`` (the
default) is built offline and stored as MAESTRO is; MAESTRO itself is read
when it has been downloaded (``data_scripts/download_maestro.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

from dlmusic.course import by_mode, mode
from dlmusic.datasets.maestro import load_maestro
from dlmusic.datasets.records import PianoRecording
from dlmusic.datasets.summary import format_table
from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.errors import DlmusicError
from dlmusic.transcription.data import PianoClip, load_clips

SPLITS = ("train", "validation", "test")
"""The three splits, whole pieces each."""
MAESTRO_PIECES = {"train": 80, "validation": 12, "test": 12}
"""Pieces loaded per split from MAESTRO (``load_clips`` keeps the audio in memory)."""


def load_splits(
    dataset: str = "synthetic_piano", *, maestro_pieces: Mapping[str, int] = MAESTRO_PIECES
) -> tuple[dict[str, list[PianoClip]], dict[str, list[PianoRecording]]]:
    """The clips of each split and the records they were read from.

    Notebook: transcription, parts 1 to 9 (the data every part uses).

    Quick mode reads the first 8 s of each piece (and the quick
    ``synthetic_piano``); full mode whole pieces (MAESTRO's first 120 s).
    Grading mode reads ``synthetic_piano`` whatever ``dataset`` says.

    Parameters
    ----------
    dataset : str
        ``"synthetic_piano"`` or ``"maestro"``.
    maestro_pieces : mapping
        Split -> pieces loaded from MAESTRO.

    Returns
    -------
    clips : dict of str to list of PianoClip
        ``"train"``, ``"validation"`` and ``"test"``.
    records : dict of str to list of PianoRecording
        The records behind the clips, in the same order.

    Raises
    ------
    DlmusicError
        ``dataset`` is neither of the two.
    """
    if dataset not in ("synthetic_piano", "maestro"):
        raise DlmusicError(f"dataset must be 'synthetic_piano' or 'maestro', got {dataset!r}")
    if dataset == "maestro" and mode() != "grading":
        records = {split: load_maestro(split=split)[: maestro_pieces[split]] for split in SPLITS}
        max_clip_s = by_mode(quick=8.0, full=120.0)
    else:
        root = build_synthetic_piano(size=by_mode(quick="quick", full="full"))
        records = {split: load_synthetic_piano(root, split=split) for split in SPLITS}
        max_clip_s = by_mode(quick=8.0, full=None)
    clips = {split: load_clips(records[split], max_duration_s=max_clip_s) for split in SPLITS}
    return clips, records


def splits_table(clips: Mapping[str, list[PianoClip]], title: str) -> str:
    """Clips, minutes and notes per split, as a text table.

    Notebook: transcription, parts 1 to 9 (the data every part uses).
    """
    rows = [
        {
            "split": split,
            "clips": len(split_clips),
            "minutes": f"{sum(clip.duration_s for clip in split_clips) / 60:.1f}",
            "notes": sum(len(clip.notes) for clip in split_clips),
        }
        for split, split_clips in clips.items()
    ]
    return format_table(rows, title)
