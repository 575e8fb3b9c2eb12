"""From note and onset posteriorgrams to a list of notes, and on to MIDI.

Notebook: ``solutions/transcription``, part 6 ("Notes").

:func:`posteriorgram_to_notes` follows Basic Pitch's note creation
(Bittner et al., ICASSP 2022):

1. Optionally strengthen the onset posterior with onsets *inferred* from the
   note posterior: wherever a key's note posterior rises from one frame to the
   next, the rise (rescaled so the largest rise equals the largest onset
   posterior) is a candidate onset too.
2. Candidate onsets are local maxima over time of the onset posterior that
   reach ``onset_threshold``.
3. From the latest candidate to the earliest, a note starts at the candidate
   frame and extends while the note posterior stays at or above
   ``frame_threshold``, bridging dips of up to ``energy_tolerance_frames``
   frames; it ends where the final run of low frames began. Notes shorter than
   ``min_note_frames`` are discarded; the frames a note uses are removed from
   the posterior, so an earlier onset on the same key stops where a later note
   begins and notes never overlap on a key.

Unlike Basic Pitch, a note consumes only its own key (not the keys either
side), and a note may start in the first frame and end in the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from dlmusic.transcription.constants import FRAMES_PER_SECOND, LOWEST_MIDI, N_KEYS
from dlmusic.transcription.targets import NoteList, checked_notes, frozen_array

VELOCITY_FLOOR = 40
"""MIDI velocity of a transcribed note of confidence 0."""
VELOCITY_SPAN = 87
"""Velocity added at confidence 1, so confidences map to velocities 40..127."""


@dataclass(frozen=True, eq=False)
class TranscribedNotes:
    """Notes found in posteriorgrams, each with a confidence.

    Notebook: transcription, parts 6 and 9 (notes with confidences).

    Parameters
    ----------
    intervals : array-like, shape (n, 2)
        ``[onset, offset]`` of each note in seconds, offset after onset.
    pitches : array-like, shape (n,)
        MIDI note numbers.
    confidences : array-like, shape (n,)
        Mean note posterior over each note's frames, in [0, 1].

    Raises
    ------
    ValueError
        Shapes disagree, times are not finite, an offset is not after its
        onset, a pitch lies outside 0..127 or a confidence outside [0, 1].
    """

    intervals: np.ndarray
    pitches: np.ndarray
    confidences: np.ndarray

    def __post_init__(self) -> None:
        intervals, pitches = checked_notes(self.intervals, self.pitches)
        confidences = frozen_array(self.confidences, np.float64)
        if confidences.shape != pitches.shape:
            raise ValueError(
                f"confidences must have shape {pitches.shape} like pitches, got {confidences.shape}"
            )
        if not np.all((confidences >= 0) & (confidences <= 1)):
            raise ValueError("confidences must lie in [0, 1] (and not be NaN)")
        object.__setattr__(self, "intervals", intervals)
        object.__setattr__(self, "pitches", pitches)
        object.__setattr__(self, "confidences", confidences)

    def __len__(self) -> int:
        return len(self.pitches)

    def above(self, confidence: float) -> TranscribedNotes:
        """The notes whose confidence is at least ``confidence``, in the same order."""
        keep = self.confidences >= confidence
        return TranscribedNotes(self.intervals[keep], self.pitches[keep], self.confidences[keep])

    def to_note_list(self, velocity: int = 80) -> NoteList:
        """The notes as a :class:`NoteList`, all at MIDI ``velocity``."""
        return NoteList(self.intervals, self.pitches, np.full(len(self), velocity, np.int64))


def posteriorgram_to_notes(
    note: np.ndarray,
    onset: np.ndarray,
    *,
    onset_threshold: float = 0.5,
    frame_threshold: float = 0.3,
    min_note_frames: int = 11,
    energy_tolerance_frames: int = 11,
    infer_onsets: bool = True,
) -> TranscribedNotes:
    """Notes from the note (Yn) and onset (Yo) posteriorgrams (Basic Pitch's method).

    Notebook: transcription, part 6 (from posteriorgrams to notes).

    Parameters
    ----------
    note, onset : np.ndarray, shape (n_frames, 88)
        Posteriors in [0, 1] of a note sounding / starting on each piano key
        (column ``k`` is MIDI ``21 + k``) in each frame (frame ``t`` at
        ``t / FRAMES_PER_SECOND`` seconds).
    onset_threshold : float
        Smallest onset posterior (a local maximum over time) that starts a note.
    frame_threshold : float
        Smallest note posterior that keeps a note sounding.
    min_note_frames : int
        Notes shorter than this many frames (11 frames = 128 ms) are dropped.
    energy_tolerance_frames : int
        Longest run of frames below ``frame_threshold`` bridged inside a note.
    infer_onsets : bool
        Also start notes where the note posterior rises (see the module notes).

    Returns
    -------
    TranscribedNotes
        Sorted by onset, then pitch; confidence is the mean note posterior
        over the note's frames.

    Raises
    ------
    ValueError
        The posteriorgrams are not 2-D with 88 columns, differ in shape, hold
        values outside [0, 1] or non-finite values, or a setting is out of range.
    """
    note = _checked_posteriorgram(note, "note")
    onset = _checked_posteriorgram(onset, "onset")
    if note.shape != onset.shape:
        raise ValueError(
            f"note {note.shape} and onset {onset.shape} posteriorgrams differ in shape"
        )
    _check_settings(onset_threshold, frame_threshold, min_note_frames, energy_tolerance_frames)
    if infer_onsets:
        onset = np.maximum(onset, inferred_onsets(note, onset))
    remaining = note.copy()
    found = []
    starts, keys = np.nonzero(onset_peaks(onset, onset_threshold))
    for start, key in zip(starts[::-1], keys[::-1], strict=True):
        stop = _note_stop(remaining[:, key], start, frame_threshold, energy_tolerance_frames)
        if stop - start < min_note_frames:
            continue
        remaining[start:stop, key] = 0.0
        found.append((start, stop, key, note[start:stop, key].mean()))
    return _transcribed(found)


def _checked_posteriorgram(values: np.ndarray, name: str) -> np.ndarray:
    """``values`` as float64, shape (n_frames, 88), after checking shape, finiteness and range."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.shape[1] != N_KEYS:
        raise ValueError(
            f"{name} posteriorgram must have shape (n_frames, {N_KEYS}), got {values.shape}"
        )
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} posteriorgram holds NaN or infinite values")
    if values.size and (values.min() < 0 or values.max() > 1):
        raise ValueError(
            f"{name} posteriorgram must lie in [0, 1], got values from "
            f"{values.min():.3g} to {values.max():.3g}"
        )
    return values


