"""Note-level scores of a transcription: the conventions, and scores by confidence.

Notebook: ``solutions/transcription``, part 6 ("Metrics") and part 9
("Confidence"). The notebook writes the scores themselves
(``transcription_scores``, with ``mir_eval``); :func:`precision_recall_by_confidence`
takes that function.

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

from collections.abc import Callable, Sequence

from dlmusic.transcription.notes import TranscribedNotes
from dlmusic.transcription.targets import NoteList

ONSET_TOLERANCE_S = 0.05
"""Largest onset difference of matching notes (MIREX's 50 ms)."""
OFFSET_RATIO = 0.2
"""Offset tolerance as a fraction of the reference note's length."""
OFFSET_MIN_TOLERANCE_S = 0.05
"""Smallest offset tolerance, for short notes."""
SCORE_KEYS = ("precision", "recall", "f", "precision_no_offset", "recall_no_offset", "fno")
"""Keys of the dictionary a note-scoring function returns."""


NoteScores = Callable[[NoteList, NoteList | TranscribedNotes], dict[str, float]]
"""``scores(reference, estimate) -> dict`` with the keys of :data:`SCORE_KEYS`
(the notebook's ``transcription_scores``)."""


def precision_recall_by_confidence(
    reference: NoteList,
    estimate: TranscribedNotes,
    thresholds: Sequence[float],
    *,
    scores: NoteScores,
) -> list[dict[str, float]]:
    """Onset-only scores of the notes kept at each confidence threshold.

    Notebook: transcription, part 9 (confidence).

    Parameters
    ----------
    reference : NoteList
        The true notes.
    estimate : TranscribedNotes
        Transcribed notes with confidences.
    thresholds : sequence of float
        Confidences in [0, 1]; at each, the notes of confidence at least
        the threshold are scored.
    scores : callable
        ``scores(reference, estimate) -> dict`` with the keys of :data:`SCORE_KEYS`.

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
        measured = scores(reference, kept)
        rows.append(
            {
                "threshold": float(threshold),
                "precision": float(measured["precision_no_offset"]),
                "recall": float(measured["recall_no_offset"]),
                "fno": float(measured["fno"]),
                "n_notes": len(kept),
            }
        )
    return rows
