"""Notes as arrays, and the three frame-wise targets the transcriber learns.

Notebook: ``solutions/transcription``, part 3 ("Targets").

A :class:`NoteList` holds a piece's notes as onset/offset times in seconds,
MIDI pitches and velocities. Basic Pitch is trained on three posteriorgrams,
one row per CQT frame (frame ``t`` is centred at ``t / FRAMES_PER_SECOND``
seconds); the notebook writes the note and onset targets, and
:func:`contour_target` makes the contour target:

- ``"note"`` (Yn), one column per piano key: 1 while a note sounds;
- ``"onset"`` (Yo), one column per key: 1 only in a note's first frame;
- ``"contour"`` (Yp), one column per CQT bin (three per semitone): 1 at the
  bin centred on the note's frequency and 0.5 at its two neighbours, a soft
  label that tolerates slightly sharp or flat tuning.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pretty_midi

from dlmusic.synth import load_midi
from dlmusic.transcription.constants import (
    BINS_PER_SEMITONE,
    FRAMES_PER_SECOND,
    HIGHEST_MIDI,
    LOWEST_MIDI,
    N_CONTOUR_BINS,
)

CONTOUR_NEIGHBOUR_VALUE = 0.5
"""Contour target at the two bins either side of a note's own bin."""


@dataclass(frozen=True, eq=False)
class NoteList:
    """Notes of a piece or a window of it, in seconds and MIDI numbers.

    Notebook: transcription, parts 3 to 9 (every list of notes).

    Parameters
    ----------
    intervals : array-like, shape (n, 2)
        ``[onset, offset]`` of each note in seconds; every offset must be later
        than its onset. Stored as read-only float64.
    pitches : array-like, shape (n,)
        MIDI note numbers, 0..127. Stored as read-only int64.
    velocities : array-like, shape (n,)
        MIDI velocities, 0..127. Stored as read-only int64.

    Raises
    ------
    ValueError
        Shapes disagree, times are not finite, an offset is not after its
        onset, or a pitch or velocity lies outside 0..127.
    """

    intervals: np.ndarray
    pitches: np.ndarray
    velocities: np.ndarray

    def __post_init__(self) -> None:
        intervals, pitches = checked_notes(self.intervals, self.pitches)
        velocities = frozen_array(self.velocities, np.int64)
        if velocities.shape != pitches.shape:
            raise ValueError(
                f"velocities must have shape {pitches.shape} like pitches, got {velocities.shape}"
            )
        _check_midi_range(velocities, "velocity")
        object.__setattr__(self, "intervals", intervals)
        object.__setattr__(self, "pitches", pitches)
        object.__setattr__(self, "velocities", velocities)

    @classmethod
    def empty(cls) -> NoteList:
        """A list of no notes."""
        return cls(np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.pitches)

    @property
    def onsets(self) -> np.ndarray:
        """Onset times in seconds, shape (n,)."""
        return self.intervals[:, 0]

    @property
    def offsets(self) -> np.ndarray:
        """Offset times in seconds, shape (n,)."""
        return self.intervals[:, 1]

    def window(self, start_s: float, duration_s: float, *, clip: bool = True) -> NoteList:
        """The notes sounding in ``[start_s, start_s + duration_s)``, shifted to start at 0.

        Parameters
        ----------
        start_s : float
            Start of the window in seconds.
        duration_s : float
            Length of the window in seconds, positive.
        clip : bool
            ``True`` clips every note to the window, so a note already sounding
            when the window starts gets onset 0. ``False`` keeps the notes'
            shifted times as they are (a negative onset, an offset past the
            end): the targets then clip the frames themselves and give
            no onset to a note that started before the window.

        Returns
        -------
        NoteList
            The overlapping notes in their original order, times relative to
            ``start_s``.
        """
        if not (np.isfinite(start_s) and np.isfinite(duration_s)):
            raise ValueError(
                f"window start and duration must be finite, got {start_s}, {duration_s}"
            )
        if duration_s <= 0:
            raise ValueError(f"window duration must be positive (seconds), got {duration_s}")
        end_s = start_s + duration_s
        keep = (self.onsets < end_s) & (self.offsets > start_s)
        intervals = self.intervals[keep]
        if clip:
            intervals = np.clip(intervals, start_s, end_s)
        return NoteList(intervals - start_s, self.pitches[keep], self.velocities[keep])


def frozen_array(values: object, dtype: type) -> np.ndarray:
    """A read-only copy of ``values`` as an array of ``dtype``.

    Notebook: transcription, part 3 (NoteList's arrays).
    """
    array = np.array(values, dtype=dtype)
    array.setflags(write=False)
    return array


def checked_notes(intervals: object, pitches: object) -> tuple[np.ndarray, np.ndarray]:
    """Validated, read-only note times and pitches (shared with ``TranscribedNotes``).

    Notebook: transcription, part 3 (NoteList's checks).

    Parameters
    ----------
    intervals : array-like, shape (n, 2)
        ``[onset, offset]`` in seconds; an empty sequence means no notes.
    pitches : array-like, shape (n,)
        MIDI note numbers.

    Returns
    -------
    intervals : np.ndarray, shape (n, 2), float64
    pitches : np.ndarray, shape (n,), int64

    Raises
    ------
    ValueError
        Shapes disagree, a time is not finite, an offset is not after its
        onset, or a pitch lies outside 0..127.
    """
    intervals = np.asarray(intervals, dtype=np.float64)
    intervals = frozen_array(
        intervals.reshape(0, 2) if intervals.size == 0 else intervals, np.float64
    )
    pitches = frozen_array(pitches, np.int64)
    if intervals.ndim != 2 or intervals.shape[1] != 2:
        raise ValueError(f"intervals must have shape (n, 2), got {intervals.shape}")
    if pitches.ndim != 1:
        raise ValueError(f"pitches must be one-dimensional, got shape {pitches.shape}")
    if len(intervals) != len(pitches):
        raise ValueError(f"intervals hold {len(intervals)} notes but pitches hold {len(pitches)}")
    if not np.all(np.isfinite(intervals)):
        raise ValueError("note onsets and offsets must be finite (no NaN or infinity)")
    shorter = np.flatnonzero(intervals[:, 1] <= intervals[:, 0])
    if shorter.size:
        onset, offset = intervals[shorter[0]]
        raise ValueError(
            f"every offset must be later than its onset; note {shorter[0]} has "
            f"onset {onset} s and offset {offset} s"
        )
    _check_midi_range(pitches, "pitch")
    return intervals, pitches


