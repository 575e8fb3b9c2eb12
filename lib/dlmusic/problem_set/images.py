"""Salt-and-pepper noise and side-by-side pictures of images and small matrices.

Notebook: ``solutions/problem_set/problem_set.ipynb``, part 1 (median filtering).

Images are 2-D arrays indexed ``[row, column]``; for a spectrogram or a piano
roll a row is a frequency bin or a key and a column is a frame, and row 0 is
drawn at the bottom (``origin="lower"``), as in every spectrogram plot.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from dlmusic.datasets.summary import format_table


def add_salt_and_pepper(
    image: np.ndarray,
    fraction: float,
    rng: np.random.Generator,
    *,
    low: float | None = None,
    high: float | None = None,
) -> np.ndarray:
    """A copy of ``image`` in which a random ``fraction`` of pixels is set to ``low`` or ``high``.

    Notebook: problem_set, part 1.3 (salt and pepper).

    Parameters
    ----------
    image : np.ndarray, shape (n_rows, n_columns)
        Finite values.
    fraction : float
        Share of pixels corrupted, in [0, 1]; each corrupted pixel becomes
        ``low`` ("pepper") or ``high`` ("salt") with equal probability.
    rng : np.random.Generator
        The only source of randomness.
    low, high : float or None
        Pepper and salt values; ``None`` means the image's minimum and maximum.

    Returns
    -------
    np.ndarray, shape (n_rows, n_columns), float64
        The noisy copy; exactly ``round(fraction * image.size)`` pixels were replaced.

    Raises
    ------
    ValueError
        ``image`` is not a finite 2-D array, or ``fraction`` is outside [0, 1].
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or image.size == 0 or not np.all(np.isfinite(image)):
        raise ValueError(f"image must be a finite, non-empty 2-D array, got shape {image.shape}")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must lie in [0, 1], got {fraction}")
    low = float(image.min()) if low is None else low
    high = float(image.max()) if high is None else high
    noisy = image.copy()
    corrupted = rng.choice(image.size, size=round(fraction * image.size), replace=False)
    noisy.flat[corrupted] = np.where(rng.random(corrupted.size) < 0.5, low, high)
    return noisy


