"""Where datasets live on disk: one cache folder for every corpus.

The folder is ``$DLMUSIC_DATA`` when set, else ``dlmusic`` under the user's
cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``). Each corpus gets one
sub-folder named after it (``synthetic_piano``, ``maestro-v3.0.0``, ...).
"""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV_VAR = "DLMUSIC_DATA"


def data_dir() -> Path:
    """The root folder of every dataset (created on first use)."""
    explicit = os.environ.get(DATA_ENV_VAR)
    if explicit:
        root = Path(explicit).expanduser()
    else:
        cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        root = Path(cache).expanduser() / "dlmusic"
    root.mkdir(parents=True, exist_ok=True)
    return root


def dataset_dir(name: str) -> Path:
    """The folder of one corpus, ``data_dir() / name`` (not created)."""
    return data_dir() / name
