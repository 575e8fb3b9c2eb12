"""The instructor's grading folder and the nbgrader commands run in it.

Grading state never lives in the repository. A :class:`Workspace` is a folder
the instructor chooses; it is nbgrader's course root while grading::

    <workspace>/
        gradebook.db            nbgrader's gradebook (backed up before each run)
        source -> <repo>/solutions
        release/<assignment>/   the student version, generated again to register it
        submitted/<student>/<assignment>/   collected submissions (never modified
                                            after collection, except by the logged repairs)
        autograded/...  feedback/...        nbgrader's outputs
        backups/                gradebook copies, one per grading run
        reports/                grades.csv, outcomes.json, the summary table
        heldout/                seed.json (drawn by ``prepare``) and the held-out data built
                                from it: only the grader's own process ever reads it
        scratch/<student>/      one sandboxed job's folder while it runs

Every nbgrader step runs as its own process with the course's
``autograder/nbgrader_config.py`` plus overrides that point it here.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

from dlmusic.errors import DlmusicError
from dlmusic_instructor import COURSE_ROOT

HELDOUT_SIZES = ("quick", "full")
PUBLIC_CORPORA = {"transcription": "piano", "composer": "scores", "vocals": "stems"}
"""The public dataset each assignment's notebook loads (built before its sandboxed runs)."""


class GradingError(DlmusicError):
    """An instructor-side step of the grading pipeline failed (not a student's fault)."""


def nbgrader_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment with its Python's ``bin`` first on ``PATH``.

    nbgrader calls helper programs (``alembic`` to create the gradebook) by
    name; they live next to the interpreter, which may not be on ``PATH``
    when the pipeline runs as ``.venv/bin/python``.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Workspace:
    """A grading folder (nbgrader course root) for the course at ``course_root``."""

    root: Path
    course_root: Path = COURSE_ROOT

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())
        object.__setattr__(self, "course_root", Path(self.course_root).resolve())

    @property
    def gradebook_path(self) -> Path:
        return self.root / "gradebook.db"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.gradebook_path}"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def heldout_dir(self) -> Path:
        """Held-out data and seed: the grader's process only, never a sandbox."""
        return self.root / "heldout"

    def heldout_seed(self) -> int:
        """The seed ``prepare`` drew for this workspace."""
        return int(self._heldout_settings()["seed"])

    def heldout_size(self) -> str:
        """``quick`` (tests, demo) or ``full`` (a real class): the held-out material's size."""
        return str(self._heldout_settings()["size"])

    def _heldout_settings(self) -> dict:
        path = self.heldout_dir / "seed.json"
        if not path.is_file():
            raise GradingError(
                f"{self.root} has no held-out seed: run `dlmusic-grade prepare` first"
            )
        return json.loads(path.read_text())

    def draw_heldout_seed(self, size: str) -> None:
        """Draw the held-out seed once (kept across runs, so regrading is reproducible)."""
        if size not in HELDOUT_SIZES:
            raise GradingError(f"held-out size {size!r} is not one of {', '.join(HELDOUT_SIZES)}")
        path = self.heldout_dir / "seed.json"
        if path.is_file() and json.loads(path.read_text()).get("size") == size:
            return
        self.heldout_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seed": secrets.randbits(62), "size": size}) + "\n")
        path.chmod(0o600)

    def build_public_data(self, assignment: str) -> None:
        """Build the public dataset the notebook loads, so the read-only sandbox finds it."""
        corpus = PUBLIC_CORPORA.get(assignment)
        if corpus is None:
            return
        from dlmusic.datasets.cli import build

        build([corpus], size="quick", seed=0, force=False, progress=False)

    def submission_dir(self, student: str, assignment: str, step: str = "submitted") -> Path:
        """``<root>/<step>/<student>/<assignment>`` (step: submitted, autograded, feedback)."""
        return self.root / step / student / assignment

    def release_notebooks(self, assignment: str) -> list[Path]:
        """The student notebooks of ``assignment`` as released into this workspace."""
        return sorted((self.root / "release" / assignment).glob("*.ipynb"))

    def nbgrader_command(self, *args: str) -> list[str]:
        """``python -m nbgrader <args>`` with the course config, pointed at this workspace."""
        return [
            sys.executable,
            "-m",
            "nbgrader",
            *args,
            f"--NbGrader.config_file={self.course_root / 'autograder' / 'nbgrader_config'}",
            f"--CourseDirectory.root={self.root}",
            "--CourseDirectory.source_directory=source",
            "--CourseDirectory.release_directory=release",
            f"--CourseDirectory.db_url={self.db_url}",
        ]

    def nbgrader(self, *args: str) -> str:
        """Run an nbgrader step here; return its output or raise :class:`GradingError`."""
        result = subprocess.run(
            self.nbgrader_command(*args),
            cwd=self.root,
            env=nbgrader_environment(),
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise GradingError(
                f"nbgrader {' '.join(args)} failed:\n{(result.stdout + result.stderr)[-4000:]}"
            )
        return result.stdout + result.stderr

    def prepare(
        self, assignment: str, *, duedate: str | None = None, heldout_size: str = "full"
    ) -> None:
        """Create the folder, link the course's solutions, and register ``assignment``.

        Runs ``nbgrader generate_assignment`` (into ``release/`` here, never into
        the repository) so the gradebook holds the assignment's cells, points
        and checksums; ``duedate`` (ISO 8601, e.g. ``2026-12-01 17:00:00 UTC``)
        is stored for lateness. The held-out seed is drawn here, once, into
        ``heldout/seed.json`` (``heldout_size``: ``quick`` for tests and the demo).
        """
        source = self.course_root / "solutions"
        if not (source / assignment).is_dir():
            raise GradingError(f"no assignment {assignment!r} in {source}")
        self.root.mkdir(parents=True, exist_ok=True)
        self.draw_heldout_seed(heldout_size)
        link = self.root / "source"
        if link.is_symlink() and link.resolve() != source:
            link.unlink()
        if not link.exists():
            link.symlink_to(source, target_is_directory=True)
        if duedate is not None:
            self.nbgrader("db", "assignment", "add", assignment, f"--duedate={duedate}")
        self.nbgrader("generate_assignment", assignment, "--force", "--log-level=WARN")

    def backup_gradebook(self) -> Path | None:
        """Copy the gradebook to ``backups/gradebook-<UTC time>.db``; None if there is none yet."""
        if not self.gradebook_path.is_file():
            return None
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = self.root / "backups" / f"gradebook-{stamp}.db"
        backup.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.gradebook_path, backup)
        return backup

    @contextlib.contextmanager
    def gradebook(self) -> Iterator[Gradebook]:
        """nbgrader's gradebook API on this workspace's database.

        SQLAlchemy's warnings are silenced until the gradebook has closed: nbgrader's
        ``add_submission`` and its relationship setup trip SQLAlchemy 2's autoflush and
        overlap warnings, which would print among the grading results; the rows are right.
        """
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            with Gradebook(self.db_url) as gradebook:
                yield gradebook

    def students_with_submissions(self, assignment: str) -> list[str]:
        """Student ids with a collected submission of ``assignment``."""
        submitted = self.root / "submitted"
        if not submitted.is_dir():
            return []
        return sorted(
            folder.name for folder in submitted.iterdir() if (folder / assignment).is_dir()
        )
