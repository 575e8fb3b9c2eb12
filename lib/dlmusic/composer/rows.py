"""Pages of sheet music as gray arrays, and rows (staff systems) fitted to one size.

Notebook: ``solutions/composer``, part 1 ("Pages to rows"). Students write
the pixel-range profile and the row finder themselves; this module holds the
given parts around them: reading a page as [0, 1] gray levels, scaling it to
the engraved width, the row finder's default settings, and fitting a found
row to the networks' input size.

A row of pixels that crosses a staff system holds black ink and white paper,
so its *range* (brightest minus darkest pixel) is large; a row in the white
gap between two systems has a range near 0. The bracket at the left of a
multi-staff system joins its staves, so a whole system is one run of
high-range pixel rows. Runs shorter than ``min_height_px`` are stray marks
(lyrics, dynamics, measure numbers) and are dropped; runs taller than
``max_height_px`` are flagged for inspection (two systems that touch, a
photo, a title block) rather than silently kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from dlmusic.datasets.records import ScorePage
from dlmusic.datasets.sheet_folder import load_page_image
from dlmusic.errors import PageError

PAGE_WIDTH_PX = 1240
"""Pages are scaled to this width before slicing (A4 at 150 dpi, as engraved)."""
RANGE_THRESHOLD = 0.5
"""A pixel row belongs to a system when its range (on [0, 1] gray levels) exceeds this."""
MIN_ROW_HEIGHT_PX = 40
"""Shorter runs are dropped (a five-line staff is 42 px tall on a 1240-px page)."""
MAX_ROW_HEIGHT_PX = 1400
"""Taller runs are flagged: the tallest engraved system (a ten-voice madrigal) is 1282 px."""
ROW_SHAPE = (70, 400)
"""(height, width) in pixels of a row as the networks see it."""

Span = tuple[int, int]
"""``(top, bottom)`` pixel rows of a run, ``bottom`` exclusive."""
RowFinder = Callable[[np.ndarray], tuple[Sequence[Span], Sequence[Span]]]
"""A row finder: ``row_finder(page) -> (rows, too_tall)``.

``page`` is a [0, 1] gray page :data:`PAGE_WIDTH_PX` wide, shape (height, width);
``rows`` are the ``(top, bottom)`` spans of its staff systems, top to bottom, and
``too_tall`` the runs taller than a row may be (to inspect). The notebook's is the
student's ``find_rows(range_profile(page))``."""


def as_gray_page(image: np.ndarray | str | Path | ScorePage) -> np.ndarray:
    """A page as float gray levels in [0, 1], white paper = 1.

    Notebook: composer, part 1 (pages to rows).

    Parameters
    ----------
    image : np.ndarray, path or ScorePage
        An array of shape (height, width) (gray), (height, width, 3) (RGB) or
        (height, width, 4) (RGBA, transparent = paper); ``uint8`` in 0..255 or
        floats in [0, 1]. A path or :class:`ScorePage` is read with
        :func:`dlmusic.datasets.sheet_folder.load_page_image` (PDFs at 150 dpi).

    Returns
    -------
    np.ndarray, shape (height, width), float32

    Raises
    ------
    PageError
        Any other shape, an empty or non-finite array, floats outside [0, 1].
    DatasetError, MissingFileError
        A file that is missing or is not an image or PDF.
    """
    if isinstance(image, str | Path):
        image = ScorePage("", Path(image).stem, 1, Path(image))
    if isinstance(image, ScorePage):
        image = load_page_image(image)
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] in (3, 4):
        array = _color_to_gray(array)
    if array.ndim != 2 or array.size == 0:
        raise PageError(f"a page is a 2-D gray image or an RGB/RGBA image; got shape {array.shape}")
    if array.dtype == np.uint8:
        return array.astype(np.float32) / 255.0
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.integer):
        raise PageError(f"page pixels must be uint8 or floats in [0, 1], got {array.dtype}")
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)) or array.min() < 0 or array.max() > 1:
        raise PageError("float page pixels must be finite and within [0, 1]")
    return array


def _color_to_gray(array: np.ndarray) -> np.ndarray:
    """Luminance of an RGB(A) array (same value range), alpha composited onto white."""
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    array = array.astype(np.float32)
    rgb = array[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    if array.shape[2] == 4:
        alpha = array[..., 3]
        rgb = alpha * rgb + (1.0 - alpha)
    return np.clip(rgb, 0.0, 1.0)


def to_page_width(page: np.ndarray, width_px: int = PAGE_WIDTH_PX) -> np.ndarray:
    """Scale a [0, 1] gray page to ``width_px`` wide, keeping its aspect ratio.

    Notebook: composer, part 1 (pages to rows).

    Real scans come at any resolution; the row heights above are in pixels
    of a page :data:`PAGE_WIDTH_PX` wide.
    """
    page = as_gray_page(page)
    if page.shape[1] == width_px:
        return page
    height = max(1, round(page.shape[0] * width_px / page.shape[1]))
    resized = Image.fromarray(page).resize((width_px, height), Image.Resampling.BOX)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def fit_row(
    page: np.ndarray, row: tuple[int, int], shape: tuple[int, int] = ROW_SHAPE
) -> np.ndarray:
    """One row of a page at the network's input size, as ink darkness.

    Notebook: composer, part 1 (from rows to network inputs).

    The row (full page width) is scaled to ``shape[1]`` pixels wide, keeping
    its aspect ratio, so notation has the same size in every row; then the
    top ``shape[0]`` pixel rows are kept (a tall system loses its lower
    staves) or blank paper is added below (a short one is padded).

    Returns
    -------
    np.ndarray, shape ``shape``, float32
        In [0, 1]: 0 = white paper, 1 = black ink.
    """
    page = as_gray_page(page)
    top, bottom = row
    if not 0 <= top < bottom <= page.shape[0]:
        raise PageError(f"row {row} is not within a page of height {page.shape[0]}")
    height, width = shape
    strip = page[top:bottom]
    scaled_height = max(1, round(strip.shape[0] * width / strip.shape[1]))
    resized = Image.fromarray(np.ascontiguousarray(strip)).resize(
        (width, scaled_height), Image.Resampling.BOX
    )
    ink = 1.0 - np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
    fitted = np.zeros(shape, dtype=np.float32)
    fitted[: min(height, scaled_height)] = ink[:height]
    return fitted


def row_finder_from(
    range_profile: Callable[[np.ndarray], np.ndarray],
    find_rows: Callable[[np.ndarray], tuple[Sequence[Span], Sequence[Span]]],
) -> RowFinder:
    """A :data:`RowFinder` made of a profile and a run finder: ``find_rows(range_profile(page))``.

    Notebook: composer, part 1 (from rows to network inputs): the notebook
    passes the student's two functions, and :func:`dlmusic.composer.dataset.load_rows`
    slices every page with the result.

    Parameters
    ----------
    range_profile : callable
        ``range_profile(page) -> profile``, shape (height,).
    find_rows : callable
        ``find_rows(profile) -> (rows, too_tall)`` with its default settings.

    Returns
    -------
    RowFinder
        ``page -> (rows, too_tall)``.
    """

    def rows_from_page(page: np.ndarray) -> tuple[Sequence[Span], Sequence[Span]]:
        return find_rows(range_profile(page))

    return rows_from_page
