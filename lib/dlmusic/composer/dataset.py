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
from dlmusic.datasets.summary import format_table
from dlmusic.errors import DatasetError

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True)
class RowSet:
    """Rows of sheet music ready for a network, with their labels and origins.

    Notebook: composer, parts 1-5 (the rows every network reads).

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

    Notebook: composer, part 1 (from rows to network inputs).

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

    Notebook: composer, part 2 (the leak).

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


def reuse_test_as_dev(splits: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``splits`` with the test rows as dev rows when there is no dev work (quick mode only).

    Notebook: composer, part 2 (honest splits). With three works per composer
    the split by work has no dev work; training still needs dev rows to keep
    an epoch, so quick mode reuses the test rows, which a real run never does
    (the epoch would be chosen on the test rows).

    Parameters
    ----------
    splits : dict of str to np.ndarray of int
        Row indices of ``"train"``, ``"dev"`` and ``"test"``.

    Returns
    -------
    dict of str to np.ndarray of int
        The same dict when dev holds rows; else a copy whose ``"dev"`` is the
        test array itself (``result["dev"] is result["test"]``).
    """
    if len(splits["dev"]):
        return splits
    print("no dev works (quick mode): the dev split reuses the test rows; never do this for real")
    return {**splits, "dev": splits["test"]}


def split_like_at_random(splits: dict[str, np.ndarray], *, seed: int = 0) -> dict[str, np.ndarray]:
    """The leaky split with the sizes of ``splits``: rows dealt out at random.

    Notebook: composer, part 2 (the leak). A dev split that reuses the test
    rows (:func:`reuse_test_as_dev`) is reused the same way here.

    Returns
    -------
    dict of str to np.ndarray of int
        Sorted row indices per split, drawn from all ``sum(len(split))`` rows.
    """
    reused_dev = splits["dev"] is splits["test"]
    sizes = {name: len(rows) for name, rows in splits.items() if not (reused_dev and name == "dev")}
    leaky = split_rows_at_random(sizes, sum(sizes.values()), seed=seed)
    return {**leaky, "dev": leaky["test"]} if reused_dev else leaky


def describe_splits(
    pieces: np.ndarray, splits: dict[str, np.ndarray], leaky: dict[str, np.ndarray]
) -> str:
    """Rows and works per split, and how many test works the leaky split also trains on.

    Notebook: composer, part 2.

    Parameters
    ----------
    pieces : np.ndarray, shape (n_rows,), str
        The work of each row (``RowSet.pieces``).
    splits, leaky : dict of str to np.ndarray of int
        The split by work and :func:`split_like_at_random`'s.

    Returns
    -------
    str
        A table and one line, ready to print.
    """
    table = format_table(
        [
            {"split": name, "rows": len(splits[name]), "works": len(set(pieces[splits[name]]))}
            for name in SPLITS
        ],
        "split by work",
    )
    test_works = set(pieces[leaky["test"]])
    shared = test_works & set(pieces[leaky["train"]])
    return f"{table}\nrandom row split: {len(shared)} of {len(test_works)} test works also in train"
