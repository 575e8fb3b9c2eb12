"""Losses, optimiser and callbacks for training the NMP network.

Notebook: ``solutions/transcription``, part 5 ("Loss and training"); the
weighting is derived in the ``problem_set`` notebook.

Every head is trained with binary cross-entropy. Onsets are rare (well under
1 % of the onset targets are 1), so an unweighted loss is minimised by
predicting "no onset" everywhere; :func:`weighted_binary_crossentropy` gives
positives a larger weight. With positive rate ``p``, the weight that gives
positives and negatives an equal total vote is ``w = 1 - p``
(:func:`balanced_positive_weight`).
"""

from __future__ import annotations

import keras
from keras import ops

from dlmusic.callbacks import training_callbacks

__all__ = [
    "balanced_positive_weight",
    "compile_nmp",
    "training_callbacks",
    "weighted_binary_crossentropy",
]

ONSET_POSITIVE_WEIGHT = 0.95
"""Basic Pitch's weight for positive onset targets (negatives get 1 - 0.95)."""
LABEL_SMOOTHING = 0.2
"""Basic Pitch's label smoothing: targets 0/1 become 0.1/0.9."""


def balanced_positive_weight(positive_rate: float) -> float:
    """The positive-class weight ``w`` (negatives get ``1 - w``) giving both classes an equal vote.

    Solves ``w * p = (1 - w) * (1 - p)`` for ``w``: ``w = 1 - p``.
    """
    if not 0.0 < positive_rate < 1.0:
        raise ValueError(f"positive_rate must be in (0, 1), got {positive_rate}")
    return 1.0 - positive_rate


def weighted_binary_crossentropy(positive_weight: float = 0.5, label_smoothing: float = 0.0):
    """A Keras loss: class-weighted binary cross-entropy with label smoothing.

    Each cell is weighted by its *class*, decided by the original target:
    ``w`` for positive cells (``y > 0``) and ``1 - w`` for negative ones
    (``y == 0``). The cross-entropy itself uses the smoothed target
    ``y_s = y * (1 - s) + s / 2``::

        loss = -2 * mean(c * (y_s * log(p) + (1 - y_s) * log(1 - p)), axis=-1)

    with ``c = w`` or ``1 - w``. ``positive_weight=0.5`` is ordinary binary
    cross-entropy (the factor 2 keeps the scale equal to it). Weighting by
    class rather than by the smoothed target's two terms matters: otherwise
    the ``s / 2`` of every negative cell would be weighted by ``w`` and, with
    rare positives and ``w`` near 1, pull every prediction up.
    """
    if not 0.0 < positive_weight < 1.0:
        raise ValueError(f"positive_weight must be in (0, 1), got {positive_weight}")

    def loss(y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        class_weight = ops.where(y_true > 0, positive_weight, 1.0 - positive_weight)
        smoothed = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        cross_entropy = smoothed * ops.log(y_pred) + (1.0 - smoothed) * ops.log(1.0 - y_pred)
        return -2.0 * ops.mean(class_weight * cross_entropy, axis=-1)

    loss.__name__ = f"weighted_bce_{positive_weight:g}"
    return loss


def compile_nmp(
    model: keras.Model,
    *,
    learning_rate: float = 1e-3,
    onset_positive_weight: float = ONSET_POSITIVE_WEIGHT,
    supervised_contour: bool = True,
    label_smoothing: float = LABEL_SMOOTHING,
) -> keras.Model:
    """Compile with Adam and Basic Pitch's losses (contour and note plain, onset weighted).

    ``supervised_contour=False`` sets the contour loss weight to 0 (the
    no-bottleneck ablation).
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss={
            "contour": weighted_binary_crossentropy(0.5, label_smoothing),
            "note": weighted_binary_crossentropy(0.5, label_smoothing),
            "onset": weighted_binary_crossentropy(onset_positive_weight, label_smoothing),
        },
        loss_weights={"contour": 1.0 if supervised_contour else 0.0, "note": 1.0, "onset": 1.0},
    )
    return model
