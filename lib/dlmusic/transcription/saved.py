"""How the autograder measures the models a student saved.

Notebook: ``solutions/transcription``, the hidden tests of parts 4, 8 and the
saved models. Each model configuration has a fixed weights file next to the
notebook; the grader rebuilds the network, loads the weights, transcribes the
``heldout`` pieces of ``synthetic_piano`` (pieces the notebook never loads,
drilled with the grader's seed ``$DLMUSIC_HELDOUT_SEED``) and reports the
mean note F-measure without offsets (Fno).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import keras
import numpy as np

from dlmusic.callbacks import load_saved_weights
from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.errors import DlmusicError
from dlmusic.transcription.data import PianoClip, load_clips, predict_posteriorgrams
from dlmusic.transcription.metrics import mean_scores
from dlmusic.transcription.model import build_nmp
from dlmusic.transcription.notes import posteriorgram_to_notes

HELDOUT_SEED_ENV_VAR = "DLMUSIC_HELDOUT_SEED"
DEFAULT_HELDOUT_SEED = 20261123
MODEL_CONFIGS: dict[str, dict[str, bool]] = {
    "full": {},
    "no_harmonic_stacking": {"harmonic_stacking": False},
    "no_contour_supervision": {"supervised_contour": False},
}
"""The three networks the notebook trains: the full model and the two ablations."""


def weights_file(name: str, folder: str | Path = ".") -> Path:
    """Where the notebook saves model ``name``: ``<folder>/nmp_<name>.weights.h5``."""
    if name not in MODEL_CONFIGS:
        raise DlmusicError(f"unknown model {name!r}; expected one of {', '.join(MODEL_CONFIGS)}")
    return Path(folder) / f"nmp_{name}.weights.h5"


def load_saved_model(name: str, folder: str | Path = ".") -> keras.Model:
    """Rebuild network ``name`` and load its saved weights.

    Raises
    ------
    DlmusicError
        The weights file is missing, or does not fit the network (wrong
        architecture or a corrupt file).
    """
    model = build_nmp(**MODEL_CONFIGS[name], name=f"nmp_{name}")
    return load_saved_weights(model, weights_file(name, folder), f"{name} model")


def write_untrained_weights(folder: str | Path) -> list[Path]:
    """Save freshly initialised weights of every network where the notebook saves them.

    Files of the right shape for the grader's plumbing (tests, the grading
    benchmark); they transcribe nothing useful.
    """
    paths = []
    for name, config in MODEL_CONFIGS.items():
        path = weights_file(name, folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        build_nmp(**config, name=f"nmp_{name}").save_weights(path)
        paths.append(path)
    return paths


def heldout_clips(seed: int | None = None) -> list[PianoClip]:
    """The grading pieces (built on first use into the dataset cache, read once per seed)."""
    if seed is None:
        seed = int(os.environ.get(HELDOUT_SEED_ENV_VAR, DEFAULT_HELDOUT_SEED))
    return list(_read_heldout_clips(seed))


@functools.cache
def _read_heldout_clips(seed: int) -> tuple[PianoClip, ...]:
    root = build_synthetic_piano(size="heldout", seed=seed, progress=False)
    return tuple(load_clips(load_synthetic_piano(root)))


def transcription_scores(model: keras.Model, clips: list[PianoClip]) -> dict[str, float]:
    """Mean note scores (``f``, ``fno``, precision, recall) of ``model`` over ``clips``."""
    pairs = []
    for clip in clips:
        posteriors = predict_posteriorgrams(model, clip.audio)
        estimate = posteriorgram_to_notes(posteriors["note"], posteriors["onset"])
        pairs.append((clip.notes, estimate))
    return mean_scores(pairs)


def heldout_fno(model: keras.Model, clips: list[PianoClip] | None = None) -> float:
    """Mean Fno of ``model`` on the held-out pieces; NaN-free, in [0, 1]."""
    scores = transcription_scores(model, heldout_clips() if clips is None else clips)
    return float(np.clip(scores["fno"], 0.0, 1.0))
