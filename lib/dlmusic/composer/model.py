"""The composer classifiers: ResNet50 from scratch on one-channel rows, and a small CNN.

Notebook: ``solutions/composer``, part 3 ("The network"). Both networks read
rows of shape :data:`dlmusic.composer.rows.ROW_SHAPE` with one channel and
end in a softmax over the composers. Training uses SGD with momentum and a
learning rate that decays exponentially, and the callbacks TerminateOnNaN,
ModelCheckpoint and CSVLogger.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

from dlmusic import callbacks
from dlmusic.composer.rows import ROW_SHAPE

INPUT_SHAPE = (*ROW_SHAPE, 1)
"""(height, width, channels) of a row as the networks read it."""


def build_resnet50(n_classes: int, input_shape: tuple[int, int, int] = INPUT_SHAPE) -> keras.Model:
    """Keras' ResNet50, untrained (``weights=None``), for one-channel rows.

    ImageNet weights expect three colour channels and photographs; rows of
    sheet music have one channel, so the network starts from random weights.
    About 23.5 million parameters.
    """
    return keras.applications.ResNet50(
        include_top=True,
        weights=None,
        input_shape=input_shape,
        classes=n_classes,
        classifier_activation="softmax",
        name="resnet50",
    )


def build_small_cnn(
    n_classes: int,
    input_shape: tuple[int, int, int] = INPUT_SHAPE,
    filters: tuple[int, ...] = (16, 32, 64, 128),
) -> keras.Model:
    """A baseline: (3x3 conv, batch norm, ReLU, 2x2 max-pool) per entry of ``filters``,
    global average pooling, dropout, softmax. About 100k parameters with the defaults."""
    inputs = keras.Input(input_shape, name="row")
    x = inputs
    for index, width in enumerate(filters):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"conv{index + 1}")(x)
        x = layers.BatchNormalization(name=f"bn{index + 1}")(x)
        x = layers.ReLU(name=f"relu{index + 1}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{index + 1}")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def compile_classifier(
    model: keras.Model,
    *,
    learning_rate: float = 0.01,
    decay_steps: int = 100,
    decay_rate: float = 0.5,
    momentum: float = 0.9,
) -> keras.Model:
    """Compile with SGD (momentum) whose learning rate halves every ``decay_steps`` steps.

    Loss: sparse categorical cross-entropy (labels are class indices);
    metric: accuracy.
    """
    schedule = keras.optimizers.schedules.ExponentialDecay(
        learning_rate, decay_steps=decay_steps, decay_rate=decay_rate
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=momentum),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def training_callbacks(out_dir: str | Path, name: str) -> list[keras.callbacks.Callback]:
    """TerminateOnNaN, ModelCheckpoint (best dev accuracy) and CSVLogger.

    Writes ``<out_dir>/<name>.weights.h5`` and ``<out_dir>/<name>.log.csv``.
    """
    return callbacks.training_callbacks(out_dir, name, monitor="val_accuracy", mode="max")
