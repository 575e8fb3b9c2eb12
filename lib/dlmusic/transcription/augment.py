"""Data augmentation for transcription: change the audio, keep (or fix) the labels.

Notebook: ``solutions/transcription``, part 7 ("Augmentation").

A transcriber trained on clean synthetic piano generalises poorly to real
recordings. Basic Pitch's answer is augmentation: make each training example
sound as if it was recorded elsewhere (noise, a room, a different microphone
or EQ, another instrument in the background) while the notes stay the same,
so the labels need no change. :func:`transpose` is the one augmentation that
changes the notes, so it shifts the labels with the audio.

:func:`mask_time_span` is the counter-example of the lesson: muting part of
the audio looks harmless, but it changes what is heard (a note interrupted by
silence sounds like two notes), so the unchanged labels become wrong.
:func:`notes_heard_after_masking` says what a listener would transcribe.

Conventions: audio is mono ``float32`` of shape ``(n_samples,)``; every
function returns new ``float32`` audio of the same length and never modifies
its input; sample rates are in Hz, times in seconds, levels in dB; random
augmentations take a ``numpy.random.Generator`` and are deterministic given
its state. Notes are plain arrays: ``intervals`` of shape ``(n_notes, 2)``
(onset and offset, seconds) and integer MIDI ``pitches`` of shape
``(n_notes,)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import librosa
import numpy as np
import scipy.signal

from dlmusic.audio import validate_audio
from dlmusic.errors import AudioError, SampleRateError
from dlmusic.transcription.constants import HIGHEST_MIDI, LOWEST_MIDI

TRANSPOSE_PROBABILITY = 0.2
"""Chance that the notebook's ``augment_window`` transposes a window (part 7)."""
TRANSPOSE_SEMITONES = (-2, -1, 1, 2)
"""Intervals ``augment_window`` transposes by, drawn uniformly: small, so the timbre
changes little."""
EQ_PROBABILITY = 0.5
"""Chance that ``augment_window`` applies :func:`random_equalizer`."""
REVERB_PROBABILITY = 0.3
"""Chance that ``augment_window`` applies :func:`add_reverb`."""
RT60_RANGE_S = (0.2, 1.0)
"""Range of the reverberation time ``augment_window`` draws uniformly, seconds."""
NOISE_PROBABILITY = 0.5
"""Chance that ``augment_window`` applies :func:`add_white_noise`."""
SNR_RANGE_DB = (10.0, 30.0)
"""Range of the signal-to-noise ratio ``augment_window`` draws uniformly, dB."""
EQ_MIN_HZ = 60.0
"""Lowest centre frequency :func:`random_equalizer` draws."""
EQ_MAX_HZ = 8000.0
"""Highest centre frequency :func:`random_equalizer` draws (capped below Nyquist)."""
MASK_RAMP_S = 0.005
"""Length of the raised-cosine fades at the edges of a masked span (5 ms)."""


@dataclass(frozen=True, eq=False)
class TransposedExample:
    """A training example after :func:`transpose`.

    Notebook: transcription, part 7 (augmentation: transposition).

    Attributes
    ----------
    audio : np.ndarray, shape (n_samples,)
        Pitch-shifted audio, ``float32``, as long as the input.
    intervals : np.ndarray, shape (n_notes, 2)
        Onsets and offsets in seconds of the notes kept (unchanged by transposition).
    pitches : np.ndarray, shape (n_notes,)
        MIDI pitches of the notes kept, shifted by the interval.
    n_dropped : int
        Notes removed from the labels because they left the piano range
        ``LOWEST_MIDI..HIGHEST_MIDI`` (21..108).
    """

    audio: np.ndarray
    intervals: np.ndarray
    pitches: np.ndarray
    n_dropped: int


def _check_sr(sr: float) -> None:
    """Raise :class:`SampleRateError` unless ``sr`` (Hz) is positive."""
    if not sr > 0:
        raise SampleRateError(f"sample rate must be positive (Hz), got {sr}")


