"""The vocals notebook's STFT, inverse STFT and oracle masks, checked against plain NumPy.

The STFT and the masks are the instructor's references (the students write
their own); the inverse STFT is given code of the student package.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from dlmusic.errors import ChannelError, EmptyAudioError, NonFiniteAudioError
from dlmusic.vocals.stft import HOP_SAMPLES, N_BINS, N_FFT, istft, n_frames
from dlmusic_instructor.references.vocals import (
    ideal_binary_mask,
    ideal_ratio_mask,
    masked_estimate,
    spectrogram,
    stft,
)


@pytest.fixture
def stems() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(22050) / 22050
    vocals = (0.3 * np.sin(2 * np.pi * 440 * t) * (t > 0.5)).astype(np.float32)
    accompaniment = (0.1 * rng.standard_normal(t.size)).astype(np.float32)
    return {"vocals": vocals, "accompaniment": accompaniment, "mixture": vocals + accompaniment}


def test_stft_frame_is_the_rfft_of_a_hann_windowed_centred_excerpt():
    audio = np.random.default_rng(1).standard_normal(5000).astype(np.float32)
    spectrogram = stft(audio)
    assert spectrogram.shape == (N_BINS, n_frames(audio.size))
    padded = np.pad(audio, N_FFT // 2)
    window = scipy.signal.get_window("hann", N_FFT, fftbins=True)
    for frame in (0, 3, spectrogram.shape[1] - 1):
        excerpt = padded[frame * HOP_SAMPLES : frame * HOP_SAMPLES + N_FFT] * window
        np.testing.assert_allclose(spectrogram[:, frame], np.fft.rfft(excerpt), atol=2e-3)


def test_spectrogram_is_the_float32_magnitude_of_the_stft():
    audio = np.random.default_rng(3).standard_normal(3000).astype(np.float32)
    magnitude = spectrogram(audio)
    assert magnitude.dtype == np.float32
    np.testing.assert_allclose(magnitude, np.abs(stft(audio)), atol=1e-6)


def test_istft_inverts_stft_to_the_original_length():
    audio = np.random.default_rng(2).uniform(-0.5, 0.5, 7001).astype(np.float32)
    np.testing.assert_allclose(istft(stft(audio), audio.size), audio, atol=1e-5)


@pytest.mark.parametrize(
    ("audio", "error"),
    [
        (np.zeros((2, 4096), np.float32), ChannelError),
        (np.zeros(0, np.float32), EmptyAudioError),
        (np.array([0.0, np.nan, 0.0] * 1000, np.float32), NonFiniteAudioError),
    ],
)
def test_stft_rejects_stereo_empty_and_nan_audio(audio, error):
    with pytest.raises(error):
        stft(audio)


def test_ratio_mask_is_the_vocal_share_of_each_cell(stems):
    vocals, accompaniment = stft(stems["vocals"]), stft(stems["accompaniment"])
    v, a = np.abs(vocals).astype(np.float64), np.abs(accompaniment).astype(np.float64)
    for power in (1.0, 2.0):
        expected = v**power / (v**power + a**power)
        np.testing.assert_allclose(
            ideal_ratio_mask(vocals, accompaniment, power), expected, atol=1e-6
        )


def test_binary_mask_keeps_cells_where_the_voice_is_louder_by_the_threshold(stems):
    vocals, accompaniment = stft(stems["vocals"]), stft(stems["accompaniment"])
    ratio_db = 20 * np.log10(np.abs(vocals) + 1e-30) - 20 * np.log10(np.abs(accompaniment) + 1e-30)
    for threshold_db in (-6.0, 0.0, 10.0):
        mask = ideal_binary_mask(vocals, accompaniment, threshold_db)
        assert mask.dtype == np.float32 and set(np.unique(mask)) <= {0.0, 1.0}
        agree = mask == (ratio_db > threshold_db)
        assert agree.mean() > 0.9999, f"{threshold_db} dB: {agree.mean()}"


def test_masks_of_silent_cells_are_zero_not_nan():
    silent = np.zeros((N_BINS, 4))
    loud = np.ones((N_BINS, 4))
    assert not ideal_ratio_mask(silent, silent).any()
    assert not ideal_binary_mask(silent, silent).any()
    assert ideal_binary_mask(loud, silent).all(), "voice alone: the whole cell is vocal"
    assert not ideal_ratio_mask(silent, loud).any(), "silent vocals: nothing is vocal"


def test_masks_reject_mismatched_shapes_and_nan():
    with pytest.raises(ValueError, match="differ in shape"):
        ideal_ratio_mask(np.ones((N_BINS, 10)), np.ones((N_BINS, 11)))
    with pytest.raises(ValueError, match="NaN"):
        ideal_binary_mask(np.full((N_BINS, 2), np.nan), np.ones((N_BINS, 2)))
    with pytest.raises(ValueError, match="positive"):
        ideal_ratio_mask(np.ones((2, 2)), np.ones((2, 2)), power=0)


def test_masked_estimate_checks_the_mask_shape():
    mixture = np.zeros(8 * HOP_SAMPLES, np.float32)
    with pytest.raises(ValueError, match="shape"):
        masked_estimate(mixture, np.ones((N_BINS, n_frames(mixture.size) + 1)))


def test_oracle_ratio_mask_recovers_most_of_the_voice(stems):
    mask = ideal_ratio_mask(stft(stems["vocals"]), stft(stems["accompaniment"]))
    estimate = {
        "vocals": masked_estimate(stems["mixture"], mask),
        "accompaniment": masked_estimate(stems["mixture"], 1.0 - mask),
    }
    error = np.sum((estimate["vocals"] - stems["vocals"]) ** 2) / np.sum(stems["vocals"] ** 2)
    mixture_error = np.sum(stems["accompaniment"] ** 2) / np.sum(stems["vocals"] ** 2)
    assert error < 0.2 * mixture_error
    np.testing.assert_allclose(
        estimate["vocals"] + estimate["accompaniment"], stems["mixture"], atol=1e-4
    )
