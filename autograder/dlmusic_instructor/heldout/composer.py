"""How the grader measures the composer classifier a student saved, and their row finder.

Notebook: ``solutions/composer/composer.ipynb``, the scoring cells of parts 1
and 4. The held-out pages are the ``heldout`` build of ``synthetic_scores``
(two works per composer, all their movements' opening pages, drawn by the
grading workspace's seed from the works reserved for grading, which the
notebook's builds never engrave:
:func:`dlmusic.datasets.synthetic_scores.reserved_works`), engraved into the
workspace's held-out folder: never from anything the student's environment
says. The grader

* passes the pages to the student's row finder (in the probe) and counts the
  rows it finds as the reference finds them (:func:`row_finder_agreement`);
* rebuilds ResNet50 with the instructor's builder
  (:func:`dlmusic_instructor.references.composer.build_resnet50`), loads the
  student's ``composer_resnet50.weights.h5`` and classifies the held-out rows
  (sliced with the reference row finder), row by row and work by work
  (soft vote): :func:`heldout_accuracy`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np

from dlmusic.callbacks import require_saved_weights
from dlmusic.composer.dataset import RowSet, load_rows
from dlmusic.composer.evaluation import piece_labels, predict_rows
from dlmusic.composer.model import load_saved_model, weights_file
from dlmusic.composer.rows import Span, to_page_width
from dlmusic.datasets.build_cache import MANIFEST_NAME
from dlmusic.datasets.records import ScorePage
from dlmusic.datasets.sheet_folder import load_page_image, load_score_folder
from dlmusic.datasets.synthetic_scores import COMPOSERS, build_synthetic_scores
from dlmusic.errors import DlmusicError
from dlmusic_instructor.heldout import refuse_unfit_weights_file
from dlmusic_instructor.references.composer import build_resnet50, piece_vote, rows_from_page

HELDOUT_PAGES_PER_PIECE = {"quick": 1, "full": None}
"""Per grading size: how many pages of each held-out work are used (None: all,
one per movement, up to two movements). ``quick`` is for tests and the demo."""
MAX_WEIGHTS_BYTES = 200 * 2**20
"""A weights file larger than this is refused (ResNet50's is about 95 MB)."""


def heldout_pages(heldout: Path, seed: int, size: str) -> list[ScorePage]:
    """The held-out pages for ``seed``, engraved once under ``heldout/composer_scores/<seed>``.

    Parameters
    ----------
    heldout : Path
        The grading workspace's held-out folder (the grader's process only),
        an absolute path: a relative one would engrave into whatever folder
        the process runs in.
    seed : int
        The workspace's held-out seed (chooses the works).
    size : {"quick", "full"}
        How many pages of each piece are used (:data:`HELDOUT_PAGES_PER_PIECE`).

    Returns
    -------
    list of ScorePage
        In ``load_score_folder`` order (composer, piece, page).

    Raises
    ------
    DlmusicError
        An unknown size, or a relative ``heldout``.
    """
    root = heldout_build(heldout, seed, size)
    return list(_pages_of_build(root, _build_stamp(root), size))


def heldout_build(heldout: Path, seed: int, size: str) -> Path:
    """The folder of the held-out build for ``seed``, engraved if it is not there yet.

    Every cache below is keyed on this folder (which names the seed) and on
    its manifest's stamp, so a changed seed, or a folder rebuilt in place,
    is never answered from what an earlier call read.

    Raises
    ------
    DlmusicError
        An unknown size, or a relative ``heldout``.
    """
    if not Path(heldout).is_absolute():
        raise DlmusicError(f"the held-out folder must be an absolute path, got {str(heldout)!r}")
    if size not in HELDOUT_PAGES_PER_PIECE:
        raise DlmusicError(
            f"unknown held-out size {size!r}; expected one of {list(HELDOUT_PAGES_PER_PIECE)}"
        )
    folder = Path(heldout).resolve() / "composer_scores" / str(int(seed))
    return build_synthetic_scores(folder, size="heldout", seed=int(seed), progress=False)


def _build_stamp(root: Path) -> tuple[int, int]:
    """Modification time (ns) and size of a build's manifest: changes when it is rebuilt."""
    stat = (root / MANIFEST_NAME).stat()
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=8)
def _pages_of_build(root: Path, stamp: tuple[int, int], size: str) -> tuple[ScorePage, ...]:
    limit = HELDOUT_PAGES_PER_PIECE[size]
    return tuple(page for page in load_score_folder(root) if limit is None or page.page <= limit)


