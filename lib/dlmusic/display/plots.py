"""Plots for the notebooks: piano rolls, spectrograms, waveforms, training curves, confusion.

Every ``plot_*`` function returns a :class:`matplotlib.figure.Figure` (Jupyter shows it
when it is the last expression of a cell; save it with ``fig.savefig``). The
functions that draw a single panel accept ``ax`` to draw into an existing
figure instead, and then return ``ax.figure``. Nothing here calls pyplot, so
plotting in a loop leaks no figures.

Units: time in seconds, frequency in Hz, pitch as MIDI note numbers
(60 = middle C), spectrogram frames of ``hop_samples`` samples.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import librosa
import librosa.display
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from dlmusic.audio import SAMPLE_RATE_HZ, validate_audio
from dlmusic.errors import MissingFileError, SampleRateError

Notes = tuple[np.ndarray, np.ndarray]
"""``(intervals, pitches)``: onset/offset seconds ``(n_notes, 2)``, MIDI pitches ``(n_notes,)``."""

# Okabe-Ito colours, told apart with colour-vision deficiency; false alarms are also hatched.
HIT_COLOUR = "#0072B2"
MISS_COLOUR = "#E69F00"
FALSE_ALARM_COLOUR = "#CC79A7"

SPECTROGRAM_Y_AXES = ("linear", "log", "cqt_note", "cqt_hz")
MAX_FALSE_ALARMS_DRAWN = 100
"""A poor model's false alarms can bury the piano roll: beyond this many, the longest are drawn."""


def _figure_and_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


# --- piano roll ----------------------------------------------------------------------------------


def _close_notes(
    reference: tuple[np.ndarray, np.ndarray],
    estimate: tuple[np.ndarray, np.ndarray],
    *,
    onset_tolerance_s: float,
    with_offsets: bool,
) -> np.ndarray:
    """``close[i, j]``: estimated note j lies near reference note i, shape (n_ref, n_est)."""
    (ref_intervals, ref_pitches), (est_intervals, est_pitches) = reference, estimate
    same_pitch = np.abs(ref_pitches[:, None] - est_pitches[None, :]) <= 0.5
    onset_gap_s = np.abs(ref_intervals[:, :1] - est_intervals[None, :, 0])
    close = same_pitch & (onset_gap_s <= onset_tolerance_s)
    if with_offsets:
        allowed_s = np.maximum(0.2 * (ref_intervals[:, 1] - ref_intervals[:, 0]), 0.05)
        offset_gap_s = np.abs(ref_intervals[:, 1:] - est_intervals[None, :, 1])
        close &= offset_gap_s <= allowed_s[:, None]
    return close


