"""Reference implementations of what the ``composer`` students write (instructor only).

Notebook: ``solutions/composer/composer.ipynb``. Each function is named like
the student's and follows the same signature and return convention, so that
the hidden checks (:mod:`dlmusic_instructor.assignments.composer`) compare the
student's outputs with these on the grader's inputs, and the held-out scoring
(:mod:`dlmusic_instructor.heldout.composer`) builds its own networks and rows
with them. :func:`rows_from_page` (profile, then row finder) is the reference
row finder to pass to :func:`dlmusic.composer.dataset.load_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import keras
import numpy as np

from dlmusic.callbacks import training_callbacks
from dlmusic.composer.dataset import SPLITS
from dlmusic.composer.model import INPUT_SHAPE
from dlmusic.composer.rows import (
    MAX_ROW_HEIGHT_PX,
    MIN_ROW_HEIGHT_PX,
    PAGE_WIDTH_PX,
    RANGE_THRESHOLD,
    Span,
    as_gray_page,
)
from dlmusic.errors import DatasetError, PageError


class RowCuts(NamedTuple):
    """The rows found on one page; equal to the student's ``(rows, too_tall)`` tuple.

    Attributes
    ----------
    rows : list of (top, bottom)
        Pixel rows ``page[top:bottom]`` of each system, top to bottom
        (``bottom`` is exclusive).
    too_tall : list of (top, bottom)
        Runs taller than the maximum row height: not kept, to be inspected.
    """

    rows: list[Span]
    too_tall: list[Span]


def range_profile(page: np.ndarray) -> np.ndarray:
    """Range (max - min gray level) of every pixel row of a page.

    Parameters
    ----------
    page : np.ndarray, shape (height, width)
        Gray levels in [0, 1] (or anything :func:`dlmusic.composer.rows.as_gray_page` reads).

    Returns
    -------
    np.ndarray, shape (height,), float32
        In [0, 1]: near 0 for blank paper, near 1 where a row crosses black ink.

    Examples
    --------
    >>> page = np.ones((3, 4), np.float32)
    >>> page[1, 2] = 0.0  # one black pixel
    >>> range_profile(page)
    array([0., 1., 0.], dtype=float32)
    """
    page = as_gray_page(page)
    return np.ptp(page, axis=1).astype(np.float32)


def find_rows(
    profile: np.ndarray,
    threshold: float = RANGE_THRESHOLD,
    min_height: int = MIN_ROW_HEIGHT_PX,
    max_height: int = MAX_ROW_HEIGHT_PX,
) -> RowCuts:
    """Runs of consecutive pixel rows whose range exceeds ``threshold``.

    Parameters
    ----------
    profile : np.ndarray, shape (height,)
        From :func:`range_profile`.
    threshold : float
        A pixel row is ink when ``profile > threshold``.
    min_height, max_height : int
        Runs with fewer than ``min_height`` pixel rows are dropped; runs with
        more than ``max_height`` go to ``too_tall``.

    Returns
    -------
    RowCuts
        ``(rows, too_tall)``, lists of ``(top, bottom)`` ints.

    Examples
    --------
    >>> profile = np.array([0.9, 0.9, 0.0, 0.7, 0.7, 0.7, 0.0, 1, 1, 1, 1, 1])
    >>> find_rows(profile, threshold=0.5, min_height=2, max_height=4)
    RowCuts(rows=[(0, 2), (3, 6)], too_tall=[(7, 12)])
    """
    profile = np.asarray(profile, dtype=np.float64)
    if profile.ndim != 1:
        raise PageError(f"a profile is 1-D (one value per pixel row), got shape {profile.shape}")
    if not 0 < min_height <= max_height:
        raise ValueError(f"need 0 < min_height <= max_height, got {min_height}, {max_height}")
    edges = np.diff(np.concatenate([[0], (profile > threshold).astype(np.int8), [0]]))
    rows: list[Span] = []
    too_tall: list[Span] = []
    for top, bottom in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        height = bottom - top
        if height > max_height:
            too_tall.append((int(top), int(bottom)))
        elif height >= min_height:
            rows.append((int(top), int(bottom)))
    return RowCuts(rows, too_tall)


def rows_from_page(
    page: np.ndarray,
    *,
    threshold: float = RANGE_THRESHOLD,
    min_height: int = MIN_ROW_HEIGHT_PX,
    max_height: int = MAX_ROW_HEIGHT_PX,
) -> RowCuts:
    """The staff systems of one page (:func:`range_profile` then :func:`find_rows`).

    ``page`` should be :data:`dlmusic.composer.rows.PAGE_WIDTH_PX` wide (see
    :func:`dlmusic.composer.rows.to_page_width`) for the default heights to fit.

    Raises
    ------
    PageError
        The page is not an image, or is shorter than ``min_height``.

    Examples
    --------
    >>> page = np.ones((200, 1240), np.float32)
    >>> page[50:110, 100:1100:7] = 0.0  # one system: 60 pixel rows with ink
    >>> rows_from_page(page)
    RowCuts(rows=[(50, 110)], too_tall=[])
    """
    page = as_gray_page(page)
    if page.shape[0] < min_height:
        raise PageError(
            f"a page of {page.shape[0]} x {page.shape[1]} px cannot hold a row of "
            f"{min_height} px; scale pages to {PAGE_WIDTH_PX} px wide first (to_page_width)"
        )
    return find_rows(
        range_profile(page), threshold=threshold, min_height=min_height, max_height=max_height
    )


def split_by_piece(
    pieces: Sequence[str] | np.ndarray,
    labels: Sequence[int] | np.ndarray,
    test_fraction: float = 0.25,
    dev_fraction: float = 0.125,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Assign whole pieces to train, dev and test, separately for each composer.

    Each composer's pieces (sorted) are permuted with
    ``np.random.default_rng(seed)``; ``max(1, round(test_fraction * n))`` of them
    go to test and ``round(dev_fraction * n)`` to dev (at least 1 when two or
    more pieces remain for train and dev, and never the last train piece), the
    rest to train.

    Parameters
    ----------
    pieces : sequence of str, length n_rows
        The piece of each row.
    labels : sequence of int, length n_rows
        The composer of each row.

    Returns
    -------
    dict of str to np.ndarray of int
        Row indices (sorted) of ``"train"``, ``"dev"`` and ``"test"``; no
        piece has rows in two of them.

    Raises
    ------
    DatasetError
        A composer has fewer than two pieces, or a piece has two composers.

    Examples
    --------
    >>> pieces = np.repeat([f"c{c}/p{p}" for c in range(2) for p in range(4)], 2)
    >>> splits = split_by_piece(pieces, np.repeat([0, 1], 8), seed=0)
    >>> [len(set(pieces[splits[name]])) for name in ("train", "dev", "test")]
    [4, 2, 2]
    """
    pieces, labels = np.asarray(pieces), np.asarray(labels)
    if pieces.shape != labels.shape:
        raise DatasetError(f"{len(pieces)} pieces for {len(labels)} labels")
    split_of_piece: dict[str, str] = {}
    rng = np.random.default_rng(seed)
    for label in np.unique(labels):
        own = sorted(set(pieces[labels == label].tolist()))
        if any(np.any(labels[pieces == piece] != label) for piece in own):
            raise DatasetError(f"a piece of composer {label} also has rows of another composer")
        if len(own) < 2:
            raise DatasetError(f"composer {label} has {len(own)} piece(s); a split needs 2+")
        order = [own[i] for i in rng.permutation(len(own))]
        n_test = max(1, round(test_fraction * len(own)))
        n_dev = round(dev_fraction * len(own))
        if len(own) - n_test >= 2:
            n_dev = max(1, n_dev)
        n_dev = min(n_dev, len(own) - n_test - 1)
        for index, piece in enumerate(order):
            split_of_piece[piece] = (
                "test" if index < n_test else "dev" if index < n_test + n_dev else "train"
            )
    assigned = np.array([split_of_piece[piece] for piece in pieces.tolist()])
    return {split: np.flatnonzero(assigned == split) for split in SPLITS}


