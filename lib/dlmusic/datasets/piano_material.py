"""The notes behind ``synthetic_piano``: music21 corpus pieces and generated drills.

Two kinds of material, both returned as single-instrument piano
:class:`pretty_midi.PrettyMIDI` objects so that the renderer and the targets
see exactly the same notes:

- real music from the music21 corpus (chorales, quartet movements, rags),
  played on the piano with a seeded phrase-level dynamics curve and tempo;
- generated drills that cover what the corpus lacks: scales, arpeggios,
  block chords across the keyboard, fast repeated notes, velocity sweeps from
  pianissimo to fortissimo, and random polyphony in the extreme registers.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pretty_midi

from dlmusic.transcription.constants import HIGHEST_MIDI, LOWEST_MIDI

CORPUS_MAX_MEASURES = 60
"""Corpus works are cut to their first measures before conversion (speed)."""
MIN_NOTE_S = 0.05
"""Notes shorter than this (seconds) are dropped: too short to hear as notes."""

CORPUS_PIECES = (
    ("Mozart", "Piano Sonata K. 545, I (exposition)", "mozart/k545/movement1_exposition"),
    ("Joplin", "Maple Leaf Rag", "joplin/maple_leaf_rag"),
    ("Chopin", "Mazurka Op. 6 No. 2", "chopin/mazurka06-2"),
    ("Schubert", "Der Lindenbaum", "schubert/Lindenbaum"),
    ("Handel", "Lascia ch'io pianga", "handel/rinaldo/Lascia_chio_pianga"),
    ("C. P. E. Bach", "Sonata H. 186", "cpebach/h186"),
    ("Corelli", "Op. 3 No. 1, Grave", "corelli/opus3no1/1grave"),
    ("Mozart", "String Quartet K. 80, I", "mozart/k80/movement1"),
    ("Mozart", "String Quartet K. 80, II", "mozart/k80/movement2"),
    ("Mozart", "String Quartet K. 155, I", "mozart/k155/movement1"),
    ("Mozart", "String Quartet K. 156, I", "mozart/k156/movement1"),
    ("Mozart", "String Quartet K. 458, I", "mozart/k458/movement1"),
    ("Haydn", "String Quartet Op. 1 No. 1, III", "haydn/opus1no1/movement3"),
    ("Beethoven", "String Quartet Op. 18 No. 1, I", "beethoven/opus18no1/movement1"),
    ("Beethoven", "String Quartet Op. 18 No. 1, II", "beethoven/opus18no1/movement2"),
    ("Beethoven", "String Quartet Op. 59 No. 1, II", "beethoven/opus59no1/movement2"),
)
"""(composer, title, music21 corpus path) of the non-chorale corpus pieces."""


@dataclass(frozen=True)
class PieceSpec:
    """A piece to build: who, what, and how to make its notes.

    Attributes
    ----------
    composer, title : str
        Metadata; the title is unique across the dataset.
    make_midi : callable
        ``make_midi(rng, max_duration_s) -> PrettyMIDI``, deterministic given
        the generator's state.
    """

    composer: str
    title: str
    make_midi: Callable[[np.random.Generator, float], pretty_midi.PrettyMIDI]


def piano_midi(notes: list[pretty_midi.Note]) -> pretty_midi.PrettyMIDI:
    """One acoustic-grand-piano instrument holding ``notes``."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    piano = pretty_midi.Instrument(program=0, name="Piano")
    piano.notes = sorted(notes, key=lambda n: (n.start, n.pitch))
    midi.instruments.append(piano)
    return midi


def _note(pitch: int, start: float, end: float, velocity: int) -> pretty_midi.Note:
    return pretty_midi.Note(
        velocity=int(np.clip(velocity, 1, 127)), pitch=int(pitch), start=start, end=end
    )


def corpus_piece_midi(
    corpus_path: str, rng: np.random.Generator, max_duration_s: float
) -> pretty_midi.PrettyMIDI:
    """A music21 corpus work played on the piano, with seeded tempo and dynamics.

    All parts are merged into one piano; pitches are folded into the piano's
    range; the piece is cut at ``max_duration_s`` seconds.
    """
    from music21 import corpus
    from music21 import midi as m21midi
    from music21.repeat import ExpanderException

    score = corpus.parse(corpus_path)
    try:
        midi_file = m21midi.translate.streamToMidiFile(score.measures(1, CORPUS_MAX_MEASURES))
    except ExpanderException:
        # Cutting at a measure can orphan a repeat sign; then convert the whole work.
        midi_file = m21midi.translate.streamToMidiFile(score)
    performance = pretty_midi.PrettyMIDI(io.BytesIO(midi_file.writestr()))
    tempo_scale = rng.uniform(0.8, 1.25)
    phrase_s = rng.uniform(4.0, 10.0)
    base_velocity = rng.uniform(45, 95)
    notes = []
    for instrument in performance.instruments:
        if instrument.is_drum:
            continue
        for note in instrument.notes:
            start, end = note.start / tempo_scale, note.end / tempo_scale
            if start >= max_duration_s or end - start < MIN_NOTE_S:
                continue
            dynamics = 25 * np.sin(2 * np.pi * start / phrase_s)
            velocity = base_velocity + dynamics + rng.normal(0, 6)
            pitch = _fold_to_piano(note.pitch)
            notes.append(_note(pitch, start, min(end, max_duration_s), velocity))
    return piano_midi(_drop_overlaps(notes))