def _check_finite(name: str, value: float) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number."""
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")


def _check_span(start_s: float, end_s: float) -> None:
    """Raise ``ValueError`` unless ``0 <= start_s < end_s`` (seconds)."""
    _check_finite("start_s", start_s)
    _check_finite("end_s", end_s)
    if not 0 <= start_s < end_s:
        raise ValueError(
            f"span must satisfy 0 <= start_s < end_s (seconds), got start_s={start_s}, "
            f"end_s={end_s}"
        )


def _check_notes(intervals: np.ndarray, pitches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate note labels; return them as ``float64`` intervals and integer pitches."""
    intervals = np.asarray(intervals, dtype=np.float64)
    if intervals.size == 0:
        intervals = intervals.reshape(0, 2)
    pitches = np.asarray(pitches)
    if intervals.ndim != 2 or intervals.shape[1] != 2:
        raise ValueError(f"intervals must have shape (n_notes, 2), got {intervals.shape}")
    if pitches.shape != (intervals.shape[0],):
        raise ValueError(
            f"pitches must have shape ({intervals.shape[0]},) to match intervals, "
            f"got {pitches.shape}"
        )
    if pitches.size and not np.issubdtype(pitches.dtype, np.integer):
        raise ValueError(f"pitches must be integer MIDI numbers, got dtype {pitches.dtype}")
    if not np.all(np.isfinite(intervals)) or np.any(intervals[:, 1] < intervals[:, 0]):
        raise ValueError("intervals must be finite (onset, offset) pairs with offset >= onset")
    return intervals, pitches.astype(np.int64)


def _power(audio: np.ndarray, what: str) -> float:
    """Mean square of ``audio``; raise :class:`AudioError` if it is silent."""
    power = float(np.mean(np.square(audio, dtype=np.float64)))
    if power == 0:
        raise AudioError(f"{what} is silent (all zeros), so a signal-to-noise ratio is undefined")
    return power


def _add_at_snr(audio: np.ndarray, interference: np.ndarray, snr_db: float) -> np.ndarray:
    """``audio + g * interference`` with ``g`` making the power ratio exactly ``snr_db`` dB."""
    _check_finite("snr_db", snr_db)
    target_power = _power(audio, "audio") / 10 ** (snr_db / 10)
    gain = math.sqrt(target_power / _power(interference, "the interference"))
    return (audio + gain * interference).astype(np.float32)


