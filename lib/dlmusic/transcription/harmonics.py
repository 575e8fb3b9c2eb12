"""Harmonic stacking inside the network: a Keras layer around the student's function.

Notebook: ``solutions/transcription``, part 2 ("Harmonic stacking").

On a log-frequency axis the ``h``-th harmonic of a note sits a fixed number of
bins above the fundamental, ``round(bins_per_octave * log2(h))``, whatever the
note. Shifting a copy of the CQT down by that many bins for each ``h`` and
stacking the copies as channels puts a note's harmonics on top of each other,
so a small convolution sees the whole harmonic series of every pitch at once.
The student writes that operation (``harmonic_stack``); this layer only puts
it in the network, as :class:`~dlmusic.transcription.cqt.CQT` does with the
student's kernel function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import keras

from dlmusic.transcription.constants import BINS_PER_OCTAVE, HARMONICS, N_CONTOUR_BINS

StackFunction = Callable[[object, Sequence[float], int, int], object]
"""``(spectrogram, harmonics, n_output_bins, bins_per_octave) -> stacked``: the notebook's
``harmonic_stack``, written with ``keras.ops`` so that it runs on a batch of tensors
``(batch, frames, bins)`` inside the graph and returns ``(batch, frames, n_output_bins,
len(harmonics))``."""


class HarmonicStacking(keras.layers.Layer):
    """Keras layer that applies a harmonic-stacking function to a batch.

    Notebook: transcription, parts 2 and 4 (the stacking layer runs the student's harmonic_stack).

    Input ``(batch, frames, bins)`` or ``(batch, frames, bins, 1)``; output
    ``(batch, frames, n_output_bins, len(harmonics))``.

    Parameters
    ----------
    stack : callable
        The stacking function (see :data:`StackFunction`); the notebook passes
        the student's ``harmonic_stack``.
    harmonics : sequence of float
        One output channel per harmonic ``h``.
    n_output_bins : int
        Bins kept, from bin 0.
    bins_per_octave : int
        Bins per octave of the input.
    """

    def __init__(
        self,
        stack: StackFunction,
        harmonics: Sequence[float] = HARMONICS,
        n_output_bins: int = N_CONTOUR_BINS,
        bins_per_octave: int = BINS_PER_OCTAVE,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(stack):
            raise TypeError(f"stack must be a function (harmonic_stack), got {type(stack)}")
        self.stack = stack
        self.harmonics = tuple(harmonics)
        self.n_output_bins = n_output_bins
        self.bins_per_octave = bins_per_octave

    def call(self, spectrogram):
        if len(spectrogram.shape) == 4:
            spectrogram = spectrogram[..., 0]
        return self.stack(spectrogram, self.harmonics, self.n_output_bins, self.bins_per_octave)

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
