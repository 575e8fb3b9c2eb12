"""Frame-by-key note and onset grids of a piece, from pretty_midi's own piano roll.

Notebook: ``solutions/problem_set/problem_set.ipynb`` (1.3 shows a piano roll, 2.4
trains two tiny models on its onsets).

The grids have one row per CQT frame (:data:`~dlmusic.transcription.constants.FRAMES_PER_SECOND`
frames per second) and one column per piano key, A0 (MIDI 21) first. They are
read off :meth:`pretty_midi.PrettyMIDI.get_piano_roll`: a key sounds in frame
``t`` when pretty_midi's roll is positive there (pretty_midi covers a note from
column ``int(start * fps)`` up to, not including, ``int(end * fps)``), and a key
has an onset in the first frame of each run of sounding frames. A note struck
again on a key that is still sounding, with no silent frame between, is
therefore not a new onset; the problem set's example piece leaves a gap before
every repeated key.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from dlmusic.transcription.constants import FRAMES_PER_SECOND, LOWEST_MIDI, N_KEYS


@dataclass(frozen=True)
class PianoRoll:
    """Which keys sound, and where they start, frame by frame.

    Notebook: problem_set, part 1.3 (the piano roll) and part 2.4 (onset targets).

    Attributes
    ----------
    note : np.ndarray, shape (n_frames, 88), float32
        1 where a key sounds, 0 elsewhere.
    onset : np.ndarray, shape (n_frames, 88), float32
        1 in the first frame of each run of 1s of ``note`` (per key), 0 elsewhere.
    """

    note: np.ndarray
    onset: np.ndarray


def midi_piano_roll(
    midi: pretty_midi.PrettyMIDI,
    n_frames: int,
    *,
    frames_per_second: float = FRAMES_PER_SECOND,
) -> PianoRoll:
    """Note and onset grids of the pitched instruments of ``midi`` (drums have no pitch).

    Notebook: problem_set, part 1.3 (the piano roll) and part 2.4 (onset targets).

    Parameters
    ----------
    midi : pretty_midi.PrettyMIDI
        The piece; drum instruments contribute nothing (pretty_midi's roll of a
        drum track is all zeros), and notes outside the piano's keys are dropped.
    n_frames : int
        Rows of the grids, positive; the roll is cut or padded with silence to it.
    frames_per_second : float
        Frame rate of the rows.

    Returns
    -------
    PianoRoll
        ``note`` and ``onset``, each of shape ``(n_frames, 88)``.

    Raises
    ------
    ValueError
        ``n_frames`` is not a positive whole number, or ``frames_per_second`` is
        not positive.
    """
    if int(n_frames) != n_frames or n_frames < 1:
        raise ValueError(f"n_frames must be a positive whole number of frames, got {n_frames}")
    if not frames_per_second > 0:
        raise ValueError(f"frames_per_second must be positive, got {frames_per_second}")
    roll = midi.get_piano_roll(fs=frames_per_second, pedal_threshold=None)
    keys = roll[LOWEST_MIDI : LOWEST_MIDI + N_KEYS].T > 0  # (frames, 88)
    sounding = np.zeros((int(n_frames), N_KEYS), dtype=bool)
    kept = min(int(n_frames), keys.shape[0])
    sounding[:kept] = keys[:kept]
    starts = sounding & ~np.vstack([np.zeros((1, N_KEYS), dtype=bool), sounding[:-1]])
    return PianoRoll(note=sounding.astype(np.float32), onset=starts.astype(np.float32))
