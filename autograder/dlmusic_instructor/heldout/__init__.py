"""Held-out data and the scoring of handed-in models, one module per assignment."""

from __future__ import annotations

from pathlib import Path

from dlmusic.errors import DlmusicError


def refuse_unfit_weights_file(path: Path, max_bytes: int) -> None:
    """Raise unless ``path``, a weights file a student handed in, may be loaded.

    A link (which could point anywhere on the grader's machine), a folder or a
    file larger than ``max_bytes`` (bytes; checked before anything is read) is
    refused. A missing file passes: the loader says which network has none.

    Raises
    ------
    DlmusicError
        ``path`` is not a regular file, or is too large.
    """
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise DlmusicError(f"{path.name} is not a regular file")
    if path.is_file() and path.stat().st_size > max_bytes:
        raise DlmusicError(
            f"{path.name} is {path.stat().st_size / 2**20:.0f} MB, larger than any "
            f"network of this notebook ({max_bytes // 2**20} MB at most)"
        )
