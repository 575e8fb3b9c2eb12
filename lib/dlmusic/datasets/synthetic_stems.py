"""``synthetic_stems``: songs with a sung melody, in the MUSDB18-HQ wav layout.

The default corpus of the ``vocals`` notebook. Each track is a short song in a
seeded key and tempo: a melody on a voice-like General MIDI patch (Choir Aahs,
Voice Oohs or Synth Voice) with vibrato and rests between phrases, over drums,
a bass line and piano or string chords. Each stem is rendered separately with
FluidSynth at 22050 Hz (mono) and written as::

    <root>/{train,test}/<track>/{mixture,vocals,accompaniment,drums,bass,other}.wav

``accompaniment`` is drums + bass + other and ``mixture`` is vocals +
accompaniment, sample for sample (up to 16-bit rounding). Tracks are split
into train and test whole. A ``tracks.csv`` lists key, tempo and voice patch.

Sizes (:data:`SIZES`): ``quick`` is a minute of audio built in seconds (CI,
smoke tests); ``full`` is twenty minutes; ``heldout`` is a few test-only
tracks for grading, built from the grader's seed so that no notebook has
heard them.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pretty_midi
from tqdm.auto import tqdm

from dlmusic.audio import SAMPLE_RATE_HZ, write_audio
from dlmusic.datasets.build_cache import build_once, require_size
from dlmusic.datasets.paths import dataset_dir
from dlmusic.datasets.records import STEM_SUBSETS, StemTrack, list_stem_tracks
from dlmusic.errors import DatasetError
from dlmusic.synth import find_soundfont, render_midi

NAME = "synthetic_stems"
TRACKS_CSV = "tracks.csv"
VOICE_PROGRAMS = {52: "Choir Aahs", 53: "Voice Oohs", 54: "Synth Voice"}
CHORD_PROGRAMS = {0: "Acoustic Grand Piano", 48: "String Ensemble 1", 4: "Electric Piano 1"}
BASS_PROGRAM = 33
KICK, SNARE, CLOSED_HIHAT = 36, 38, 42
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)
PROGRESSIONS = ((0, 5, 3, 4), (0, 3, 4, 0), (5, 3, 0, 4), (0, 4, 5, 3), (1, 4, 0, 0))
"""Chord progressions as scale degrees (0 = tonic), one chord per bar."""
VIBRATO_HZ = (4.5, 6.5)
VIBRATO_CENTS = (20.0, 60.0)
VIBRATO_DELAY_S = 0.15
PITCH_BEND_RANGE_SEMITONES = 2.0
PEAK_LEVEL = 0.9


@dataclass(frozen=True)
class StemsSize:
    """How many tracks a build holds, how long each is, and how many are test tracks."""

    n_tracks: int
    n_test: int
    track_s: float


SIZES = {
    "quick": StemsSize(n_tracks=6, n_test=2, track_s=10.0),
    "full": StemsSize(n_tracks=40, n_test=10, track_s=30.0),
    "heldout": StemsSize(n_tracks=4, n_test=4, track_s=15.0),
}
"""``heldout`` is for grading: every track is a ``test`` track, and the songs
come from the seed the grading workspace draws (the instructor package passes
it as ``seed``), not the notebooks' seed 0; notebooks never load it."""


@dataclass(frozen=True)
class SongPlan:
    """The musical choices of one track."""

    tonic_pc: int
    minor: bool
    tempo_bpm: float
    progression: tuple[int, ...]
    voice_program: int
    chord_program: int
    vocal_to_accompaniment_db: float


def synthetic_stems_dir(size: str = "quick") -> Path:
    """Where the ``size`` build lives: ``data_dir()/synthetic_stems/<size>``."""
    require_size(size, SIZES)
    return dataset_dir(NAME) / size