def _fold_to_piano(pitch: int) -> int:
    while pitch < LOWEST_MIDI:
        pitch += 12
    while pitch > HIGHEST_MIDI:
        pitch -= 12
    return pitch


def _drop_overlaps(notes: list[pretty_midi.Note]) -> list[pretty_midi.Note]:
    """Cut a note short where the same key is struck again before it ends.

    Voices in unison (e.g. alto and tenor on one pitch) would otherwise make
    overlapping notes on one piano key, which a piano cannot play.
    """
    by_pitch: dict[int, list[pretty_midi.Note]] = {}
    for note in sorted(notes, key=lambda n: (n.pitch, n.start)):
        previous = by_pitch.setdefault(note.pitch, [])
        if previous and previous[-1].start == note.start:
            continue
        if previous and previous[-1].end > note.start:
            previous[-1].end = note.start
        previous.append(note)
    return [n for group in by_pitch.values() for n in group if n.end - n.start >= MIN_NOTE_S]


MAJOR = (0, 2, 4, 5, 7, 9, 11)
HARMONIC_MINOR = (0, 2, 3, 5, 7, 8, 11)


def _scale_pitches(tonic: int, mode: tuple[int, ...], n_octaves: int) -> list[int]:
    return [tonic + 12 * octave + step for octave in range(n_octaves) for step in mode] + [
        tonic + 12 * n_octaves
    ]


@dataclass(frozen=True)
class _Strikes:
    """Keys struck one after another: every ``step_s`` seconds, each held ``held * step_s``."""

    step_s: float
    held: float
    velocity: float
    velocity_sd: float

    def play(
        self,
        pitches: list[int],
        time: float,
        notes: list[pretty_midi.Note],
        rng: np.random.Generator,
        max_duration_s: float,
    ) -> float:
        """Append the strikes that end before ``max_duration_s`` to ``notes``; the time after."""
        for pitch in pitches:
            if time + self.step_s > max_duration_s:
                break
            velocity = self.velocity + rng.normal(0, self.velocity_sd)
            notes.append(_note(pitch, time, time + self.step_s * self.held, velocity))
            time += self.step_s
        return time


def scales_midi(rng: np.random.Generator, max_duration_s: float) -> pretty_midi.PrettyMIDI:
    """Scales up and down in seeded keys, modes, registers, tempi and loudness."""
    notes, time = [], 0.5
    while time < max_duration_s - 2:
        mode = MAJOR if rng.random() < 0.5 else HARMONIC_MINOR
        tonic = int(rng.integers(LOWEST_MIDI + 3, HIGHEST_MIDI - 30))
        step_s = rng.uniform(0.1, 0.35)
        velocity = rng.uniform(30, 115)
        pitches = _scale_pitches(tonic, mode, int(rng.integers(1, 3)))
        run = _Strikes(step_s, held=0.9, velocity=velocity, velocity_sd=5)
        time = run.play(pitches + pitches[-2::-1], time, notes, rng, max_duration_s)
        time += rng.uniform(0.3, 1.0)
    return piano_midi(notes)


def arpeggios_midi(rng: np.random.Generator, max_duration_s: float) -> pretty_midi.PrettyMIDI:
    """Broken chords over several octaves, with held (overlapping) notes."""
    notes, time = [], 0.5
    while time < max_duration_s - 2:
        root = int(rng.integers(LOWEST_MIDI + 5, HIGHEST_MIDI - 36))
        chord = (0, 4, 7) if rng.random() < 0.5 else (0, 3, 7, 10)
        pitches = [root + 12 * o + c for o in range(3) for c in chord]
        step_s = rng.uniform(0.08, 0.25)
        hold_s = rng.uniform(0.3, 1.5)
        velocity = rng.uniform(35, 110)
        for pitch in pitches:
            if time + hold_s > max_duration_s:
                break
            notes.append(_note(pitch, time, time + hold_s, velocity + rng.normal(0, 8)))
            time += step_s
        time += hold_s
    return piano_midi(_drop_overlaps(notes))


