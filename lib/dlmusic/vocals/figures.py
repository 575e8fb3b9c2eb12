"""What the notebook shows and plays: waveforms, spectrograms, masks, losses, estimates.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 1, 2, 5 and 6. Every
spectrogram is shown on a log frequency axis with the course's hop
(:data:`dlmusic.vocals.stft.HOP_SAMPLES`), cut to the first few seconds; the
magnitudes come from the student's ``spectrogram`` and are passed in. Every
estimate is heard between the mixture and the true vocals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.display import compare_players, plot_spectrogram, plot_waveform
from dlmusic.display.players import AudioComparison
from dlmusic.vocals.data import TrackStems
from dlmusic.vocals.stft import FRAMES_PER_SECOND, HOP_SAMPLES

SHOWN_S = 8.0
"""Seconds of a song each spectrogram shows."""


def spectrogram_panels(
    panels: Mapping[str, np.ndarray],
    *,
    mask: np.ndarray | None = None,
    side_by_side: bool = False,
    seconds: float = SHOWN_S,
) -> Figure:
    """Magnitude spectrograms under (or beside) each other, and optionally a mask last.

    Notebook: vocals, part 1 (mixture and vocals) and part 6 (true vocals, the
    network's estimate and its mask).

    Parameters
    ----------
    panels : mapping
        ``{title: magnitudes (N_BINS, n_frames)}``, shown in order, in dB.
    mask : np.ndarray, shape (N_BINS, n_frames), optional
        Values in [0, 1], shown last on a linear colour scale from 0 to 1.
    side_by_side : bool
        Panels in one row (sharing the frequency axis) instead of one column
        (sharing the time axis).
    seconds : float
        Only the first ``seconds`` of each are shown.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Nothing to show.
    """
    if not panels and mask is None:
        raise ValueError("spectrogram_panels needs at least one panel or a mask")
    count = len(panels) + (mask is not None)
    frames = slice(0, int(seconds * FRAMES_PER_SECOND))
    if side_by_side:
        figure = Figure(figsize=(6 * count, 4), layout="constrained")
        axes = np.atleast_1d(figure.subplots(1, count, sharey=True))
    else:
        figure = Figure(figsize=(10, 3.3 * count), layout="constrained")
        axes = np.atleast_1d(figure.subplots(count, 1, sharex=True))
    for ax, (title, magnitude) in zip(axes, panels.items(), strict=False):
        plot_spectrogram(
            np.asarray(magnitude)[:, frames],
            y_axis="log",
            hop_samples=HOP_SAMPLES,
            ax=ax,
            title=title,
        )
    if mask is not None:
        plot_spectrogram(
            np.asarray(mask)[:, frames],
            y_axis="log",
            hop_samples=HOP_SAMPLES,
            to_db=False,
            colorbar_label="mask: share of each bin kept",
            value_range=(0.0, 1.0),
            ax=axes[-1],
            title="predicted mask",
        )
    return figure


def loss_per_step(losses: Sequence[float], title: str) -> Figure:
    """The training loss after each optimiser step, on a log scale.

    Notebook: vocals, part 5 (exercise 5b: one batch, learned by heart).

    Parameters
    ----------
    losses : sequence of float
        One loss per step, as ``overfit_one_batch`` returns them.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if len(losses) == 0:
        raise ValueError("no losses to plot")
    figure = Figure(figsize=(6, 3), layout="constrained")
    axis = figure.subplots()
    axis.semilogy(np.arange(1, len(losses) + 1), losses)
    axis.set(xlabel="step", ylabel="loss on the batch", title=title)
    return figure


def waveform_panels(panels: Mapping[str, np.ndarray]) -> Figure:
    """Waveforms at 22050 Hz under each other, on one time axis.

    Notebook: vocals, part 1 (the mixture and the vocals: not apart in time).

    Parameters
    ----------
    panels : mapping
        ``{title: mono audio (n_samples,)}``, shown in order.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not panels:
        raise ValueError("waveform_panels needs at least one waveform")
    figure = Figure(figsize=(10, 2.5 * len(panels)), layout="constrained")
    axes = np.atleast_1d(figure.subplots(len(panels), 1, sharex=True))
    for ax, (title, audio) in zip(axes, panels.items(), strict=True):
        plot_waveform(audio, SAMPLE_RATE_HZ, ax=ax, title=title)
    return figure


def against_the_truth(song: TrackStems, estimates: Mapping[str, np.ndarray]) -> AudioComparison:
    """Players: the mixture, each estimate, then the true vocals of ``song``.

    Notebook: vocals, parts 2 and 6 (hear the oracles, the naive mask, the network).

    Parameters
    ----------
    song : TrackStems
        The song the estimates are of.
    estimates : mapping
        ``{label: audio (n_samples,)}``, played in order between the two.

    Returns
    -------
    AudioComparison
        Shown as labelled players in a notebook.
    """
    clips = {"mixture": song.mixture, **estimates, "true vocals": song.vocals}
    return compare_players(clips, SAMPLE_RATE_HZ)
