"""The constant-Q transform as a Keras layer, computed octave by octave.

Notebook: ``solutions/transcription``, part 1 ("Audio to CQT").

A CQT bin ``k`` at frequency ``f_k = fmin * 2**(k / bins_per_octave)`` is the
inner product of the audio with a Hann-windowed complex sinusoid of length
``L_k = sr / (alpha * f_k)`` samples: long kernels for low notes, short ones
for high notes, so every bin spans the same musical interval. Computed
naively, the lowest bins need kernels of 41,000 samples. Like librosa, the
layer instead works one octave at a time, from the top: it filters the top
octave at the full rate, then low-passes and halves the sample rate (by
keeping the lower half of the signal's spectrum), which halves every kernel
for the next octave down. Each octave then costs about
the same, and the whole transform is a handful of strided convolutions.

Conventions match ``librosa.cqt`` (``filter_scale=1``, ``norm=1``,
``scale=True``, centred frames): a full-scale sine at a bin's frequency gives
about ``0.5 * sqrt(L_k)`` in that bin. Frames are centred: frame ``t`` is
centred on sample ``t * hop_samples``, and ``n_samples`` samples give
``1 + n_samples // hop_samples`` frames.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np
import scipy.signal
from keras import ops

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.transcription.constants import (
    BINS_PER_OCTAVE,
    FMIN_HZ,
    HOP_SAMPLES,
    N_CQT_BINS,
)

WRAP_GUARD_SAMPLES = 4096
"""Zeros appended before halving the rate in the frequency domain, so that the
circular FFT cannot wrap the end of the audio onto its start."""


def cqt_frequencies(
    n_bins: int = N_CQT_BINS, fmin_hz: float = FMIN_HZ, bins_per_octave: int = BINS_PER_OCTAVE
) -> np.ndarray:
    """Centre frequencies in Hz, shape ``(n_bins,)``: ``fmin * 2**(k / bins_per_octave)``."""
    return fmin_hz * 2.0 ** (np.arange(n_bins) / bins_per_octave)


def cqt_filter_lengths(
    freqs_hz: np.ndarray, sr: float, bins_per_octave: int = BINS_PER_OCTAVE
) -> np.ndarray:
    """Kernel length in samples of each bin, ``sr / (alpha * f)``, shape ``(n_bins,)``.

    ``alpha`` is the relative bandwidth of one bin, ``(r**2 - 1) / (r**2 + 1)``
    with ``r = 2**(1 / bins_per_octave)`` (librosa's definition), so
    neighbouring bins' main lobes just touch.
    """
    ratio_squared = 2.0 ** (2.0 / bins_per_octave)
    alpha = (ratio_squared - 1) / (ratio_squared + 1)
    return sr / (alpha * np.asarray(freqs_hz, dtype=float))


def cqt_kernels(
    freqs_hz: np.ndarray, sr: float, bins_per_octave: int = BINS_PER_OCTAVE
) -> np.ndarray:
    """Complex CQT kernels: Hann-windowed sinusoids with unit L1 norm.

    Parameters
    ----------
    freqs_hz : np.ndarray, shape (n_bins,)
        Centre frequencies in Hz (all below ``sr / 2``).
    sr : float
        Sample rate of the signal the kernels are applied to, in Hz.
    bins_per_octave : int
        Sets the bandwidth and so the kernel lengths.

    Returns
    -------
    np.ndarray, shape (n_bins, n_taps), complex128
        Kernel ``k`` is centred in a row of ``n_taps`` samples (the longest
        kernel's length, rounded up to even), matching
        ``librosa.filters.wavelet(..., norm=1)``.
    """
    lengths = cqt_filter_lengths(freqs_hz, sr, bins_per_octave)
    n_taps = 2 * math.ceil(lengths.max() / 2)
    kernels = np.zeros((len(freqs_hz), n_taps), dtype=np.complex128)
    for row, (length, freq) in enumerate(zip(lengths, freqs_hz, strict=True)):
        offsets = np.arange(-length // 2, length // 2)
        kernel = np.exp(2j * np.pi * freq * offsets / sr)
        kernel *= scipy.signal.get_window("hann", len(offsets), fftbins=True)
        kernel /= np.abs(kernel).sum()
        start = (n_taps - len(kernel)) // 2
        kernels[row, start : start + len(kernel)] = kernel
    return kernels


@dataclass(frozen=True)
class OctaveLevel:
    """One octave of the transform, computed at ``sr / 2**level``.

    Attributes
    ----------
    level : int
        How many times the signal was halved before this octave.
    bins : slice
        Which CQT bins this octave fills.
    hop_samples : int
        Hop at this level's rate.
    kernels : np.ndarray, shape (n_taps, 1, 2 * n_bins), float32
        Real parts then imaginary parts, laid out for a 1-D convolution.
    scale : np.ndarray, shape (n_bins,), float32
        ``sqrt(L_k)`` at the full rate (librosa's ``scale=True``).
    """

    level: int
    bins: slice
    hop_samples: int
    kernels: np.ndarray
    scale: np.ndarray


def plan_octaves(
    sr: int = SAMPLE_RATE_HZ,
    hop_samples: int = HOP_SAMPLES,
    fmin_hz: float = FMIN_HZ,
    n_bins: int = N_CQT_BINS,
    bins_per_octave: int = BINS_PER_OCTAVE,
) -> list[OctaveLevel]:
    """Split the bins into octaves, top first, and make each octave's kernels.

    Raises
    ------
    ValueError
        The top bin is above Nyquist, or ``hop_samples`` cannot be halved
        once per octave.
    """
    freqs = cqt_frequencies(n_bins, fmin_hz, bins_per_octave)
    if freqs[-1] >= sr / 2:
        raise ValueError(f"top CQT bin {freqs[-1]:.0f} Hz is above Nyquist ({sr / 2:.0f} Hz)")
    n_levels = math.ceil(n_bins / bins_per_octave)
    if hop_samples % 2 ** (n_levels - 1):
        raise ValueError(
            f"hop_samples={hop_samples} must be divisible by 2**{n_levels - 1} "
            f"to compute {n_levels} octaves at halved rates"
        )
    full_rate_lengths = cqt_filter_lengths(freqs, sr, bins_per_octave)
    levels = []
    for level in range(n_levels):
        stop = n_bins - level * bins_per_octave
        bins = slice(max(0, stop - bins_per_octave), stop)
        kernels = cqt_kernels(freqs[bins], sr / 2**level, bins_per_octave)
        stacked = np.concatenate([kernels.real, kernels.imag]).T[:, np.newaxis, :]
        levels.append(
            OctaveLevel(
                level=level,
                bins=bins,
                hop_samples=hop_samples // 2**level,
                kernels=stacked.astype(np.float32),
                scale=np.sqrt(full_rate_lengths[bins]).astype(np.float32),
            )
        )
    return levels


@keras.saving.register_keras_serializable(package="dlmusic")
class CQT(keras.layers.Layer):
    """Magnitude constant-Q transform of a batch of mono audio, in the graph.

    Input shape ``(batch, n_samples)`` or ``(batch, n_samples, 1)``;
    output shape ``(batch, 1 + n_samples // hop_samples, n_bins)``, float32.
    The kernels are constants rebuilt from the configuration, not weights.
    """

    def __init__(
        self,
        sr: int = SAMPLE_RATE_HZ,
        hop_samples: int = HOP_SAMPLES,
        fmin_hz: float = FMIN_HZ,
        n_bins: int = N_CQT_BINS,
        bins_per_octave: int = BINS_PER_OCTAVE,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.sr = sr
        self.hop_samples = hop_samples
        self.fmin_hz = fmin_hz
        self.n_bins = n_bins
        self.bins_per_octave = bins_per_octave
        self.octaves = plan_octaves(sr, hop_samples, fmin_hz, n_bins, bins_per_octave)

    def call(self, audio):
        if len(audio.shape) == 2:
            audio = ops.expand_dims(audio, -1)
        n_samples = audio.shape[1]
        n_frames = 1 + n_samples // self.hop_samples
        block = 2 ** (len(self.octaves) - 1)
        padded_length = block * math.ceil((n_samples + WRAP_GUARD_SAMPLES) / block)
        signal = ops.pad(
            ops.cast(audio, "float32"), [[0, 0], [0, padded_length - n_samples], [0, 0]]
        )
        octaves = []
        for octave in self.octaves:
            if octave.level > 0:
                signal = self._halve_rate(signal)
            half = octave.kernels.shape[0] // 2
            padded = ops.pad(signal, [[0, 0], [half, half], [0, 0]])
            response = ops.conv(padded, octave.kernels, strides=octave.hop_samples)
            real, imag = ops.split(response[:, :n_frames, :], 2, axis=-1)
            octaves.append(ops.sqrt(real**2 + imag**2 + 1e-20) * octave.scale)
        return ops.concatenate(octaves[::-1], axis=-1)

    @staticmethod
    def _halve_rate(signal):
        """Ideal low-pass and decimate by two: keep the lower half of the spectrum.

        ``signal`` is ``(batch, n, 1)`` with ``n`` even; the result is
        ``(batch, n // 2, 1)`` with sinusoids below the new Nyquist frequency
        at unchanged amplitude.
        """
        n_samples = signal.shape[1]
        real, imag = ops.rfft(signal[:, :, 0])
        n_kept = n_samples // 4 + 1
        half = ops.irfft((real[:, :n_kept], imag[:, :n_kept]), fft_length=n_samples // 2)
        return ops.expand_dims(0.5 * half, -1)

    def compute_output_shape(self, input_shape):
        n_samples = input_shape[1]
        n_frames = None if n_samples is None else 1 + n_samples // self.hop_samples
        return (input_shape[0], n_frames, self.n_bins)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            sr=self.sr,
            hop_samples=self.hop_samples,
            fmin_hz=self.fmin_hz,
            n_bins=self.n_bins,
            bins_per_octave=self.bins_per_octave,
        )
        return config


@keras.saving.register_keras_serializable(package="dlmusic")
class NormalizedLogPower(keras.layers.Layer):
    """Basic Pitch's normalisation: log power in dB, rescaled to [0, 1] per example.

    Input ``(batch, frames, bins)`` magnitudes; output the same shape, where
    each example's quietest cell is 0 and its loudest is 1.
    """

    def call(self, magnitude):
        log_power = 10.0 * ops.log10(ops.square(magnitude) + 1e-10)
        lowest = ops.min(log_power, axis=(1, 2), keepdims=True)
        shifted = log_power - lowest
        highest = ops.max(shifted, axis=(1, 2), keepdims=True)
        return ops.where(highest > 0, shifted / ops.maximum(highest, 1e-10), 0.0)
