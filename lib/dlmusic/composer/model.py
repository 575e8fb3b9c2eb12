"""The composer baseline network, and where the notebook saves the networks it trains.

Notebook: ``solutions/composer``, part 3 ("The network"). The students write
the ResNet50 builder, the compile step and the callbacks; this module gives
the small CNN they compare it with, the input shape both networks read (rows
of :data:`dlmusic.composer.rows.ROW_SHAPE`, one channel), the weights file
each trained network is saved to, and loading it back into a network built
by a builder the caller passes (in the notebook, the student's).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
from keras import layers

from dlmusic.callbacks import load_saved_weights
from dlmusic.composer.rows import ROW_SHAPE
from dlmusic.errors import DlmusicError

INPUT_SHAPE = (*ROW_SHAPE, 1)
"""(height, width, channels) of a row as the networks read it."""
MODEL_NAMES = ("resnet50", "small_cnn")
"""The networks the notebook trains and saves."""
BATCH_NORM_MOMENTUM = 0.9
"""Momentum of the batch-norm moving statistics for training on a few hundred rows.

Keras' default, 0.99, keeps ``0.99**n`` of the initial statistics after ``n``
steps: a fifth after 160 steps (15 epochs of 170 rows), enough to make a
network that fits its training rows predict nonsense at inference."""


def build_small_cnn(
    n_classes: int,
    input_shape: tuple[int, int, int] = INPUT_SHAPE,
    filters: tuple[int, ...] = (16, 32, 64, 128),
) -> keras.Model:
    """A baseline: (3x3 conv, batch norm, ReLU, 2x2 max-pool) per entry of ``filters``,
    global average pooling, dropout, softmax. About 100k parameters with the defaults.

    Notebook: composer, part 3 (the baseline network).
    """
    inputs = keras.Input(input_shape, name="row")
    x = inputs
    for index, width in enumerate(filters):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"conv{index + 1}")(x)
        x = layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, name=f"bn{index + 1}")(x)
        x = layers.ReLU(name=f"relu{index + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{index + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def set_batch_norm_momentum(
    model: keras.Model, momentum: float = BATCH_NORM_MOMENTUM
) -> keras.Model:
    """Set the moving-statistics momentum of every batch-norm layer (before compiling).

    Notebook: composer, part 3 (training).

    For keras.applications networks, whose layers use 0.99: see
    :data:`BATCH_NORM_MOMENTUM`. The weights are unchanged, so weights saved
    from the model load into a freshly built one.
    """
    if not 0 < momentum < 1:
        raise DlmusicError(f"momentum must be in (0, 1), got {momentum}")
    for layer in model.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.momentum = momentum
    return model


def weights_file(name: str, folder: str | Path = ".") -> Path:
    """Where the notebook saves network ``name``: ``<folder>/composer_<name>.weights.h5``.

    Notebook: composer, part 3 (training) and part 4 (your model on held-out works).

    Raises
    ------
    DlmusicError
        ``name`` is not one of :data:`MODEL_NAMES`.
    """
    if name not in MODEL_NAMES:
        raise DlmusicError(f"unknown model {name!r}; expected one of {', '.join(MODEL_NAMES)}")
    return Path(folder) / f"composer_{name}.weights.h5"


def load_saved_model(
    name: str,
    builder: Callable[[int], keras.Model],
    n_classes: int,
    folder: str | Path = ".",
) -> keras.Model:
    """Build network ``name`` with ``builder(n_classes)`` and load its saved weights.

    Notebook: composer, part 4 (your model on held-out works).

    Parameters
    ----------
    name : str
        One of :data:`MODEL_NAMES`; the file is :func:`weights_file` ``(name, folder)``.
    builder : callable
        ``builder(n_classes) -> keras.Model``, the architecture the weights were
        trained with (the notebook passes its own ResNet50 builder).
    n_classes : int
        Number of composers (outputs).

    Raises
    ------
    DlmusicError
        The weights file is missing, or does not fit the network.
    """
    return load_saved_weights(builder(n_classes), weights_file(name, folder), f"{name} model")
