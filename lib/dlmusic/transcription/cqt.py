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

The kernel of one bin is the notebook's exercise (``cqt_kernel``): the layer
takes that function as its ``kernel`` argument, so the network computes its CQT
with the student's kernels.

Conventions match ``librosa.cqt`` (``filter_scale=1``, ``norm=1``,
``scale=True``, centred frames): a full-scale sine at a bin's frequency gives
about ``0.5 * sqrt(L_k)`` in that bin. Frames are centred: frame ``t`` is
centred on sample ``t * hop_samples``, and ``n_samples`` samples give
``1 + n_samples // hop_samples`` frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
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
    """Centre frequencies in Hz, shape ``(n_bins,)``: ``fmin * 2**(k / bins_per_octave)``.

    Notebook: transcription, part 1 (the CQT).
    """
    return fmin_hz * 2.0 ** (np.arange(n_bins) / bins_per_octave)


def cqt_filter_lengths(
    freqs_hz: np.ndarray, sr: float, bins_per_octave: int = BINS_PER_OCTAVE
) -> np.ndarray:
    """Kernel length in samples of each bin, ``sr / (alpha * f)``, shape ``(n_bins,)``.

    Notebook: transcription, part 1 (kernel lengths).

    ``alpha`` is the relative bandwidth of one bin, ``(r**2 - 1) / (r**2 + 1)``
    with ``r = 2**(1 / bins_per_octave)`` (librosa's definition), so
    neighbouring bins' main lobes just touch.
    """
    r_squared = 2.0 ** (2.0 / bins_per_octave)
    alpha = (r_squared - 1) / (r_squared + 1)
    return sr / (alpha * np.asarray(freqs_hz, dtype=float))


KernelFunction = Callable[[float, float, int], np.ndarray]
"""``kernel(freq_hz, sr, bins_per_octave) -> np.ndarray``: the complex kernel of one
CQT bin, shape ``(n_taps,)`` (the notebook's exercise ``cqt_kernel``)."""


def kernel_matrix(
    kernel: KernelFunction,
    freqs_hz: np.ndarray,
    sr: float,
    bins_per_octave: int = BINS_PER_OCTAVE,
) -> np.ndarray:
    """The kernels of several bins, each centred in one row of a common width.

    Notebook: transcription, part 1 (the CQT layer, from the student's kernel function).

    Parameters
    ----------
    kernel : callable
        ``kernel(freq_hz, sr, bins_per_octave)``: one bin's complex kernel, 1-D.
    freqs_hz : np.ndarray, shape (n_bins,)
        Centre frequencies in Hz (all below ``sr / 2``).
    sr : float
        Sample rate of the signal the kernels are applied to, in Hz.
    bins_per_octave : int
        Passed to ``kernel``.

    Returns
    -------
    np.ndarray, shape (n_bins, n_taps), complex128
        Row ``k`` holds ``kernel(freqs_hz[k], ...)`` centred (``(n_taps - length) // 2``
        zeros before it); ``n_taps`` is the longest kernel's length rounded up to even.

    Raises
    ------
    ValueError
        ``kernel`` returned something that is not a non-empty, finite 1-D array.
    """
    rows = []
    for freq in np.asarray(freqs_hz, dtype=float):
        values = np.asarray(kernel(float(freq), sr, bins_per_octave))
        if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
            raise ValueError(
                f"the kernel of {freq:.2f} Hz at {sr:g} Hz must be a non-empty, finite 1-D "
                f"array, got shape {values.shape}"
            )
        rows.append(values.astype(np.complex128))
    n_taps = 2 * math.ceil(max(row.size for row in rows) / 2)
    matrix = np.zeros((len(rows), n_taps), dtype=np.complex128)
    for index, row in enumerate(rows):
        offset = (n_taps - row.size) // 2
        matrix[index, offset : offset + row.size] = row
    return matrix


@dataclass(frozen=True)
class OctaveLevel:
    """One octave of the transform, computed at ``sr / 2**level``.

    Notebook: transcription, part 1 (the CQT layer's octaves).

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
    kernel: KernelFunction,
    sr: int = SAMPLE_RATE_HZ,
    hop_samples: int = HOP_SAMPLES,
    fmin_hz: float = FMIN_HZ,
    n_bins: int = N_CQT_BINS,
    bins_per_octave: int = BINS_PER_OCTAVE,
) -> list[OctaveLevel]:
    """Split the bins into octaves, top first, and make each octave's kernels.

    Notebook: transcription, part 1 (the CQT layer's octaves).

    ``kernel`` makes one bin's kernel (see :data:`KernelFunction`); each octave's
    kernels are made at that octave's rate, ``sr / 2**level``.

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
        kernels = kernel_matrix(kernel, freqs[bins], sr / 2**level, bins_per_octave)
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


class CQT(keras.layers.Layer):
    """Magnitude constant-Q transform of a batch of mono audio, in the graph.

    Notebook: transcription, part 1 (the CQT layer built from the student's cqt_kernel).

    Input shape ``(batch, n_samples)`` or ``(batch, n_samples, 1)``;
    output shape ``(batch, 1 + n_samples // hop_samples, n_bins)``, float32.
    The kernels are constants made by ``kernel`` when the layer is built, not
    weights, so saved weights do not hold them (and the layer is saved with
    ``save_weights`` only).

    Parameters
    ----------
    kernel : callable
        ``kernel(freq_hz, sr, bins_per_octave) -> np.ndarray``, one bin's complex
        kernel (the notebook passes its ``cqt_kernel``).
    sr, hop_samples, fmin_hz, n_bins, bins_per_octave
        Sample rate (Hz), hop (samples), lowest bin (Hz), number of bins, bins per octave.
    """

    def __init__(
        self,
        kernel: KernelFunction,
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
        self.octaves = plan_octaves(kernel, sr, hop_samples, fmin_hz, n_bins, bins_per_octave)

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
