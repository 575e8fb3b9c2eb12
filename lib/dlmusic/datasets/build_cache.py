"""Build a dataset folder once, atomically, and know when to rebuild it.

Each synthetic corpus is built into a temporary sibling folder and renamed
into place when complete, so an interrupted build never leaves a half-made
dataset behind. Builders of the same folder take turns (an exclusive lock on
``<folder>.lock``), so processes that need the same data at once, such as
notebooks graded in parallel, build it once and never in each other's way.
A ``build.json`` manifest records the parameters (size, seed,
soundfont, package version); a folder whose manifest matches is reused.
"""

from __future__ import annotations

import fcntl
import json
import re
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from dlmusic import __version__
from dlmusic.errors import DatasetError

MANIFEST_NAME = "build.json"


def read_manifest(folder: Path) -> dict | None:
    """The build parameters stored in ``folder``, or ``None`` if it has none."""
    path = folder / MANIFEST_NAME
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def build_once(
    folder: Path,
    params: Mapping[str, object],
    build: Callable[[Path], None],
    *,
    force: bool = False,
) -> Path:
    """Make ``folder`` hold the dataset that ``build`` writes for ``params``.

    Parameters
    ----------
    folder : Path
        Final location of the dataset.
    params : mapping
        JSON-serialisable build parameters; the package version is added.
    build : callable
        ``build(tmp_folder)`` writes the whole dataset into an empty folder.
    force : bool
        Rebuild even when the existing manifest matches.

    Returns
    -------
    Path
        ``folder``.
    """
    manifest = {**params, "dlmusic_version": __version__}
    if not force and read_manifest(folder) == manifest:
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with folder.with_name(folder.name + ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not force and read_manifest(folder) == manifest:
            return folder  # another process built it while this one waited
        tmp = folder.with_name(folder.name + ".building")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        build(tmp)
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        shutil.rmtree(folder, ignore_errors=True)
        tmp.rename(folder)
    return folder


def require_size(size: str, sizes: Mapping[str, object]) -> None:
    """Raise :class:`DatasetError` unless ``size`` names one of a dataset's ``sizes``."""
    if size not in sizes:
        raise DatasetError(f"unknown size {size!r}; expected one of {', '.join(sizes)}")


def slugify(text: str) -> str:
    """A file-name-safe form of a title: lower case, runs of other characters as ``_``."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