def heldout_page_images(heldout: Path, seed: int, size: str) -> list[np.ndarray]:
    """The held-out pages as uint8 gray arrays 1240 px wide (255 = paper).

    Returns
    -------
    list of np.ndarray, each shape (height, 1240), uint8
        Exactly what the student's row finder is given (divided by 255).
    """
    images = []
    for page in heldout_pages(heldout, seed, size):
        gray = to_page_width(load_page_image(page))
        images.append(np.round(gray * 255).astype(np.uint8))
    return images


def heldout_rows(heldout: Path, seed: int, size: str) -> RowSet:
    """Rows of the held-out pages (reference row finder), labelled in :data:`COMPOSERS` order."""
    root = heldout_build(heldout, seed, size)
    return _rows_of_build(root, _build_stamp(root), size)


@functools.lru_cache(maxsize=8)
def _rows_of_build(root: Path, stamp: tuple[int, int], size: str) -> RowSet:
    pages = _pages_of_build(root, stamp, size)
    return load_rows(pages, rows_from_page, composers=COMPOSERS)


def row_finder_agreement(pages: Sequence[np.ndarray], found: Sequence[Sequence[Span]]) -> float:
    """Share of reference rows that a row finder found exactly, over ``pages``.

    Parameters
    ----------
    pages : sequence of np.ndarray, each shape (height, 1240)
        [0, 1] gray pages (or uint8).
    found : sequence of sequences of (top, bottom)
        The rows the student's finder returned for each page.

    Returns
    -------
    float
        ``sum(matched) / sum(max(n_reference, n_found))`` over the pages: rows it
        finds that the reference does not count against it; 1.0 for no rows at all.
    """
    if len(pages) != len(found):
        raise DlmusicError(f"rows for {len(found)} pages, expected {len(pages)}")
    matched = total = 0
    for page, rows in zip(pages, found, strict=True):
        reference = set(rows_from_page(page).rows)
        mine = {(int(top), int(bottom)) for top, bottom in rows}
        matched += len(reference & mine)
        total += max(len(reference), len(mine))
    return matched / total if total else 1.0


def load_submitted_resnet50(submission: Path) -> keras.Model:
    """The instructor's ResNet50 with the student's ``composer_resnet50.weights.h5``.

    Raises
    ------
    DlmusicError
        The file is missing, not a regular file, too large, or does not fit
        the network.
    """
    refuse_unfit_weights_file(weights_file("resnet50", submission), MAX_WEIGHTS_BYTES)
    return load_saved_model("resnet50", build_resnet50, len(COMPOSERS), submission)


def heldout_accuracy(model: keras.Model, rows: RowSet) -> dict[str, float]:
    """Row-level and piece-level (soft vote) accuracy of ``model`` on ``rows``.

    A model whose output is not finite scores 0 on both.
    """
    probabilities = predict_rows(model, rows)
    if probabilities.shape != (len(rows), len(rows.composers)) or not np.all(
        np.isfinite(probabilities)
    ):
        return {"row": 0.0, "piece": 0.0}
    row_accuracy = float(np.mean(probabilities.argmax(axis=1) == rows.labels))
    names, predicted, _ = piece_vote(probabilities, rows.pieces)
    return {"row": row_accuracy, "piece": float(np.mean(predicted == piece_labels(rows, names)))}


def submission_accuracy(submission: Path, heldout: Path, seed: int, size: str) -> dict[str, float]:
    """Held-out row and piece accuracy of the student's saved ResNet50 (computed once).

    Raises
    ------
    DlmusicError
        The weights cannot be loaded (see :func:`load_submitted_resnet50`).
    """
    # A file that cannot be loaded is said before the held-out pages are engraved.
    path = weights_file("resnet50", submission)
    refuse_unfit_weights_file(path, MAX_WEIGHTS_BYTES)
    require_saved_weights(path, "resnet50 model")
    stamp = (path.stat().st_mtime_ns, path.stat().st_size)
    root = heldout_build(heldout, seed, size)
    return dict(
        _submission_accuracy(Path(submission).resolve(), stamp, root, _build_stamp(root), size)
    )


@functools.lru_cache(maxsize=4)
def _submission_accuracy(
    submission: Path,
    stamp: tuple[int, int],
    root: Path,
    heldout_stamp: tuple[int, int],
    size: str,
) -> tuple[tuple[str, float], ...]:
    model = load_submitted_resnet50(submission)
    return tuple(heldout_accuracy(model, _rows_of_build(root, heldout_stamp, size)).items())