def piece_folds(
    pieces: np.ndarray, labels: np.ndarray, k: int, *, seed: int = 0
) -> list[np.ndarray]:
    """Test rows of each fold of a k-fold cross-validation by piece (a piece = a whole work).

    Each composer's pieces (sorted, then permuted with ``seed``) are dealt to
    the folds in turn, so every fold tests about ``1/k`` of each composer's
    pieces and every piece is tested exactly once; a fold's training rows are
    all the others.

    Parameters
    ----------
    pieces : np.ndarray, shape (n_rows,), str
    labels : np.ndarray, shape (n_rows,), int
    k : int
        Folds, at least 2 and at most the fewest pieces of any composer.

    Returns
    -------
    list of np.ndarray of int
        ``k`` sorted arrays of row indices, disjoint, together every row.

    Raises
    ------
    DatasetError
        ``k`` below 2 or above a composer's number of pieces.

    Examples
    --------
    >>> pieces = np.array(["a/1", "a/1", "a/2", "a/3", "b/1", "b/2", "b/3"])
    >>> folds = piece_folds(pieces, np.array([0, 0, 0, 0, 1, 1, 1]), k=3)
    >>> sorted(np.concatenate(folds).tolist()) == list(range(7))
    True
    """
    pieces, labels = np.asarray(pieces), np.asarray(labels)
    fold_of: dict[str, int] = {}
    rng = np.random.default_rng(seed)
    for label in np.unique(labels):
        own = sorted(set(pieces[labels == label].tolist()))
        if not 2 <= k <= len(own):
            raise DatasetError(f"{k} folds for a composer with {len(own)} pieces")
        for index, position in enumerate(rng.permutation(len(own))):
            fold_of[own[position]] = index % k
    assigned = np.array([fold_of[piece] for piece in pieces.tolist()])
    return [np.flatnonzero(assigned == fold) for fold in range(k)]


