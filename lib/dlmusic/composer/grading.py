"""How the autograder measures the composer classifier a student saved, and their row finder.

Notebook: ``solutions/composer``, the hidden tests of parts 1 and 4. The
notebook saves each network to a fixed weights file next to itself; the
grader rebuilds the network, loads the weights and classifies the rows of
the ``heldout`` build of ``synthetic_scores`` (works the notebook never
loads), row by row and piece by piece (soft vote).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from dlmusic.callbacks import load_saved_weights
from dlmusic.composer.confidence import piece_vote
from dlmusic.composer.dataset import RowSet, load_rows
from dlmusic.composer.model import build_resnet50, build_small_cnn
from dlmusic.composer.rows import RowCuts, rows_from_page, to_page_width
from dlmusic.datasets.sheet_folder import load_page_image, load_score_folder
from dlmusic.datasets.synthetic_scores import COMPOSERS, build_synthetic_scores
from dlmusic.errors import DlmusicError

HELDOUT_SEED_ENV_VAR = "DLMUSIC_HELDOUT_SEED"
DEFAULT_HELDOUT_SEED = 0
MODEL_BUILDERS: dict[str, Callable[[int], keras.Model]] = {
    "resnet50": build_resnet50,
    "small_cnn": build_small_cnn,
}
"""The networks the notebook trains and saves."""


def weights_file(name: str, folder: str | Path = ".") -> Path:
    """Where the notebook saves network ``name``: ``<folder>/composer_<name>.weights.h5``."""
    if name not in MODEL_BUILDERS:
        raise DlmusicError(f"unknown model {name!r}; expected one of {', '.join(MODEL_BUILDERS)}")
    return Path(folder) / f"composer_{name}.weights.h5"


def load_saved_model(name: str, folder: str | Path = ".") -> keras.Model:
    """Rebuild network ``name`` (one output per composer of :data:`COMPOSERS`) and load
    its saved weights.

    Raises
    ------
    DlmusicError
        The weights file is missing, or does not fit the network.
    """
    model = MODEL_BUILDERS[name](len(COMPOSERS))
    return load_saved_weights(model, weights_file(name, folder), f"{name} model")


def heldout_folder(seed: int | None = None) -> Path:
    """The grading pages (built into the dataset cache on first use)."""
    if seed is None:
        seed = int(os.environ.get(HELDOUT_SEED_ENV_VAR, DEFAULT_HELDOUT_SEED))
    return build_synthetic_scores(size="heldout", seed=seed, progress=False)


@functools.cache
def heldout_rows(seed: int | None = None) -> RowSet:
    """Rows of the held-out pieces, labelled in :data:`COMPOSERS` order."""
    return load_rows(load_score_folder(heldout_folder(seed)), composers=COMPOSERS)


def heldout_accuracy(model: keras.Model, rows: RowSet | None = None) -> dict[str, float]:
    """Row-level and piece-level (soft vote) accuracy of ``model`` on held-out rows."""
    rows = heldout_rows() if rows is None else rows
    probabilities = np.asarray(model.predict(rows.images, verbose=0, batch_size=32))
    if not np.all(np.isfinite(probabilities)):
        return {"row": 0.0, "piece": 0.0}
    row_accuracy = float(np.mean(probabilities.argmax(axis=1) == rows.labels))
    names, predicted, _ = piece_vote(probabilities, rows.pieces)
    truth = np.array([rows.labels[rows.pieces == name][0] for name in names])
    return {"row": row_accuracy, "piece": float(np.mean(predicted == truth))}


def row_finder_agreement(
    find_rows: Callable[[np.ndarray], object], pages: list[np.ndarray] | None = None
) -> float:
    """Share of reference rows that ``find_rows`` finds exactly, on held-out pages.

    ``find_rows(page)`` takes a [0, 1] gray page 1240 px wide and returns a
    :class:`RowCuts` or a list of ``(top, bottom)``. Rows it finds that the
    reference does not count against it: the score is
    ``matched / max(n_reference, n_found)`` summed over pages.
    """
    pages = heldout_pages() if pages is None else pages
    matched = total = 0
    for page in pages:
        reference = set(rows_from_page(page).rows)
        found = find_rows(page)
        found = found.rows if isinstance(found, RowCuts) else found
        found = {(int(top), int(bottom)) for top, bottom in found}
        matched += len(reference & found)
        total += max(len(reference), len(found))
    return matched / total if total else 1.0


def heldout_pages(seed: int | None = None) -> list[np.ndarray]:
    """The held-out pages as [0, 1] gray arrays, 1240 px wide."""
    return [
        to_page_width(load_page_image(page)) for page in load_score_folder(heldout_folder(seed))
    ]
