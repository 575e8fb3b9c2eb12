"""Training a graded network once, keeping its best epoch, or loading it when grading.

Notebook: transcription, vocals, composer (each trains its graded networks with
these two calls). A graded network has a fixed weights file
(``<name>.weights.h5``) that the student hands in with the notebook:

- :func:`fit_keeping_best` runs ``model.fit`` with the checkpointing callbacks
  (:func:`dlmusic.callbacks.training_callbacks` by default) and the resumable
  progress line (:func:`dlmusic.callbacks.run_callbacks`), then leaves the
  model holding the epoch the checkpoint kept;
- :func:`train_or_load` builds the network and trains it, or in grading mode
  (:func:`dlmusic.course.mode`) builds it and loads the handed-in weights with
  :func:`load_saved_weights`, the one loader of saved weights, which turns
  every way a file can be wrong into one clear :class:`~dlmusic.errors.DlmusicError`.

A notebook's training cell then reads (name the ``train`` function after what it
trains: tests/test_notebook_code.py refuses a function defined in two notebooks)::

    def train_nmp(model):
        compile_nmp(model, weighted_bce)
        fit_keeping_best(model, windows, weights_file=path, validation_data=val, epochs=40)

    model = train_or_load(path, build_nmp, train_nmp, label="full model", seed=course.seed)

:func:`count_trainable_parameters` gives the size reported beside each network.

Signature note: the checkpointing callbacks are passed as a factory
``checkpoints(out_dir, name)`` rather than inside ``callbacks``, so the file they
write is by construction ``weights_file`` (``out_dir`` is its folder, ``name``
its file name without ``.weights.h5``); ``callbacks`` holds any further ones.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras

from dlmusic.callbacks import load_saved_weights, run_callbacks, training_callbacks
from dlmusic.course import mode
from dlmusic.errors import DlmusicError

__all__ = [
    "WEIGHTS_SUFFIX",
    "count_trainable_parameters",
    "fit_keeping_best",
    "load_saved_weights",
    "run_name",
    "train_or_load",
]

WEIGHTS_SUFFIX = ".weights.h5"
"""The ending Keras requires of a weights file (``Model.save_weights``)."""


def fit_keeping_best(
    model: keras.Model,
    data: Any,
    *,
    weights_file: str | Path,
    checkpoints: Callable[[Path, str], list[keras.callbacks.Callback]] = training_callbacks,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    **fit_kwargs: Any,
) -> keras.callbacks.History:
    """Fit a compiled model; afterwards it holds the best epoch, saved at ``weights_file``.

    Notebook: transcription, part 5 (training); vocals, part 5; composer, part 3.

    Runs ``model.fit`` with ``verbose=0`` and the callbacks
    ``checkpoints(weights_file.parent, name)``, ``callbacks`` and
    :func:`~dlmusic.callbacks.run_callbacks` (one updating progress line, and a
    run cut by a disconnect resumes when the call is repeated). When the
    checkpoint wrote ``weights_file`` during this run, the model is restored to
    that epoch; otherwise (no epoch improved on a finite monitored value, or no
    validation data to monitor) the last epoch's weights are saved there, so
    the file always exists afterwards.

    Parameters
    ----------
    model : keras.Model
        A compiled network.
    data : keras.utils.PyDataset, tf.data.Dataset, generator, or tuple
        What ``model.fit`` trains on; a tuple ``(x, y)`` of arrays is passed as
        ``model.fit(x, y, ...)``.
    weights_file : path
        Where the best weights go; must end in ``.weights.h5``. Its folder is
        created, and the training log and resume backup are kept beside it
        (``<name>.log.csv``, ``<name>.backup/``).
    checkpoints : callable
        ``checkpoints(out_dir, name) -> list of callbacks`` that saves the best
        weights to ``<out_dir>/<name>.weights.h5``; by default
        :func:`~dlmusic.callbacks.training_callbacks` (best ``val_loss``). The
        composer notebook passes the student's ``make_callbacks``.
    callbacks : sequence of keras.callbacks.Callback
        Further callbacks, run after the checkpoints.
    **fit_kwargs
        Passed to ``model.fit`` (``epochs``, ``validation_data``, ``batch_size``, ...);
        not ``verbose`` or ``callbacks``.

    Returns
    -------
    keras.callbacks.History
        Per-epoch losses and metrics of the run.

    Raises
    ------
    DlmusicError
        ``weights_file`` does not end in ``.weights.h5``, or ``data`` is a tuple
        of other than two items.
    """
    weights_file = Path(weights_file)
    name = run_name(weights_file)
    if isinstance(data, tuple) and len(data) != 2:
        raise DlmusicError(f"data as a tuple is (x, y); got {len(data)} items")
    weights_file.parent.mkdir(parents=True, exist_ok=True)
    before = _stamp(weights_file)
    x, y = data if isinstance(data, tuple) else (data, None)
    history = model.fit(
        x,
        y,
        callbacks=[
            *checkpoints(weights_file.parent, name),
            *callbacks,
            *run_callbacks(weights_file.parent, name),
        ],
        verbose=0,
        **fit_kwargs,
    )
    if _stamp(weights_file) not in (None, before):
        model.load_weights(weights_file)
    else:
        model.save_weights(weights_file)
    return history


def train_or_load(
    weights_file: str | Path,
    build: Callable[[], keras.Model],
    train: Callable[[keras.Model], object],
    *,
    label: str,
    seed: int | None = None,
) -> keras.Model:
    """Build a network and train it, or in grading mode load the weights handed in.

    Notebook: transcription, parts 5 and 8; vocals, part 5; composer, part 3.

    Outside grading mode: seed Keras with ``seed`` (when given), ``model =
    build()``, ``train(model)``, which must leave the weights at
    ``weights_file`` (as :func:`fit_keeping_best` does), and print the time
    taken. In grading mode (:func:`dlmusic.course.mode`): ``build()`` and
    :func:`load_saved_weights` from ``weights_file``, training nothing.

    Parameters
    ----------
    weights_file : path
        The network's weights file, the one the student hands in.
    build : callable
        ``build() -> keras.Model``: the untrained network, the same architecture
        in both modes.
    train : callable
        ``train(model)``: compiles and fits the model in place; its return value
        is ignored.
    label : str
        What the network is, for messages (e.g. ``"ratio-mask network"``).
    seed : int, optional
        Seed for :func:`keras.utils.set_random_seed` before building, so the
        initial weights do not depend on what the notebook ran before.

    Returns
    -------
    keras.Model
        The trained (or loaded) network.

    Raises
    ------
    DlmusicError
        Grading mode and the weights file is missing or does not fit the
        network; or ``train`` left no file at ``weights_file``.
    """
    weights_file = Path(weights_file)
    if mode() == "grading":
        return load_saved_weights(build(), weights_file, label)
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = build()
    start = time.perf_counter()
    train(model)
    if not weights_file.is_file():
        raise DlmusicError(
            f"training the {label} saved no weights at {weights_file}; "
            "train it with fit_keeping_best(..., weights_file=...) on that file"
        )
    print(f"{label}: trained in {time.perf_counter() - start:.0f} s, saved to {weights_file}")
    return model


def count_trainable_parameters(model: keras.Model) -> int:
    """Number of trainable scalars of ``model`` (what papers report as its size).

    Notebook: transcription, parts 4 and 8 (the networks' sizes); vocals, part 5
    (the test of ``build_model``).

    Examples
    --------
    >>> import keras
    >>> count_trainable_parameters(keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)]))
    15
    """
    return sum(math.prod(weight.shape) for weight in model.trainable_weights)


def run_name(weights_file: str | Path) -> str:
    """``weights_file``'s name without ``.weights.h5``: what its log and backup are named.

    Notebook: transcription, vocals, composer (the training log each notebook plots).

    Raises
    ------
    DlmusicError
        The file name does not end with ``.weights.h5`` (or is nothing but that).

    Examples
    --------
    >>> run_name("runs/nmp_full.weights.h5")
    'nmp_full'
    """
    weights_file = Path(weights_file)
    if not weights_file.name.endswith(WEIGHTS_SUFFIX) or weights_file.name == WEIGHTS_SUFFIX:
        raise DlmusicError(f"a weights file is named <name>{WEIGHTS_SUFFIX}, not {weights_file}")
    return weights_file.name.removesuffix(WEIGHTS_SUFFIX)


def _stamp(path: Path) -> tuple[int, int] | None:
    """Modification time and size of ``path``, or None when it does not exist."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return stat.st_mtime_ns, stat.st_size