def build_synthetic_stems(
    root: str | Path | None = None,
    *,
    size: str = "quick",
    seed: int = 0,
    soundfont: str | None = None,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Render every track's stems (unless an identical build is already there).

    Parameters mirror :func:`dlmusic.datasets.synthetic_piano.build_synthetic_piano`.

    Returns
    -------
    Path
        The dataset folder, holding ``train/``, ``test/`` and :data:`TRACKS_CSV`.
    """
    require_size(size, SIZES)
    root = Path(root) if root is not None else synthetic_stems_dir(size)
    font = find_soundfont(soundfont)
    params = {"dataset": NAME, "size": asdict(SIZES[size]), "seed": seed, "soundfont": font.name}

    def build(folder: Path) -> None:
        _render_all(folder, SIZES[size], seed, str(font), progress)

    return build_once(root, params, build, force=force)


def _render_all(folder: Path, size: StemsSize, seed: int, font: str, progress: bool) -> None:
    test_tracks = set(
        np.random.default_rng([seed, 2_000_003]).permutation(size.n_tracks)[: size.n_test]
    )
    rows = []
    for index in tqdm(range(size.n_tracks), desc=NAME, disable=not progress):
        rng = np.random.default_rng([seed, index])
        plan = plan_song(rng)
        subset = "test" if index in test_tracks else "train"
        name = f"dlmusic - Song {index:03d}"
        stems = render_song(plan, rng, size.track_s, font)
        for stem, audio in stems.items():
            write_audio(folder / subset / name / f"{stem}.wav", audio, SAMPLE_RATE_HZ)
        rows.append(
            {
                "name": name,
                "subset": subset,
                "duration_s": f"{size.track_s:.3f}",
                "key": f"{PITCH_NAMES[plan.tonic_pc]} {'minor' if plan.minor else 'major'}",
                "tempo_bpm": f"{plan.tempo_bpm:.1f}",
                "voice": VOICE_PROGRAMS[plan.voice_program],
                "chords": CHORD_PROGRAMS[plan.chord_program],
            }
        )
    with (folder / TRACKS_CSV).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def plan_song(rng: np.random.Generator) -> SongPlan:
    """Draw key, tempo, progression, instruments and vocal level for one song."""
    progression = PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))]
    return SongPlan(
        tonic_pc=int(rng.integers(12)),
        minor=bool(rng.random() < 0.4),
        tempo_bpm=float(rng.uniform(80, 130)),
        progression=progression,
        voice_program=int(rng.choice(list(VOICE_PROGRAMS))),
        chord_program=int(rng.choice(list(CHORD_PROGRAMS))),
        vocal_to_accompaniment_db=float(rng.uniform(-3.0, 3.0)),
    )


def render_song(
    plan: SongPlan, rng: np.random.Generator, duration_s: float, soundfont: str
) -> dict[str, np.ndarray]:
    """Render the six stems of one song, each ``(n_samples,)`` float32 at 22050 Hz.

    The vocals are scaled to ``plan.vocal_to_accompaniment_db`` relative to
    the accompaniment (RMS), then all stems are scaled together so the
    mixture peaks at :data:`PEAK_LEVEL`.
    """
    beat_s = 60.0 / plan.tempo_bpm
    n_bars = int(np.ceil(duration_s / (4 * beat_s)))
    chords = [_chord_pitches(plan, plan.progression[bar % 4]) for bar in range(n_bars)]
    parts = {
        "vocals": _vocal_part(plan, chords, beat_s, duration_s, rng),
        "drums": _drum_part(n_bars, beat_s, duration_s, rng),
        "bass": _bass_part(chords, beat_s, duration_s, rng),
        "other": _chord_part(plan, chords, beat_s, duration_s, rng),
    }
    audio = {
        stem: render_midi(midi, SAMPLE_RATE_HZ, soundfont=soundfont, duration_s=duration_s)
        for stem, midi in parts.items()
    }
    accompaniment = audio["drums"] + audio["bass"] + audio["other"]
    vocal_rms = float(np.sqrt(np.mean(audio["vocals"] ** 2)))
    accompaniment_rms = float(np.sqrt(np.mean(accompaniment**2)))
    if vocal_rms > 0:
        target = accompaniment_rms * 10 ** (plan.vocal_to_accompaniment_db / 20)
        audio["vocals"] = audio["vocals"] * (target / vocal_rms)
    peak = float(np.abs(audio["vocals"] + accompaniment).max())
    gain = PEAK_LEVEL / peak if peak > 0 else 1.0
    stems = {stem: _to_16_bit_grid(signal * gain) for stem, signal in audio.items()}
    stems["accompaniment"] = stems["drums"] + stems["bass"] + stems["other"]
    stems["mixture"] = stems["vocals"] + stems["accompaniment"]
    return stems


def _to_16_bit_grid(audio: np.ndarray) -> np.ndarray:
    """Round to the 16-bit sample grid so that sums of stems stay exact."""
    return (np.round(audio * 32768.0) / 32768.0).astype(np.float32)


def _chord_pitches(plan: SongPlan, degree: int) -> list[int]:
    steps = MINOR_STEPS if plan.minor else MAJOR_STEPS
    root = 48 + plan.tonic_pc
    return [root + 12 * ((degree + k) // 7) + steps[(degree + k) % 7] for k in (0, 2, 4)]


def _instrument(program: int, name: str, *, is_drum: bool = False) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    midi.instruments.append(pretty_midi.Instrument(program=program, is_drum=is_drum, name=name))
    return midi


def _add(midi: pretty_midi.PrettyMIDI, pitch: int, start: float, end: float, velocity: float):
    if start < end:
        note = pretty_midi.Note(int(np.clip(velocity, 1, 127)), int(pitch), start, end)
        midi.instruments[0].notes.append(note)


def _vocal_part(
    plan: SongPlan,
    chords: list[list[int]],
    beat_s: float,
    duration_s: float,
    rng: np.random.Generator,
) -> pretty_midi.PrettyMIDI:
    """A melody in two-bar phrases separated by a bar of rest, with vibrato."""
    midi = _instrument(plan.voice_program, "Vocals")
    bar_s = 4 * beat_s
    for bar, chord in enumerate(chords):
        if bar % 3 == 2:
            continue
        beat = 0.0
        while beat < 4:
            length = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
            start = bar * bar_s + beat * beat_s
            end = min(start + length * beat_s * 0.95, duration_s)
            pitch = int(rng.choice(chord)) + 12 + int(rng.choice([0, 0, 0, 2, -1]))
            _add(midi, pitch, start, end, rng.uniform(80, 110))
            _add_vibrato(midi.instruments[0], start, end, rng)
            beat += length
    return midi


def _add_vibrato(
    instrument: pretty_midi.Instrument, start: float, end: float, rng: np.random.Generator
) -> None:
    rate_hz = rng.uniform(*VIBRATO_HZ)
    depth_cents = rng.uniform(*VIBRATO_CENTS)
    instrument.pitch_bends.append(pretty_midi.PitchBend(0, start))
    depth = depth_cents / 100 / PITCH_BEND_RANGE_SEMITONES * 8191
    for time in np.arange(start + VIBRATO_DELAY_S, end, 0.02):
        onset = min(1.0, (time - start - VIBRATO_DELAY_S) / 0.2)
        bend = onset * depth * np.sin(2 * np.pi * rate_hz * (time - start))
        instrument.pitch_bends.append(pretty_midi.PitchBend(int(bend), float(time)))


def _drum_part(
    n_bars: int, beat_s: float, duration_s: float, rng: np.random.Generator
) -> pretty_midi.PrettyMIDI:
    """Kick on beats 1 and 3, snare on 2 and 4, closed hi-hat on eighths."""
    midi = _instrument(0, "Drums", is_drum=True)
    for bar in range(n_bars):
        for eighth in range(8):
            start = (bar * 4 + eighth / 2) * beat_s
            if start >= duration_s:
                break
            _add(midi, CLOSED_HIHAT, start, start + 0.05, rng.uniform(50, 80))
            if eighth in (0, 4):
                _add(midi, KICK, start, start + 0.1, rng.uniform(90, 115))
            if eighth in (2, 6):
                _add(midi, SNARE, start, start + 0.1, rng.uniform(80, 105))
    return midi


def _bass_part(
    chords: list[list[int]], beat_s: float, duration_s: float, rng: np.random.Generator
) -> pretty_midi.PrettyMIDI:
    """Chord roots two octaves down, on beats 1 and 3 (with an octave or fifth on 3)."""
    midi = _instrument(BASS_PROGRAM, "Bass")
    for bar, chord in enumerate(chords):
        root = chord[0] - 12
        for beat, pitch in ((0, root), (2, root + int(rng.choice([0, 7, 12])))):
            start = (bar * 4 + beat) * beat_s
            _add(midi, pitch, start, min(start + 1.9 * beat_s, duration_s), rng.uniform(85, 105))
    return midi


def _chord_part(
    plan: SongPlan,
    chords: list[list[int]],
    beat_s: float,
    duration_s: float,
    rng: np.random.Generator,
) -> pretty_midi.PrettyMIDI:
    """Chords in the middle register: held whole bars or struck on every beat."""
    midi = _instrument(plan.chord_program, "Chords")
    strikes = (0,) if plan.chord_program == 48 else (0, 1, 2, 3)
    hold_beats = 4.0 if len(strikes) == 1 else 0.9
    for bar, chord in enumerate(chords):
        for beat in strikes:
            start = (bar * 4 + beat) * beat_s
            end = min(start + hold_beats * beat_s, duration_s)
            for pitch in chord:
                _add(midi, pitch + 12, start, end, rng.uniform(55, 80))
    return midi


def load_synthetic_stems(
    root: str | Path | None = None, *, size: str = "quick", subset: str | None = None
) -> list[StemTrack]:
    """Tracks of a built dataset (all, or the ``train`` or ``test`` subset).

    Raises
    ------
    DatasetError
        The dataset has not been built (the message says how to build it).
    """
    root = Path(root) if root is not None else synthetic_stems_dir(size)
    if not (root / TRACKS_CSV).is_file():
        raise DatasetError(
            f"no {NAME} dataset at {root}; build it with "
            f"`python data_scripts/build_synthetic.py stems --size {size}` or "
            "dlmusic.datasets.synthetic_stems.build_synthetic_stems()"
        )
    if subset is not None and subset not in STEM_SUBSETS:
        raise DatasetError(f"unknown subset {subset!r}; expected one of {STEM_SUBSETS}")
    return list_stem_tracks(root, subset)
