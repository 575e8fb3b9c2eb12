"""The mask estimator: a bidirectional LSTM over STFT frames, and separating a track with it.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 4 and 5 (students build
the network themselves; :func:`build_mask_estimator` is the reference the
grader loads their weights into). The network reads the mixture's STFT
magnitudes, one frame (513 bins) per time step, and writes a vocal mask of
the same shape:

==================  =========================================  ===========
layer               output shape                               parameters
==================  =========================================  ===========
log_magnitude       (batch, frames, 513): ``log(|X| + 1e-3)``  0
input_norm          batch normalisation per bin                2,052
frame_encoder       Dense 96, tanh                             49,344
context             Bidirectional LSTM, 96 units each way      148,224
mask                Dense 513, sigmoid                         99,009
==================  =========================================  ===========

297,603 trainable parameters (1,026 of the 2,052 batch-norm ones are the
running statistics). The LSTM lets each frame's mask depend on the frames
around it: a sustained vowel, a vibrato, a phrase that started earlier.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from dlmusic.audio import validate_audio
from dlmusic.separation.masks import separate_with_mask
from dlmusic.separation.stft import N_BINS, stft

HIDDEN_UNITS = 96
LOG_FLOOR = 1e-3
"""Added to magnitudes before the log, so silence maps to log(1e-3), not -inf."""


class LogMagnitude(layers.Layer):
    """``log(|X| + LOG_FLOOR)``: compresses the huge dynamic range of STFT magnitudes."""

    def call(self, magnitude):
        return keras.ops.log(keras.ops.abs(magnitude) + LOG_FLOOR)


def build_mask_estimator(
    hidden_units: int = HIDDEN_UNITS, name: str = "mask_estimator"
) -> keras.Model:
    """The reference frame-sequence LSTM mask estimator (see the module docstring).

    Parameters
    ----------
    hidden_units : int
        Width of the frame encoder and of each LSTM direction.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Input ``(batch, n_frames, 513)`` mixture magnitudes (any ``n_frames``);
        output ``(batch, n_frames, 513)`` vocal mask in [0, 1].
    """
    magnitude = keras.Input(shape=(None, N_BINS), name="mixture_magnitude")
    features = LogMagnitude(name="log_magnitude")(magnitude)
    features = layers.BatchNormalization(name="input_norm")(features)
    features = layers.Dense(hidden_units, activation="tanh", name="frame_encoder")(features)
    features = layers.Bidirectional(
        layers.LSTM(hidden_units, return_sequences=True), name="context"
    )(features)
    mask = layers.Dense(N_BINS, activation="sigmoid", name="mask")(features)
    return keras.Model(magnitude, mask, name=name)


def cellwise_squared_error(y_true, y_pred):
    """``(y_true - y_pred)^2`` kept per cell, shape ``(batch, frames, N_BINS)``.

    Keras' own ``MeanSquaredError`` averages over the last axis (the bins)
    before it applies sample weights; keeping every cell lets
    :func:`dlmusic.separation.data.energy_weights` weigh each one.
    """
    return keras.ops.square(y_true - y_pred)


def compile_mask_estimator(model: keras.Model, learning_rate: float = 1e-3) -> keras.Model:
    """Adam and the mask loss: the squared mask error of each cell, weighted by the data.

    Train it on :class:`dlmusic.separation.data.FrameSequences` batches
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


def predict_mask(model: keras.Model, mixture: np.ndarray) -> np.ndarray:
    """The network's vocal mask for a whole mono mixture, shape ``(N_BINS, n_frames)``."""
    validate_audio(mixture, mono=True)
    magnitude = np.abs(stft(mixture)).T[np.newaxis]
    mask = np.asarray(model(magnitude, training=False))[0].T
    return np.clip(np.nan_to_num(mask, nan=0.0), 0.0, 1.0)


def separate(model: keras.Model, mixture: np.ndarray) -> dict[str, np.ndarray]:
    """Vocals and accompaniment of a mono mixture: mask -> multiply -> inverse STFT.

    Returns
    -------
    dict
        ``"vocals"``, ``"accompaniment"`` and the ``"mask"`` used
        (``(N_BINS, n_frames)``); the audio is ``(n_samples,)`` float32.
    """
    mask = predict_mask(model, mixture)
    return {**separate_with_mask(mixture, mask), "mask": mask}


def count_trainable_parameters(model: keras.Model) -> int:
    """Trainable parameters of ``model``."""
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))
