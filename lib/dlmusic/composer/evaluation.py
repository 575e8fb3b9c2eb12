"""Scoring a trained composer classifier on rows: accuracy, and per-composer tables.

Notebook: composer, parts 3 and 4 (the leakage experiment, evaluation). The
students write precision/recall and the vote over a work's rows; these
functions run a network over rows and lay the numbers out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import keras
import numpy as np

from dlmusic.composer.dataset import RowSet
from dlmusic.datasets.summary import format_table

BATCH_SIZE = 32
"""Rows per prediction batch."""


def predict_rows(model: keras.Model, rows: RowSet) -> np.ndarray:
    """The network's class probabilities for every row.

    Notebook: composer, parts 4 and 5.

    Returns
    -------
    np.ndarray, shape (n_rows, n_classes), float32
        The softmax output.
    """
    return np.asarray(model.predict(rows.images, verbose=0, batch_size=BATCH_SIZE))


def row_accuracy(model: keras.Model, rows: RowSet) -> float:
    """Share of ``rows`` whose most probable class is the row's composer.

    Notebook: composer, part 3 (the leakage experiment) and part 7 (the shortcut).
    """
    return float(np.mean(predict_rows(model, rows).argmax(axis=1) == rows.labels))


def piece_labels(rows: RowSet, pieces: Sequence[str] | np.ndarray) -> np.ndarray:
    """The composer (label) of each named piece (a whole work, as in ``rows.pieces``).

    Notebook: composer, part 5 (the vote over a work's rows).

    Parameters
    ----------
    rows : RowSet
        Rows holding every piece in ``pieces``.
    pieces : sequence of str
        Piece names as in ``rows.pieces`` (e.g. the vote's sorted names).

    Returns
    -------
    np.ndarray, shape (n_pieces,), int64
    """
    return np.array([rows.labels[rows.pieces == piece][0] for piece in pieces], dtype=np.int64)


def composer_table(
    rows: RowSet, predicted: np.ndarray, precision: np.ndarray, recall: np.ndarray
) -> str:
    """Rows, precision and recall per composer, titled with the row accuracy.

    Notebook: composer, part 4 (evaluation).

    Parameters
    ----------
    rows : RowSet
        The rows predicted (their labels and class names).
    predicted : np.ndarray, shape (n_rows,), int
        Predicted class of each row.
    precision, recall : np.ndarray, shape (n_classes,)
        Per composer, in ``rows.composers`` order.
    """
    table = [
        {
            "composer": name,
            "test rows": int(np.sum(rows.labels == c)),
            "precision": f"{precision[c]:.2f}",
            "recall": f"{recall[c]:.2f}",
        }
        for c, name in enumerate(rows.composers)
    ]
    return format_table(table, f"row accuracy {np.mean(predicted == rows.labels):.1%}")


def accuracy_table(runs: Mapping[str, tuple[keras.Model, RowSet]], title: str | None = None) -> str:
    """Test rows and row accuracy of each network on its own test rows.

    Notebook: composer, part 3 (the leakage experiment).

    Parameters
    ----------
    runs : mapping of str to (keras.Model, RowSet)
        What each run is (network and split), its network and its test rows.
    title : str, optional
        A line above the table.
    """
    table = [
        {"run": run, "test rows": len(rows), "row accuracy": f"{row_accuracy(model, rows):.1%}"}
        for run, (model, rows) in runs.items()
    ]
    return format_table(table, title)
