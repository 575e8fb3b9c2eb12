"""Notes made audible with FluidSynth: single notes, transcriptions, a drum loop.

Notebook: ``solutions/transcription``, parts 2, 6 and 7 (listen to what the
model hears and writes).
"""

from __future__ import annotations

import numpy as np
import pretty_midi

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.synth import render_midi
from dlmusic.transcription.data import PianoClip
from dlmusic.transcription.notes import TranscribedNotes, notes_to_midi
from dlmusic.transcription.targets import NoteList


def audiate(notes: NoteList | TranscribedNotes, duration_s: float) -> np.ndarray:
    """Render notes with FluidSynth's piano; silence when there are none.

    Notebook: transcription, parts 2, 6 and 7.

    Parameters
    ----------
    notes : NoteList or TranscribedNotes
        Times in seconds, MIDI pitches (a transcription's confidences become velocities).
    duration_s : float
        Length of the result in seconds.

    Returns
    -------
    np.ndarray, shape (round(duration_s * 22050),), float32
    """
    if len(notes) == 0:
        return np.zeros(round(duration_s * SAMPLE_RATE_HZ), np.float32)
    return render_midi(notes_to_midi(notes), duration_s=duration_s)


def single_note(
    pitch: int, start_s: float, end_s: float, duration_s: float = 2.0, velocity: int = 100
) -> np.ndarray:
    """One piano note, rendered: ``audiate`` of a one-note list.

    Notebook: transcription, parts 2 (a C3's harmonics) and 7 (masking a held C4).
    """
    return audiate(NoteList([[start_s, end_s]], [pitch], [velocity]), duration_s)


def drum_loop(duration_s: float = 4.0) -> np.ndarray:
    """Two bars at 120 bpm: kick on 1 and 3, snare on 2 and 4, hi-hat eighths.

    Notebook: transcription, part 7 (mixing in a sound that holds no piano notes).

    Returns
    -------
    np.ndarray, shape (round(duration_s * 22050),), float32
    """
    loop = pretty_midi.PrettyMIDI(initial_tempo=120)
    kit = pretty_midi.Instrument(program=0, is_drum=True)
    for eighth in range(16):
        start = 0.25 * eighth
        kit.notes.append(pretty_midi.Note(velocity=70, pitch=42, start=start, end=start + 0.1))
        if eighth % 2 == 0:
            drum = 36 if eighth % 4 == 0 else 38
            kit.notes.append(
                pretty_midi.Note(velocity=100, pitch=drum, start=start, end=start + 0.2)
            )
    loop.instruments.append(kit)
    return render_midi(loop, duration_s=duration_s)


def transcription_players(clip: PianoClip, estimate: NoteList | TranscribedNotes) -> dict:
    """The recording, its reference notes and a transcription, each rendered, for players.

    Notebook: transcription, part 6 (listen): pass to ``dlmusic.display.compare_players``.

    Returns
    -------
    dict of str to np.ndarray
        ``"original audio"``, ``"reference notes (MIDI)"``, ``"transcription (MIDI)"``,
        each ``clip.duration_s`` long.
    """
    return {
        "original audio": clip.audio,
        "reference notes (MIDI)": audiate(clip.notes, clip.duration_s),
        "transcription (MIDI)": audiate(estimate, clip.duration_s),
    }
