"""Slice a page of sheet music into rows (staff systems), and fit rows to one size.

Notebook: ``solutions/composer``, part 1 ("Pages to rows"). Students write
the pixel-range profile and the row finder themselves; these are the
reference implementations the hidden tests compare against.

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

from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class RowCuts:
    """The rows found on one page.

    Attributes
    ----------
    rows : list of (top, bottom)
        Pixel rows ``page[top:bottom]`` of each system, top to bottom
        (``bottom`` is exclusive).
    too_tall : list of (top, bottom)
        Runs taller than the maximum row height: not kept, to be inspected.
    """

    rows: list[tuple[int, int]] = field(default_factory=list)
    too_tall: list[tuple[int, int]] = field(default_factory=list)


def as_gray_page(image: np.ndarray | str | Path | ScorePage) -> np.ndarray:
    """A page as float gray levels in [0, 1], white paper = 1.

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

    Real scans come at any resolution; the row heights above are in pixels
    of a page :data:`PAGE_WIDTH_PX` wide.
    """
    page = as_gray_page(page)
    if page.shape[1] == width_px:
        return page
    height = max(1, round(page.shape[0] * width_px / page.shape[1]))
    resized = Image.fromarray(page).resize((width_px, height), Image.Resampling.BOX)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


def pixel_range_profile(page: np.ndarray) -> np.ndarray:
    """Range (max - min gray level) of every pixel row of a page.

    Returns
    -------
    np.ndarray, shape (height,), float32
        In [0, 1]: near 0 for blank paper, near 1 where a row crosses black ink.
    """
    page = as_gray_page(page)
    return np.ptp(page, axis=1).astype(np.float32)


def find_rows(
    profile: np.ndarray,
    *,
    threshold: float = RANGE_THRESHOLD,
    min_height: int = MIN_ROW_HEIGHT_PX,
    max_height: int = MAX_ROW_HEIGHT_PX,
) -> RowCuts:
    """Runs of consecutive pixel rows whose range exceeds ``threshold``.

    Parameters
    ----------
    profile : np.ndarray, shape (height,)
        From :func:`pixel_range_profile`.
    threshold : float
        A pixel row is ink when ``profile > threshold``.
    min_height, max_height : int
        Runs with fewer than ``min_height`` pixel rows are dropped; runs with
        more than ``max_height`` go to ``too_tall``.

    Returns
    -------
    RowCuts
    """
    profile = np.asarray(profile, dtype=np.float64)
    if profile.ndim != 1:
        raise PageError(f"a profile is 1-D (one value per pixel row), got shape {profile.shape}")
    if not 0 < min_height <= max_height:
        raise ValueError(f"need 0 < min_height <= max_height, got {min_height}, {max_height}")
    edges = np.diff(np.concatenate([[0], (profile > threshold).astype(np.int8), [0]]))
    cuts = RowCuts()
    for top, bottom in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        height = bottom - top
        if height > max_height:
            cuts.too_tall.append((int(top), int(bottom)))
        elif height >= min_height:
            cuts.rows.append((int(top), int(bottom)))
    return cuts


def rows_from_page(
    page: np.ndarray,
    *,
    threshold: float = RANGE_THRESHOLD,
    min_height: int = MIN_ROW_HEIGHT_PX,
    max_height: int = MAX_ROW_HEIGHT_PX,
) -> RowCuts:
    """The staff systems of one page (:func:`pixel_range_profile` then :func:`find_rows`).

    ``page`` should be :data:`PAGE_WIDTH_PX` wide (see :func:`to_page_width`)
    for the default heights to fit.

    Raises
    ------
    PageError
        The page is not an image, or is shorter than ``min_height``.
    """
    page = as_gray_page(page)
    if page.shape[0] < min_height:
        raise PageError(
            f"a page of {page.shape[0]} x {page.shape[1]} px cannot hold a row of "
            f"{min_height} px; scale pages to {PAGE_WIDTH_PX} px wide first (to_page_width)"
        )
    return find_rows(
        pixel_range_profile(page), threshold=threshold, min_height=min_height, max_height=max_height
    )


def fit_row(
    page: np.ndarray, row: tuple[int, int], shape: tuple[int, int] = ROW_SHAPE
) -> np.ndarray:
    """One row of a page at the network's input size, as ink darkness.

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