def _check_settings(
    onset_threshold: float, frame_threshold: float, min_note_frames: int, tolerance: int
) -> None:
    for name, value in (("onset_threshold", onset_threshold), ("frame_threshold", frame_threshold)):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must lie in [0, 1], got {value}")
    if min_note_frames < 1:
        raise ValueError(f"min_note_frames must be at least 1 frame, got {min_note_frames}")
    if tolerance < 0:
        raise ValueError(f"energy_tolerance_frames must not be negative, got {tolerance}")


def inferred_onsets(note: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Onsets implied by rises of the note posterior, shape (n_frames, 88).

    Notebook: transcription, part 6 (from posteriorgrams to notes).

    The positive frame-to-frame difference of ``note`` (0 in frame 0),
    rescaled so its maximum equals the maximum of ``onset``; all zeros where
    the note posterior never rises. The idea and the rescaling are Basic
    Pitch's (``get_infered_onsets`` in its ``note_creation.py``); what differs:

    - one difference, ``note[t] - note[t - 1]``; Basic Pitch takes the
      minimum of the differences over one and two frames (``n_diff=2``), so
      only a rise that is still above both earlier frames counts;
    - only frame 0 is zeroed (it has no earlier frame); Basic Pitch treats
      frames before the start as 0 and then zeroes the first two frames;
    - a note posterior that never rises gives zeros; Basic Pitch divides by
      the largest rise unguarded (NaN where there is none);
    - it returns the rescaled rises only: :func:`posteriorgram_to_notes` takes
      their maximum with ``onset``, which Basic Pitch's function returns itself.

    Parameters
    ----------
    note, onset : np.ndarray, shape (n_frames, 88)
        Note (Yn) and onset (Yo) posteriorgrams in [0, 1].

    Returns
    -------
    np.ndarray, shape (n_frames, 88)
        Rises of ``note``, scaled to the largest onset posterior.
    """
    rise = np.zeros_like(note)
    rise[1:] = np.maximum(np.diff(note, axis=0), 0.0)
    largest = rise.max(initial=0.0)
    if largest == 0:
        return rise
    return rise * (onset.max() / largest)


def onset_peaks(onset: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean mask, shape (n_frames, 88): strict local maxima over time reaching ``threshold``.

    Notebook: transcription, part 6 (from posteriorgrams to notes).

    Frames beyond either end count as 0, so the first and last frames can be peaks.
    """
    padded = np.pad(onset, ((1, 1), (0, 0)))
    return (onset >= threshold) & (onset > padded[:-2]) & (onset > padded[2:])


def _note_stop(energy: np.ndarray, start: int, threshold: float, tolerance: int) -> int:
    """Frame after the last of a note starting at ``start`` on a key with posterior ``energy``."""
    below = 0
    for frame in range(start + 1, len(energy)):
        below = below + 1 if energy[frame] < threshold else 0
        if below > tolerance:
            return frame + 1 - below
    return len(energy) - below


def _transcribed(found: list[tuple[int, int, int, float]]) -> TranscribedNotes:
    """Frame-indexed ``(start, stop, key, confidence)`` tuples as sorted notes in seconds."""
    table = np.array(found, dtype=np.float64).reshape(-1, 4)
    table = table[np.lexsort((table[:, 2], table[:, 0]))]
    return TranscribedNotes(
        intervals=table[:, :2] / FRAMES_PER_SECOND,
        pitches=table[:, 2].astype(np.int64) + LOWEST_MIDI,
        confidences=np.clip(table[:, 3], 0.0, 1.0),
    )


def notes_to_midi(notes: NoteList | TranscribedNotes, program: int = 0) -> pretty_midi.PrettyMIDI:
    """A one-instrument MIDI file of ``notes``, for listening to a transcription.

    Notebook: transcription, part 6 (listening to a transcription).

    Parameters
    ----------
    notes : NoteList or TranscribedNotes
        A :class:`NoteList` keeps its velocities; a :class:`TranscribedNotes`
        gets velocity ``40 + 87 * confidence`` (rounded), so confident notes
        sound louder.
    program : int
        General MIDI program, 0..127 (0 is the acoustic grand piano).

    Returns
    -------
    pretty_midi.PrettyMIDI
    """
    if not 0 <= program <= 127:
        raise ValueError(f"MIDI program must lie in 0..127, got {program}")
    if isinstance(notes, TranscribedNotes):
        velocities = np.rint(VELOCITY_FLOOR + VELOCITY_SPAN * notes.confidences).astype(np.int64)
    else:
        velocities = notes.velocities
    instrument = pretty_midi.Instrument(program=program)
    instrument.notes = [
        pretty_midi.Note(velocity=int(velocity), pitch=int(pitch), start=float(on), end=float(off))
        for (on, off), pitch, velocity in zip(
            notes.intervals, notes.pitches, velocities, strict=True
        )
    ]
    midi = pretty_midi.PrettyMIDI()
    midi.instruments.append(instrument)
    return midi