def build_resnet50(n_classes: int, input_shape: tuple[int, int, int] = INPUT_SHAPE) -> keras.Model:
    """Keras' ResNet50, untrained (``weights=None``), for one-channel rows.

    ImageNet weights expect three colour channels and photographs; rows of
    sheet music have one channel, so the network starts from random weights.
    About 23.5 million parameters.

    Examples
    --------
    >>> model = build_resnet50(5)
    >>> model.input_shape, model.output_shape, model.name
    ((None, 70, 400, 1), (None, 5), 'resnet50')
    """
    return keras.applications.ResNet50(
        include_top=True,
        weights=None,
        input_shape=input_shape,
        classes=n_classes,
        classifier_activation="softmax",
        name="resnet50",
    )


def compile_classifier(
    model: keras.Model,
    learning_rate: float = 0.01,
    decay_steps: int = 100,
    decay_rate: float = 0.5,
) -> keras.Model:
    """Compile with SGD (momentum 0.9) whose learning rate is multiplied by
    ``decay_rate`` every ``decay_steps`` steps (smoothly in between).

    Loss: sparse categorical cross-entropy (labels are class indices);
    metric: accuracy.

    Examples
    --------
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    >>> model = compile_classifier(model, learning_rate=0.1, decay_steps=10, decay_rate=0.5)
    >>> type(model.optimizer).__name__, round(float(model.optimizer.momentum), 2)
    ('SGD', 0.9)
    """
    schedule = keras.optimizers.schedules.ExponentialDecay(
        learning_rate, decay_steps=decay_steps, decay_rate=decay_rate
    )
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def make_callbacks(out_dir: str | Path, name: str) -> list[keras.callbacks.Callback]:
    """The given callbacks, keeping the weights of the best dev accuracy (``mode="max"``).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     [type(callback).__name__ for callback in make_callbacks(folder, "example")]
    ['TerminateOnNaN', 'ModelCheckpoint', 'CSVLogger']
    """
    return training_callbacks(out_dir, name, monitor="val_accuracy", mode="max")


def precision_recall(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision and recall, 0 where the denominator is 0.

    Parameters
    ----------
    y_true, y_pred : np.ndarray, shape (n_rows,), int
        True and predicted class indices in [0, n_classes).

    Returns
    -------
    precision, recall : np.ndarray, shape (n_classes,), float64

    Examples
    --------
    >>> precision_recall(np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 1]), 4)
    (array([1. , 0.5, 0. , 0. ]), array([0.5, 1. , 0. , 0. ]))
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    classes = np.arange(n_classes)[:, np.newaxis]
    hits = np.sum((y_true == classes) & (y_pred == classes), axis=1)
    predicted = np.sum(y_pred == classes, axis=1)
    actual = np.sum(y_true == classes, axis=1)
    precision = np.divide(hits, predicted, out=np.zeros(n_classes), where=predicted > 0)
    recall = np.divide(hits, actual, out=np.zeros(n_classes), where=actual > 0)
    return precision, recall


def piece_vote(
    probabilities: np.ndarray, pieces: Sequence[str] | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate row predictions into one prediction per piece (a soft vote).

    Parameters
    ----------
    probabilities : np.ndarray, shape (n_rows, n_classes)
        Softmax output for each row.
    pieces : sequence of str, length n_rows
        The piece of each row.

    Returns
    -------
    names : np.ndarray, shape (n_pieces,), str
        The pieces, sorted.
    predicted : np.ndarray, shape (n_pieces,), int64
        Argmax of the mean of the piece's row probabilities.
    confidence : np.ndarray, shape (n_pieces,), float64
        That mean probability of the predicted class.

    Examples
    --------
    >>> probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    >>> names, predicted, confidence = piece_vote(probabilities, ["x", "x", "y", "x"])
    >>> names.tolist(), predicted.tolist(), np.round(confidence, 3).tolist()
    (['x', 'y'], [0, 1], [0.567, 0.7])
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    pieces = np.asarray(pieces)
    if probabilities.ndim != 2 or len(probabilities) != len(pieces):
        raise ValueError(f"need (n_rows, n_classes) and n_rows pieces, got {probabilities.shape}")
    names = np.unique(pieces)
    means = np.stack([probabilities[pieces == name].mean(axis=0) for name in names])
    predicted = means.argmax(axis=1)
    return names, predicted, means[np.arange(len(names)), predicted]
