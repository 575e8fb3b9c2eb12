"""The three networks the notebook trains, and where their weights are saved.

Notebook: ``solutions/transcription``, parts 5 and 8. Each network has a fixed
weights file next to the notebook; the student hands the files in with the
notebook, and in grading mode the notebook loads them instead of training.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras

from dlmusic.callbacks import load_saved_weights
from dlmusic.errors import DlmusicError

MODEL_CONFIGS: dict[str, dict[str, bool]] = {
    "full": {},
    "no_harmonic_stacking": {"harmonic_stacking": False},
    "no_contour_supervision": {"supervised_contour": False},
}
"""The three networks the notebook trains: the full model and the two ablations
(keyword arguments of the notebook's ``build_nmp``)."""


def weights_file(name: str, folder: str | Path = ".") -> Path:
    """Where the notebook saves model ``name``: ``<folder>/nmp_<name>.weights.h5``.

    Notebook: transcription, parts 5 and 8 (the graded networks' files).
    """
    if name not in MODEL_CONFIGS:
        raise DlmusicError(f"unknown model {name!r}; expected one of {', '.join(MODEL_CONFIGS)}")
    return Path(folder) / f"nmp_{name}.weights.h5"


def load_saved_model(
    name: str, build: Callable[..., keras.Model], folder: str | Path = "."
) -> keras.Model:
    """Build network ``name`` with ``build(**MODEL_CONFIGS[name])`` and load its saved weights.

    Notebook: transcription, part 8 (the graded networks load into the student's build_nmp).

    Parameters
    ----------
    name : str
        A key of :data:`MODEL_CONFIGS`.
    build : callable
        The network builder (the notebook's ``build_nmp``).
    folder : path
        Where the weights files are.

    Raises
    ------
    DlmusicError
        The weights file is missing, or does not fit the network (wrong
        architecture or a corrupt file).
    """
    path = weights_file(name, folder)
    return load_saved_weights(build(**MODEL_CONFIGS[name]), path, f"{name} model")
