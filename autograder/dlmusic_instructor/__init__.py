"""The instructor pipeline: collect, repair, autograde in a sandbox, export and feedback.

Where the course is, named once: the release script (``autograder/release.py``),
nbgrader's configuration, the grading workspace, the student release and the
tests all read these.
"""

from __future__ import annotations

import os
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parents[2]
"""The course repository: nbgrader's course root (``solutions/`` its source folder,
``assignments/`` its release folder), with ``autograder/`` and ``lib/``."""
NBGRADER_CONFIG = COURSE_ROOT / "autograder" / "nbgrader_config.py"
"""The course's nbgrader configuration."""
GRADING_DIR_ENV_VAR = "DLMUSIC_GRADING_DIR"
"""Names the grading working folder (gradebook, submissions, feedback)."""
DEFAULT_GRADING_DIR = "grading"
"""The grading working folder when :data:`GRADING_DIR_ENV_VAR` is unset, under the
current directory; never inside the repository's tracked folders."""


def grading_dir() -> Path:
    """The grading working folder: ``$DLMUSIC_GRADING_DIR``, else ``./grading``."""
    return Path(os.environ.get(GRADING_DIR_ENV_VAR) or DEFAULT_GRADING_DIR)
