"""A short piece for piano and drums: the example signal of the ``problem_set`` notebook.

Notebook: ``solutions/problem_set/problem_set.ipynb`` (parts 1 and 2).

The piano plays sustained chords and a melody (horizontal lines in a
spectrogram, rare onsets in a piano roll); the drums play a kick, a snare and
hi-hats (vertical lines). Because each instrument is rendered on its own, the
notebook can compare a harmonic-percussive separation with the true stems.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pretty_midi

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.synth import render_midi

TEMPO_BPM = 120.0
"""Tempo of the piece: one beat every 0.5 s."""
BARS = 3
"""Bars of 4/4 (2 s each at 120 bpm)."""
DURATION_S = 6.0
"""Length of the rendered audio: exactly the three bars."""
CHORDS = ((48, 52, 55), (45, 48, 52), (41, 45, 48), (43, 47, 50), (48, 52, 55), (43, 47, 50))
"""Two chords per bar (C, Am, F, G, C, G), MIDI pitches."""
MELODY = (72, 74, 76, 79, 77, 76, 74, 72, 71, 72, 74, 79)
"""One melody note per beat, MIDI pitches."""
KICK, SNARE, CLOSED_HI_HAT = 36, 38, 42
"""General MIDI drum keys."""


@dataclass(frozen=True)
class RenderedPiece:
    """The piece's MIDI and its audio, per instrument and mixed.

    Notebook: problem_set, part 1 (the example piece).

    Attributes
    ----------
    midi : pretty_midi.PrettyMIDI
        Piano (program 0) and drums.
    piano, drums, mixture : np.ndarray, shape (n_samples,), float32
        Audio at ``sr``; ``mixture == piano + drums``.
    sr : int
        Sample rate in Hz.
    """

    midi: pretty_midi.PrettyMIDI
    piano: np.ndarray
    drums: np.ndarray
    mixture: np.ndarray
    sr: int


def piano_and_drums_midi() -> pretty_midi.PrettyMIDI:
    """The piece as MIDI: chords and a melody on the piano, a rock beat on the drums.

    Notebook: problem_set, part 1 (the example piece).

    Returns
    -------
    pretty_midi.PrettyMIDI
        Two instruments, ``instruments[0]`` the piano and ``instruments[1]`` the
        drums; every note lies within the first :data:`DURATION_S` seconds.
    """
    beat_s = 60.0 / TEMPO_BPM
    midi = pretty_midi.PrettyMIDI(initial_tempo=TEMPO_BPM)
    piano = pretty_midi.Instrument(program=0, name="piano")
    for index, chord in enumerate(CHORDS):
        start = 2 * beat_s * index
        for pitch in chord:
            piano.notes.append(pretty_midi.Note(70, pitch, start, start + 1.8 * beat_s))
    for index, pitch in enumerate(MELODY):
        start = beat_s * index
        piano.notes.append(pretty_midi.Note(95, pitch, start, start + 0.9 * beat_s))
    drums = pretty_midi.Instrument(program=0, is_drum=True, name="drums")
    for eighth in range(8 * BARS):
        start = eighth * beat_s / 2
        drums.notes.append(pretty_midi.Note(60, CLOSED_HI_HAT, start, start + 0.1))
        if eighth % 2 == 0:
            key = KICK if eighth % 4 == 0 else SNARE
            drums.notes.append(pretty_midi.Note(110, key, start, start + 0.1))
    midi.instruments = [piano, drums]
    return midi


def render_piece(sr: int = SAMPLE_RATE_HZ, *, soundfont: str | None = None) -> RenderedPiece:
    """Render each instrument of :func:`piano_and_drums_midi` with FluidSynth, then mix.

    Notebook: problem_set, part 1 (the example piece).

    Parameters
    ----------
    sr : int
        Sample rate in Hz.
    soundfont : str or None
        Passed to :func:`dlmusic.synth.render_midi`.

    Returns
    -------
    RenderedPiece
        Stems and mixture of exactly :data:`DURATION_S` seconds.

    Raises
    ------
    SoundfontError
        No soundfont, or FluidSynth's library is not installed.
    """
    midi = piano_and_drums_midi()
    stems = []
    for instrument in midi.instruments:
        single = pretty_midi.PrettyMIDI(initial_tempo=TEMPO_BPM)
        single.instruments = [instrument]
        stems.append(render_midi(single, sr, soundfont=soundfont, duration_s=DURATION_S))
    piano, drums = stems
    return RenderedPiece(midi=midi, piano=piano, drums=drums, mixture=piano + drums, sr=sr)
