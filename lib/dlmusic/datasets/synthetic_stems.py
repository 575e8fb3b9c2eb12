"""``synthetic_stems``: songs with a sung melody, in the MUSDB18-HQ wav layout.

The default corpus of the ``vocals`` notebook, made so that a voice cannot be
found by its register alone. Each track is a short song in a seeded key and
tempo:

- **vocals**: a melody in a low (fundamentals 110-330 Hz) or a high
  (220-660 Hz) voice range, on a voice-like patch (Choir Aahs, Voice Oohs,
  Synth Voice or Lead 6 "voice") of a soundfont drawn per track from
  :func:`dlmusic.synth.installed_soundfonts` (so up to twenty voice
  timbres), with vibrato, a vowel per phrase (formant-like EQ: resonances at
  the vowel's first three formants) and a breath of band-passed noise before
  each phrase, and rests between phrases;
- **other**: a lead or comping instrument (clarinet, sax, flute, violin,
  guitar, vibraphone, trumpet) answering and doubling the voice *in the same
  octaves*, and chords voiced around the voice's range;
- **drums** and **bass**.

The accompaniment is rendered with another soundfont of those installed (a
``.sf2`` one, which loads fast). Each stem is rendered separately with
FluidSynth at 22050 Hz (mono) and written as::

    <root>/{train,test}/<track>/{mixture,vocals,accompaniment,drums,bass,other}.wav

``accompaniment`` is drums + bass + other and ``mixture`` is vocals +
accompaniment, sample for sample (up to 16-bit rounding). Tracks are split
into train and test whole. A ``tracks.csv`` lists key, tempo, voice patch,
range and soundfont, the lead and chord instruments, the accompaniment's
soundfont and the vocal level of each track.

Sizes (:data:`SIZES`): ``quick`` is a minute of audio built in seconds (CI,
smoke tests); ``full`` is fifty minutes; ``heldout`` is a few test-only
tracks for grading, built from the grader's seed so that no notebook has
heard them.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pretty_midi
from scipy import signal
from tqdm import tqdm

from dlmusic.audio import SAMPLE_RATE_HZ, write_audio
from dlmusic.datasets.build_cache import build_once, require_size
from dlmusic.datasets.paths import dataset_dir
from dlmusic.datasets.records import STEM_SUBSETS, StemTrack, list_stem_tracks
from dlmusic.errors import DatasetError, SoundfontError
from dlmusic.synth import find_soundfont, installed_soundfonts, render_midi

NAME = "synthetic_stems"
GENERATOR_VERSION = 2
"""Bumped when the songs change, so that an older build is rebuilt."""
TRACKS_CSV = "tracks.csv"
VOICE_PROGRAMS = {52: "Choir Aahs", 53: "Voice Oohs", 54: "Synth Voice", 85: "Lead 6 (voice)"}
VOICE_RANGES = {"low": (45, 64), "high": (57, 76)}
"""MIDI pitch range of each voice: A2-E4 (110-330 Hz) and A3-E5 (220-660 Hz)."""
LEAD_PROGRAMS = {
    71: "Clarinet",
    65: "Alto Sax",
    73: "Flute",
    40: "Violin",
    26: "Electric Guitar (jazz)",
    11: "Vibraphone",
    56: "Trumpet",
}
"""Instruments that answer and double the voice in its own octaves."""
CHORD_PROGRAMS = {
    0: "Acoustic Grand Piano",
    48: "String Ensemble 1",
    4: "Electric Piano 1",
    24: "Acoustic Guitar (nylon)",
    19: "Church Organ",
}
SUSTAINED_CHORD_PROGRAMS = (48, 19)
BASS_PROGRAM = 33
KICK, SNARE, CLOSED_HIHAT, OPEN_HIHAT, CRASH = 36, 38, 42, 46, 49
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)
MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)
PROGRESSIONS = ((0, 5, 3, 4), (0, 3, 4, 0), (5, 3, 0, 4), (0, 4, 5, 3), (1, 4, 0, 0))
"""Chord progressions as scale degrees (0 = tonic), one chord per bar."""
VOWEL_FORMANTS_HZ = {
    "a": (730.0, 1090.0, 2440.0),
    "e": (530.0, 1840.0, 2480.0),
    "i": (270.0, 2290.0, 3010.0),
    "o": (570.0, 840.0, 2410.0),
    "u": (300.0, 870.0, 2240.0),
}
"""First three formants of five vowels (Peterson and Barney's averages, rounded)."""
FORMANT_GAIN_DB = (9.0, 6.0, 4.0)
"""Boost at each of the three formants."""
FORMANT_Q = 4.0
"""Quality factor of each formant resonance (bandwidth = centre / Q)."""
VOWEL_CROSSFADE_S = 0.05
BREATH_S = (0.2, 0.4)
BREATH_BAND_HZ = (600.0, 6000.0)
BREATH_DB = (-24.0, -16.0)
"""Level of a breath relative to the sung voice's RMS."""
VIBRATO_HZ = (4.5, 6.5)
VIBRATO_CENTS = (20.0, 60.0)
VIBRATO_DELAY_S = 0.15
PITCH_BEND_RANGE_SEMITONES = 2.0
VOCAL_TO_ACCOMPANIMENT_DB = (-4.0, 2.0)
"""Range of the voice's level relative to the accompaniment (RMS over the track)."""
PEAK_LEVEL = 0.9


@dataclass(frozen=True)
class StemsSize:
    """How many tracks a build holds, how long each is, and how many are test tracks."""

    n_tracks: int
    n_test: int
    track_s: float


SIZES = {
    "quick": StemsSize(n_tracks=6, n_test=2, track_s=10.0),
    "full": StemsSize(n_tracks=100, n_test=10, track_s=30.0),
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
    voice_range: str
    voice_soundfont: str
    lead_program: int
    chord_program: int
    accompaniment_soundfont: str
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
    soundfonts: Sequence[str] | None = None,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Render every track's stems (unless an identical build is already there).

    Parameters
    ----------
    root : str, Path or None
        Where to build (``None``: :func:`synthetic_stems_dir`).
    size : {"quick", "full", "heldout"}
    seed : int
        Every musical and timbral choice follows from it.
    soundfonts : sequence of str or None
        Names of :data:`dlmusic.synth.SOUNDFONTS` to draw the voices from
        (``None``: every installed one). The accompaniment is drawn from
        the ``.sf2`` fonts among them (all of them if there is none).
    force : bool
        Rebuild even if an identical build is there.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        The dataset folder, holding ``train/``, ``test/`` and :data:`TRACKS_CSV`.

    Raises
    ------
    SoundfontError
        A named soundfont is not installed.
    """
    require_size(size, SIZES)
    root = Path(root) if root is not None else synthetic_stems_dir(size)
    fonts = sorted(soundfonts if soundfonts is not None else installed_soundfonts())
    if not fonts:
        raise SoundfontError("no soundfont to render the stems with")
    paths = {name: str(find_soundfont(name)) for name in fonts}
    params = {
        "dataset": NAME,
        "generator_version": GENERATOR_VERSION,
        "size": asdict(SIZES[size]),
        "seed": seed,
        "soundfonts": fonts,
    }

    def build(folder: Path) -> None:
        _render_all(folder, SIZES[size], seed, paths, progress)

    return build_once(root, params, build, force=force)


def _render_all(
    folder: Path, size: StemsSize, seed: int, fonts: dict[str, str], progress: bool
) -> None:
    test_tracks = set(
        np.random.default_rng([seed, 2_000_003]).permutation(size.n_tracks)[: size.n_test]
    )
    rows = []
    for index in tqdm(range(size.n_tracks), desc=NAME, disable=not progress):
        rng = np.random.default_rng([seed, index])
        plan = plan_song(rng, list(fonts))
        subset = "test" if index in test_tracks else "train"
        name = f"dlmusic - Song {index:03d}"
        stems = render_song(plan, rng, size.track_s, fonts)
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
                "voice_range": plan.voice_range,
                "voice_soundfont": plan.voice_soundfont,
                "lead": LEAD_PROGRAMS[plan.lead_program],
                "chords": CHORD_PROGRAMS[plan.chord_program],
                "accompaniment_soundfont": plan.accompaniment_soundfont,
                "vocal_to_accompaniment_db": f"{plan.vocal_to_accompaniment_db:.1f}",
            }
        )
    with (folder / TRACKS_CSV).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def plan_song(rng: np.random.Generator, soundfonts: Sequence[str]) -> SongPlan:
    """Draw key, tempo, progression, instruments, soundfonts and vocal level for one song.

    ``soundfonts`` are names of :data:`dlmusic.synth.SOUNDFONTS`; the voice
    may use any of them, the accompaniment the ``.sf2`` ones.
    """
    sf2 = [name for name in soundfonts if str(find_soundfont(name)).endswith(".sf2")]
    return SongPlan(
        tonic_pc=int(rng.integers(12)),
        minor=bool(rng.random() < 0.4),
        tempo_bpm=float(rng.uniform(80, 130)),
        progression=PROGRESSIONS[int(rng.integers(len(PROGRESSIONS)))],
        voice_program=int(rng.choice(list(VOICE_PROGRAMS))),
        voice_range=str(rng.choice(list(VOICE_RANGES))),
        voice_soundfont=str(rng.choice(list(soundfonts))),
        lead_program=int(rng.choice(list(LEAD_PROGRAMS))),
        chord_program=int(rng.choice(list(CHORD_PROGRAMS))),
        accompaniment_soundfont=str(rng.choice(sf2 or list(soundfonts))),
        vocal_to_accompaniment_db=float(rng.uniform(*VOCAL_TO_ACCOMPANIMENT_DB)),
    )


def render_song(
    plan: SongPlan, rng: np.random.Generator, duration_s: float, soundfonts: dict[str, str]
) -> dict[str, np.ndarray]:
    """Render the six stems of one song, each ``(n_samples,)`` float32 at 22050 Hz.

    ``soundfonts`` maps the plan's soundfont names to their files. The
    vocals (voice, vowels and breaths) are scaled to
    ``plan.vocal_to_accompaniment_db`` relative to the accompaniment (RMS),
    then all stems are scaled together so the mixture peaks at
    :data:`PEAK_LEVEL`.
    """
    beat_s = 60.0 / plan.tempo_bpm
    n_bars = int(np.ceil(duration_s / (4 * beat_s)))
    chords = [_chord_pitches(plan, plan.progression[bar % 4]) for bar in range(n_bars)]
    melody, phrases = _vocal_part(plan, chords, beat_s, duration_s, rng)
    other = _chord_part(plan, chords, beat_s, duration_s, rng)
    other.instruments.append(_lead_part(plan, chords, phrases, beat_s, duration_s, rng))
    voice_font = soundfonts[plan.voice_soundfont]
    band_font = soundfonts[plan.accompaniment_soundfont]
    audio = {
        "vocals": _sing(
            render_midi(melody, SAMPLE_RATE_HZ, soundfont=voice_font, duration_s=duration_s),
            phrases,
            rng,
        ),
        "drums": render_midi(
            _drum_part(n_bars, beat_s, duration_s, rng),
            SAMPLE_RATE_HZ,
            soundfont=band_font,
            duration_s=duration_s,
        ),
        "bass": render_midi(
            _bass_part(chords, beat_s, duration_s, rng),
            SAMPLE_RATE_HZ,
            soundfont=band_font,
            duration_s=duration_s,
        ),
        "other": render_midi(other, SAMPLE_RATE_HZ, soundfont=band_font, duration_s=duration_s),
    }
    accompaniment = audio["drums"] + audio["bass"] + audio["other"]
    vocal_rms = float(np.sqrt(np.mean(audio["vocals"] ** 2)))
    accompaniment_rms = float(np.sqrt(np.mean(accompaniment**2)))
    if vocal_rms > 0:
        target = accompaniment_rms * 10 ** (plan.vocal_to_accompaniment_db / 20)
        audio["vocals"] = audio["vocals"] * (target / vocal_rms)
    peak = float(np.abs(audio["vocals"] + accompaniment).max())
    gain = PEAK_LEVEL / peak if peak > 0 else 1.0
    stems = {stem: _to_16_bit_grid(signal_ * gain) for stem, signal_ in audio.items()}
    stems["accompaniment"] = stems["drums"] + stems["bass"] + stems["other"]
    stems["mixture"] = stems["vocals"] + stems["accompaniment"]
    return stems


def _to_16_bit_grid(audio: np.ndarray) -> np.ndarray:
    """Round to the 16-bit sample grid so that sums of stems stay exact."""
    return (np.round(audio * 32768.0) / 32768.0).astype(np.float32)


def _scale(plan: SongPlan) -> tuple[int, ...]:
    return MINOR_STEPS if plan.minor else MAJOR_STEPS


def _chord_pitches(plan: SongPlan, degree: int) -> list[int]:
    """The triad on ``degree``, voiced in the lower half of the voice's range."""
    steps = _scale(plan)
    lowest = VOICE_RANGES[plan.voice_range][0]
    root = lowest + (plan.tonic_pc - lowest) % 12
    return [root + 12 * ((degree + k) // 7) + steps[(degree + k) % 7] for k in (0, 2, 4)]


def _in_range(pitches: Sequence[int], low: int, high: int) -> list[int]:
    """Every octave transposition of ``pitches`` that lies within ``[low, high]``."""
    return sorted({p + 12 * k for p in pitches for k in range(-4, 5) if low <= p + 12 * k <= high})


def _instrument(program: int, name: str, *, is_drum: bool = False) -> pretty_midi.PrettyMIDI:
    midi = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    midi.instruments.append(pretty_midi.Instrument(program=program, is_drum=is_drum, name=name))
    return midi


def _add(
    instrument: pretty_midi.Instrument, pitch: int, start: float, end: float, velocity: float
) -> None:
    if start < end:
        note = pretty_midi.Note(int(np.clip(velocity, 1, 127)), int(pitch), start, end)
        instrument.notes.append(note)


def _vocal_part(
    plan: SongPlan,
    chords: list[list[int]],
    beat_s: float,
    duration_s: float,
    rng: np.random.Generator,
) -> tuple[pretty_midi.PrettyMIDI, list[tuple[float, float]]]:
    """A melody in two-bar phrases separated by a bar of rest, with vibrato.

    Returns the MIDI and the ``(start_s, end_s)`` of every phrase. The
    melody moves by steps and small leaps through chord and scale tones of
    the voice's range.
    """
    midi = _instrument(plan.voice_program, "Vocals")
    voice = midi.instruments[0]
    low, high = VOICE_RANGES[plan.voice_range]
    scale = _in_range([plan.tonic_pc + step for step in _scale(plan)], low, high)
    bar_s = 4 * beat_s
    pitch = scale[len(scale) // 2]
    phrases: list[tuple[float, float]] = []
    for bar, chord in enumerate(chords):
        if bar % 3 == 2 or bar * bar_s >= duration_s:
            continue
        if bar % 3 == 0:
            phrases.append((bar * bar_s, min((bar + 2) * bar_s, duration_s)))
        chord_tones = _in_range(chord, low, high)
        beat = 0.0
        while beat < 4:
            length = float(rng.choice([0.5, 1.0, 1.0, 1.5, 2.0]))
            start = bar * bar_s + beat * beat_s
            end = min(start + length * beat_s * 0.95, duration_s)
            pool = chord_tones if beat == 0 or rng.random() < 0.5 else scale
            near = [p for p in pool if abs(p - pitch) <= 5] or pool
            pitch = int(rng.choice(near))
            _add(voice, pitch, start, end, rng.uniform(80, 110))
            _add_vibrato(voice, start, end, rng)
            beat += length
    return midi, phrases


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


def _sing(
    voice: np.ndarray, phrases: list[tuple[float, float]], rng: np.random.Generator
) -> np.ndarray:
    """Give the rendered patch a vowel per phrase and a breath before each phrase.

    Parameters
    ----------
    voice : np.ndarray, shape (n_samples,)
        The voice patch as FluidSynth rendered it.
    phrases : list of (float, float)
        Start and end of each phrase, seconds.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32
    """
    if not phrases:
        return voice.astype(np.float32)
    vowels = [str(rng.choice(list(VOWEL_FORMANTS_HZ))) for _ in phrases]
    weights = {vowel: np.zeros(voice.size) for vowel in set(vowels)}
    fade = round(VOWEL_CROSSFADE_S * SAMPLE_RATE_HZ)
    bounds = [round(start * SAMPLE_RATE_HZ) for start, _ in phrases[1:]] + [voice.size]
    begin = 0
    for vowel, end in zip(vowels, bounds, strict=True):
        weights[vowel][begin:end] = 1.0
        begin = end
    kernel = np.hanning(2 * fade + 1)
    sung = np.zeros(voice.size)
    for vowel, weight in weights.items():
        smooth = np.convolve(weight, kernel / kernel.sum(), mode="same")
        sung += smooth * formant_filter(voice, VOWEL_FORMANTS_HZ[vowel])
    voice_rms = float(np.sqrt(np.mean(sung**2)))
    band = signal.butter(4, BREATH_BAND_HZ, btype="bandpass", fs=SAMPLE_RATE_HZ, output="sos")
    for start_s, _ in phrases:
        length = round(rng.uniform(*BREATH_S) * SAMPLE_RATE_HZ)
        begin = round(start_s * SAMPLE_RATE_HZ) - length
        if begin < 0 or voice_rms == 0:
            continue
        noise = signal.sosfilt(band, rng.standard_normal(length))
        noise *= np.hanning(length) / np.sqrt(np.mean(noise**2))
        sung[begin : begin + length] += noise * voice_rms * 10 ** (rng.uniform(*BREATH_DB) / 20)
    return sung.astype(np.float32)


def formant_filter(audio: np.ndarray, formants_hz: Sequence[float]) -> np.ndarray:
    """Boost ``audio`` at each formant by :data:`FORMANT_GAIN_DB` (resonances of Q 4).

    Each formant adds a peak filter's output (``scipy.signal.iirpeak``, unit
    gain and zero phase at its centre) scaled so that the sum has the
    formant's gain at the centre.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        At 22050 Hz.
    formants_hz : sequence of float
        Centre frequencies, one per gain of :data:`FORMANT_GAIN_DB`.

    Returns
    -------
    np.ndarray, shape (n_samples,), float64
    """
    out = np.asarray(audio, dtype=np.float64).copy()
    for centre_hz, gain_db in zip(formants_hz, FORMANT_GAIN_DB, strict=True):
        b, a = signal.iirpeak(centre_hz, FORMANT_Q, fs=SAMPLE_RATE_HZ)
        out += (10 ** (gain_db / 20) - 1) * signal.lfilter(b, a, audio)
    return out


def _drum_part(
    n_bars: int, beat_s: float, duration_s: float, rng: np.random.Generator
) -> pretty_midi.PrettyMIDI:
    """Kick on 1 and 3, snare on 2 and 4, hi-hat eighths (some open), a crash every 4 bars."""
    midi = _instrument(0, "Drums", is_drum=True)
    drums = midi.instruments[0]
    for bar in range(n_bars):
        for eighth in range(8):
            start = (bar * 4 + eighth / 2) * beat_s
            if start >= duration_s:
                break
            hat = OPEN_HIHAT if eighth == 7 and rng.random() < 0.3 else CLOSED_HIHAT
            _add(drums, hat, start, start + 0.05, rng.uniform(50, 80))
            if eighth in (0, 4) or (eighth == 5 and rng.random() < 0.3):
                _add(drums, KICK, start, start + 0.1, rng.uniform(90, 115))
            if eighth in (2, 6):
                _add(drums, SNARE, start, start + 0.1, rng.uniform(80, 105))
            if eighth == 0 and bar % 4 == 0:
                _add(drums, CRASH, start, start + 0.5, rng.uniform(70, 95))
    return midi


def _bass_part(
    chords: list[list[int]], beat_s: float, duration_s: float, rng: np.random.Generator
) -> pretty_midi.PrettyMIDI:
    """Chord roots in the bass octave (E1-D#3), on beats 1 and 3 (an octave or fifth on 3)."""
    midi = _instrument(BASS_PROGRAM, "Bass")
    for bar, chord in enumerate(chords):
        root = 28 + (chord[0] - 28) % 12
        for beat, pitch in ((0, root), (2, root + int(rng.choice([0, 7, 12])))):
            start = (bar * 4 + beat) * beat_s
            end = min(start + 1.9 * beat_s, duration_s)
            _add(midi.instruments[0], pitch, start, end, rng.uniform(85, 105))
    return midi


def _chord_part(
    plan: SongPlan,
    chords: list[list[int]],
    beat_s: float,
    duration_s: float,
    rng: np.random.Generator,
) -> pretty_midi.PrettyMIDI:
    """Chords in the voice's register: held whole bars (strings, organ) or struck on beats."""
    midi = _instrument(plan.chord_program, "Chords")
    sustained = plan.chord_program in SUSTAINED_CHORD_PROGRAMS
    strikes = (0,) if sustained else (0, 1, 2, 3)
    hold_beats = 4.0 if sustained else 0.9
    for bar, chord in enumerate(chords):
        for beat in strikes:
            start = (bar * 4 + beat) * beat_s
            end = min(start + hold_beats * beat_s, duration_s)
            for pitch in chord:
                _add(midi.instruments[0], pitch, start, end, rng.uniform(55, 80))
    return midi


def _lead_part(
    plan: SongPlan,
    chords: list[list[int]],
    phrases: list[tuple[float, float]],
    beat_s: float,
    duration_s: float,
    rng: np.random.Generator,
) -> pretty_midi.Instrument:
    """A lead instrument in the voice's range: long chord tones under the voice, fills between.

    While the voice sings it holds half notes (a second voice in the same
    octaves); in the voice's rests it plays a fill of eighths and quarters.
    """
    lead = pretty_midi.Instrument(program=plan.lead_program, name="Lead")
    low, high = VOICE_RANGES[plan.voice_range]
    scale = _in_range([plan.tonic_pc + step for step in _scale(plan)], low, high)
    bar_s = 4 * beat_s
    for bar, chord in enumerate(chords):
        bar_start = bar * bar_s
        singing = any(start <= bar_start < end for start, end in phrases)
        if singing:
            for beat in (0, 2):
                start = bar_start + beat * beat_s
                pitch = int(rng.choice(_in_range(chord, low, high)))
                _add(lead, pitch, start, min(start + 1.9 * beat_s, duration_s), rng.uniform(55, 75))
            continue
        beat, pitch = 0.0, int(rng.choice(scale))
        while beat < 4:
            length = float(rng.choice([0.5, 0.5, 1.0]))
            start = bar_start + beat * beat_s
            near = [p for p in scale if 0 < abs(p - pitch) <= 4] or scale
            pitch = int(rng.choice(near))
            _add(
                lead,
                pitch,
                start,
                min(start + length * beat_s * 0.9, duration_s),
                rng.uniform(70, 95),
            )
            beat += length
    return lead


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