def block_chords_midi(rng: np.random.Generator, max_duration_s: float) -> pretty_midi.PrettyMIDI:
    """Block chords of three to six notes spread across the whole keyboard."""
    notes, time = [], 0.5
    while time < max_duration_s - 1:
        n_notes = int(rng.integers(3, 7))
        low = int(rng.integers(LOWEST_MIDI, HIGHEST_MIDI - 24))
        pitches = sorted(set(low + np.sort(rng.choice(24, size=n_notes, replace=False))))
        duration_s = rng.uniform(0.25, 1.5)
        velocity = rng.uniform(25, 120)
        for pitch in pitches:
            notes.append(_note(pitch, time, time + duration_s, velocity + rng.normal(0, 4)))
        time += duration_s + rng.uniform(0.0, 0.4)
    return piano_midi(notes)


def repeated_notes_midi(rng: np.random.Generator, max_duration_s: float) -> pretty_midi.PrettyMIDI:
    """Fast repetitions of one key: each strike is a separate onset to find."""
    notes, time = [], 0.5
    while time < max_duration_s - 1:
        pitch = int(rng.integers(LOWEST_MIDI + 12, HIGHEST_MIDI - 12))
        step_s = rng.uniform(0.09, 0.3)
        velocity = rng.uniform(40, 110)
        run = _Strikes(step_s, held=0.7, velocity=velocity, velocity_sd=10)
        time = run.play([pitch] * int(rng.integers(4, 12)), time, notes, rng, max_duration_s)
        time += rng.uniform(0.2, 0.8)
    return piano_midi(notes)


def velocity_sweep_midi(rng: np.random.Generator, max_duration_s: float) -> pretty_midi.PrettyMIDI:
    """A melody whose loudness sweeps from pianissimo (10) to fortissimo (127) and back."""
    notes, time = [], 0.5
    centre = int(rng.integers(45, 85))
    n_steps = max(1, int((max_duration_s - 1) / 0.3))
    for index in range(n_steps):
        step_s = rng.uniform(0.15, 0.45)
        if time + step_s > max_duration_s:
            break
        phase = index / max(1, n_steps - 1)
        velocity = 10 + 117 * (1 - abs(2 * phase - 1))
        pitch = centre + int(rng.integers(-7, 8))
        notes.append(_note(pitch, time, time + step_s * 0.85, velocity))
        time += step_s
    return piano_midi(notes)


def random_polyphony_midi(
    rng: np.random.Generator, max_duration_s: float
) -> pretty_midi.PrettyMIDI:
    """Independent random notes over all 88 keys, so every key has examples."""
    n_notes = int(max_duration_s * 4)
    starts = np.sort(rng.uniform(0.5, max_duration_s - 0.6, size=n_notes))
    notes = [
        _note(
            int(rng.integers(LOWEST_MIDI, HIGHEST_MIDI + 1)),
            start,
            min(start + rng.uniform(0.1, 1.2), max_duration_s),
            rng.uniform(20, 120),
        )
        for start in starts
    ]
    return piano_midi(_drop_overlaps(notes))


DRILLS = (
    ("Scales", scales_midi),
    ("Arpeggios", arpeggios_midi),
    ("Block chords", block_chords_midi),
    ("Repeated notes", repeated_notes_midi),
    ("Velocity sweep", velocity_sweep_midi),
    ("Random polyphony", random_polyphony_midi),
)


def bach_chorale_paths(n_chorales: int, first: int = 0) -> list[str]:
    """``n_chorales`` four-part Bach chorales of the music21 corpus, from the ``first``-th
    in sorted order."""
    from music21 import corpus

    paths = sorted(p.as_posix() for p in corpus.getComposer("bach") if p.suffix in (".mxl", ".xml"))
    return [p.split("/corpus/", 1)[1].rsplit(".", 1)[0] for p in paths[first : first + n_chorales]]


def piece_specs(
    n_chorales: int, n_corpus: int, n_drill_rounds: int, first_chorale: int = 0
) -> list[PieceSpec]:
    """Every piece of the dataset, in a fixed order.

    Parameters
    ----------
    n_chorales : int
        How many Bach chorales.
    first_chorale : int
        Index of the first chorale (in sorted order): a held-out set starts
        past the chorales the other sizes use.
    n_corpus : int
        How many of :data:`CORPUS_PIECES`.
    n_drill_rounds : int
        How many copies (different seeds) of each of the :data:`DRILLS`.
    """
    specs = [
        PieceSpec("Bach", f"Chorale {path.rsplit('/', 1)[-1]}", _corpus_maker(path))
        for path in bach_chorale_paths(n_chorales, first_chorale)
    ]
    specs += [
        PieceSpec(composer, title, _corpus_maker(path))
        for composer, title, path in CORPUS_PIECES[:n_corpus]
    ]
    specs += [
        PieceSpec("Drill", f"{name} {round_ + 1}", make)
        for round_ in range(n_drill_rounds)
        for name, make in DRILLS
    ]
    return specs


def _corpus_maker(path: str) -> Callable[[np.random.Generator, float], pretty_midi.PrettyMIDI]:
    def make(rng: np.random.Generator, max_duration_s: float) -> pretty_midi.PrettyMIDI:
        return corpus_piece_midi(path, rng, max_duration_s)

    return make