def plot_piano_roll(
    reference: Notes,
    estimate: Notes | None = None,
    *,
    onset_tolerance_s: float = 0.05,
    with_offsets: bool = False,
    max_false_alarms: int = MAX_FALSE_ALARMS_DRAWN,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw notes as a piano roll; with an estimate, colour hits, misses and false alarms.

    Notebook: transcription, the data and part 6 (notes found against the reference).

    An estimated note is drawn as a hit when some reference note of the same
    pitch (within 50 cents) starts within ``onset_tolerance_s`` of it (and, with
    ``with_offsets``, ends within 20 % of that note's duration, at least 50 ms);
    a reference note is a miss when no estimated note is that close. This is a
    picture: unlike the F-measure's one-to-one matching (the ``note_hits``
    exercise of the transcription notebook), two close estimates of one note are
    both drawn as hits.

    False alarms are drawn pale and hatched, behind hits and misses. A poor model can
    produce thousands (the quick-mode transcription model: over 4,000 beside
    49 notes), which would cover everything else: beyond ``max_false_alarms``
    only the longest are drawn, and the legend says how many there are and how
    many are drawn.

    Parameters
    ----------
    reference : (np.ndarray, np.ndarray)
        ``(intervals, pitches)``: intervals shape ``(n_notes, 2)`` onset and
        offset in seconds; pitches shape ``(n_notes,)`` MIDI note numbers
        (floats allowed). ``n_notes`` may be 0.
    estimate : (np.ndarray, np.ndarray) or None
        A transcription in the same format. ``None`` draws the reference only.
    onset_tolerance_s : float
        Largest onset difference of a hit, in seconds.
    with_offsets : bool
        Also require matching offsets (``offset_ratio=0.2``).
    max_false_alarms : int
        Most false alarms drawn (the longest); all are counted in the legend.
    ax : matplotlib.axes.Axes or None
        Draw here instead of in a new figure.
    title : str or None
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        The legend gives the counts, e.g. ``"hits (12)"``, and
        ``"false alarms (4282; the 100 longest drawn)"`` when capped.

    Raises
    ------
    ValueError
        Notes of the wrong shape, non-finite, or ending before they start.
    """
    ref_intervals, ref_pitches = _validate_notes(reference, "reference")
    if max_false_alarms < 0:
        raise ValueError(f"max_false_alarms must be >= 0, got {max_false_alarms}")
    fig, ax = _figure_and_axes(ax, figsize=(10, 4))
    if estimate is None:
        layers = [(f"notes ({len(ref_pitches)})", ref_intervals, ref_pitches, HIT_COLOUR, None)]
        all_pitches = ref_pitches
        all_intervals = ref_intervals
    else:
        est_intervals, est_pitches = _validate_notes(estimate, "estimate")
        close = _close_notes(
            (ref_intervals, ref_pitches),
            (est_intervals, est_pitches),
            onset_tolerance_s=onset_tolerance_s,
            with_offsets=with_offsets,
        )
        hit, found = close.any(axis=0), close.any(axis=1)
        alarm_intervals, alarm_pitches = est_intervals[~hit], est_pitches[~hit]
        label = f"false alarms ({len(alarm_pitches)})"
        if len(alarm_pitches) > max_false_alarms:
            label = f"false alarms ({len(alarm_pitches)}; the {max_false_alarms} longest drawn)"
            longest = np.argsort(alarm_intervals[:, 0] - alarm_intervals[:, 1], kind="stable")
            keep = np.sort(longest[:max_false_alarms])
            alarm_intervals, alarm_pitches = alarm_intervals[keep], alarm_pitches[keep]
        layers = [
            (label, alarm_intervals, alarm_pitches, FALSE_ALARM_COLOUR, "//"),
            (f"hits ({hit.sum()})", est_intervals[hit], est_pitches[hit], HIT_COLOUR, None),
            (
                f"misses ({(~found).sum()})",
                ref_intervals[~found],
                ref_pitches[~found],
                MISS_COLOUR,
                None,
            ),
        ]
        # the axes span what is drawn: false alarms left out do not stretch them
        all_pitches = np.concatenate([ref_pitches, *(layer[2] for layer in layers)])
        all_intervals = np.concatenate([ref_intervals, *(layer[1] for layer in layers)])

    handles = []
    for name, intervals, pitches, colour, hatch in layers:
        style = {"facecolor": colour, "edgecolor": "black", "linewidth": 0.5, "hatch": hatch}
        if hatch:  # false alarms: pale, so the hits and misses drawn over them stay readable
            style = {"facecolor": (colour, 0.3), "edgecolor": (colour, 0.8), "linewidth": 0.0}
            style["hatch"] = hatch
        if len(pitches):
            ax.barh(
                pitches,
                intervals[:, 1] - intervals[:, 0],
                left=intervals[:, 0],
                height=0.8,
                align="center",
                **style,
            )
        handles.append(Patch(label=name, **style))
    if estimate is not None:  # hits, misses, then false alarms (drawn first, underneath)
        handles = [*handles[1:], handles[0]]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))

    _set_pitch_axis(ax, all_pitches)
    end_s = float(all_intervals[:, 1].max()) if len(all_intervals) else 1.0
    ax.set_xlim(0.0, max(end_s, 1e-3) * 1.02)
    ax.set_xlabel("time (s)")
    ax.set_title(title or "Piano roll")
    return fig


def _validate_notes(notes: Notes, name: str) -> Notes:
    """Check ``(intervals, pitches)`` and return them as float arrays."""
    if not isinstance(notes, tuple | list) or len(notes) != 2:
        raise ValueError(f"{name} must be an (intervals, pitches) tuple")
    intervals = np.asarray(notes[0], dtype=float)
    pitches = np.asarray(notes[1], dtype=float)
    if intervals.size == 0 and pitches.size == 0:
        return np.zeros((0, 2)), np.zeros(0)
    if intervals.ndim != 2 or intervals.shape[1] != 2:
        raise ValueError(f"{name} intervals must have shape (n_notes, 2), got {intervals.shape}")
    if pitches.shape != (len(intervals),):
        raise ValueError(
            f"{name} pitches must have shape ({len(intervals)},) to match the intervals, "
            f"got {pitches.shape}"
        )
    if not (np.all(np.isfinite(intervals)) and np.all(np.isfinite(pitches))):
        raise ValueError(f"{name} notes contain NaN or infinite values")
    if np.any(intervals[:, 1] < intervals[:, 0]):
        raise ValueError(f"{name} has notes whose offset comes before their onset")
    return intervals, pitches


def _set_pitch_axis(ax: Axes, pitches: np.ndarray) -> None:
    """MIDI pitch on y, labelled with note names (every semitone, or every C)."""
    if len(pitches):
        low, high = math.floor(pitches.min()) - 1, math.ceil(pitches.max()) + 1
    else:
        low, high = 59, 73
    ticks = [m for m in range(low, high + 1) if high - low <= 13 or m % 12 == 0]
    ax.set_yticks(ticks, librosa.midi_to_note(ticks, unicode=False))
    ax.set_yticks(range(low, high + 1), minor=True)
    ax.set_ylim(low - 0.5, high + 0.5)
    ax.set_ylabel("pitch (MIDI note)")
    ax.grid(axis="y", which="both", alpha=0.2)


# --- spectrogram and waveform --------------------------------------------------------------------


def plot_spectrogram(
    spec: np.ndarray,
    *,
    sr: int = SAMPLE_RATE_HZ,
    hop_samples: int = 256,
    y_axis: str = "linear",
    bins_per_octave: int = 36,
    fmin_hz: float | None = None,
    to_db: bool = True,
    colorbar_label: str | None = None,
    value_range: tuple[float, float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Show a magnitude spectrogram (STFT or CQT) as an image with a labelled colourbar.

    Notebook: transcription, part 1 (three CQTs of a clip); vocals, parts 1 and 2 (spectrograms and
    masks); problem_set, 1.3 to 1.5.

    Parameters
    ----------
    spec : np.ndarray, shape (n_bins, n_frames)
        Magnitudes (complex values are reduced to their magnitude).
    sr : int
        Sample rate of the analysed audio, in Hz.
    hop_samples : int
        Samples between frames; sets the time axis in seconds.
    y_axis : {"linear", "log", "cqt_note", "cqt_hz"}
        Frequency axis: STFT bins in Hz on a linear or log scale, or CQT bins
        labelled with note names or Hz.
    bins_per_octave : int
        CQT bins per octave (CQT axes only).
    fmin_hz : float or None
        Frequency of the lowest CQT bin in Hz (CQT axes only); ``None`` means
        C1, librosa's default.
    to_db : bool
        Convert to decibels relative to the loudest bin
        (``librosa.amplitude_to_db(ref=np.max)``).
    colorbar_label : str or None
        What the colours mean; by default ``"dB (0 = loudest bin)"`` or, with
        ``to_db=False``, ``"magnitude"``. Say what a mask's values mean, e.g.
        ``"mask (share of the mixture kept)"``.
    value_range : (float, float) or None
        Fixed colour range (e.g. ``(0, 1)`` for a mask); by default the data's.
    ax : matplotlib.axes.Axes or None
        Draw here instead of in a new figure.
    title : str or None
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        ``spec`` not 2-D, empty or non-finite; unknown ``y_axis``; non-positive hop.
    SampleRateError
        Non-positive ``sr``.
    """
    spec = np.abs(np.asarray(spec))
    if spec.ndim != 2 or spec.size == 0:
        raise ValueError(f"spec must have shape (n_bins, n_frames), got {spec.shape}")
    if not np.all(np.isfinite(spec)):
        raise ValueError("spec contains NaN or infinite values")
    if y_axis not in SPECTROGRAM_Y_AXES:
        raise ValueError(f"y_axis must be one of {SPECTROGRAM_Y_AXES}, got {y_axis!r}")
    if sr <= 0:
        raise SampleRateError(f"sample rate must be positive, got {sr}")
    if hop_samples <= 0:
        raise ValueError(f"hop_samples must be positive, got {hop_samples}")
    fig, ax = _figure_and_axes(ax, figsize=(10, 4))
    values = librosa.amplitude_to_db(spec, ref=np.max) if to_db else spec
    cqt_options = {"bins_per_octave": bins_per_octave, "fmin": fmin_hz}
    limits = {"vmin": value_range[0], "vmax": value_range[1]} if value_range else {}
    image = librosa.display.specshow(
        values,
        sr=sr,
        hop_length=hop_samples,
        x_axis="time",
        y_axis=y_axis,
        ax=ax,
        **limits,
        **(cqt_options if y_axis.startswith("cqt") else {}),
    )
    default_label = "dB (0 = loudest bin)" if to_db else "magnitude"
    fig.colorbar(
        image,
        ax=ax,
        format="%+2.0f" if to_db else None,
        label=colorbar_label or default_label,
    )
    ax.set_xlabel("time (s)")
    ax.set_title(title or "Spectrogram")
    return fig


def plot_waveform(
    audio: np.ndarray, sr: int, *, ax: Axes | None = None, title: str | None = None
) -> Figure:
    """Draw the waveform the model hears: amplitude against time in seconds.

    Notebook: vocals, part 1 (what the model hears).

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,) or (n_channels, n_samples)
        Samples; each channel is drawn in its own colour.
    sr : int
        Sample rate in Hz.
    ax : matplotlib.axes.Axes or None
        Draw here instead of in a new figure.
    title : str or None
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ChannelError, EmptyAudioError, NonFiniteAudioError, SampleRateError
    """
    validate_audio(audio)
    if sr <= 0:
        raise SampleRateError(f"sample rate must be positive, got {sr}")
    fig, ax = _figure_and_axes(ax, figsize=(10, 3))
    channels = audio[np.newaxis] if audio.ndim == 1 else audio
    for index, channel in enumerate(channels):
        label = f"channel {index}" if len(channels) > 1 else None
        librosa.display.waveshow(channel, sr=sr, ax=ax, color=f"C{index}", alpha=0.8, label=label)
    if len(channels) > 1:
        ax.legend(loc="upper right")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("amplitude")
    ax.set_title(title or "Waveform")
    return fig


# --- training curves -----------------------------------------------------------------------------


def plot_training_curves(csv_path: str | Path, *, title: str | None = None) -> Figure:
    """One panel per metric of a Keras ``CSVLogger`` file: training and validation lines.

    Notebook: transcription, part 5; vocals, part 5; composer, part 3 (each training run's log).

    Parameters
    ----------
    csv_path : str or Path
        A file written by ``keras.callbacks.CSVLogger``: an ``epoch`` column,
        metrics such as ``loss`` and ``accuracy``, their ``val_`` twins, and
        possibly ``learning_rate`` (drawn on a log scale). ``NA`` or blank
        cells are left as gaps.
    title : str or None
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per metric, epochs on x.

    Raises
    ------
    MissingFileError
        No file at ``csv_path``.
    ValueError
        No ``epoch`` column, no metric columns, no rows, or a non-numeric cell.
    """
    epochs, columns = _read_training_log(csv_path)
    metrics = [name for name in columns if not name.startswith("val_")]
    metrics += [name for name in columns if name.startswith("val_") and name[4:] not in columns]
    n_cols = min(len(metrics), 3)
    n_rows = math.ceil(len(metrics) / n_cols)
    fig = Figure(figsize=(4.5 * n_cols, 3.2 * n_rows), layout="constrained")
    axes = fig.subplots(n_rows, n_cols, squeeze=False).ravel()
    for ax, metric in zip(axes, metrics, strict=False):
        split = "validation" if metric.startswith("val_") else "training"
        ax.plot(epochs, columns[metric], marker=".", label=split)
        if f"val_{metric}" in columns:
            ax.plot(epochs, columns[f"val_{metric}"], marker=".", label="validation")
            ax.legend()
        logged = columns[metric]
        if metric in ("learning_rate", "lr") and np.all(logged[np.isfinite(logged)] > 0):
            ax.set_yscale("log")
        ax.set_title(metric)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    return fig


def _read_training_log(csv_path: str | Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Epoch numbers, shape (n_epochs,), and each metric column, shape (n_epochs,)."""
    path = Path(csv_path)
    if not path.is_file():
        raise MissingFileError(f"no training log at {path}; pass the CSVLogger's filename")
    with path.open(newline="") as file:
        reader = csv.DictReader(file)
        fieldnames = reader.fieldnames or []
        rows = list(reader)
    if "epoch" not in fieldnames:
        raise ValueError(
            f"{path} has no 'epoch' column (found {fieldnames}); "
            "is it a keras.callbacks.CSVLogger file?"
        )
    names = [name for name in fieldnames if name != "epoch"]
    if not names:
        raise ValueError(f"{path} logs no metrics, only epochs")
    if not rows:
        raise ValueError(f"{path} holds no epochs yet; train for at least one epoch")
    try:
        epochs = np.array([float(row["epoch"]) for row in rows])
        columns = {name: np.array([_cell(row[name]) for row in rows]) for name in names}
    except ValueError as err:
        raise ValueError(f"{path} has a non-numeric cell: {err}") from err
    return epochs, columns


def _cell(text: str | None) -> float:
    return math.nan if text in (None, "", "NA") else float(text)


# --- confusion matrix ----------------------------------------------------------------------------


def confusion_counts(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> np.ndarray:
    """Count (true, predicted) class pairs.

    Notebook: composer, part 4 (inside :func:`plot_confusion_matrix`).

    Parameters
    ----------
    y_true, y_pred : np.ndarray, shape (n_examples,)
        Integer class indices in ``[0, n_classes)``.
    n_classes : int
        Number of classes.

    Returns
    -------
    np.ndarray, shape (n_classes, n_classes), int64
        ``counts[i, j]`` = examples of true class ``i`` predicted as ``j``.

    Raises
    ------
    ValueError
        Shapes differ, indices are not integers or fall outside the classes.
    """
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    if y_true.ndim != 1 or y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must both have shape (n_examples,), got {y_true.shape} "
            f"and {y_pred.shape}"
        )
    for name, values in (("y_true", y_true), ("y_pred", y_pred)):
        if values.size and not np.issubdtype(values.dtype, np.integer):
            raise ValueError(
                f"{name} must hold integer class indices, got dtype {values.dtype} "
                "(take np.argmax of probabilities first)"
            )
        if values.size and (values.min() < 0 or values.max() >= n_classes):
            raise ValueError(
                f"{name} holds class indices outside [0, {n_classes}): "
                f"{values.min()}..{values.max()}"
            )
    pairs = y_true.astype(np.int64) * n_classes + y_pred.astype(np.int64)
    return np.bincount(pairs, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def plot_confusion_matrix(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: Sequence[str],
    *,
    normalize: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Annotated confusion matrix: rows are true classes, columns predicted classes.

    Notebook: composer, part 4 (which composers are confused).

    Parameters
    ----------
    y_true, y_pred : np.ndarray, shape (n_examples,)
        Integer class indices into ``labels``.
    labels : Sequence[str]
        Class names, one per class.
    normalize : bool
        Divide each row by its total, so cells are the fraction of each true
        class (the diagonal is per-class recall); rows with no examples stay 0.
        ``False`` shows raw counts.
    ax : matplotlib.axes.Axes or None
        Draw here instead of in a new figure.
    title : str or None
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        The matrix is ``fig.axes[0].images[0].get_array()``.

    Raises
    ------
    ValueError
        See :func:`confusion_counts`; also no labels.
    """
    n_classes = len(labels)
    if n_classes == 0:
        raise ValueError("labels must name at least one class")
    counts = confusion_counts(y_true, y_pred, n_classes)
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    else:
        values = counts
    size = 1.5 + 0.6 * n_classes
    fig, ax = _figure_and_axes(ax, figsize=(size + 1.0, size))
    image = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(image, ax=ax, label="fraction of true class" if normalize else "examples")
    threshold = values.max() / 2 if values.max() > 0 else 1
    for (row, col), value in np.ndenumerate(values):
        ax.text(
            col,
            row,
            f"{value:.2f}" if normalize else f"{value:d}",
            ha="center",
            va="center",
            color="white" if value > threshold else "black",
        )
    ax.set_xticks(range(n_classes), labels, rotation=45, ha="right")
    ax.set_yticks(range(n_classes), labels)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title or "Confusion matrix")
    return fig
