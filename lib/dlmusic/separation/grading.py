"""How the autograder measures the mask networks a student saved.

Notebook: ``solutions/vocals/vocals.ipynb``, the scoring cells of part 6.
The notebook trains one network per mask target and saves its weights next
to itself (:func:`weights_file`). The grader rebuilds the reference network
(:func:`~dlmusic.separation.model.build_mask_estimator`), loads the weights,
separates the ``heldout`` tracks of ``synthetic_stems`` (songs rendered from
the grader's seed ``$DLMUSIC_HELDOUT_SEED``, never loaded by the notebook) and
reports the vocal SDR improvement over the mixture, in dB.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import keras
import numpy as np

from dlmusic.callbacks import load_saved_weights
from dlmusic.datasets.synthetic_stems import build_synthetic_stems, load_synthetic_stems
from dlmusic.errors import DlmusicError
from dlmusic.separation.data import MASK_TARGETS, TrackStems, load_stems
from dlmusic.separation.metrics import mixture_as_estimate, separation_scores
from dlmusic.separation.model import build_mask_estimator, separate

HELDOUT_SEED_ENV_VAR = "DLMUSIC_HELDOUT_SEED"
DEFAULT_HELDOUT_SEED = 20261123


def weights_file(target: str, folder: str | Path = ".") -> Path:
    """Where the notebook saves the ``target`` network.

    That is ``<folder>/vocals_<target>_mask.weights.h5``, ``target`` one of
    :data:`~dlmusic.separation.data.MASK_TARGETS`.
    """
    if target not in MASK_TARGETS:
        raise DlmusicError(
            f"unknown mask target {target!r}; expected one of {', '.join(MASK_TARGETS)}"
        )
    return Path(folder) / f"vocals_{target}_mask.weights.h5"


def load_saved_model(target: str, folder: str | Path = ".") -> keras.Model:
    """Rebuild the reference network and load the saved ``target`` weights.

    Raises
    ------
    DlmusicError
        The weights file is missing, or does not fit the network.
    """
    model = build_mask_estimator(name=f"vocals_{target}_mask")
    return load_saved_weights(model, weights_file(target, folder), f"{target}-mask network")


def heldout_tracks(seed: int | None = None) -> list[TrackStems]:
    """The grading tracks (built on first use into the dataset cache, decoded once per seed)."""
    if seed is None:
        seed = int(os.environ.get(HELDOUT_SEED_ENV_VAR, DEFAULT_HELDOUT_SEED))
    return list(_read_heldout_tracks(seed))


@functools.cache
def _read_heldout_tracks(seed: int) -> tuple[TrackStems, ...]:
    root = build_synthetic_stems(size="heldout", seed=seed, progress=False)
    return tuple(load_stems(track) for track in load_synthetic_stems(root, size="heldout"))


@functools.cache
def _mixture_scores(track: TrackStems) -> dict[str, dict[str, float]]:
    return separation_scores(_references(track), mixture_as_estimate(track.mixture))


def _references(track: TrackStems) -> dict[str, np.ndarray]:
    return {"vocals": track.vocals, "accompaniment": track.accompaniment}


def vocal_sdr_improvement(model: keras.Model, tracks: list[TrackStems]) -> float:
    """Mean over ``tracks`` of the vocal SDR of ``model``'s estimate minus the mixture's (dB).

    Tracks whose vocals are silent throughout (no scorable segment) are
    skipped; NaN if every track is.
    """
    gains = []
    for track in tracks:
        estimate = separate(model, track.mixture)
        ours = separation_scores(_references(track), estimate)["vocals"]["sdr"]
        baseline = _mixture_scores(track)["vocals"]["sdr"]
        if not np.isnan(ours - baseline):
            gains.append(ours - baseline)
    return float(np.mean(gains)) if gains else float("nan")


def heldout_sdr_improvement(model: keras.Model, tracks: list[TrackStems] | None = None) -> float:
    """Vocal SDR improvement (dB) of ``model`` on the held-out tracks; ``-inf`` maps to -100."""
    gain = vocal_sdr_improvement(model, heldout_tracks() if tracks is None else tracks)
    return float(np.nan_to_num(gain, nan=float("nan"), neginf=-100.0))
