"""The transcription notebook's figures: harmonic profiles, targets, outputs, masking, confidence.

Notebook: ``solutions/transcription``, parts 2, 3, 6, 7 and 9. Each function
returns a :class:`matplotlib.figure.Figure` (no pyplot state), which a
notebook shows by leaving it as a cell's last value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure

from dlmusic.display import plot_piano_roll, plot_spectrogram
from dlmusic.transcription.constants import (
    BINS_PER_OCTAVE,
    FMIN_HZ,
    FRAMES_PER_SECOND,
    HARMONICS,
    N_CONTOUR_BINS,
    WINDOW_SAMPLES,
)
from dlmusic.transcription.data import NoteOnsetTargets, PianoClip, window_example
from dlmusic.transcription.notes import TranscribedNotes
from dlmusic.transcription.targets import NoteList, contour_bin

HEADS = (("contour", "Yp"), ("note", "Yn"), ("onset", "Yo"))
"""The network's outputs and their names in the paper."""


def plot_harmonic_profiles(
    stack: np.ndarray,
    pitch: int,
    *,
    sustained_s: tuple[float, float] = (0.3, 1.4),
    harmonics: Sequence[float] = HARMONICS,
) -> Figure:
    """Each harmonic channel of a stacked note, averaged over its sustain, on the note axis.

    Notebook: transcription, part 2 (a C3's harmonics line up).

    Parameters
    ----------
    stack : np.ndarray, shape (n_frames, 264, len(harmonics))
        Harmonic stack of one note's CQT (loudest cell 1).
    pitch : int
        MIDI pitch of the note, marked with a triangle.
    sustained_s : tuple of float
        Start and end (seconds) of the frames averaged.
    """
    frames = slice(*(round(t * FRAMES_PER_SECOND) for t in sustained_s))
    profiles = stack[frames].mean(axis=0).T  # (channels, 264 bins)
    figure = Figure(figsize=(10, 3.8), layout="constrained")
    ax = figure.subplots()
    image = ax.imshow(profiles, aspect="auto", origin="lower", cmap="magma", norm=PowerNorm(0.5))
    ax.plot([contour_bin(pitch)], [1.0], "v", transform=ax.get_xaxis_transform(), clip_on=False)
    ax.set_ylim(-0.5, len(harmonics) - 0.5)
    octaves = range(24, 109, 12)  # C1 .. C8
    ax.set_xticks([contour_bin(m) for m in octaves], [f"C{m // 12 - 1}" for m in octaves])
    ax.set_yticks(range(len(harmonics)), [f"h = {h}" for h in harmonics])
    ax.set_xlabel("bin of the fundamental (note)")
    ax.set_title(
        f"harmonic stack of a single note (MIDI {pitch}), averaged over "
        f"{sustained_s[0]}-{sustained_s[1]} s"
    )
    figure.colorbar(image, ax=ax, label="mean magnitude (loudest cell = 1)")
    return figure


def _posteriorgram(image: np.ndarray, head: str, ax, title: str) -> None:
    """One (frames, bins) image on a note axis: 3 bins per semitone for the contour."""
    plot_spectrogram(
        image.T,
        y_axis="cqt_note",
        fmin_hz=FMIN_HZ,
        bins_per_octave=BINS_PER_OCTAVE if head in ("contour", "cqt") else 12,
        to_db=False,
        ax=ax,
        title=title,
    )


def plot_targets(log_cqt: np.ndarray, notes: NoteList, targets: NoteOnsetTargets) -> Figure:
    """A window's normalised log-CQT (264 bins) above its three targets.

    Notebook: transcription, part 3.

    Parameters
    ----------
    log_cqt : np.ndarray, shape (172, 309)
        The window's normalised log-CQT.
    notes : NoteList
        The window's notes.
    targets : callable
        The notebook's ``note_and_onset_targets`` (the contour target is given).
    """
    _, images = window_example(np.zeros(WINDOW_SAMPLES, np.float32), notes, targets)
    figure = Figure(figsize=(10, 12), layout="constrained")
    axes = figure.subplots(4, 1)
    _posteriorgram(log_cqt[:, :N_CONTOUR_BINS], "cqt", axes[0], "normalised log-CQT (264 bins)")
    titles = {
        "contour": "Yp: contour target (3 bins per semitone)",
        "note": "Yn: note target (88 keys)",
        "onset": "Yo: onset target (88 keys)",
    }
    for ax, (head, title) in zip(axes[1:], titles.items(), strict=True):
        _posteriorgram(images[head], head, ax, title)
    return figure


def plot_outputs_and_targets(
    outputs: Mapping[str, np.ndarray], notes: NoteList, targets: NoteOnsetTargets
) -> Figure:
    """Each posteriorgram of one window beside the target it was trained to reproduce.

    Notebook: transcription, part 6.

    Parameters
    ----------
    outputs : mapping
        The network's outputs for a batch of one window: ``contour`` (1, 172, 264),
        ``note`` and ``onset`` (1, 172, 88).
    notes : NoteList
        The window's notes.
    targets : callable
        The notebook's ``note_and_onset_targets``.
    """
    _, images = window_example(np.zeros(WINDOW_SAMPLES, np.float32), notes, targets)
    figure = Figure(figsize=(12, 10), layout="constrained")
    for row, (head, label) in zip(figure.subplots(3, 2), HEADS, strict=True):
        pair = (("network", np.asarray(outputs[head])[0]), ("target", images[head]))
        for ax, (kind, image) in zip(row, pair, strict=True):
            _posteriorgram(image, head, ax, f"{label} ({head}): {kind}")
    return figure


def plot_masking(
    labels: tuple[np.ndarray, np.ndarray],
    heard: tuple[np.ndarray, np.ndarray],
    span_s: tuple[float, float],
) -> Figure:
    """The labels of a masked window above the notes a listener hears, the mask shaded.

    Notebook: transcription, part 7 (the wrong augmentation).
    """
    figure = Figure(figsize=(10, 5), layout="constrained")
    top, bottom = figure.subplots(2, 1, sharex=True)
    plot_piano_roll(labels, ax=top, title="the labels (unchanged by masking)")
    plot_piano_roll(
        heard, ax=bottom, title=f"what is heard after masking {span_s[0]}-{span_s[1]} s"
    )
    for ax in (top, bottom):
        ax.axvspan(*span_s, color="grey", alpha=0.3)
    return figure


def plot_confidence_curve(
    thresholds: Sequence[float],
    precision: np.ndarray,
    recall: np.ndarray,
    chosen: float | None,
    *,
    title: str = "full model, validation clips",
) -> Figure:
    """Precision and recall of the notes kept at each confidence threshold.

    Notebook: transcription, part 9; ``chosen`` is marked with a dashed line.
    """
    figure = Figure(figsize=(7, 4), layout="constrained")
    ax = figure.subplots()
    ax.plot(thresholds, precision, marker=".", label="precision")
    ax.plot(thresholds, recall, marker=".", label="recall")
    if chosen is not None:
        ax.axvline(chosen, color="grey", linestyle="--", label=f"threshold {chosen:.2f}")
    ax.set_xlabel("confidence threshold")
    ax.set_ylabel("score (no offsets)")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.legend()
    return figure


def plot_transcription(clip: PianoClip, estimate: NoteList | TranscribedNotes) -> Figure:
    """A clip's reference notes and a transcription as one piano roll (hits, misses, false alarms).

    Notebook: transcription, part 6.
    """
    return plot_piano_roll(
        (clip.notes.intervals, clip.notes.pitches),
        (estimate.intervals, estimate.pitches),
        title=f"{clip.name}: full model vs reference",
    )
