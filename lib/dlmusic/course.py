"""Notebook plumbing: run mode, seeding, Colab detection and the one setup cell.

Every graded notebook starts with::

    from dlmusic.course import setup_notebook
    course = setup_notebook("transcription")

and then sizes its work with :func:`by_mode`, e.g.
``epochs = by_mode(quick=1, full=40)``.

Run modes (:func:`mode`):

- ``quick``: tiny data and a few steps, so the notebook runs in minutes on two
  CPU cores (CI executes every solution notebook this way);
- ``full``: the real exercise, whose results the notebook text describes;
- ``grading``: under nbgrader's autograder (``NBGRADER_EXECUTION`` is set), the
  notebook loads the weights the student saved instead of retraining.
"""

from __future__ import annotations

import contextlib
import ctypes.util
import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from dlmusic.datasets.paths import data_dir
from dlmusic.errors import DlmusicError

MODES = ("quick", "full", "grading")
MODE_ENV_VAR = "DLMUSIC_MODE"
NBGRADER_ENV_VAR = "NBGRADER_EXECUTION"
PACKAGE_URL = "git+https://github.com/dlmusic-course/dlmusic.git"
COLAB_APT_PACKAGES = ("fluidsynth", "fluid-soundfont-gm", "libfluidsynth3")

T = TypeVar("T")


def mode() -> str:
    """The current run mode: ``"quick"``, ``"full"`` or ``"grading"``.

    ``grading`` whenever nbgrader is executing the notebook; otherwise
    ``$DLMUSIC_MODE``, defaulting to ``full``.

    Raises
    ------
    DlmusicError
        ``$DLMUSIC_MODE`` holds something other than a known mode.
    """
    if os.environ.get(NBGRADER_ENV_VAR):
        return "grading"
    value = (os.environ.get(MODE_ENV_VAR) or "full").strip().lower()
    if value not in MODES:
        raise DlmusicError(f"${MODE_ENV_VAR}={value!r} is not one of {', '.join(MODES)}")
    return value


def by_mode(*, quick: T, full: T, grading: T | None = None) -> T:
    """Pick a setting by run mode; ``grading`` falls back to ``quick``.

    Examples
    --------
    >>> import os
    >>> os.environ["DLMUSIC_MODE"] = "quick"
    >>> by_mode(quick=2, full=40)
    2
    """
    current = mode()
    if current == "full":
        return full
    if current == "grading" and grading is not None:
        return grading
    return quick


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, NumPy and (if imported) TensorFlow/Keras and torch.

    Frameworks that are not yet imported are left alone so that seeding stays
    cheap; notebooks call this after their imports.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds libraries that use the global RNG
    os.environ["PYTHONHASHSEED"] = str(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    elif "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def is_colab() -> bool:
    """True inside a Google Colab runtime."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what C and C++ libraries write to file descriptor 2 to ``/dev/null`` for a while.

    TensorFlow logs from C++ while it loads (oneDNN, CUDA probing, CPU
    features), straight to the process's stderr, where Python's ``warnings``
    and ``logging`` filters cannot reach. nbgrader gives a test cell that
    writes to stderr 0 points, so the notebooks import Keras inside this::

        with native_stderr_silenced():
            import keras

    Python's own ``sys.stderr`` is flushed on the way in and out, so nothing
    written before or after is lost or reordered.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def install_system_packages_on_colab() -> bool:
    """Install FluidSynth and a soundfont with apt on Colab, once per runtime.

    Returns whether anything was installed. The Python package itself is
    installed by the notebook's first cell (``%pip install`` of
    :data:`PACKAGE_URL`), before ``dlmusic`` can be imported at all.
    """
    if ctypes.util.find_library("fluidsynth") is not None:
        return False
    subprocess.run(["apt-get", "-qq", "install", "-y", *COLAB_APT_PACKAGES], check=True)
    return True


@dataclass(frozen=True)
class NotebookContext:
    """What a notebook needs to know about where and how it runs.

    Attributes
    ----------
    assignment : str
        Assignment id (``"transcription"``, ``"composer"``, ``"vocals"``, ...).
    mode : str
        Run mode, see :func:`mode`.
    seed : int
        The seed every random generator was set to.
    data_dir : Path
        Root of the dataset cache (``$DLMUSIC_DATA``).
    work_dir : Path
        Folder for the notebook's outputs (weights, logs, audio): the
        notebook's own folder, so the weights travel with the submission.
    colab : bool
        Whether the notebook runs on Colab.
    """

    assignment: str
    mode: str
    seed: int
    data_dir: Path
    work_dir: Path
    colab: bool

    def summary(self) -> str:
        """One line for the notebook's output."""
        return (
            f"dlmusic {self.assignment}: mode={self.mode} seed={self.seed} "
            f"data={self.data_dir} outputs={self.work_dir}" + (" (Colab)" if self.colab else "")
        )


def setup_notebook(assignment: str, *, seed: int = 0, verbose: bool = True) -> NotebookContext:
    """The notebook's first call: install on Colab, seed, and report the run mode.

    On Colab, the system packages (FluidSynth and a soundfont) are installed
    on first use; elsewhere nothing is installed.

    Parameters
    ----------
    assignment : str
        Assignment id, used in messages and output names.
    seed : int
        Seed for every random generator (see :func:`seed_everything`).
    verbose : bool
        Print the one-line summary.
    """
    colab = is_colab()
    if colab:
        install_system_packages_on_colab()
    seed_everything(seed)
    context = NotebookContext(
        assignment=assignment,
        mode=mode(),
        seed=seed,
        data_dir=data_dir(),
        work_dir=Path.cwd(),
        colab=colab,
    )
    if verbose:
        print(context.summary())
    return context
