"""Generate the student versions (``assignments/``) from ``solutions/`` with nbgrader.

Usage::

    python autograder/release.py            # every assignment
    python autograder/release.py transcription

Runs ``nbgrader generate_assignment --force`` for each assignment folder in
``solutions/`` without touching a gradebook; the result is committed, and
``tests/test_release.py`` proves it is what nbgrader generates today.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from dlmusic_instructor import COURSE_ROOT, NBGRADER_CONFIG


def assignment_ids(root: Path = COURSE_ROOT) -> list[str]:
    """The assignments: folders of ``solutions/`` holding at least one notebook."""
    return sorted(
        folder.name
        for folder in (root / "solutions").iterdir()
        if folder.is_dir() and any(folder.glob("*.ipynb"))
    )


def generate(assignment: str, *, release_directory: str = "assignments") -> None:
    """Run nbgrader's generate_assignment for one assignment (no gradebook touched).

    ``release_directory`` is a folder name under the course root, or an
    absolute path (tests generate into a temporary folder).
    """
    subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "generate_assignment",
            assignment,
            "--force",
            "--no-db",
            f"--NbGrader.config_file={NBGRADER_CONFIG.with_suffix('')}",
            f"--CourseDirectory.release_directory={release_directory}",
            "--log-level=WARN",
        ],
        cwd=COURSE_ROOT,
        check=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*", help="default: every assignment")
    args = parser.parse_args(argv)
    for assignment in args.assignments or assignment_ids():
        generate(assignment)
        print(f"released {assignment} -> assignments/{assignment}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
