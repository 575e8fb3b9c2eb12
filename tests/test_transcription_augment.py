"""Augmentations for transcription: noise, reverb, EQ, transposition, mixing, and masking."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pretty_midi
import pytest

from dlmusic.errors import AudioError, ChannelError, EmptyAudioError, NonFiniteAudioError
from dlmusic.transcription.augment import (
    TransposedExample,
    add_reverb,
    add_white_noise,
    equalize,
    mask_time_span,
    mix_in,
    notes_heard_after_masking,
    random_equalizer,
    transpose,
)
from dlmusic.transcription.constants import HIGHEST_MIDI, LOWEST_MIDI

SR = 22050


def snr_db(clean: np.ndarray, mixture: np.ndarray) -> float:
    """Measured signal-to-noise ratio (dB) of ``mixture`` against ``clean``."""
    noise = mixture.astype(np.float64) - clean
    return float(10 * np.log10(np.mean(clean.astype(np.float64) ** 2) / np.mean(noise**2)))


def level_db(audio: np.ndarray) -> float:
    """Power of ``audio`` in dB."""
    return float(10 * np.log10(np.mean(audio.astype(np.float64) ** 2)))


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.fixture
def music(tone: Callable[..., np.ndarray]) -> np.ndarray:
    """One second of a 440 Hz sine plus a quieter 1 kHz one."""
    return tone(440.0, SR, 1.0, 0.4) + tone(1000.0, SR, 1.0, 0.1)


AUGMENTATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "add_white_noise": lambda x: add_white_noise(x, 10.0, rng()),
    "add_reverb": lambda x: add_reverb(x, SR, rng()),
    "equalize": lambda x: equalize(x, SR, [6.0, -6.0], [200.0, 3000.0]),
    "random_equalizer": lambda x: random_equalizer(x, SR, rng()),
    "transpose": lambda x: transpose(x, SR, np.zeros((0, 2)), np.zeros(0, int), 3).audio,
    "mix_in": lambda x: mix_in(x, np.linspace(-1, 1, 500, dtype=np.float32), 5.0, rng()),
    "mask_time_span": lambda x: mask_time_span(x, SR, 0.3, 0.6),
}


# --- every augmentation ---------------------------------------------------------------


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_augmentation_keeps_length_and_float32_and_leaves_input_alone(
    name: str, music: np.ndarray
) -> None:
    original = music.copy()
    out = AUGMENTATIONS[name](music)
    assert out.shape == music.shape
    assert out.dtype == np.float32
    assert out is not music
    np.testing.assert_array_equal(music, original)


@pytest.mark.parametrize("name", AUGMENTATIONS)
def test_augmentation_accepts_float64_and_returns_float32(name: str, music: np.ndarray) -> None:
    assert AUGMENTATIONS[name](music.astype(np.float64)).dtype == np.float32


@pytest.mark.parametrize("name", AUGMENTATIONS)
@pytest.mark.parametrize(
    ("bad", "error"),
    [
        (np.zeros((2, 1000), np.float32) + 0.1, ChannelError),
        (np.zeros(0, np.float32), EmptyAudioError),
        (np.full(1000, np.nan, np.float32), NonFiniteAudioError),
    ],
    ids=["stereo", "empty", "nan"],
)
def test_augmentation_rejects_stereo_empty_and_nan_audio(
    name: str, bad: np.ndarray, error: type[Exception]
) -> None:
    with pytest.raises(error):
        AUGMENTATIONS[name](bad)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: add_reverb(x, 0, rng()),
        lambda x: equalize(x, -1, [3.0], [1000.0]),
        lambda x: random_equalizer(x, 0, rng()),
        lambda x: transpose(x, 0, np.zeros((0, 2)), np.zeros(0, int), 1),
        lambda x: mask_time_span(x, -22050, 0.1, 0.2),
    ],
    ids=["reverb", "equalize", "random_equalizer", "transpose", "mask"],
)
def test_non_positive_sample_rate_is_rejected(call: Callable, music: np.ndarray) -> None:
    with pytest.raises(AudioError, match="sample rate must be positive"):
        call(music)


@pytest.mark.parametrize(
    "call",
    [
        lambda x, seed: add_white_noise(x, 10.0, rng(seed)),
        lambda x, seed: add_reverb(x, SR, rng(seed)),
        lambda x, seed: random_equalizer(x, SR, rng(seed)),
        lambda x, seed: mix_in(x, np.sin(np.arange(3 * SR, dtype=np.float32)), 0.0, rng(seed)),
    ],
    ids=["noise", "reverb", "random_equalizer", "mix_in"],
)
def test_random_augmentation_is_deterministic_per_seed(call: Callable, music: np.ndarray) -> None:
    np.testing.assert_array_equal(call(music, 7), call(music, 7))
    assert not np.array_equal(call(music, 7), call(music, 8))


# --- white noise ----------------------------------------------------------------------


@pytest.mark.parametrize("target_db", [-5.0, 0.0, 10.0, 30.0])
def test_white_noise_has_the_requested_snr(
    tone: Callable[..., np.ndarray], target_db: float
) -> None:
    clean = tone(440.0, SR, 5.0, 0.3)
    noisy = add_white_noise(clean, target_db, rng())
    assert snr_db(clean, noisy) == pytest.approx(target_db, abs=0.5)


def test_white_noise_on_silence_is_an_error_because_snr_is_undefined() -> None:
    with pytest.raises(AudioError, match="silent"):
        add_white_noise(np.zeros(1000, np.float32), 10.0, rng())


def test_white_noise_rejects_a_non_finite_snr(music: np.ndarray) -> None:
    with pytest.raises(ValueError, match="snr_db"):
        add_white_noise(music, float("nan"), rng())


# --- reverb ---------------------------------------------------------------------------


def burst(n_burst: int = 1000, n_total: int = SR) -> np.ndarray:
    """A short noise burst followed by silence."""
    audio = np.zeros(n_total, np.float32)
    audio[:n_burst] = rng(1).standard_normal(n_burst)
    return audio


def tail_energy(audio: np.ndarray, after: int = 1000) -> float:
    return float(np.sum(audio[after:].astype(np.float64) ** 2))


def test_reverb_lengthens_the_decay_of_a_burst() -> None:
    dry = burst()
    assert tail_energy(dry) == 0
    assert tail_energy(add_reverb(dry, SR, rng())) > 1.0


def test_reverb_tail_grows_with_rt60() -> None:
    tails = [tail_energy(add_reverb(burst(), SR, rng(), rt60_s=t)) for t in (0.1, 0.4, 1.0)]
    assert tails[0] < tails[1] < tails[2]


def test_reverb_tail_grows_with_wet() -> None:
    tails = [tail_energy(add_reverb(burst(), SR, rng(), wet=w)) for w in (0.1, 0.5, 0.9)]
    assert tails[0] < tails[1] < tails[2]


def test_fully_dry_reverb_is_identity(music: np.ndarray) -> None:
    np.testing.assert_array_equal(add_reverb(music, SR, rng(), wet=0.0), music)


def test_reverb_keeps_length_when_the_room_outlasts_the_audio() -> None:
    short = burst(100, 500)
    assert add_reverb(short, SR, rng(), rt60_s=2.0).shape == (500,)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"wet": 1.5}, "wet"),
        ({"wet": -0.1}, "wet"),
        ({"rt60_s": 0.0}, "rt60_s"),
        ({"rt60_s": -1.0}, "rt60_s"),
    ],
)
def test_reverb_rejects_bad_parameters(music: np.ndarray, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        add_reverb(music, SR, rng(), **kwargs)


# --- equaliser ------------------------------------------------------------------------


def test_eq_boost_raises_a_sine_at_the_centre_by_its_gain(
    tone: Callable[..., np.ndarray],
) -> None:
    sine = tone(1000.0, SR, 2.0, 0.1)
    boosted = equalize(sine, SR, [12.0], [1000.0])
    gain = level_db(boosted[SR:]) - level_db(sine[SR:])
    assert gain == pytest.approx(12.0, abs=0.5)


def test_eq_boost_barely_changes_a_sine_far_from_the_centre(
    tone: Callable[..., np.ndarray],
) -> None:
    sine = tone(100.0, SR, 2.0, 0.1)
    boosted = equalize(sine, SR, [12.0], [1000.0])
    assert level_db(boosted[SR:]) - level_db(sine[SR:]) == pytest.approx(0.0, abs=1.0)


def test_eq_cut_lowers_a_sine_at_the_centre(tone: Callable[..., np.ndarray]) -> None:
    sine = tone(2000.0, SR, 2.0, 0.5)
    cut = equalize(sine, SR, [-9.0], [2000.0], q=2.0)
    assert level_db(cut[SR:]) - level_db(sine[SR:]) == pytest.approx(-9.0, abs=0.5)


def test_eq_with_zero_gains_is_identity(music: np.ndarray) -> None:
    flat = equalize(music, SR, [0.0, 0.0, 0.0], [100.0, 1000.0, 5000.0])
    np.testing.assert_allclose(flat, music, atol=1e-6)


def test_eq_with_no_bands_is_a_copy(music: np.ndarray) -> None:
    out = equalize(music, SR, [], [])
    np.testing.assert_array_equal(out, music)
    assert out is not music


@pytest.mark.parametrize(
    ("gains", "freqs", "q", "match"),
    [
        ([3.0], [100.0, 200.0], 1.0, "one gain per centre frequency"),
        ([3.0], [SR / 2], 1.0, "below Nyquist"),
        ([3.0], [0.0], 1.0, "below Nyquist"),
        ([3.0], [1000.0], 0.0, "q must be positive"),
        ([float("inf")], [1000.0], 1.0, "gain_db"),
    ],
)
def test_eq_rejects_bad_bands(
    music: np.ndarray, gains: list, freqs: list, q: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        equalize(music, SR, gains, freqs, q=q)


def test_random_equalizer_with_zero_max_gain_is_identity(music: np.ndarray) -> None:
    out = random_equalizer(music, SR, rng(), max_gain_db=0.0)
    np.testing.assert_allclose(out, music, atol=1e-6)


def test_random_equalizer_changes_the_spectrum(music: np.ndarray) -> None:
    assert np.max(np.abs(random_equalizer(music, SR, rng(3)) - music)) > 1e-3


@pytest.mark.parametrize(
    ("kwargs", "match"), [({"n_bands": 0}, "n_bands"), ({"max_gain_db": -1.0}, "max_gain_db")]
)
def test_random_equalizer_rejects_bad_parameters(
    music: np.ndarray, kwargs: dict, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        random_equalizer(music, SR, rng(), **kwargs)


# --- transposition --------------------------------------------------------------------


def test_transpose_moves_a_sine_and_its_label_together(
    tone: Callable[..., np.ndarray], peak_hz: Callable[[np.ndarray, int], float]
) -> None:
    sine = tone(440.0, SR, 1.0, 0.5)
    out = transpose(sine, SR, np.array([[0.0, 1.0]]), np.array([69]), 2)
    assert isinstance(out, TransposedExample)
    assert peak_hz(out.audio, SR) == pytest.approx(440.0 * 2 ** (2 / 12), rel=0.015)
    np.testing.assert_array_equal(out.pitches, [71])
    np.testing.assert_array_equal(out.intervals, [[0.0, 1.0]])
    assert out.n_dropped == 0


def test_transpose_down_lowers_the_pitch(
    tone: Callable[..., np.ndarray], peak_hz: Callable[[np.ndarray, int], float]
) -> None:
    out = transpose(tone(440.0, SR, 1.0), SR, np.array([[0.0, 1.0]]), np.array([69]), -12)
    assert peak_hz(out.audio, SR) == pytest.approx(220.0, rel=0.015)
    np.testing.assert_array_equal(out.pitches, [57])


def test_transpose_drops_notes_pushed_off_the_piano(music: np.ndarray) -> None:
    intervals = np.array([[0.0, 0.5], [0.1, 0.4], [0.2, 0.9]])
    pitches = np.array([60, HIGHEST_MIDI - 1, HIGHEST_MIDI])
    out = transpose(music, SR, intervals, pitches, 2)
    np.testing.assert_array_equal(out.pitches, [62])
    np.testing.assert_array_equal(out.intervals, [[0.0, 0.5]])
    assert out.n_dropped == 2


def test_transpose_drops_notes_pushed_below_the_piano(music: np.ndarray) -> None:
    out = transpose(music, SR, np.array([[0.0, 0.5], [0.5, 1.0]]), np.array([LOWEST_MIDI, 40]), -1)
    np.testing.assert_array_equal(out.pitches, [39])
    assert out.n_dropped == 1


def test_transpose_keeps_a_note_moved_onto_the_top_key(music: np.ndarray) -> None:
    assert HIGHEST_MIDI == pretty_midi.note_name_to_number("C8")
    out = transpose(music, SR, np.array([[0.0, 0.5], [0.5, 1.0]]), np.array([106, 107]), 2)
    np.testing.assert_array_equal(out.pitches, [HIGHEST_MIDI])
    np.testing.assert_array_equal(out.intervals, [[0.0, 0.5]])
    assert out.n_dropped == 1


def test_transpose_by_zero_returns_copies(music: np.ndarray) -> None:
    intervals, pitches = np.array([[0.0, 0.5]]), np.array([60])
    out = transpose(music, SR, intervals, pitches, 0)
    np.testing.assert_array_equal(out.audio, music)
    np.testing.assert_array_equal(out.intervals, intervals)
    np.testing.assert_array_equal(out.pitches, pitches)
    assert out.n_dropped == 0
    assert not np.shares_memory(out.audio, music)
    assert not np.shares_memory(out.intervals, intervals)
    assert not np.shares_memory(out.pitches, pitches)


def test_transpose_leaves_the_labels_alone(music: np.ndarray) -> None:
    intervals, pitches = np.array([[0.0, 0.5]]), np.array([60])
    transpose(music, SR, intervals, pitches, 5)
    np.testing.assert_array_equal(intervals, [[0.0, 0.5]])
    np.testing.assert_array_equal(pitches, [60])


@pytest.mark.parametrize(
    ("intervals", "pitches", "semitones", "error", "match"),
    [
        (np.array([[0.0, 0.5]]), np.array([60]), 1.5, TypeError, "integer"),
        (np.array([[0.0, 0.5]]), np.array([60.0]), 1, ValueError, "integer MIDI"),
        (np.array([[0.0, 0.5]]), np.array([60, 61]), 1, ValueError, "pitches must have shape"),
        (np.array([0.0, 0.5]), np.array([60]), 1, ValueError, r"shape \(n_notes, 2\)"),
        (np.array([[0.5, 0.1]]), np.array([60]), 1, ValueError, "offset >= onset"),
        (np.array([[0.0, 0.5]]), np.array([120]), 1, ValueError, "piano keys"),
    ],
)
def test_transpose_rejects_bad_labels(
    music: np.ndarray,
    intervals: np.ndarray,
    pitches: np.ndarray,
    semitones: float,
    error: type[Exception],
    match: str,
) -> None:
    with pytest.raises(error, match=match):
        transpose(music, SR, intervals, pitches, semitones)


# --- mixing in interference -----------------------------------------------------------


@pytest.mark.parametrize("target_db", [-3.0, 0.0, 12.0])
def test_mix_in_has_the_requested_snr(tone: Callable[..., np.ndarray], target_db: float) -> None:
    clean = tone(440.0, SR, 2.0, 0.3)
    other = tone(97.0, SR, 5.0, 0.8)
    assert snr_db(clean, mix_in(clean, other, target_db, rng())) == pytest.approx(
        target_db, abs=0.5
    )


def test_mix_in_loops_a_shorter_interference(tone: Callable[..., np.ndarray]) -> None:
    clean = tone(440.0, SR, 1.0, 0.3)
    other = np.linspace(-1.0, 1.0, 1000, dtype=np.float32)
    mixed = mix_in(clean, other, 6.0, rng())
    added = mixed.astype(np.float64) - clean
    np.testing.assert_allclose(added[1000:2000], added[:1000], atol=1e-5)
    assert snr_db(clean, mixed) == pytest.approx(6.0, abs=0.5)


def test_mix_in_crops_a_longer_interference_at_a_random_offset(
    tone: Callable[..., np.ndarray],
) -> None:
    clean = tone(440.0, SR, 0.5, 0.3)
    other = np.sin(np.arange(4 * SR) * 0.001).astype(np.float32)
    starts = {float(mix_in(clean, other, 0.0, rng(seed))[0] - clean[0]) for seed in range(5)}
    assert len(starts) > 1


def test_mix_in_rejects_silent_or_stereo_interference(music: np.ndarray) -> None:
    with pytest.raises(AudioError, match="silent"):
        mix_in(music, np.zeros(100, np.float32), 0.0, rng())
    with pytest.raises(ChannelError):
        mix_in(music, np.ones((2, 100), np.float32), 0.0, rng())
    with pytest.raises(EmptyAudioError):
        mix_in(music, np.zeros(0, np.float32), 0.0, rng())


# --- masking: the wrong augmentation --------------------------------------------------


def test_mask_zeros_the_span_and_leaves_the_rest_untouched(music: np.ndarray) -> None:
    masked = mask_time_span(music, SR, 0.3, 0.6)
    start, end, ramp = round(0.3 * SR), round(0.6 * SR), round(0.005 * SR)
    np.testing.assert_array_equal(masked[start + ramp : end - ramp], 0.0)
    np.testing.assert_array_equal(masked[:start], music[:start])
    np.testing.assert_array_equal(masked[end:], music[end:])


def test_mask_fades_smoothly_into_and_out_of_the_span() -> None:
    constant = np.ones(SR, np.float32)
    masked = mask_time_span(constant, SR, 0.3, 0.6)
    start, end, ramp = round(0.3 * SR), round(0.6 * SR), round(0.005 * SR)
    assert np.all(np.diff(masked[start - 1 : start + ramp + 1]) <= 0)
    assert np.all(np.diff(masked[end - ramp - 1 : end + 1]) >= 0)
    assert np.max(np.abs(np.diff(masked))) < 0.02


def test_mask_running_past_the_end_silences_to_the_end(music: np.ndarray) -> None:
    for end_s in (5.0, 1e12):
        masked = mask_time_span(music, SR, 0.9, end_s)
        assert masked.shape == music.shape
        np.testing.assert_array_equal(masked[round(0.92 * SR) :], 0.0)


@pytest.mark.parametrize(
    ("start_s", "end_s", "match"),
    [
        (0.5, 0.5, "start_s < end_s"),
        (0.6, 0.5, "start_s < end_s"),
        (-0.1, 0.5, "start_s < end_s"),
        (float("nan"), 0.5, "finite"),
        (2.0, 3.0, "after the end of the audio"),
    ],
)
def test_mask_rejects_a_bad_span(
    music: np.ndarray, start_s: float, end_s: float, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        mask_time_span(music, SR, start_s, end_s)


def test_masking_a_held_note_splits_it_in_two() -> None:
    intervals, pitches = notes_heard_after_masking(np.array([[0.2, 1.5]]), np.array([60]), 0.5, 1.0)
    np.testing.assert_allclose(intervals, [[0.2, 0.5], [1.0, 1.5]])
    np.testing.assert_array_equal(pitches, [60, 60])


def test_masking_removes_notes_inside_the_span_and_trims_partial_ones() -> None:
    intervals, pitches = notes_heard_after_masking(
        np.array([[0.6, 0.9], [0.1, 0.7], [0.8, 1.3]]), np.array([61, 62, 63]), 0.5, 1.0
    )
    np.testing.assert_allclose(intervals, [[0.1, 0.5], [1.0, 1.3]])
    np.testing.assert_array_equal(pitches, [62, 63])


def test_masking_keeps_notes_away_from_the_span() -> None:
    notes = np.array([[0.0, 0.3], [1.2, 1.21], [0.1, 0.5]])
    intervals, pitches = notes_heard_after_masking(notes, np.array([60, 61, 62]), 0.5, 1.0)
    np.testing.assert_allclose(intervals, [[0.0, 0.3], [0.1, 0.5], [1.2, 1.21]])
    np.testing.assert_array_equal(pitches, [60, 62, 61])


def test_masking_drops_pieces_shorter_than_min_duration() -> None:
    notes = np.array([[0.48, 1.2], [0.3, 1.02]])
    intervals, pitches = notes_heard_after_masking(
        notes, np.array([60, 61]), 0.5, 1.0, min_duration_s=0.05
    )
    np.testing.assert_allclose(intervals, [[0.3, 0.5], [1.0, 1.2]])
    np.testing.assert_array_equal(pitches, [61, 60])


def test_masking_with_no_notes_hears_no_notes() -> None:
    intervals, pitches = notes_heard_after_masking(np.zeros((0, 2)), np.zeros(0, int), 0.5, 1.0)
    assert intervals.shape == (0, 2)
    assert pitches.shape == (0,)


def test_masking_makes_the_unchanged_labels_wrong(music: np.ndarray) -> None:
    """The lesson: the label says one note, the masked audio sounds like two."""
    label = np.array([[0.0, 1.0]]), np.array([69])
    heard, _ = notes_heard_after_masking(*label, 0.4, 0.6)
    assert len(heard) == 2 != len(label[0])


def test_notes_heard_after_masking_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="start_s < end_s"):
        notes_heard_after_masking(np.array([[0.0, 1.0]]), np.array([60]), 0.6, 0.4)
    with pytest.raises(ValueError, match="min_duration_s"):
        notes_heard_after_masking(
            np.array([[0.0, 1.0]]), np.array([60]), 0.4, 0.6, min_duration_s=-1.0
        )
