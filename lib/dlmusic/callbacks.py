"""The Keras callbacks every graded training run uses, and loading the weights it saved.

Notebooks: ``solutions/transcription`` (part 5), ``solutions/composer`` (part 3),
``solutions/vocals`` (part 5). Each saves its best epoch with
:func:`training_callbacks`; the autograder rebuilds the network and reads the
file back with :func:`load_saved_weights`, which turns every way a submitted
file can be wrong into one clear error.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import keras

from dlmusic.errors import DlmusicError


def training_callbacks(
    out_dir: str | Path, name: str, *, monitor: str = "val_loss", mode: str = "auto"
) -> list[keras.callbacks.Callback]:
    """TerminateOnNaN, ModelCheckpoint (best weights by ``monitor``) and CSVLogger.

    Writes ``<out_dir>/<name>.weights.h5`` and ``<out_dir>/<name>.log.csv``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(
            out_dir / f"{name}.weights.h5",
            monitor=monitor,
            mode=mode,
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.CSVLogger(out_dir / f"{name}.log.csv"),
    ]


def load_saved_weights(model: keras.Model, path: str | Path, description: str) -> keras.Model:
    """Load the weights file at ``path`` into the freshly built ``model``.

    Raises
    ------
    DlmusicError
        The file is missing, or does not fit the network (another architecture,
        a corrupt or truncated file); ``description`` names the network.
    """
    path = Path(path)
    if not path.is_file():
        raise DlmusicError(f"no saved weights for the {description} at {path}; run the notebook")
    try:
        with warnings.catch_warnings():
            # Keras warns about each mismatched layer before raising; the error says it all.
            warnings.simplefilter("ignore")
            model.load_weights(path)
    except (ValueError, OSError, KeyError) as err:
        raise DlmusicError(f"weights at {path} do not fit the {description}: {err}") from err
    return model
