"""Given parts of the mask estimator: the log-magnitude layer, the loss, and where weights go.

Notebook: ``solutions/vocals/vocals.ipynb``, part 5. Students build the
network themselves (``build_model``: a bidirectional LSTM over STFT frames
that reads the mixture's magnitudes, one frame of 513 bins per time step,
and writes a vocal mask of the same shape). This module hands out what the
notebook gives them:

- :class:`LogMagnitude`, the network's first layer (no weights);
- :func:`cellwise_squared_error` and :func:`compile_mask_estimator`, the
  energy-weighted mask loss and its optimiser; :func:`weighted_mask_loss`, the
  same loss of a network on one batch, as training computes it;
- :func:`untrained_stand_in`, the network of part 4 before the real one exists;
- :func:`fit_mask_network`, one training run that keeps the best epoch;
- :func:`same_masks_after_reload`, the test that saved weights load back;
- :func:`weights_file`, where the notebook saves each trained network (the
  grader loads these files into its own copy of the architecture).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import layers

from dlmusic.errors import DlmusicError
from dlmusic.runs import fit_keeping_best
from dlmusic.vocals.stft import N_BINS

LOG_FLOOR = 1e-3
"""Added to magnitudes before the log, so silence maps to log(1e-3), not -inf."""
MASK_TARGETS = ("binary", "ratio")
"""The ideal masks a network learns; one saved network per target."""


class LogMagnitude(layers.Layer):
    """``log(|X| + LOG_FLOOR)``: compresses the huge dynamic range of STFT magnitudes.

    Notebook: vocals, part 5 (the first layer of ``build_model``).

    Examples
    --------
    >>> import numpy as np
    >>> np.asarray(LogMagnitude()(np.array([[0.0, 1.0]], np.float32))).round(2)
    array([[-6.91,  0.  ]], dtype=float32)
    """

    def call(self, magnitude):
        return keras.ops.log(keras.ops.abs(magnitude) + LOG_FLOOR)


def cellwise_squared_error(y_true, y_pred):
    """``(y_true - y_pred)^2`` kept per cell, shape ``(batch, frames, N_BINS)``.

    Notebook: vocals, part 5 (the mask loss).

    Keras' own ``MeanSquaredError`` averages over the last axis (the bins)
    before it applies sample weights; keeping every cell lets
    :func:`dlmusic.vocals.data.energy_weights` weigh each one.
    """
    return keras.ops.square(y_true - y_pred)


def compile_mask_estimator(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam and the mask loss: the squared mask error of each cell, weighted by the data.

    Notebook: vocals, part 5 (exercise 5b and training).

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


def weights_file(target: str, folder: str | Path = ".") -> Path:
    """Where the notebook saves the ``target`` network (one of :data:`MASK_TARGETS`).

    Notebook: vocals, parts 5 and 6 (training, and the scored networks).

    That is ``<folder>/vocals_<target>_mask.weights.h5``; the student hands
    both files in with the notebook.
    """
    if target not in MASK_TARGETS:
        raise DlmusicError(
            f"unknown mask target {target!r}; expected one of {', '.join(MASK_TARGETS)}"
        )
    return Path(folder) / f"vocals_{target}_mask.weights.h5"


def weighted_mask_loss(model: Any, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """The mask loss ``mean(w (m_hat - m)^2)`` of ``model`` on one batch, as training computes it.

    Notebook: vocals, part 5 (the test of exercise 5b).

    Batch normalisation runs in training mode, with the batch's own statistics,
    as during the optimiser's steps: its moving averages move only
    ``1 - 0.99^50 = 39%`` of the way towards them in 50 steps.

    Parameters
    ----------
    model : callable
        A mask network, ``(batch, frames, N_BINS)`` magnitudes to masks.
    x, y, w : np.ndarray, shape (batch, frames, N_BINS)
        Mixture magnitudes, target masks and each cell's weight.

    Returns
    -------
    float
        The loss; ``mean(w (0.5 - y)^2)`` is a constant 0.5 mask's.
    """
    prediction = np.asarray(model(x, training=True), dtype=np.float64)
    return float(np.mean(np.asarray(w) * (prediction - np.asarray(y)) ** 2))


def untrained_stand_in(seed: int = 0) -> keras.Model:
    """A mask network before any training: one sigmoid ``Dense`` on the log magnitudes.

    Notebook: vocals, part 4 (the chain run end to end before the real network exists).

    Its weights are small and random, so its mask is about 0.5 everywhere.

    Parameters
    ----------
    seed : int
        Seeds Keras before the weights are drawn.

    Returns
    -------
    keras.Model
        ``(batch, n_frames, N_BINS)`` magnitudes to masks of that shape.
    """
    keras.utils.set_random_seed(seed)
    small = keras.initializers.RandomNormal(stddev=0.01)
    return keras.Sequential(
        [
            keras.Input(shape=(None, N_BINS)),
            LogMagnitude(),
            layers.Dense(N_BINS, activation="sigmoid", kernel_initializer=small),
        ],
        name="untrained_stand_in",
    )


def fit_mask_network(
    model: keras.Model,
    data: keras.utils.PyDataset,
    *,
    weights_file: str | Path,
    validation_data: tuple[np.ndarray, np.ndarray, np.ndarray],
    epochs: int,
) -> keras.callbacks.History:
    """Compile ``model`` with the mask loss and train it, keeping the best validation epoch.

    Notebook: vocals, part 5 (training); also ``benchmarks/vocals.py``.

    :func:`compile_mask_estimator`, then :func:`dlmusic.runs.fit_keeping_best`:
    afterwards the model holds the epoch with the lowest validation loss, saved at
    ``weights_file`` with its training log beside it.

    Parameters
    ----------
    model : keras.Model
        The network of ``build_model()``.
    data : dlmusic.vocals.data.FrameSequences
        Training batches ``(x, y, w)``.
    weights_file : path
        Where the best weights go (:func:`weights_file` in the notebook).
    validation_data : tuple of np.ndarray
        ``(x, y, w)`` of :func:`dlmusic.vocals.data.fixed_sequences`.
    epochs : int
        Passes of ``data``.
    """
    compile_mask_estimator(model)
    return fit_keeping_best(
        model, data, weights_file=weights_file, validation_data=validation_data, epochs=epochs
    )


def same_masks_after_reload(model: keras.Model, other: keras.Model, seed: int = 0) -> bool:
    """Whether ``model``'s saved weights, loaded into ``other``, give the same masks.

    Notebook: vocals, part 5 (the test of ``build_model``: what the grader does
    with the weights file, on its own copy of the network).

    Parameters
    ----------
    model, other : keras.Model
        A network and a second build of it (``build_model()`` twice).
    seed : int
        Seeds the random magnitudes ``(2, 20, N_BINS)`` the two are compared on.

    Returns
    -------
    bool
        True when the masks agree within ``1e-5``.
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "check.weights.h5"
        model.save_weights(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras: optimizer variables not restored
            other.load_weights(path)
    frames = np.random.default_rng(seed).uniform(0, 3, (2, 20, N_BINS)).astype(np.float32)
    return bool(
        np.allclose(model(frames, training=False), other(frames, training=False), atol=1e-5)
    )
