"""Two levels of validation and a training log appended per run.

Notebook: ``solutions/transcription``, part 8 ("Validation and the run log");
``benchmarks/transcription.py`` writes the same log.

Production transcription and OMR projects check a change at two levels: a
**smoke test** of one component that runs in seconds and catches a broken
build (here: the CQT layer built from a kernel function, against
``librosa.cqt`` on a chord of sines), and a **system-level validation** of
the whole pipeline (held-out note F-measure). Each training run appends one
row to a CSV log, with the commit, the date, the budget and both figures, so
that a regression shows up as a step in a plot instead of a vague feeling.
"""

from __future__ import annotations

import csv
import datetime
import subprocess
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import librosa
import numpy as np
from matplotlib.figure import Figure

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.errors import DlmusicError
from dlmusic.transcription.constants import (
    LIBROSA_CQT_SETTINGS,
    WINDOW_SAMPLES,
)
from dlmusic.transcription.cqt import CQT, KernelFunction
from dlmusic.transcription.experiments import Budget

RUN_LOG_FIELDS = (
    "commit",
    "date",
    "name",
    "steps",
    "batch_size",
    "train_seconds",
    "smoke_cqt_error",
    "smoke_seconds",
    "validation_fno",
    "validation_f",
    "held_out_fno",
)
"""Columns of the run log, in order. ``smoke_cqt_error`` is the smoke test's median
relative error against librosa; ``validation_*`` and ``held_out_fno`` are the system
figures (mean over clips; ``held_out_fno`` on material of a kind never trained on,
e.g. an unseen piano timbre, empty when not measured)."""
SMOKE_CHORD_MIDI = (45, 57, 64, 69, 76, 88)
"""MIDI pitches of the smoke test's chord of sines (A2 .. E6)."""


def cqt_smoke_test(kernel: KernelFunction) -> dict[str, float]:
    """The CQT layer built from ``kernel`` against ``librosa.cqt`` on a chord of sines.

    Notebook: transcription, part 8 (validation at two levels).

    Runs in a few seconds on a CPU. A kernel function that is wrong in any way that
    matters (length, window, normalisation, frequency) gives errors of tens of percent;
    a right one about 1e-4 on sines.

    Parameters
    ----------
    kernel : callable
        ``kernel(freq_hz, sr, bins_per_octave) -> complex array`` (the notebook's
        ``cqt_kernel``).

    Returns
    -------
    dict
        ``"smoke_cqt_error"``: median relative error over the cells within 20 dB of the
        loudest; ``"smoke_seconds"``: wall time of the layer (after a warm-up call).
    """
    time_s = np.arange(WINDOW_SAMPLES) / SAMPLE_RATE_HZ
    chord = sum(np.sin(2 * np.pi * librosa.midi_to_hz(m) * time_s) for m in SMOKE_CHORD_MIDI)
    chord = (0.1 * chord).astype(np.float32)
    layer = CQT(kernel=kernel)
    layer(chord[np.newaxis])
    start = time.perf_counter()
    ours = np.asarray(layer(chord[np.newaxis]))[0]
    seconds = time.perf_counter() - start
    reference = librosa_cqt(chord)
    frames = min(ours.shape[0], reference.shape[0])
    ours, reference = ours[:frames], reference[:frames]
    loud = reference > reference.max() * 0.1  # within 20 dB of the loudest cell
    error = np.abs(ours[loud] - reference[loud]) / reference[loud]
    return {"smoke_cqt_error": float(np.median(error)), "smoke_seconds": seconds}


