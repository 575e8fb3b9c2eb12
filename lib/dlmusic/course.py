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

from dlmusic import submission
from dlmusic.datasets.paths import data_dir
from dlmusic.errors import DlmusicError

MODES = ("quick", "full", "grading")
MODE_ENV_VAR = "DLMUSIC_MODE"
NBGRADER_ENV_VAR = "NBGRADER_EXECUTION"
STUDENT_REPOSITORY = "dlmusic-course/dlmusic"
"""The published student distribution (GitHub ``owner/name``): the one place it is set.

``make student-release STUDENT_REPOSITORY=owner/name`` writes another location into
the distribution it builds (this constant, the notebooks' install line, the README's
Open-in-Colab badges)."""
STUDENT_BRANCH = "main"
"""The branch of :data:`STUDENT_REPOSITORY` that students open and install."""
PACKAGE_URL = f"git+https://github.com/{STUDENT_REPOSITORY}.git"
"""What the notebooks' first cell ``pip install``s on Colab."""
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_APT_PACKAGES = ("fluidsynth", "fluid-soundfont-gm", "libfluidsynth3")
COLAB_EXTRA_SOUNDFONTS = (
    "fluidr3mono-gm-soundfont",
    "timgm6mb-soundfont",
    "musescore-general-soundfont-small",
    "csound-soundfont",
)
"""The further pianos and voices of ``dlmusic.synth.SOUNDFONTS``, installed where the
runtime's distribution has them: without them the datasets are rendered with fewer
timbres (``synthetic_piano`` then trains on FluidR3 alone)."""

T = TypeVar("T")


def mode() -> str:
    """The current run mode: ``"quick"``, ``"full"`` or ``"grading"``.

    Notebook: transcription, vocals, composer, problem_set (setup: ``course.mode``).

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

    Notebook: transcription, vocals, composer (data sizes and training budgets).

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

    Notebook: transcription, vocals, composer, problem_set (through
    :func:`setup_notebook`).

    Frameworks that are not yet imported are left alone so that seeding stays
    cheap; notebooks call this after their imports.

    String hashing, and with it the iteration order of a ``set`` of strings, is
    not seeded: Python fixes it when the interpreter starts, from
    ``$PYTHONHASHSEED``, and setting that variable afterwards changes nothing in
    the running kernel, so this function leaves the environment alone. Code
    whose result must repeat sorts such sets instead of relying on their order.

    Parameters
    ----------
    seed : int
        Seed for every generator named above.
    """
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - seeds libraries that use the global RNG
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
    elif "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def is_colab() -> bool:
    """True inside a Google Colab runtime.

    Notebook: transcription, vocals, composer, problem_set (through :func:`setup_notebook`).
    """
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Send what C and C++ libraries write to file descriptor 2 to ``/dev/null`` for a while.

    Notebook: transcription, vocals, composer (setup: importing Keras).

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


def package_url(repository: str = STUDENT_REPOSITORY) -> str:
    """The ``pip install`` URL of the student package published at GitHub ``repository``."""
    return f"git+https://github.com/{_checked_repository(repository)}.git"


def colab_url(
    assignment: str, repository: str = STUDENT_REPOSITORY, branch: str = STUDENT_BRANCH
) -> str:
    """The link that opens ``assignments/<assignment>/<assignment>.ipynb`` in Colab.

    Examples
    --------
    >>> colab_url("vocals", "someone/course")
    'https://colab.research.google.com/github/someone/course/blob/main/assignments/vocals/vocals.ipynb'
    """
    path = f"assignments/{assignment}/{assignment}.ipynb"
    return (
        f"https://colab.research.google.com/github/{_checked_repository(repository)}"
        f"/blob/{branch}/{path}"
    )


def colab_badge(
    assignment: str, repository: str = STUDENT_REPOSITORY, branch: str = STUDENT_BRANCH
) -> str:
    """A Markdown "Open in Colab" badge linking to :func:`colab_url`."""
    return f"[![Open In Colab]({COLAB_BADGE_IMAGE})]({colab_url(assignment, repository, branch)})"


def _checked_repository(repository: str) -> str:
    parts = repository.strip("/").split("/")
    if len(parts) != 2 or not all(parts) or any(c.isspace() for c in repository):
        raise DlmusicError(f"{repository!r} is not a GitHub repository 'owner/name'")
    return "/".join(parts)