def plot_images(
    images: Mapping[str, np.ndarray],
    *,
    columns: int | None = None,
    cmap: str = "magma",
    panel_size: tuple[float, float] = (4.0, 2.6),
    suptitle: str | None = None,
) -> Figure:
    """Images side by side on one colour scale, so that their values can be compared.

    Notebook: problem_set, part 1.3 (salt and pepper) and part 2.4.

    Parameters
    ----------
    images : mapping of str to np.ndarray, each shape (n_rows, n_columns)
        Panel title to image; drawn in order, row 0 at the bottom.
    columns : int or None
        Panels per row of the figure; ``None`` puts every panel in one row.
    cmap : str
        Matplotlib colour map.
    panel_size : (float, float)
        Width and height of one panel in inches.
    suptitle : str or None
        Title over the whole figure.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        No images, or an image that is not 2-D.
    """
    arrays = _named_2d_arrays(images, "image")
    columns = columns or len(arrays)
    rows = -(-len(arrays) // columns)
    fig = Figure(figsize=(panel_size[0] * columns, panel_size[1] * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    low, high = _common_range(arrays)
    for ax, (title, image) in zip(axes, arrays.items(), strict=False):
        shown = ax.imshow(
            image,
            origin="lower",
            aspect="auto",
            cmap=cmap,
            vmin=low,
            vmax=high,
            interpolation="nearest",
        )
        ax.set_title(title)
    for ax in axes[len(arrays) :]:
        ax.set_visible(False)
    fig.colorbar(shown, ax=axes[: len(arrays)].tolist(), shrink=0.9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_matrices(matrices: Mapping[str, np.ndarray], *, decimals: int = 0) -> Figure:
    """Small matrices as grey grids with every entry written in its cell.

    Notebook: problem_set, part 1.1 (by hand).

    Parameters
    ----------
    matrices : mapping of str to np.ndarray, each shape (n_rows, n_columns)
        Panel title to matrix (a few rows and columns: every value is printed).
        Drawn with row 0 at the top, as the matrix is written.
    decimals : int
        Decimals of the printed values.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        No matrices, or a matrix that is not 2-D.
    """
    arrays = _named_2d_arrays(matrices, "matrix")
    low, high = _common_range(arrays)
    fig = Figure(figsize=(3.2 * len(arrays), 3.2), layout="constrained")
    for ax, (title, matrix) in zip(
        fig.subplots(1, len(arrays), squeeze=False)[0], arrays.items(), strict=True
    ):
        ax.imshow(matrix, cmap="Greys", vmin=low - 0.3 * (high - low), vmax=high)
        middle = (low + high) / 2
        for (row, column), value in np.ndenumerate(matrix):
            ax.text(
                column,
                row,
                f"{value:.{decimals}f}",
                ha="center",
                va="center",
                color="white" if value > middle else "black",
            )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title)
    return fig


def _named_2d_arrays(named: Mapping[str, np.ndarray], kind: str) -> dict[str, np.ndarray]:
    """``title -> float64 array``; raises ValueError when empty or an array is not 2-D."""
    if not named:
        raise ValueError(f"give at least one {kind}")
    arrays = {title: np.asarray(array, dtype=np.float64) for title, array in named.items()}
    for title, array in arrays.items():
        if array.ndim != 2:
            raise ValueError(f"{kind} {title!r} must be 2-D, got shape {array.shape}")
    return arrays


def _common_range(arrays: Mapping[str, np.ndarray]) -> tuple[float, float]:
    """The lowest and the highest value over every array: one colour scale for all panels."""
    return (
        min(float(array.min()) for array in arrays.values()),
        max(float(array.max()) for array in arrays.values()),
    )


def plot_row_over_time(
    images: Mapping[str, np.ndarray],
    row: int,
    frames_per_second: float,
    *,
    frames: slice = slice(None),
    title: str | None = None,
) -> Figure:
    """One row (a frequency bin, a key) of several images over time, on one axis.

    Notebook: problem_set, part 1.3 (a bin of the clean, noisy and filtered
    spectrograms). The first image is drawn light grey, the second black, the
    others in colour.

    Parameters
    ----------
    images : mapping of str to np.ndarray, each shape (n_rows, n_frames)
        Legend label to image.
    row : int
        Which row.
    frames_per_second : float
        Frame rate, for the time axis.
    frames : slice
        Which frames to draw.
    title : str, optional
    """
    styles = [
        {"color": "0.75", "lw": 1},
        {"color": "black", "lw": 2},
        {"color": "#E69F00", "lw": 1.5},
        {"color": "#0072B2", "lw": 1.5, "ls": "--"},
    ]
    figure = Figure(figsize=(10, 3), layout="constrained")
    ax = figure.add_subplot()
    for index, (label, image) in enumerate(images.items()):
        values = np.asarray(image)[row, frames]
        seconds = np.arange(image.shape[1])[frames] / frames_per_second
        ax.plot(seconds, values, label=label, **styles[min(index, len(styles) - 1)])
    ax.set_xlabel("time (s)")
    ax.set_ylabel("level (0..1)")
    if title:
        ax.set_title(title)
    ax.legend(loc="upper right")
    return figure


def error_table(errors: Mapping[str, Mapping[str, float]]) -> str:
    """Mean absolute errors per image, one column per kind of pixel.

    Notebook: problem_set, part 1.3.

    Parameters
    ----------
    errors : mapping of str to mapping of str to float
        Column name (e.g. ``"mean |error| at impulses"``) to ``{image: error}``.
    """
    columns = list(errors)
    names = list(errors[columns[0]]) if columns else []
    table = [
        {"image": name, **{column: f"{errors[column][name]:.4f}" for column in columns}}
        for name in names
    ]
    return format_table(table)