def add_white_noise(audio: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """Add Gaussian white noise at a given signal-to-noise ratio.

    Notebook: transcription, part 7 (augmentation).

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio.
    snr_db : float
        Signal power over noise power, in dB (e.g. 20 dB: noise 100 times weaker).
        The noise drawn is rescaled so the ratio is exact, not just expected.
    rng : np.random.Generator
        Source of the noise.

    Returns
    -------
    np.ndarray, shape (n_samples,)
        Noisy audio, ``float32``.

    Raises
    ------
    AudioError
        Bad audio (see :func:`dlmusic.audio.validate_audio`), or silent audio,
        for which no noise level gives the requested SNR.
    """
    validate_audio(audio, mono=True)
    return _add_at_snr(audio, rng.standard_normal(audio.size), snr_db)


def room_impulse_response(sr: float, rng: np.random.Generator, rt60_s: float) -> np.ndarray:
    """A synthetic room: a direct path then an exponentially decaying noise tail.

    Notebook: transcription, part 7 (augmentation: the room of add_reverb).

    The tail is Gaussian noise whose amplitude falls by 60 dB over ``rt60_s``
    seconds (the room's reverberation time), and the response ends there. The
    first tap (the direct sound) is set to 1, then the whole response is
    scaled to unit energy, so reverberated audio keeps about the input's power.

    Parameters
    ----------
    sr : float
        Sample rate in Hz.
    rng : np.random.Generator
        Source of the noise tail.
    rt60_s : float
        Reverberation time in seconds (> 0).

    Returns
    -------
    np.ndarray, shape (max(1, round(rt60_s * sr)),)
        The impulse response, ``float64``.
    """
    _check_sr(sr)
    _check_finite("rt60_s", rt60_s)
    if rt60_s <= 0:
        raise ValueError(f"rt60_s (reverberation time, seconds) must be positive, got {rt60_s}")
    n_taps = max(1, round(rt60_s * sr))
    decay = 10 ** (-3 * np.arange(n_taps) / (rt60_s * sr))
    response = rng.standard_normal(n_taps) * decay
    response[0] = 1.0
    return response / np.linalg.norm(response)


def add_reverb(
    audio: np.ndarray,
    sr: float,
    rng: np.random.Generator,
    *,
    rt60_s: float = 0.6,
    wet: float = 0.3,
) -> np.ndarray:
    """Play the audio in a synthetic room (see :func:`room_impulse_response`).

    Notebook: transcription, part 7 (augmentation).

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio.
    sr : float
        Sample rate in Hz.
    rng : np.random.Generator
        Source of the room's impulse response.
    rt60_s : float
        Reverberation time in seconds: how long the room takes to decay by 60 dB.
    wet : float
        Mix in [0, 1]: ``(1 - wet) * dry + wet * reverberated``.

    Returns
    -------
    np.ndarray, shape (n_samples,)
        Reverberated audio, ``float32``; the tail past the end of the input is cut.
    """
    validate_audio(audio, mono=True)
    _check_finite("wet", wet)
    if not 0 <= wet <= 1:
        raise ValueError(f"wet (the reverberated share of the mix) must be in [0, 1], got {wet}")
    response = room_impulse_response(sr, rng, rt60_s)
    reverberated = scipy.signal.fftconvolve(audio.astype(np.float64), response)[: audio.size]
    return ((1 - wet) * audio + wet * reverberated).astype(np.float32)


def peaking_eq_sos(gain_db: float, centre_hz: float, sr: float, q: float = 1.0) -> np.ndarray:
    """One peaking-EQ biquad (RBJ audio-EQ cookbook) as a second-order section.

    Notebook: transcription, part 7 (augmentation: the filters of random_equalizer).

    Parameters
    ----------
    gain_db : float
        Gain at ``centre_hz`` in dB (positive boosts, negative cuts); far from
        the centre the gain returns to 0 dB.
    centre_hz : float
        Centre frequency in Hz, in ``(0, sr / 2)``.
    sr : float
        Sample rate in Hz.
    q : float
        Quality factor (> 0): larger is narrower.

    Returns
    -------
    np.ndarray, shape (6,)
        ``[b0, b1, b2, 1, a1, a2]``, normalised by ``a0``, for ``scipy.signal.sosfilt``.
    """
    _check_sr(sr)
    _check_finite("gain_db", gain_db)
    if not 0 < centre_hz < sr / 2:
        raise ValueError(
            f"EQ centre frequency must be in (0, {sr / 2}) Hz (below Nyquist), got {centre_hz}"
        )
    if not q > 0:
        raise ValueError(f"q must be positive, got {q}")
    amplitude = 10 ** (gain_db / 40)
    omega = 2 * math.pi * centre_hz / sr
    alpha = math.sin(omega) / (2 * q)
    cos_omega = math.cos(omega)
    b = [1 + alpha * amplitude, -2 * cos_omega, 1 - alpha * amplitude]
    a = [1 + alpha / amplitude, -2 * cos_omega, 1 - alpha / amplitude]
    return np.array(b + a) / a[0]


def equalize(
    audio: np.ndarray,
    sr: float,
    gains_db: Sequence[float],
    centre_freqs_hz: Sequence[float],
    *,
    q: float = 1.0,
) -> np.ndarray:
    """Filter the audio through a cascade of peaking equalisers, one per band.

    Notebook: transcription, part 7 (augmentation: what random_equalizer applies).

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio.
    sr : float
        Sample rate in Hz.
    gains_db : sequence of float
        Gain of each band at its centre, in dB.
    centre_freqs_hz : sequence of float
        Centre frequency of each band in Hz, each in ``(0, sr / 2)``.
    q : float
        Quality factor shared by all bands.

    Returns
    -------
    np.ndarray, shape (n_samples,)
        Equalised audio, ``float32`` (a copy of the input when no bands are given).
    """
    validate_audio(audio, mono=True)
    _check_sr(sr)
    if len(gains_db) != len(centre_freqs_hz):
        raise ValueError(
            f"one gain per centre frequency is needed, got {len(gains_db)} gains and "
            f"{len(centre_freqs_hz)} frequencies"
        )
    if len(gains_db) == 0:
        return audio.astype(np.float32)
    sos = np.stack(
        [peaking_eq_sos(g, f, sr, q) for g, f in zip(gains_db, centre_freqs_hz, strict=True)]
    )
    return scipy.signal.sosfilt(sos, audio.astype(np.float64)).astype(np.float32)


def random_equalizer(
    audio: np.ndarray,
    sr: float,
    rng: np.random.Generator,
    *,
    n_bands: int = 3,
    max_gain_db: float = 12.0,
) -> np.ndarray:
    """Equalise with random bands, as Basic Pitch's EQ augmentation does.

    Notebook: transcription, part 7 (augmentation).

    Centre frequencies are log-uniform between ``EQ_MIN_HZ`` (60 Hz) and
    ``EQ_MAX_HZ`` (8 kHz, or 0.45 ``sr`` if that is lower); gains are uniform
    in ``[-max_gain_db, max_gain_db]`` dB; every band has ``q = 1``.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio.
    sr : float
        Sample rate in Hz.
    rng : np.random.Generator
        Source of the bands.
    n_bands : int
        Number of peaking filters (>= 1).
    max_gain_db : float
        Largest boost or cut in dB (>= 0).

    Returns
    -------
    np.ndarray, shape (n_samples,)
        Equalised audio, ``float32``.
    """
    _check_sr(sr)
    if n_bands < 1:
        raise ValueError(f"n_bands must be at least 1, got {n_bands}")
    _check_finite("max_gain_db", max_gain_db)
    if max_gain_db < 0:
        raise ValueError(f"max_gain_db must be >= 0 dB, got {max_gain_db}")
    top_hz = min(EQ_MAX_HZ, 0.45 * sr)
    centres = np.exp(rng.uniform(np.log(EQ_MIN_HZ), np.log(top_hz), n_bands))
    gains = rng.uniform(-max_gain_db, max_gain_db, n_bands)
    return equalize(audio, sr, gains.tolist(), centres.tolist())


def transpose(
    audio: np.ndarray,
    sr: float,
    intervals: np.ndarray,
    pitches: np.ndarray,
    semitones: int,
) -> TransposedExample:
    """Change key: pitch-shift the audio and move the labels by the same interval.

    Notebook: transcription, part 7 (augmentation).

    The audio is shifted with ``librosa.effects.pitch_shift`` (time-stretch
    then resample), which keeps its length and timing, so onsets and offsets
    are unchanged. Notes that the shift moves outside the piano
    (MIDI 21..108) are dropped from the labels and counted in ``n_dropped``;
    their sound stays in the audio.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio.
    sr : float
        Sample rate in Hz.
    intervals : np.ndarray, shape (n_notes, 2)
        Onsets and offsets in seconds.
    pitches : np.ndarray, shape (n_notes,)
        Integer MIDI pitches, each on the piano (21..108).
    semitones : int
        The interval: positive shifts up, negative down; 0 returns copies.

    Returns
    -------
    TransposedExample
        The shifted audio (``float32``, same length) and the kept labels.
    """
    validate_audio(audio, mono=True)
    _check_sr(sr)
    intervals, pitches = _check_notes(intervals, pitches)
    if isinstance(semitones, bool) or not isinstance(semitones, (int, np.integer)):
        raise TypeError(f"semitones must be an integer, got {semitones!r}")
    if np.any((pitches < LOWEST_MIDI) | (pitches > HIGHEST_MIDI)):
        raise ValueError(f"pitches must be piano keys, MIDI {LOWEST_MIDI}..{HIGHEST_MIDI}")
    shifted = audio.astype(np.float32)
    if semitones != 0:
        shifted = librosa.effects.pitch_shift(
            shifted, sr=sr, n_steps=int(semitones), bins_per_octave=12
        ).astype(np.float32)
    moved = pitches + int(semitones)
    keep = (moved >= LOWEST_MIDI) & (moved <= HIGHEST_MIDI)
    return TransposedExample(
        audio=shifted,
        intervals=intervals[keep],
        pitches=moved[keep],
        n_dropped=int(np.count_nonzero(~keep)),
    )


def _fit_length(other: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
    """``n_samples`` consecutive samples of ``other`` from a random offset, looping if short."""
    if other.size >= n_samples:
        start = int(rng.integers(other.size - n_samples + 1))
        return other[start : start + n_samples].astype(np.float64)
    start = int(rng.integers(other.size))
    return other[(start + np.arange(n_samples)) % other.size].astype(np.float64)


def mix_in(
    audio: np.ndarray, other: np.ndarray, snr_db: float, rng: np.random.Generator
) -> np.ndarray:
    """Add an unrelated recording (drums, speech, another piece) as interference.

    Notebook: transcription, part 7 (augmentation: mixing in an irrelevant sound).

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio: the target, whose labels stay valid.
    other : np.ndarray, shape (n_other,)
        Mono interference of any length: cropped from a random offset when
        longer than ``audio``, looped from a random offset when shorter.
    snr_db : float
        Target-to-interference power ratio in dB, exact over the mixed excerpt.
    rng : np.random.Generator
        Chooses the offset into ``other``.

    Returns
    -------
    np.ndarray, shape (n_samples,)
        The mixture, ``float32``.

    Raises
    ------
    AudioError
        Bad ``audio`` or ``other``, or either of them silent.
    """
    validate_audio(audio, mono=True)
    validate_audio(other, mono=True)
    return _add_at_snr(audio, _fit_length(other, audio.size, rng), snr_db)


def mask_time_span(audio: np.ndarray, sr: float, start_s: float, end_s: float) -> np.ndarray:
    """Silence the audio from ``start_s`` to ``end_s`` seconds: the WRONG augmentation.

    Notebook: transcription, part 7 (the wrong augmentation: masking).

    The span fades out over its first 5 ms and back in over its last 5 ms
    (raised-cosine ramps, shorter if the span is under 10 ms) to avoid
    clicks; samples outside the span are untouched. A span running past the
    end of the audio silences it to the end (with no fade-in).

    This is the lesson's counter-example: time masking (as in SpecAugment)
    helps classifiers, but for transcription it changes the music. A note
    held across the span is heard as two notes, while its label still says
    one; see :func:`notes_heard_after_masking`.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio.
    sr : float
        Sample rate in Hz.
    start_s, end_s : float
        The span in seconds, ``0 <= start_s < end_s``; it must start inside the audio.

    Returns
    -------
    np.ndarray, shape (n_samples,)
        Masked audio, ``float32``.
    """
    validate_audio(audio, mono=True)
    _check_sr(sr)
    _check_span(start_s, end_s)
    if start_s * sr >= audio.size:
        raise ValueError(
            f"span starts at {start_s} s, after the end of the audio ({audio.size / sr} s)"
        )
    max_ramp = round(MASK_RAMP_S * sr)
    start, stop = round(start_s * sr), round(min(end_s * sr, audio.size + 2 * max_ramp))
    n_ramp = min(max_ramp, (stop - start) // 2)
    index = np.arange(audio.size)
    depth = np.minimum(index - start + 1, stop - index) / (n_ramp + 1)
    gain = 0.5 * (1 + np.cos(np.pi * np.clip(depth, 0, 1)))
    return (audio * gain).astype(np.float32)


def notes_heard_after_masking(
    intervals: np.ndarray,
    pitches: np.ndarray,
    start_s: float,
    end_s: float,
    *,
    min_duration_s: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """The notes a listener would transcribe after :func:`mask_time_span`.

    Notebook: transcription, part 7 (the wrong augmentation: masking).

    The illustration of the lesson, modelling naive perception: sound stops
    during the span, and whatever sounds after it is heard as starting at
    ``end_s``. So a note held across the whole span becomes two notes (one
    ending at ``start_s``, one re-sounding at ``end_s``), a note inside the
    span vanishes, and a note overlapping one edge is trimmed to the part
    outside. Pieces a cut leaves shorter than ``min_duration_s`` are dropped;
    notes that do not touch the span are kept as they are. Compare the result
    with the unchanged labels to see why the augmentation is wrong.

    Parameters
    ----------
    intervals : np.ndarray, shape (n_notes, 2)
        Onsets and offsets in seconds.
    pitches : np.ndarray, shape (n_notes,)
        Integer MIDI pitches.
    start_s, end_s : float
        The masked span in seconds.
    min_duration_s : float
        Shortest piece of a cut note still heard as a note, in seconds.

    Returns
    -------
    intervals : np.ndarray, shape (n_heard, 2)
        Onsets and offsets in seconds, sorted by onset then pitch.
    pitches : np.ndarray, shape (n_heard,)
        Their MIDI pitches.
    """
    intervals, pitches = _check_notes(intervals, pitches)
    _check_span(start_s, end_s)
    _check_finite("min_duration_s", min_duration_s)
    if min_duration_s < 0:
        raise ValueError(f"min_duration_s must be >= 0 seconds, got {min_duration_s}")
    onsets, offsets = intervals[:, 0], intervals[:, 1]
    untouched = (offsets <= start_s) | (onsets >= end_s)
    before = np.column_stack([onsets, np.minimum(offsets, start_s)])
    after = np.column_stack([np.maximum(onsets, end_s), offsets])
    pieces = np.concatenate([before[onsets < start_s], after[offsets > end_s]])
    piece_pitches = np.concatenate([pitches[onsets < start_s], pitches[offsets > end_s]])
    piece_untouched = np.concatenate([untouched[onsets < start_s], untouched[offsets > end_s]])
    keep = piece_untouched | (pieces[:, 1] - pieces[:, 0] >= min_duration_s)
    pieces, piece_pitches = pieces[keep], piece_pitches[keep]
    order = np.lexsort((piece_pitches, pieces[:, 0]))
    return pieces[order], piece_pitches[order]
