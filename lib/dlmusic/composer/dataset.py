"""Rows of many pages as arrays, and the leaky split by row.

Notebook: ``solutions/composer``, parts 1 and 2 ("Pages to rows", "Honest
splits"). :func:`load_rows` slices every page with the row finder it is given
(the notebook passes the student's) and fits each row to the networks' input.
Every row of a piece shares its key, its instrumentation and its themes, so
rows of one piece must never sit on both sides of a split; the students write
the split by piece, and :func:`split_rows_at_random` is the leaky split the
notebook measures against it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from dlmusic.composer.rows import ROW_SHAPE, RowFinder, as_gray_page, fit_row, to_page_width
from dlmusic.datasets.records import ScorePage
from dlmusic.errors import DatasetError

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class RowSet:
    """Rows of sheet music ready for a network, with their labels and origins.

    Attributes
    ----------
    images : np.ndarray, shape (n_rows, height, width, 1), float32
        Ink darkness in [0, 1] (0 = paper), see :func:`dlmusic.composer.rows.fit_row`.
    labels : np.ndarray, shape (n_rows,), int64
        Index of each row's composer in ``composers``.
    pieces : np.ndarray, shape (n_rows,), str
        ``"<composer>/<piece>"`` of each row: the unit of the honest split.
    pages : np.ndarray, shape (n_rows,), int64
        Page number of each row within its piece.
    composers : tuple of str
        The class names, in label order.
    flagged : list of str
        Runs too tall to be a row, one line each (``piece page N: rows top-bottom``),
        to inspect by eye.
    """

    images: np.ndarray
    labels: np.ndarray
    pieces: np.ndarray
    pages: np.ndarray
    composers: tuple[str, ...]
    flagged: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, indices: Sequence[int] | np.ndarray) -> RowSet:
        """The rows at ``indices`` (same class names; no flags)."""
        indices = np.asarray(indices, dtype=np.int64)
        return RowSet(
            self.images[indices],
            self.labels[indices],
            self.pieces[indices],
            self.pages[indices],
            self.composers,
        )


def load_rows(
    pages: Iterable[ScorePage],
    row_finder: RowFinder,
    *,
    composers: Sequence[str] | None = None,
    shape: tuple[int, int] = ROW_SHAPE,
    max_rows_per_page: int | None = None,
) -> RowSet:
    """Slice every page into rows with ``row_finder`` and fit each row to ``shape``.

    Parameters
    ----------
    pages : iterable of ScorePage
        From :func:`dlmusic.datasets.sheet_folder.load_score_folder`.
    row_finder : callable
        ``row_finder(page) -> (rows, too_tall)`` on a [0, 1] gray page
        :data:`dlmusic.composer.rows.PAGE_WIDTH_PX` wide (see
        :data:`dlmusic.composer.rows.RowFinder`); the notebook passes its own.
    composers : sequence of str or None
        Class names in label order; default: the pages' composers, sorted.
        Pages by other composers are skipped.
    shape : (height, width)
        Row size in pixels.
    max_rows_per_page : int or None
        Keep at most this many rows of each page (quick runs).

    Raises
    ------
    DatasetError
        No page yields a row.
    """
    pages = list(pages)
    if composers is None:
        composers = sorted({page.composer for page in pages})
    composers = tuple(composers)
    images, labels, pieces, numbers, flagged = [], [], [], [], []
    for page in pages:
        if page.composer not in composers:
            continue
        image = to_page_width(as_gray_page(page))
        found, too_tall = row_finder(image)
        piece = f"{page.composer}/{page.piece}"
        flagged += [f"{piece} page {page.page}: rows {top}-{bottom}" for top, bottom in too_tall]
        for row in list(found)[:max_rows_per_page]:
            images.append(fit_row(image, row, shape))
            labels.append(composers.index(page.composer))
            pieces.append(piece)
            numbers.append(page.page)
    if not images:
        raise DatasetError("no rows found on any page (are these pages of sheet music?)")
    return RowSet(
        np.stack(images)[..., np.newaxis],
        np.array(labels, dtype=np.int64),
        np.array(pieces),
        np.array(numbers, dtype=np.int64),
        composers,
        flagged,
    )


def split_rows_at_random(
    sizes: dict[str, int], n_rows: int, *, seed: int = 0
) -> dict[str, np.ndarray]:
    """The leaky split: rows shuffled and dealt out, pieces ignored.

    Parameters
    ----------
    sizes : dict of str to int
        Rows per split (e.g. the sizes of the split by piece),
        summing to at most ``n_rows``.

    Returns
    -------
    dict of str to np.ndarray of int
        Sorted row indices per split, disjoint.
    """
    if sum(sizes.values()) > n_rows:
        raise DatasetError(f"splits of {sum(sizes.values())} rows from {n_rows} rows")
    order = np.random.default_rng(seed).permutation(n_rows)
    splits, start = {}, 0
    for split, size in sizes.items():
        splits[split] = np.sort(order[start : start + size])
        start += size
    return splits
