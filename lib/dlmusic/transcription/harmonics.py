"""Harmonic stacking: line up each harmonic of a note with its fundamental.

Notebook: ``solutions/transcription``, part 2 ("Harmonic stacking").

On a log-frequency axis the ``h``-th harmonic of a note sits a fixed number of
bins above the fundamental, ``round(bins_per_octave * log2(h))``, whatever the
note. Shifting a copy of the CQT down by that many bins for each ``h`` and
stacking the copies as channels puts a note's harmonics on top of each other,
so a small convolution sees the whole harmonic series of every pitch at once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import keras
from keras import ops

from dlmusic.transcription.constants import BINS_PER_OCTAVE, HARMONICS, N_CONTOUR_BINS


def harmonic_shifts(
    harmonics: Sequence[float] = HARMONICS, bins_per_octave: int = BINS_PER_OCTAVE
) -> list[int]:
    """Bins between a fundamental and each harmonic: ``round(bins_per_octave * log2(h))``.

    With 36 bins per octave: ``[-36, 0, 36, 57, 72, 84, 93, 101]`` for
    ``h = 0.5, 1, 2, ..., 7``.
    """
    return [round(bins_per_octave * math.log2(h)) for h in harmonics]


@keras.saving.register_keras_serializable(package="dlmusic")
class HarmonicStacking(keras.layers.Layer):
    """Keras layer: ``(batch, frames, bins)`` or ``(batch, frames, bins, 1)`` in,
    ``(batch, frames, n_output_bins, len(harmonics))`` out.

    Channel ``c``, bin ``k`` holds input bin ``k + harmonic_shifts(...)[c]`` (zero
    where that falls outside the input): the notebook's ``harmonic_stack``, in the graph.
    """

    def __init__(
        self,
        harmonics: Sequence[float] = HARMONICS,
        n_output_bins: int = N_CONTOUR_BINS,
        bins_per_octave: int = BINS_PER_OCTAVE,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        self.harmonics = tuple(harmonics)
        self.n_output_bins = n_output_bins
        self.bins_per_octave = bins_per_octave
        self.shifts = harmonic_shifts(self.harmonics, bins_per_octave)

    def call(self, spectrogram):
        if len(spectrogram.shape) == 4:
            spectrogram = spectrogram[..., 0]
        left = max(0, -min(self.shifts))
        right = max(0, max(self.shifts) + self.n_output_bins - spectrogram.shape[2])
        padded = ops.pad(spectrogram, [[0, 0], [0, 0], [left, right]])
        channels = [
            padded[:, :, left + shift : left + shift + self.n_output_bins] for shift in self.shifts
        ]
        return ops.stack(channels, axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.n_output_bins, len(self.harmonics))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            harmonics=list(self.harmonics),
            n_output_bins=self.n_output_bins,
            bins_per_octave=self.bins_per_octave,
        )
        return config
