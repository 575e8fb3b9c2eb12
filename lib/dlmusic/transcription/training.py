"""Loss settings and callbacks for training the NMP network.

Notebook: ``solutions/transcription``, part 5 ("Loss and training"); the
weighting is derived in the ``problem_set`` notebook.

Every head is trained with binary cross-entropy, which the notebook writes
(``weighted_bce``, per cell, and ``class_mean_bce``, Basic Pitch's per-class
means). Onsets are rare (well under 1 % of the onset targets are 1), so an
unweighted loss is minimised by predicting "no onset" everywhere. The notebook
weights each positive onset cell by :data:`ONSET_POSITIVE_WEIGHT`; Basic Pitch
uses the same number as the weight of the positives' *mean* loss.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import keras
import numpy as np

from dlmusic.callbacks import training_callbacks
from dlmusic.datasets.summary import format_table
from dlmusic.transcription.data import NoteOnsetTargets, PianoClip, WindowSequence

__all__ = [
    "LABEL_SMOOTHING",
    "ONSET_POSITIVE_WEIGHT",
    "compile_nmp",
    "positive_rates",
    "positive_share",
    "rate_table",
    "share_table",
    "training_callbacks",
]

ONSET_POSITIVE_WEIGHT = 0.95
"""Onset weight of the positives: per cell in the notebook's training (negatives 0.05 each);
Basic Pitch's number, which it applies to the positive cells' mean loss."""
LABEL_SMOOTHING = 0.2
"""Basic Pitch's label smoothing: targets 0/1 become 0.1/0.9."""


LossFactory = Callable[[float, float], Callable]
"""``loss(positive_weight, label_smoothing) -> keras loss``: the notebook's ``weighted_bce``."""


def compile_nmp(
    model: keras.Model,
    weighted_bce: LossFactory,
    *,
    learning_rate: float = 1e-3,
    onset_positive_weight: float = ONSET_POSITIVE_WEIGHT,
    supervised_contour: bool = True,
    label_smoothing: float = LABEL_SMOOTHING,
    onset_loss: Callable | None = None,
) -> keras.Model:
    """Compile with Adam and Basic Pitch's losses, built from ``weighted_bce``.

    Notebook: transcription, part 5 (training). Contour and note get
    ``weighted_bce(0.5, label_smoothing)`` (plain BCE), onsets
    ``weighted_bce(onset_positive_weight, label_smoothing)`` unless ``onset_loss``
    is given; ``supervised_contour=False`` sets the contour loss weight to 0
    (the no-bottleneck ablation).

    Parameters
    ----------
    model : keras.Model
        A network with the outputs ``contour``, ``note`` and ``onset``.
    weighted_bce : callable
        ``weighted_bce(positive_weight, label_smoothing) -> loss`` (the notebook's).
    onset_loss : callable, optional
        A Keras loss for the onset head instead (e.g. ``class_mean_bce(0.95, 0.2)``).

    Returns
    -------
    keras.Model
        ``model``, compiled.
    """
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss={
            "contour": weighted_bce(0.5, label_smoothing),
            "note": weighted_bce(0.5, label_smoothing),
            "onset": onset_loss or weighted_bce(onset_positive_weight, label_smoothing),
        },
        loss_weights={"contour": 1.0 if supervised_contour else 0.0, "note": 1.0, "onset": 1.0},
    )
    return model


def positive_share(
    targets: np.ndarray,
    predictions: np.ndarray,
    weight: float,
    *,
    per_class_mean: bool,
    label_smoothing: float = LABEL_SMOOTHING,
) -> float:
    """The positive cells' share of a weighted cross-entropy with label smoothing.

    Notebook: transcription, part 5 (what share of the onset loss do positives get?).

    Parameters
    ----------
    targets : np.ndarray
        Targets in {0, 1}; a cell is positive where its target is > 0.
    predictions : np.ndarray
        Predictions in [0, 1], same shape (clipped to [1e-7, 1 - 1e-7]).
    weight : float
        The positives' weight w; the negatives get 1 - w.
    per_class_mean : bool
        ``True``: w times the positives' *mean* loss against (1 - w) times the
        negatives' mean (Basic Pitch); ``False``: per cell, sums.

    Returns
    -------
    float
        The positives' weighted loss over the whole weighted loss, in [0, 1].
    """
    positive = targets > 0
    smoothed = targets * (1 - label_smoothing) + label_smoothing / 2
    p = np.clip(predictions, 1e-7, 1 - 1e-7)
    cell_loss = -(smoothed * np.log(p) + (1 - smoothed) * np.log(1 - p))
    total = np.mean if per_class_mean else np.sum
    positives = weight * total(cell_loss[positive])
    return float(positives / (positives + (1 - weight) * total(cell_loss[~positive])))


def positive_rates(
    clips: Sequence[PianoClip], targets: NoteOnsetTargets, *, n_windows: int = 16, seed: int = 0
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """The fraction of target cells that are 1, per head, in random training windows.

    Notebook: transcription, part 5 (the classes are very unbalanced).

    Parameters
    ----------
    clips : sequence of PianoClip
        The training clips.
    targets : callable
        The notebook's ``note_and_onset_targets``, which makes the examples.
    n_windows : int
        Windows drawn (one batch of :class:`~dlmusic.transcription.data.WindowSequence`).
    seed : int
        Seeds the draw.

    Returns
    -------
    rates : dict of str to float
        ``contour``, ``note``, ``onset``: mean of the targets, in [0, 1].
    batch : dict of str to np.ndarray
        The targets themselves, ``(n_windows, frames, bins)`` per head.
    """
    windows = WindowSequence(
        clips, targets=targets, batch_size=n_windows, batches_per_epoch=1, seed=seed
    )
    _, batch = windows[0]
    return {head: float(target.mean()) for head, target in batch.items()}, batch


def rate_table(rates: Mapping[str, float]) -> str:
    """:func:`positive_rates` as a text table, in percent.

    Notebook: transcription, part 5.
    """
    rows = [
        {"head": head, "cells that are 1": f"{100 * rate:.3f} %"} for head, rate in rates.items()
    ]
    return format_table(rows, "positive rate in random training windows")


def share_table(onset_targets: np.ndarray, weight: float = ONSET_POSITIVE_WEIGHT) -> str:
    """The positives' share of four onset losses, for a network that predicts 0.5 everywhere.

    Notebook: transcription, part 5 (what share of the onset loss do positives get?):
    plain BCE, the per-cell ``weight``, the per-cell equal vote ``1 - p`` and
    Basic Pitch's per-class mean with ``weight``.

    Parameters
    ----------
    onset_targets : np.ndarray
        Onset targets of a batch, in {0, 1}.
    weight : float
        The onset weight the notebook trains with.
    """
    rate = float(onset_targets.mean())
    know_nothing = np.full(onset_targets.shape, 0.5)
    losses = {
        "per cell, w = 0.5 (plain BCE)": (0.5, False),
        f"per cell, w = {weight} (what this notebook trains with)": (weight, False),
        f"per cell, w = 1 - p = {1 - rate:.4f} (equal vote)": (1 - rate, False),
        f"per-class mean, w = {weight} (Basic Pitch)": (weight, True),
    }
    rows = []
    for label, (w, per_class_mean) in losses.items():
        share = positive_share(onset_targets, know_nothing, w, per_class_mean=per_class_mean)
        rows.append({"onset loss": label, "positives' share of the loss": f"{share:.1%}"})
    title = f"onset targets: {int(onset_targets.sum())} positive cells of {onset_targets.size}"
    return format_table(rows, title)