def _check_midi_range(values: np.ndarray, name: str) -> None:
    bad = values[(values < 0) | (values > 127)]
    if bad.size:
        raise ValueError(f"MIDI {name} must lie in 0..127, got {bad[0]}")


def notes_from_midi(midi: pretty_midi.PrettyMIDI | str | Path) -> NoteList:
    """The notes of every non-drum instrument, merged.

    Notebook: transcription, parts 1 to 9 (the data every part uses).

    Parameters
    ----------
    midi : PrettyMIDI or path
        A parsed MIDI file, or the path of one (read with
        :func:`dlmusic.synth.load_midi`, which raises ``MissingFileError`` or
        ``MidiError``).

    Returns
    -------
    NoteList
        Sorted by onset, then pitch, then offset. Notes of zero length (which
        some MIDI files hold) are dropped.
    """
    if not isinstance(midi, pretty_midi.PrettyMIDI):
        midi = load_midi(midi)
    notes = [
        (note.start, note.end, note.pitch, note.velocity)
        for instrument in midi.instruments
        if not instrument.is_drum
        for note in instrument.notes
        if note.end > note.start
    ]
    if not notes:
        return NoteList.empty()
    table = np.array(notes, dtype=np.float64)
    order = np.lexsort((table[:, 1], table[:, 2], table[:, 0]))
    table = table[order]
    return NoteList(table[:, :2], table[:, 2].astype(np.int64), table[:, 3].astype(np.int64))


def key_index(pitch: int) -> int:
    """Column of MIDI ``pitch`` in the note and onset targets: ``pitch - 21`` (0..87).

    Notebook: transcription, part 3 (targets).

    Raises
    ------
    ValueError
        ``pitch`` is not a piano key (21..108).
    """
    pitch = int(pitch)
    if not LOWEST_MIDI <= pitch <= HIGHEST_MIDI:
        raise ValueError(f"MIDI pitch {pitch} is not a piano key ({LOWEST_MIDI}..{HIGHEST_MIDI})")
    return pitch - LOWEST_MIDI


def contour_bin(pitch: int) -> int:
    """Contour bin centred on MIDI ``pitch``: ``3 * (pitch - 21)`` (0..261).

    Notebook: transcription, parts 2 and 3 (the contour axis).

    Bin ``k`` of the contour is centred at ``27.5 * 2**(k / 36)`` Hz, so
    A4 (MIDI 69, 440 Hz) is bin 144.

    Raises
    ------
    ValueError
        ``pitch`` is not a piano key (21..108).
    """
    return BINS_PER_SEMITONE * key_index(pitch)


def contour_target(notes: NoteList, n_frames: int) -> np.ndarray:
    """The contour (Yp) target of ``notes``: three bins per semitone.

    Notebook: transcription, part 3 (the given contour target Yp).

    Parameters
    ----------
    notes : NoteList
        Times relative to frame 0 (frame ``t`` is centred at ``t / FRAMES_PER_SECOND``
        seconds); the parts of notes outside frames ``0 .. n_frames - 1`` are
        clipped away.
    n_frames : int
        Number of frames, positive.

    Returns
    -------
    np.ndarray, shape (n_frames, 264), float32
        While a note sounds (from frame ``round(onset * fps)`` up to, not
        including, ``round(offset * fps)``, and at least one frame): 1 at
        :func:`contour_bin` and 0.5 at the bins either side. Where notes
        overlap, the largest value wins.

    Raises
    ------
    ValueError
        ``n_frames`` is not positive, or a pitch is not a piano key (21..108).
    """
    if int(n_frames) != n_frames or n_frames < 1:
        raise ValueError(f"n_frames must be a positive whole number of frames, got {n_frames}")
    contour = np.zeros((int(n_frames), N_CONTOUR_BINS), np.float32)
    first_frames = np.rint(notes.onsets * FRAMES_PER_SECOND).astype(np.int64)
    end_frames = np.maximum(np.rint(notes.offsets * FRAMES_PER_SECOND), first_frames + 1)
    profile = np.array([CONTOUR_NEIGHBOUR_VALUE, 1.0, CONTOUR_NEIGHBOUR_VALUE], np.float32)
    for first, end, pitch in zip(
        first_frames, end_frames.astype(np.int64), notes.pitches, strict=True
    ):
        centre = contour_bin(pitch)
        rows = slice(max(int(first), 0), max(min(int(end), contour.shape[0]), 0))
        columns = slice(max(centre - 1, 0), min(centre + 2, N_CONTOUR_BINS))
        shape = profile[columns.start - centre + 1 : columns.stop - centre + 1]
        np.maximum(contour[rows, columns], shape, out=contour[rows, columns])
    return contour