def librosa_cqt(audio: np.ndarray) -> np.ndarray:
    """``librosa.cqt``'s magnitude with the CQT layer's settings, the layer's reference.

    Notebook: transcription, parts 1 and 8 (librosa's CQT, the layer's reference).

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio at ``SAMPLE_RATE_HZ``.

    Returns
    -------
    np.ndarray, shape (n_frames, N_CQT_BINS)
        Magnitudes, hop ``HOP_SAMPLES``, lowest bin ``FMIN_HZ`` (librosa's warnings
        about the short top-octave filters are silenced).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        spectrum = librosa.cqt(audio, **LIBROSA_CQT_SETTINGS)
    return np.abs(spectrum).T


def current_commit(folder: str | Path = ".") -> str:
    """The short git commit of ``folder``'s checkout, or ``"unknown"`` outside git.

    Notebook: transcription, part 8 (the run log).
    """
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def append_run(
    path: str | Path,
    *,
    name: str,
    steps: int,
    batch_size: int,
    train_seconds: float,
    smoke: Mapping[str, float],
    system: Mapping[str, float],
    commit: str | None = None,
    date: str | None = None,
) -> dict[str, str]:
    """Append one training run to the CSV log at ``path`` (created with a header).

    Notebook: transcription, part 8 (the run log).

    Parameters
    ----------
    path : path
        The log file, e.g. ``runs/transcription_runs.csv``.
    name : str
        Which network or experiment (``"full"``, ``"no_post_stack_conv"``, ...).
    steps, batch_size : int
        The training budget: optimiser steps and windows per step.
    train_seconds : float
        Wall time of the training.
    smoke : mapping
        :func:`cqt_smoke_test`'s result.
    system : mapping
        ``"validation_fno"`` and ``"validation_f"`` (required), ``"held_out_fno"``
        (optional).
    commit, date : str, optional
        Default: :func:`current_commit` of the working folder, and today (UTC, ISO).

    Returns
    -------
    dict
        The row written, every value as text.

    Raises
    ------
    DlmusicError
        A required figure is missing, or the file has other columns.
    """
    missing = [key for key in ("validation_fno", "validation_f") if key not in system]
    missing += [key for key in ("smoke_cqt_error", "smoke_seconds") if key not in smoke]
    if missing:
        raise DlmusicError(f"the run log needs {', '.join(missing)}")
    row = {
        "commit": commit or current_commit(),
        "date": date or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "name": name,
        "steps": str(int(steps)),
        "batch_size": str(int(batch_size)),
        "train_seconds": f"{train_seconds:.1f}",
        "smoke_cqt_error": f"{smoke['smoke_cqt_error']:.6f}",
        "smoke_seconds": f"{smoke['smoke_seconds']:.3f}",
        "validation_fno": f"{system['validation_fno']:.4f}",
        "validation_f": f"{system['validation_f']:.4f}",
        "held_out_fno": ""
        if system.get("held_out_fno") is None
        else f"{system['held_out_fno']:.4f}",
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.is_file() or path.stat().st_size == 0
    if not new:
        with path.open(newline="") as file:
            header = next(csv.reader(file), [])
        if tuple(header) != RUN_LOG_FIELDS:
            raise DlmusicError(f"{path} is not a run log (columns {header})")
    with path.open("a", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=RUN_LOG_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow(row)
    return row


def log_run(
    path: str | Path,
    kernel: KernelFunction,
    name: str,
    budget: Budget,
    train_seconds: float,
    validation: Mapping[str, float],
    held_out_fno: Sequence[float] = (),
) -> str:
    """Run the smoke test on ``kernel`` and append the run to the log at ``path``.

    Notebook: transcription, part 8 (validation at two levels, and the run log).

    Parameters
    ----------
    path : path
        The log file (see :func:`append_run`).
    kernel : callable
        The CQT kernel function the smoke test builds its layer from.
    name : str
        Which network (see :func:`append_run`).
    budget : Budget
        Its training budget (steps and batch size are logged).
    train_seconds : float
        Wall time of the training.
    validation : mapping
        Mean validation scores, with ``"fno"`` and ``"f"``.
    held_out_fno : sequence of float
        Fno of each clip of a kind never trained on; its mean is logged (empty: not logged).

    Returns
    -------
    str
        One line: the smoke test's error and where the run was logged.
    """
    smoke = cqt_smoke_test(kernel)
    system = {"validation_fno": validation["fno"], "validation_f": validation["f"]}
    system["held_out_fno"] = float(np.mean(held_out_fno)) if len(held_out_fno) else None
    append_run(
        path,
        name=name,
        steps=budget.steps,
        batch_size=budget.batch_size,
        train_seconds=train_seconds,
        smoke=smoke,
        system=system,
    )
    return f"smoke test: median error {smoke['smoke_cqt_error']:.2e}; logged to {path}"


def read_runs(path: str | Path) -> list[dict[str, str]]:
    """The rows of a run log, oldest first (an empty list when there is no file).

    Notebook: transcription, part 8 (the run log).
    """
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="") as file:
        return list(csv.DictReader(file))


def plot_runs(path: str | Path, *, title: str = "training runs") -> Figure:
    """Both validation levels per run: the smoke test's error and the system Fno.

    Notebook: transcription, part 8 (the run log).

    One point per row of the log, in order, labelled with its commit; one line per
    run ``name``.
    """
    runs = read_runs(path)
    figure = Figure(figsize=(10, 3.6), layout="constrained")
    smoke_ax, system_ax = figure.subplots(1, 2)
    for name in dict.fromkeys(run["name"] for run in runs):
        index = [i for i, run in enumerate(runs) if run["name"] == name]
        smoke = [float(runs[i]["smoke_cqt_error"]) for i in index]
        smoke_ax.plot(index, smoke, marker="o", label=name)
        system_ax.plot(
            index,
            [float(runs[i]["validation_fno"]) for i in index],
            marker="o",
            label=f"{name}: validation",
        )
        held_out = [(i, runs[i]["held_out_fno"]) for i in index if runs[i]["held_out_fno"]]
        if held_out:
            system_ax.plot(
                *zip(*[(i, float(v)) for i, v in held_out], strict=True),
                marker="s",
                linestyle="--",
                label=f"{name}: held out",
            )
    for ax in (smoke_ax, system_ax):
        ax.set_xticks(range(len(runs)), [run["commit"][:7] for run in runs], rotation=45)
        ax.set_xlabel("run (commit)")
        if runs:
            ax.legend(fontsize="small")
    smoke_ax.set_yscale(
        "log" if runs and all(float(r["smoke_cqt_error"]) > 0 for r in runs) else "linear"
    )
    smoke_ax.set_ylabel("CQT vs librosa, median rel. error")
    smoke_ax.set_title("smoke test (seconds)")
    system_ax.set_ylabel("Fno")
    system_ax.set_ylim(0, 1)
    system_ax.set_title("system validation")
    figure.suptitle(title if runs else f"{title}: no runs logged yet")
    return figure


__all__ = [
    "RUN_LOG_FIELDS",
    "append_run",
    "cqt_smoke_test",
    "current_commit",
    "plot_runs",
    "read_runs",
]
