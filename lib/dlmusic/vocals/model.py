"""Given parts of the mask estimator: the log-magnitude layer, the loss, and where weights go.

Notebook: ``solutions/vocals/vocals.ipynb``, part 5. Students build the
network themselves (``build_model``: a bidirectional LSTM over STFT frames
that reads the mixture's magnitudes, one frame of 513 bins per time step,
and writes a vocal mask of the same shape). This module hands out what the
notebook gives them:

- :class:`LogMagnitude`, the network's first layer (no weights);
- :func:`cellwise_squared_error` and :func:`compile_mask_estimator`, the
  energy-weighted mask loss and its optimiser;
- :func:`weights_file`, where the notebook saves each trained network (the
  grader loads these files into its own copy of the architecture).
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import layers

from dlmusic.errors import DlmusicError

LOG_FLOOR = 1e-3
"""Added to magnitudes before the log, so silence maps to log(1e-3), not -inf."""
MASK_TARGETS = ("binary", "ratio")
"""The ideal masks a network learns; one saved network per target."""


class LogMagnitude(layers.Layer):
    """``log(|X| + LOG_FLOOR)``: compresses the huge dynamic range of STFT magnitudes."""

    def call(self, magnitude):
        return keras.ops.log(keras.ops.abs(magnitude) + LOG_FLOOR)


def cellwise_squared_error(y_true, y_pred):
    """``(y_true - y_pred)^2`` kept per cell, shape ``(batch, frames, N_BINS)``.

    Keras' own ``MeanSquaredError`` averages over the last axis (the bins)
    before it applies sample weights; keeping every cell lets
    :func:`dlmusic.vocals.data.energy_weights` weigh each one.
    """
    return keras.ops.square(y_true - y_pred)


def compile_mask_estimator(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam and the mask loss: the squared mask error of each cell, weighted by the data.

    Train it on :class:`dlmusic.vocals.data.FrameSequences` batches
    ``(x, y, w)``. With the default energy weights ``w = |X|^2`` the loss is
    the squared error of the masked magnitudes, ``(m_hat |X| - m |X|)^2``,
    which ranks networks as SDR does; with uniform weights it is the plain
    mask error, which spends as much effort on silent cells as on loud ones.
    Gradients are clipped to norm 1, since energy-weighted losses are large.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate, clipnorm=1.0),
        loss=cellwise_squared_error,
    )
    return model


def count_trainable_parameters(model: keras.Model) -> int:
    """Trainable parameters of ``model``."""
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))


def weights_file(target: str, folder: str | Path = ".") -> Path:
    """Where the notebook saves the ``target`` network (one of :data:`MASK_TARGETS`).

    That is ``<folder>/vocals_<target>_mask.weights.h5``; the student hands
    both files in with the notebook.
    """
    if target not in MASK_TARGETS:
        raise DlmusicError(
            f"unknown mask target {target!r}; expected one of {', '.join(MASK_TARGETS)}"
        )
    return Path(folder) / f"vocals_{target}_mask.weights.h5"
