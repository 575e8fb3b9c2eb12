"""How the grader measures the mask networks a student saved (instructor only).

Notebook: ``solutions/vocals/vocals.ipynb``, the scoring cells of part 6.
The notebook trains one network per mask target and saves its weights next
to itself (:func:`dlmusic.vocals.model.weights_file`). The grader builds
its own copy of the architecture
(:func:`dlmusic_instructor.references.vocals.build_model`), loads the weights,
separates held-out songs of ``synthetic_stems`` rendered from the grading
workspace's seed (never from anything the student's environment says), and
reports the mean vocal SDR improvement over the mixture, in dB, next to
that of the benchmark's trivial high-pass mask on the same songs.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import keras
import numpy as np

from dlmusic.callbacks import load_saved_weights
from dlmusic.datasets.synthetic_stems import build_synthetic_stems, load_synthetic_stems
from dlmusic.errors import DlmusicError
from dlmusic.vocals.baselines import high_pass_mask
from dlmusic.vocals.data import TrackStems, load_stems
from dlmusic.vocals.estimates import estimate_from_mask
from dlmusic.vocals.metrics import mixture_as_estimate, references, separation_scores
from dlmusic.vocals.model import weights_file
from dlmusic_instructor.heldout import refuse_unfit_weights_file
from dlmusic_instructor.references.vocals import build_model, masked_estimate, separate_track

HELDOUT_SIZES = {"quick": (2, 8.0), "full": (None, None)}
"""Per grading size: how many held-out songs are scored (None: all 4) and the
seconds of each (None: whole, 15 s). ``quick`` is for tests and the demo."""
MAX_WEIGHTS_BYTES = 32 * 2**20
"""A weights file larger than this is refused (the network's is 1.2 MB)."""


def heldout_tracks(heldout: Path, seed: int, size: str) -> list[TrackStems]:
    """The held-out songs for ``seed``, rendered once under ``heldout/vocals_stems``.

    Parameters
    ----------
    heldout : Path
        The grading workspace's held-out folder (the grader's process only).
    seed : int
        The workspace's held-out seed.
    size : {"quick", "full"}
        How much of them is scored (:data:`HELDOUT_SIZES`).
    """
    if size not in HELDOUT_SIZES:
        raise DlmusicError(f"unknown held-out size {size!r}; expected one of {list(HELDOUT_SIZES)}")
    return list(_read_heldout_tracks(Path(heldout).resolve(), int(seed), size))


@functools.cache
def _read_heldout_tracks(heldout: Path, seed: int, size: str) -> tuple[TrackStems, ...]:
    root = build_synthetic_stems(
        heldout / "vocals_stems" / str(seed), size="heldout", seed=seed, progress=False
    )
    count, seconds = HELDOUT_SIZES[size]
    tracks = load_synthetic_stems(root, size="heldout")[:count]
    return tuple(load_stems(track).excerpt(seconds) for track in tracks)


def load_saved_model(path: Path, description: str = "mask network") -> keras.Model:
    """The grader's network with the weights saved at ``path`` (a student's file).

    ``description`` names the network in the error messages.

    Raises
    ------
    DlmusicError
        The file is missing, not a regular file, too large, or does not fit
        the network.
    """
    path = Path(path)
    refuse_unfit_weights_file(path, MAX_WEIGHTS_BYTES)
    return load_saved_weights(build_model(), path, description)


def submitted_model(submission: Path, target: str) -> keras.Model:
    """The ``target`` network the student handed in (its weights file in ``submission``)."""
    return load_saved_model(weights_file(target, submission), f"{target}-mask network")


@functools.cache
def _mixture_sdr(track: TrackStems) -> float:
    return separation_scores(references(track), mixture_as_estimate(track.mixture))["vocals"]["sdr"]


def high_pass_improvement(tracks: list[TrackStems], cutoff_hz: float) -> float:
    """Mean vocal SDR improvement over the mixture of a fixed high-pass mask (dB).

    The trivial mask the benchmark fits on its training songs, applied to
    ``tracks``: what a network gets for free if it learns only a frequency
    response. Tracks without a scorable segment are skipped; NaN if all are.
    """
    return _high_pass_improvement(tuple(tracks), float(cutoff_hz))


@functools.cache
def _high_pass_improvement(tracks: tuple[TrackStems, ...], cutoff_hz: float) -> float:
    gains = []
    for track in tracks:
        estimate = estimate_from_mask(track.mixture, high_pass_mask(cutoff_hz, 1), masked_estimate)
        gain = separation_scores(references(track), estimate)["vocals"]["sdr"] - _mixture_sdr(track)
        if not math.isnan(gain):
            gains.append(max(gain, -100.0))
    return float(np.mean(gains)) if gains else float("nan")


def vocal_sdr_improvement(model: keras.Model, tracks: list[TrackStems]) -> float:
    """Mean over ``tracks`` of the vocal SDR of ``model``'s estimate minus the mixture's (dB).

    Tracks whose vocals are silent throughout (no scorable segment) are
    skipped; NaN if every track is; an exactly silent estimate counts -100 dB.
    """
    gains = []
    for track in tracks:
        estimate = separate_track(model, track.mixture)
        ours = separation_scores(references(track), estimate)["vocals"]["sdr"]
        gain = ours - _mixture_sdr(track)
        if not math.isnan(gain):
            gains.append(max(gain, -100.0))
    return float(np.mean(gains)) if gains else float("nan")
