"""Training the composer networks with the student's compile step and callbacks.

Notebook: composer, part 3 ("Training"), and the leakage experiment. The
students write ``compile_classifier`` and ``make_callbacks``; this module runs
them with the notebook's budget through :mod:`dlmusic.runs` (the best dev
epoch is kept, the weights file is written, and grading mode loads it instead
of training).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from dlmusic.composer.dataset import RowSet
from dlmusic.composer.model import set_batch_norm_momentum, weights_file
from dlmusic.course import by_mode
from dlmusic.errors import DlmusicError
from dlmusic.runs import fit_keeping_best, run_name, train_or_load

Compile = Callable[..., keras.Model]
"""The student's ``compile_classifier(model, learning_rate, decay_steps, decay_rate)``."""
MakeCallbacks = Callable[[Path, str], list]
"""The student's ``make_callbacks(out_dir, name)``."""


@dataclass(frozen=True)
class Budget:
    """How long one network trains.

    Notebook: composer, part 3 (training).

    Attributes
    ----------
    epochs : int
        Passes over the training rows.
    learning_rate : float
        SGD's initial learning rate.
    batch_size : int
        Rows per step.
    decay_every_epochs : int
        The learning rate halves every this many epochs (``decay_rate`` 0.5).
    """

    epochs: int
    learning_rate: float
    batch_size: int = 16
    decay_every_epochs: int = 10


def budgets() -> dict[str, Budget]:
    """The notebook's budget per network for the current run mode.

    Notebook: composer, part 3 (training). Quick mode trains one or two epochs
    (the numbers mean nothing); full mode trains to convergence on a GPU.

    Returns
    -------
    dict of str to Budget
        For ``"resnet50"`` and ``"small_cnn"``.
    """
    return {
        "resnet50": Budget(epochs=by_mode(quick=1, full=30), learning_rate=0.01),
        "small_cnn": Budget(epochs=by_mode(quick=2, full=40), learning_rate=0.05),
    }


def fit_classifier(
    model: keras.Model,
    rows: RowSet,
    splits: Mapping[str, np.ndarray],
    *,
    budget: Budget,
    compile_classifier: Compile,
    make_callbacks: MakeCallbacks,
    weights_file: str | Path,
) -> keras.callbacks.History:
    """Compile ``model`` with the student's function and fit it, keeping the best dev epoch.

    Notebook: composer, part 3 (training, and the leakage experiment).

    Parameters
    ----------
    model : keras.Model
        An uncompiled classifier of rows.
    rows : RowSet
        All rows; ``splits["train"]`` are trained on, ``splits["dev"]`` choose the epoch.
    splits : mapping of str to np.ndarray of int
        Row indices with keys ``"train"`` and ``"dev"``.
    budget : Budget
        Epochs, learning rate, batch size and decay.
    compile_classifier, make_callbacks : callable
        The student's: the optimiser set-up, and the checkpointing callbacks
        (they decide which epoch is kept).
    weights_file : path
        Where the kept weights go (``<name>.weights.h5``).

    Returns
    -------
    keras.callbacks.History

    Raises
    ------
    DlmusicError
        No training or no dev rows.
    """
    if len(splits["train"]) == 0 or len(splits["dev"]) == 0:
        raise DlmusicError("training needs at least one training row and one dev row")
    steps_per_epoch = int(np.ceil(len(splits["train"]) / budget.batch_size))
    compile_classifier(
        model,
        learning_rate=budget.learning_rate,
        decay_steps=budget.decay_every_epochs * steps_per_epoch,
        decay_rate=0.5,
    )
    train, dev = rows.subset(splits["train"]), rows.subset(splits["dev"])
    return fit_keeping_best(
        model,
        (train.images, train.labels),
        weights_file=weights_file,
        checkpoints=make_callbacks,
        validation_data=(dev.images, dev.labels),
        epochs=budget.epochs,
        batch_size=budget.batch_size,
        shuffle=True,
    )


def train_classifier(
    name: str,
    builder: Callable[[int], keras.Model],
    rows: RowSet,
    splits: Mapping[str, np.ndarray],
    weights: str | Path | None = None,
    *,
    compile_classifier: Compile,
    make_callbacks: MakeCallbacks,
    seed: int,
) -> keras.Model:
    """Build a classifier and train it with the notebook's budget, or in grading mode load it.

    Notebook: composer, part 3 (training, and the leakage experiment).

    The network is ``builder(n_composers)`` with batch-norm momentum 0.9
    (:func:`dlmusic.composer.model.set_batch_norm_momentum`: a few hundred rows
    are too few for Keras' 0.99), trained by :func:`fit_classifier` with
    ``budgets()[name]`` through :func:`dlmusic.runs.train_or_load`.

    Parameters
    ----------
    name : {"resnet50", "small_cnn"}
        Which budget, and the default weights file
        (:func:`dlmusic.composer.model.weights_file`).
    builder : callable
        ``builder(n_classes) -> keras.Model``: the student's ResNet50 builder,
        or :func:`dlmusic.composer.model.build_small_cnn`.
    rows, splits
        As for :func:`fit_classifier`.
    weights : path, optional
        Another weights file (the leakage experiment's network is not graded).
    compile_classifier, make_callbacks : callable
        The student's (see :func:`fit_classifier`).
    seed : int
        Seeds Keras before the network is built.

    Returns
    -------
    keras.Model
        The trained (or loaded) network.

    Raises
    ------
    DlmusicError
        An unknown ``name``; in grading mode, a missing or unfit weights file.
    """
    weights = Path(weights) if weights is not None else weights_file(name)
    budget = budgets()[name]

    def build() -> keras.Model:
        return set_batch_norm_momentum(builder(len(rows.composers)))

    def train(model: keras.Model) -> None:
        fit_classifier(
            model,
            rows,
            splits,
            budget=budget,
            compile_classifier=compile_classifier,
            make_callbacks=make_callbacks,
            weights_file=weights,
        )

    return train_or_load(weights, build, train, label=run_name(weights), seed=seed)
