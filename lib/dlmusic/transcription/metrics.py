"""Note-level scores of a transcription, with ``mir_eval``.

Notebook: ``solutions/transcription``, part 6 ("Metrics" and "Confidence").

An estimated note *matches* a reference note of the same pitch (within 50
cents) whose onset is within ``onset_tolerance_s`` (50 ms by default), each
note matching at most one other. Two families of scores come from the matches:

- ``precision_no_offset``, ``recall_no_offset``, ``fno`` (F-measure, no
  offset): onsets and pitches only;
- ``precision``, ``recall``, ``f``: the offset must match as well, within
  20 % of the reference note's length or 50 ms, whichever is larger.

Empty lists: when either the reference or the estimate is empty, every score
is 0.0, except that an empty estimate of an empty reference (silence
transcribed as silence) scores 1.0. ``mir_eval`` is not called in these cases,
so it prints no warning.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

import mir_eval
import numpy as np

from dlmusic.transcription.notes import TranscribedNotes
from dlmusic.transcription.targets import NoteList

ONSET_TOLERANCE_S = 0.05
"""Largest onset difference of matching notes (MIREX's 50 ms)."""
OFFSET_RATIO = 0.2
"""Offset tolerance as a fraction of the reference note's length."""
OFFSET_MIN_TOLERANCE_S = 0.05
"""Smallest offset tolerance, for short notes."""
SCORE_KEYS = ("precision", "recall", "f", "precision_no_offset", "recall_no_offset", "fno")
"""Keys of the dictionaries :func:`note_scores` and :func:`mean_scores` return."""


def note_scores(
    reference: NoteList,
    estimate: NoteList | TranscribedNotes,
    *,
    onset_tolerance_s: float = ONSET_TOLERANCE_S,
) -> dict[str, float]:
    """Precision, recall and F-measure of ``estimate``, with and without offsets.

    Parameters
    ----------
    reference : NoteList
        The true notes.
    estimate : NoteList or TranscribedNotes
        The transcribed notes (times in seconds on the same clock).
    onset_tolerance_s : float
        Largest onset difference in seconds for two notes to match, positive.

    Returns
    -------
    dict of str to float
        The keys of :data:`SCORE_KEYS`, each in [0, 1] (see the module notes
        for empty lists).
    """
    if not onset_tolerance_s > 0:
        raise ValueError(f"onset_tolerance_s must be positive (seconds), got {onset_tolerance_s}")
    if len(reference) == 0 or len(estimate) == 0:
        value = 1.0 if len(reference) == len(estimate) else 0.0
        return dict.fromkeys(SCORE_KEYS, value)
    with_offset = _match_scores(reference, estimate, onset_tolerance_s, OFFSET_RATIO)
    without_offset = _match_scores(reference, estimate, onset_tolerance_s, None)
    return dict(zip(SCORE_KEYS, with_offset + without_offset, strict=True))


def _match_scores(
    reference: NoteList,
    estimate: NoteList | TranscribedNotes,
    onset_tolerance_s: float,
    offset_ratio: float | None,
) -> tuple[float, float, float]:
    """``mir_eval``'s precision, recall and F-measure of two non-empty note lists."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision, recall, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
            reference.intervals,
            mir_eval.util.midi_to_hz(reference.pitches),
            estimate.intervals,
            mir_eval.util.midi_to_hz(estimate.pitches),
            onset_tolerance=onset_tolerance_s,
            offset_ratio=offset_ratio,
            offset_min_tolerance=OFFSET_MIN_TOLERANCE_S,
        )
    return float(precision), float(recall), float(f)


def mean_scores(
    pairs: Iterable[tuple[NoteList, NoteList | TranscribedNotes]],
    *,
    onset_tolerance_s: float = ONSET_TOLERANCE_S,
) -> dict[str, float]:
    """Each score of :func:`note_scores` averaged over clips (every clip weighs the same).

    Parameters
    ----------
    pairs : iterable of (reference, estimate)
        One pair per clip.
    onset_tolerance_s : float
        Passed to :func:`note_scores`.

    Raises
    ------
    ValueError
        ``pairs`` is empty.
    """
    scores = [note_scores(ref, est, onset_tolerance_s=onset_tolerance_s) for ref, est in pairs]
    if not scores:
        raise ValueError("mean_scores needs at least one (reference, estimate) pair")
    return {key: float(np.mean([score[key] for score in scores])) for key in SCORE_KEYS}


def precision_recall_by_confidence(
    reference: NoteList,
    estimate: TranscribedNotes,
    thresholds: Sequence[float],
    *,
    onset_tolerance_s: float = ONSET_TOLERANCE_S,
) -> list[dict[str, float]]:
    """Onset-only scores of the notes kept at each confidence threshold.

    Parameters
    ----------
    reference : NoteList
        The true notes.
    estimate : TranscribedNotes
        Transcribed notes with confidences.
    thresholds : sequence of float
        Confidences in [0, 1]; at each, the notes of confidence at least
        the threshold are scored.
    onset_tolerance_s : float
        Passed to :func:`note_scores`.

    Returns
    -------
    list of dict
        One per threshold, in the given order, with keys ``threshold``,
        ``precision``, ``recall``, ``fno`` (no-offset scores) and ``n_notes``
        (notes kept, an int).
    """
    outside = [threshold for threshold in thresholds if not 0 <= threshold <= 1]
    if outside:
        raise ValueError(f"confidence thresholds must lie in [0, 1], got {outside[0]}")
    rows = []
    for threshold in thresholds:
        kept = estimate.above(threshold)
        scores = note_scores(reference, kept, onset_tolerance_s=onset_tolerance_s)
        rows.append(
            {
                "threshold": float(threshold),
                "precision": scores["precision_no_offset"],
                "recall": scores["recall_no_offset"],
                "fno": scores["fno"],
                "n_notes": len(kept),
            }
        )
    return rows