def install_system_packages_on_colab() -> bool:
    """Install FluidSynth and the soundfonts with apt on Colab, once per runtime.

    Notebook: transcription, vocals, composer, problem_set (through :func:`setup_notebook`, on
    Colab).

    The soundfonts beyond FluidR3 (:data:`COLAB_EXTRA_SOUNDFONTS`) are installed one by
    one, and one the runtime's distribution lacks is reported and skipped.

    ``apt-get update`` runs first: a fresh Colab runtime's package lists are stale
    or empty, and ``apt-get install`` alone then fails to find the packages.
    Returns whether anything was installed. The Python package itself is
    installed by the notebook's first cell (``pip install`` of
    :data:`PACKAGE_URL`), before ``dlmusic`` can be imported at all.
    """
    if ctypes.util.find_library("fluidsynth") is not None:
        return False
    subprocess.run(["apt-get", "-qq", "update"], check=True)
    subprocess.run(
        ["apt-get", "-qq", "install", "-y", "--no-install-recommends", *COLAB_APT_PACKAGES],
        check=True,
    )
    for package in COLAB_EXTRA_SOUNDFONTS:
        installed = subprocess.run(
            ["apt-get", "-qq", "install", "-y", "--no-install-recommends", package], check=False
        )
        if installed.returncode != 0:
            print(f"dlmusic: {package} is not available here; rendering with fewer soundfonts")
    return True


@dataclass(frozen=True)
class NotebookContext:
    """What a notebook needs to know about where and how it runs.

    Notebook: transcription, vocals, composer, problem_set (``course``, from the setup cell to the
    hand-in cell).

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
        Folder for the notebook's outputs (weights, logs, checkpoints): the
        notebook's own folder, or on Colab with Google Drive mounted
        ``MyDrive/dlmusic/<assignment>``, so that they survive a disconnect.
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

    def save_submission(self, notebook: str | Path | None = None) -> Path | None:
        """Write the one zip to hand in: this notebook and the weights files it saved.

        To Google Drive when it is mounted, else into :attr:`work_dir` with a
        download link; see :func:`dlmusic.submission.save_submission`. Save the
        notebook first when running locally (the file on disk is what goes in).
        In grading mode (the autograder runs the handed-in notebook) nothing is
        written and None is returned.
        """
        if self.mode == "grading":
            print("grading mode: nothing to hand in")
            return None
        return submission.save_submission(self.assignment, self.work_dir, notebook=notebook)


def mount_drive_on_colab(assignment: str) -> Path | None:
    """Mount Google Drive on Colab and move into ``MyDrive/dlmusic/<assignment>``.

    Notebook: transcription, vocals, composer, problem_set (through :func:`setup_notebook`, on
    Colab).

    Weights, training logs and checkpoints written to the current folder then
    survive a disconnect (Colab's ``/content`` does not). Colab asks the student
    for permission once per runtime; if it is refused, nothing changes.

    Returns
    -------
    Path or None
        The folder on Drive, or None when Drive could not be mounted.
    """
    try:
        from google.colab import drive  # Colab only

        drive.mount(str(submission.DRIVE_MOUNT))
    except Exception as err:  # refused, or not on Colab: outputs stay in /content
        print(f"Google Drive not mounted ({err}); files in {Path.cwd()} vanish on disconnect")
        return None
    folder = submission.drive_folder()
    if folder is None:
        return None
    folder = folder / assignment
    folder.mkdir(parents=True, exist_ok=True)
    os.chdir(folder)
    return folder


def setup_notebook(
    assignment: str, *, seed: int = 0, verbose: bool = True, drive: bool = True
) -> NotebookContext:
    """The notebook's first call: install on Colab, seed, and report the run mode.

    Notebook: transcription, vocals, composer, problem_set (the setup cell).

    On Colab, the system packages (FluidSynth and a soundfont) are installed
    on first use, and (with ``drive``) Google Drive is mounted and becomes the
    working folder (:func:`mount_drive_on_colab`); elsewhere nothing is
    installed or mounted.

    Parameters
    ----------
    assignment : str
        Assignment id, used in messages and output names.
    seed : int
        Seed for every random generator (see :func:`seed_everything`).
    verbose : bool
        Print the one-line summary.
    drive : bool
        On Colab, keep outputs on Google Drive.
    """
    colab = is_colab()
    if colab:
        install_system_packages_on_colab()
        if drive:
            mount_drive_on_colab(assignment)
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
