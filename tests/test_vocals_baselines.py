"""The trivial masks: a high-pass mask with a learned cutoff, and the mean ratio mask."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.vocals.baselines import (
    choose_cutoff,
    high_pass_mask,
    mean_irm_mask,
    signal_to_error_db,
)
from dlmusic.vocals.data import TrackStems
from dlmusic.vocals.stft import N_BINS, N_FFT


def stft(audio):
    return librosa.stft(audio, n_fft=N_FFT, hop_length=256, window="hann", center=True)


def ratio(vocals, accompaniment):
    v, a = np.abs(vocals), np.abs(accompaniment)
    return np.divide(v, v + a, out=np.zeros_like(v), where=(v + a) > 0)


def tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(round(seconds * SAMPLE_RATE_HZ)) / SAMPLE_RATE_HZ
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def song(vocal_hz: float, accompaniment_hz: float) -> TrackStems:
    vocals, accompaniment = tone(vocal_hz), tone(accompaniment_hz)
    return TrackStems("song", vocals + accompaniment, vocals, accompaniment)


def test_high_pass_mask_keeps_bins_at_and_above_the_cutoff():
    mask = high_pass_mask(600.0, 3)
    hz = librosa.fft_frequencies(sr=SAMPLE_RATE_HZ, n_fft=N_FFT)
    assert mask.shape == (N_BINS, 3) and mask.dtype == np.float32
    assert np.array_equal(mask[:, 1], (hz >= 600).astype(np.float32))
    assert high_pass_mask(0.0, 1).all()


def test_high_pass_mask_rejects_a_cutoff_beyond_nyquist():
    with pytest.raises(ValueError, match="cutoff_hz"):
        high_pass_mask(20000.0, 1)


def test_signal_to_error_of_a_perfect_and_of_an_empty_estimate():
    vocals = stft(tone(440.0))
    assert signal_to_error_db(vocals, vocals) > 100
    assert signal_to_error_db(vocals, np.zeros_like(vocals)) == pytest.approx(0.0)


def test_choose_cutoff_finds_the_gap_between_a_low_accompaniment_and_a_high_voice():
    cutoff, scores = choose_cutoff([song(1500.0, 200.0)], stft, (0.0, 600.0, 3000.0))
    assert cutoff == 600.0
    assert scores[600.0] > scores[0.0] and scores[600.0] > scores[3000.0]


def test_choose_cutoff_keeps_everything_when_the_voice_is_below_the_accompaniment():
    cutoff, _ = choose_cutoff([song(200.0, 1500.0)], stft, (0.0, 600.0, 3000.0))
    assert cutoff == 0.0


def test_mean_irm_mask_is_the_voice_share_per_bin():
    mask = mean_irm_mask([song(1500.0, 200.0)], stft, ratio)
    hz = librosa.fft_frequencies(sr=SAMPLE_RATE_HZ, n_fft=N_FFT)
    assert mask.shape == (N_BINS, 1)
    assert mask[np.argmin(np.abs(hz - 1500.0)), 0] > 0.95
    assert mask[np.argmin(np.abs(hz - 200.0)), 0] < 0.05


def test_trivial_masks_need_training_songs():
    with pytest.raises(ValueError, match="training song"):
        choose_cutoff([], stft)
    with pytest.raises(ValueError, match="training song"):
        mean_irm_mask([], stft, ratio)
