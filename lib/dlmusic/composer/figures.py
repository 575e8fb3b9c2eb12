"""The composer notebook's figures: a page, its rows, calibration, and inside the network.

Notebook: composer, parts 1, 5, 6 and 7. Each function returns a
:class:`matplotlib.figure.Figure` (shown when it is a cell's last value) and
computes nothing that is graded.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import keras
import numpy as np
from matplotlib.figure import Figure

from dlmusic.composer.confidence import expected_calibration_error, reliability_curve
from dlmusic.composer.dataset import RowSet
from dlmusic.composer.inside import (
    conv_layer_names,
    first_layer_filters,
    grad_cam,
    layer_activations,
)
from dlmusic.composer.rows import RANGE_THRESHOLD, ROW_SHAPE, Span
from dlmusic.datasets.records import ScorePage


def plot_page(page: np.ndarray, source: ScorePage) -> Figure:
    """One gray page, titled with its composer, work and page number.

    Notebook: composer, part 1 (the data).

    Parameters
    ----------
    page : np.ndarray, shape (height, width)
        Gray levels in [0, 1] (paper = 1).
    source : ScorePage
        Where the page comes from (for the title).
    """
    figure = Figure(figsize=(6, 8), layout="constrained")
    ax = figure.subplots()
    ax.imshow(page, cmap="gray", vmin=0, vmax=1)
    ax.set_title(f"{source.composer} / {source.piece}, page {source.page}")
    ax.set_axis_off()
    return figure


def plot_profile_and_rows(
    page: np.ndarray,
    profile: np.ndarray,
    rows: Sequence[Span],
    too_tall: Sequence[Span],
    threshold: float = RANGE_THRESHOLD,
) -> Figure:
    """A page beside its range profile, with the rows found marked on both.

    Notebook: composer, part 1 (the row finder).

    Parameters
    ----------
    page : np.ndarray, shape (height, width)
        Gray levels in [0, 1].
    profile : np.ndarray, shape (height,)
        The range of each pixel row.
    rows, too_tall : sequence of (top, bottom)
        The row finder's two lists.
    threshold : float
        The ink threshold, drawn dashed.
    """
    figure = Figure(figsize=(11, 7), layout="constrained")
    page_ax, profile_ax = figure.subplots(1, 2, sharey=True, width_ratios=[2, 1])
    page_ax.imshow(page, cmap="gray", vmin=0, vmax=1, aspect="auto")
    profile_ax.plot(profile, np.arange(len(profile)), lw=0.8)
    profile_ax.axvline(threshold, color="grey", linestyle="--")
    for top, bottom in rows:
        for ax in (page_ax, profile_ax):
            ax.axhline(top, color="tab:green")
            ax.axhline(bottom, color="tab:green")
    profile_ax.set_xlabel("range of the pixel row")
    page_ax.set_ylabel("pixel row")
    page_ax.set_title(f"{len(rows)} rows, {len(too_tall)} flagged as too tall")
    return figure


def plot_rows(rows: RowSet, n_shown: int = 4) -> Figure:
    """``n_shown`` rows spread over the set, as the networks see them (ink dark).

    Notebook: composer, part 1 (from rows to network inputs).
    """
    figure = Figure(figsize=(10, 1.5 * n_shown), layout="constrained")
    shown = np.linspace(0, len(rows) - 1, n_shown).astype(int)
    for ax, index in zip(np.atleast_1d(figure.subplots(n_shown, 1)), shown, strict=True):
        ax.imshow(rows.images[index, ..., 0], cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(rows.pieces[index], fontsize=9)
        ax.set_axis_off()
    return figure


def plot_reliability(
    confidence: np.ndarray, correct: np.ndarray, *, label: str, n_bins: int = 10
) -> Figure:
    """Reliability diagram: accuracy per confidence bin against the bin's mean confidence.

    Notebook: composer, part 5 (confidence). The title gives the expected
    calibration error (:func:`dlmusic.composer.confidence.expected_calibration_error`).

    Parameters
    ----------
    confidence : np.ndarray, shape (n_rows,)
        Each row's highest probability.
    correct : np.ndarray, shape (n_rows,), bool
        Whether that class was the right one.
    label : str
        What the points are (the legend).
    n_bins : int
        Equal-width bins on [0, 1].
    """
    mean_confidence, accuracy, counts = reliability_curve(confidence, correct, n_bins)
    ece = expected_calibration_error(confidence, correct, n_bins)
    figure = Figure(figsize=(5, 5), layout="constrained")
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="calibrated")
    used = counts > 0
    ax.plot(mean_confidence[used], accuracy[used], marker="o", label=label)
    ax.set_title(f"reliability diagram, ECE {ece:.3f}")
    ax.set_xlabel("mean confidence in bin")
    ax.set_ylabel("accuracy in bin")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend()
    return figure


def plot_inside(model: keras.Model, row: np.ndarray, *, title: str, predicted: str) -> Figure:
    """A row, the first convolution's filters, early and late feature maps, and Grad-CAM.

    Notebook: composer, part 6 (inside the network).

    Parameters
    ----------
    model : keras.Model
        A trained classifier of rows (ResNet50 in the notebook).
    row : np.ndarray, shape (70, 400, 1)
        One network input.
    title : str
        What the row is (its work).
    predicted : str
        The composer the network predicts for it (the Grad-CAM class).
    """
    convs = conv_layer_names(model)
    early, late = convs[1], convs[-1]
    with warnings.catch_warnings():  # Keras warns about the functional probes' structure
        warnings.simplefilter("ignore")
        early_maps = layer_activations(model, early, row[np.newaxis])[0]
        late_maps = layer_activations(model, late, row[np.newaxis])[0]
        heat = grad_cam(model, row, late)
    filters = first_layer_filters(model)
    figure = Figure(figsize=(11, 6), layout="constrained")
    axes = figure.subplots(3, 2)
    axes[0, 0].imshow(row[..., 0], cmap="gray_r")
    axes[0, 0].set_title(f"row of {title}")
    axes[0, 1].imshow(np.hstack([filters[..., 0, i] for i in range(8)]), cmap="RdBu_r")
    size = f"{filters.shape[0]}x{filters.shape[1]}"
    axes[0, 1].set_title(f"8 filters of the first convolution ({size})")
    for ax, channel in zip(axes[1], (0, 1), strict=True):
        ax.imshow(early_maps[..., channel], cmap="viridis")
        ax.set_title(f"{early}, channel {channel} ({early_maps.shape[0]}x{early_maps.shape[1]})")
    strongest = int(np.argmax(late_maps.mean(axis=(0, 1))))
    axes[2, 0].imshow(late_maps[..., strongest], cmap="viridis")
    axes[2, 0].set_title(
        f"{late}, its most active channel ({late_maps.shape[0]}x{late_maps.shape[1]})"
    )
    _overlay(axes[2, 1], row, heat)
    axes[2, 1].set_title(f"Grad-CAM for {predicted}")
    for ax in axes.flat:
        ax.set_axis_off()
    return figure


def plot_grad_cams(model: keras.Model, rows: RowSet) -> Figure:
    """Grad-CAM on the last convolution for the first row of each composer in ``rows``.

    Notebook: composer, part 7 (where the styled network looks). Each panel
    is titled with the row's work and the composer the network predicts.
    """
    shown = [int(np.flatnonzero(rows.labels == c)[0]) for c in np.unique(rows.labels)]
    last_conv = conv_layer_names(model)[-1]
    predicted = model.predict(rows.images[shown], verbose=0).argmax(axis=1)
    figure = Figure(figsize=(11, 1.6 * len(shown)), layout="constrained")
    for ax, index, label in zip(
        np.atleast_1d(figure.subplots(len(shown), 1)), shown, predicted, strict=True
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            heat = grad_cam(model, rows.images[index], last_conv)
        _overlay(ax, rows.images[index], heat)
        ax.set_title(f"{rows.pieces[index]}: predicted {rows.composers[label]}", fontsize=9)
        ax.set_axis_off()
    return figure


def _overlay(ax, row: np.ndarray, heat: np.ndarray) -> None:
    """A row (ink dark) with a heat map stretched over it."""
    ax.imshow(row[..., 0], cmap="gray_r")
    ax.imshow(heat, cmap="jet", alpha=0.4, extent=(0, ROW_SHAPE[1], ROW_SHAPE[0], 0))
