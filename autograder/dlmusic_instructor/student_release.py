"""The student distribution, and the scan that proves it holds no answer.

Usage::

    python -m dlmusic_instructor.student_release --out build/student-release \\
        [--repository OWNER/NAME] [--branch BRANCH]

:func:`build_student_release` writes, into one folder, what a student receives: the
released notebooks (``assignments/``), the student package's source (``lib/dlmusic``,
``pyproject.toml``, ``environment.yml``, a licence if the repository has one), a
generated ``README.md`` (install line, an Open-in-Colab badge per notebook), and a wheel
of the student package in ``dist/``. The published location is set once, in
``dlmusic.course.STUDENT_REPOSITORY``; ``--repository`` publishes elsewhere, and then the
distribution's copy of that constant and its notebooks' install line are rewritten to
the new location too (the repository itself is left as it is). Nothing else
of the repository goes in: no ``solutions/``, no ``autograder/`` (references, hidden
checks, held-out scoring), no ``tests/`` and no ``benchmarks/``.

:func:`scan_for_leaks` then reads every text file of that folder, and every file
inside its wheels, and reports each line that matches a *fingerprint* of something
only the instructor may hold:

* every line of a solution region (``### BEGIN SOLUTION`` ... ``### END SOLUTION``,
  or a whole solution cell without the markers) and of a hidden-test region in
  ``solutions/*/*.ipynb``; every line of a manually graded markdown answer (the model
  answers and their mark schemes);
* every line of the instructor's reference implementations and hidden checks
  (``dlmusic_instructor/references/*.py``, ``assignments/*.py``, ``heldout/*.py``);
* the value of every integer constant of the instructor package whose name holds
  ``SEED`` (held-out seeds), when it has at least :data:`MIN_SEED_DIGITS` digits.

A fingerprint is a normalised source line (whitespace collapsed; for code, a
trailing comment stripped), not a name. Lines that say nothing about an answer are
dropped: shorter than :data:`MIN_FINGERPRINT_CHARS` characters, without a letter or
digit, imports, ``def``/``class`` signatures (all their lines) and decorators, and every line that a
released notebook shows the student anyway (which covers the points and ``grade_id``
of each graded cell: the release carries them too). Lines the student package shares
with the instructor's code on purpose are dropped too: its idioms (lines that occur in
two or more of its modules, :func:`package_idioms`), and the lines listed with a
reason in :data:`SHARED_ON_PURPOSE`.
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dlmusic.course import (
    PACKAGE_URL,
    STUDENT_BRANCH,
    STUDENT_REPOSITORY,
    colab_badge,
    colab_url,
    package_url,
)
from dlmusic.errors import DlmusicError
from dlmusic_instructor import COURSE_ROOT

INSTRUCTOR_ROOT = Path(__file__).resolve().parent

REPOSITORY_LINE = re.compile(r'^STUDENT_REPOSITORY = "([^"]+)"$', re.MULTILINE)
BRANCH_LINE = re.compile(r'^STUDENT_BRANCH = "([^"]+)"$', re.MULTILINE)

COURSE_SUMMARY = (
    "Course material for a university module on deep learning for music: graded Jupyter "
    "notebooks in which you build and train real models on audio and sheet music "
    "(polyphonic piano transcription, composer recognition from sheet music, singing-voice "
    "separation) and a problem set on median filtering and weighted cross-entropy."
)

MIN_FINGERPRINT_CHARS = 30
MIN_SEED_DIGITS = 4
SHARED_ON_PURPOSE: Mapping[str, str] = {
    "image = np.asarray(image, dtype=np.float64)": "input conversion, not an answer",
    "if not np.all(np.isfinite(values)):": "input validation, not an answer",
    "path = weights_file(name, folder)": "a call of the given weights_file",
}
"""Normalised lines the student package shares with an instructor source on purpose,
each with the reason; the scan never reports them."""

INSTRUCTOR_SOURCE_FOLDERS = ("references", "assignments", "heldout")
STUDENT_PACKAGE_FILES = ("pyproject.toml", "environment.yml")
LICENSE_GLOB = "LICEN[CS]E*"
DISTRIBUTION_NAMES = frozenset(
    {"README.md", "assignments", "lib", "dist", "LICENSE", "LICENCE", *STUDENT_PACKAGE_FILES}
)
COPY_IGNORE = shutil.ignore_patterns(
    "__pycache__",
    "*.pyc",
    "*.egg-info",
    ".ipynb_checkpoints",
    "*.weights.h5",
    "*.log.csv",
    "runs",
)

REGION = re.compile(r"^\s*###\s*(BEGIN|END)\s+(SOLUTION|HIDDEN TESTS)\b", re.IGNORECASE)
IMPORT = re.compile(r"^(import\s+\S|from\s+\S+\s+import\s)")
SIGNATURE = re.compile(r"^(async\s+def|def|class)\s+\w+|^@")
PARAMETER_HEADER = re.compile(r"^\*{0,2}[A-Za-z_]\w*(, \*{0,2}[A-Za-z_]\w*)* : \S")
"""A numpy-style docstring's parameter line, ``name : type`` (no Python line starts so)."""
SEED_NAME = re.compile(r"seed", re.IGNORECASE)
ALPHANUMERIC = re.compile(r"[A-Za-z0-9]")


class StudentReleaseError(RuntimeError):
    """The student distribution cannot be written where asked."""


@dataclass(frozen=True)
class Fingerprint:
    """One normalised line only the instructor may hold.

    Attributes
    ----------
    text : str
        The normalised line (see :func:`normalise_code`, :func:`normalise_prose`).
    source : str
        Where it comes from, e.g. ``"solutions/vocals/vocals.ipynb cell 31
        (ratio-mask): solution"`` or ``"autograder/dlmusic_instructor/references/
        vocals.py:42: reference"``.
    """

    text: str
    source: str


@dataclass(frozen=True)
class Leak:
    """A line of the distribution that matches a fingerprint.

    Attributes
    ----------
    file : str
        Path relative to the scanned folder; a file inside a wheel is
        ``"dist/<wheel>!<member>"``.
    line : int
        1-based line number in the file, or in the notebook cell's source or output.
    cell : int or None
        0-based cell index for a notebook, else None.
    text : str
        The leaking line as found (stripped).
    sources : tuple of str
        Every fingerprint source it matches (see :class:`Fingerprint`).
    """

    file: str
    line: int
    cell: int | None
    text: str
    sources: tuple[str, ...]

    @property
    def source(self) -> str:
        """The first fingerprint source it matches."""
        return self.sources[0]

    def __str__(self) -> str:
        where = f"{self.file}" + (f" cell {self.cell}" if self.cell is not None else "")
        more = f" (+{len(self.sources) - 1} more)" if len(self.sources) > 1 else ""
        return f"{where} line {self.line}: {self.text[:100]!r} <- {self.source}{more}"


@dataclass(frozen=True)
class StudentRelease:
    """What :func:`build_student_release` wrote.

    Attributes
    ----------
    folder : Path
        The distribution folder.
    wheel : Path
        The student package's wheel, inside ``folder / "dist"``.
    assignments : tuple of str
        The assignment ids released.
    """

    folder: Path
    wheel: Path
    assignments: tuple[str, ...]


def strip_comment(line: str) -> str:
    """``line`` without a ``#`` comment outside string quotes (one line at a time)."""
    quote = ""
    escaped = False
    for index, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            return line[:index]
    return line


def normalise_prose(line: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped."""
    return " ".join(line.split())


def normalise_code(line: str) -> str:
    """A source line without its comment, whitespace collapsed."""
    return normalise_prose(strip_comment(line))


def is_trivial(text: str) -> bool:
    """True for a normalised line that says nothing about an answer.

    Shorter than :data:`MIN_FINGERPRINT_CHARS`, without a letter or digit, an import,
    a ``def``/``class`` signature, a decorator or a docstring's ``name : type`` line
    (names and types, not answers), or a region marker.
    """
    return (
        len(text) < MIN_FINGERPRINT_CHARS
        or not ALPHANUMERIC.search(text)
        or bool(IMPORT.match(text))
        or bool(SIGNATURE.match(text))
        or bool(PARAMETER_HEADER.match(text))
        or bool(REGION.match(text))
    )


def declaration_lines(source: str) -> set[int]:
    """1-based numbers of the lines of imports, signatures and decorators in Python ``source``.

    Empty when ``source`` does not parse (e.g. a notebook cell with IPython magics).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
            lines.update(range(first, max(node.body[0].lineno, node.lineno + 1)))
    return lines


def read_notebook(path: Path) -> list[dict]:
    """The cells of a notebook file, each with ``source`` joined into one string."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(cell["source"])
    return cells


def assignment_ids(root: Path = COURSE_ROOT) -> tuple[str, ...]:
    """The released assignments: folders of ``assignments/`` holding a notebook."""
    release = root / "assignments"
    return tuple(
        sorted(
            folder.name
            for folder in release.iterdir()
            if folder.is_dir() and any(folder.glob("*.ipynb"))
        )
    )


def cell_regions(source: str, kind: str) -> Iterator[tuple[int, str]]:
    """Lines (1-based number, text) strictly inside ``### BEGIN/END <kind>`` markers."""
    inside = False
    for number, line in enumerate(source.splitlines(), start=1):
        marker = REGION.match(line)
        if marker and marker.group(2).upper() == kind:
            inside = marker.group(1).upper() == "BEGIN"
        elif inside:
            yield number, line


def solution_fingerprints(root: Path = COURSE_ROOT) -> Iterator[Fingerprint]:
    """Fingerprints of the solution notebooks' answers, model answers and hidden tests.

    Solution regions (a solution cell without markers counts whole), hidden-test
    regions, and manually graded markdown answers with their mark schemes.
    """
    for notebook in sorted((root / "solutions").glob("*/*.ipynb")):
        relative = notebook.relative_to(root).as_posix()
        for index, cell in enumerate(read_notebook(notebook)):
            meta = cell.get("metadata", {}).get("nbgrader", {})
            source = cell["source"]
            label = f"{relative} cell {index} ({meta.get('grade_id', 'no grade_id')})"
            markdown = cell["cell_type"] == "markdown"
            normalise = normalise_prose if markdown else normalise_code
            declarations = set() if markdown else declaration_lines(source)
            if meta.get("solution"):
                lines = list(cell_regions(source, "SOLUTION"))
                if not any(
                    (marker := REGION.match(line)) and marker.group(2).upper() == "SOLUTION"
                    for line in source.splitlines()
                ):
                    lines = list(enumerate(source.splitlines(), start=1))
                what = "model answer / mark scheme" if markdown else "solution"
                for number, line in lines:
                    if number not in declarations:
                        yield Fingerprint(normalise(line), f"{label} line {number}: {what}")
            for number, line in cell_regions(source, "HIDDEN TESTS"):
                if number not in declarations:
                    yield Fingerprint(normalise(line), f"{label} line {number}: hidden test")


def instructor_sources(instructor: Path = INSTRUCTOR_ROOT) -> list[Path]:
    """The instructor's reference, hidden-check and held-out modules."""
    return sorted(
        path
        for folder in INSTRUCTOR_SOURCE_FOLDERS
        for path in (instructor / folder).glob("*.py")
        if path.is_file()
    )


def _display_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def reference_fingerprints(
    instructor: Path = INSTRUCTOR_ROOT, root: Path = COURSE_ROOT
) -> Iterator[Fingerprint]:
    """Fingerprints of every line of the references, hidden checks and held-out code."""
    for path in instructor_sources(instructor):
        label = _display_path(path, root)
        what = {"references": "reference", "assignments": "hidden check"}.get(
            path.parent.name, "held-out scoring"
        )
        source = path.read_text(encoding="utf-8")
        declarations = declaration_lines(source)
        for number, line in enumerate(source.splitlines(), start=1):
            if number not in declarations:
                yield Fingerprint(normalise_code(line), f"{label}:{number}: {what}")


def seed_values(instructor: Path = INSTRUCTOR_ROOT, root: Path = COURSE_ROOT) -> dict[str, str]:
    """Held-out seed constants of the instructor package: ``{digits: source}``.

    Every module-level ``NAME = <int>`` whose name holds ``SEED``, with at least
    :data:`MIN_SEED_DIGITS` digits (a shorter number is everywhere, so cannot be
    traced; a seed that short is no secret anyway).
    """
    found: dict[str, str] = {}
    for path in sorted(instructor.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            value = getattr(node, "value", None)
            if not (isinstance(value, ast.Constant) and type(value.value) is int):
                continue
            for target in targets:
                if isinstance(target, ast.Name) and SEED_NAME.search(target.id):
                    digits = str(abs(value.value))
                    if len(digits) >= MIN_SEED_DIGITS:
                        found.setdefault(
                            digits, f"{_display_path(path, root)}:{node.lineno}: seed {target.id}"
                        )
    return found


def released_lines(root: Path = COURSE_ROOT) -> set[str]:
    """Every line a released notebook shows, in both normalisations."""
    lines: set[str] = set()
    for notebook in sorted((root / "assignments").glob("*/*.ipynb")):
        for cell in read_notebook(notebook):
            for line in cell["source"].splitlines():
                lines.update((normalise_code(line), normalise_prose(line)))
    return lines


def package_idioms(root: Path = COURSE_ROOT) -> set[str]:
    """Normalised lines that occur in at least two modules of the student package.

    A line the given code repeats across modules (``validate_audio(audio, mono=True)``,
    ``path.parent.mkdir(parents=True, exist_ok=True)``) is an idiom of the package, shared
    with the instructor's code on purpose, not an answer.
    """
    modules: dict[str, set[Path]] = {}
    for path in sorted((root / "lib" / "dlmusic").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            modules.setdefault(normalise_code(line), set()).add(path)
    return {text for text, paths in modules.items() if len(paths) >= 2}


def package_lines(root: Path = COURSE_ROOT) -> set[str]:
    """Every normalised line of the student package's modules."""
    return {
        normalise_code(line)
        for path in sorted((root / "lib" / "dlmusic").rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
    }


def fingerprints(
    root: Path = COURSE_ROOT, instructor: Path = INSTRUCTOR_ROOT
) -> dict[str, list[str]]:
    """All fingerprints, ``{normalised line: [sources]}``.

    Trivial lines, released lines, idioms of the student package and
    :data:`SHARED_ON_PURPOSE` are dropped. A line of a hidden check or of held-out
    scoring that repeats a line of the student package (input validation, the
    models' configuration) is given code the grader reuses, not a secret; solutions
    and references get no such allowance.
    """
    given = released_lines(root) | package_idioms(root) | set(SHARED_ON_PURPOSE)
    reused = package_lines(root)
    table: dict[str, list[str]] = {}
    for print_ in (*solution_fingerprints(root), *reference_fingerprints(instructor, root)):
        grader_code = print_.source.endswith(("hidden check", "held-out scoring"))
        if is_trivial(print_.text) or print_.text in given:
            continue
        if grader_code and print_.text in reused:
            continue
        table.setdefault(print_.text, []).append(print_.source)
    return table


def _text_lines(data: bytes) -> list[str] | None:
    """The lines of a text file, or None for a binary one."""
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None


def _notebook_lines(data: bytes) -> Iterator[tuple[int | None, int, str]]:
    """(cell, line, text) of a notebook's sources and text outputs; raw lines if not JSON."""
    try:
        cells = json.loads(data)["cells"]
    except (ValueError, KeyError, TypeError):
        lines = _text_lines(data) or []
        yield from ((None, number, line) for number, line in enumerate(lines, start=1))
        return
    for index, cell in enumerate(cells):
        texts = [cell.get("source", "")]
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.extend(output.get("data", {}).values())
        number = 0
        for text in texts:
            if isinstance(text, list):
                text = "".join(str(part) for part in text)
            if not isinstance(text, str):
                continue
            for line in text.splitlines():
                number += 1
                yield index, number, line


def _file_lines(name: str, data: bytes) -> Iterator[tuple[int | None, int, str]]:
    if name.endswith(".ipynb"):
        yield from _notebook_lines(data)
        return
    lines = _text_lines(data)
    if lines is not None:
        yield from ((None, number, line) for number, line in enumerate(lines, start=1))


def _distribution_files(folder: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every file of ``folder`` and of every member of its wheels/zips."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        name = path.relative_to(folder).as_posix()
        data = path.read_bytes()
        if path.suffix in {".whl", ".zip"}:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.infolist():
                    if not member.is_dir():
                        yield f"{name}!{member.filename}", archive.read(member)
        else:
            yield name, data


def scan_for_leaks(
    folder: Path, *, root: Path = COURSE_ROOT, instructor: Path = INSTRUCTOR_ROOT
) -> list[Leak]:
    """Every line of the distribution in ``folder`` that matches a fingerprint.

    Parameters
    ----------
    folder : Path
        A student distribution (what :func:`build_student_release` wrote).
    root : Path
        The course repository (its ``solutions/`` and ``assignments/``).
    instructor : Path
        The instructor package folder (its references, hidden checks, held-out code).

    Returns
    -------
    list of Leak
        In file order; empty when the distribution is clean.
    """
    table = fingerprints(root, instructor)
    seeds = seed_values(instructor, root)
    seed_pattern = (
        re.compile(r"(?<![\w.])(" + "|".join(map(re.escape, seeds)) + r")(?![\w.])")
        if seeds
        else None
    )
    leaks: list[Leak] = []
    for name, data in _distribution_files(folder):
        for cell, number, line in _file_lines(name, data):
            sources = table.get(normalise_code(line)) or table.get(normalise_prose(line))
            if sources:
                leaks.append(Leak(name, number, cell, line.strip(), tuple(sources)))
            elif seed_pattern and (match := seed_pattern.search(line)):
                leaks.append(Leak(name, number, cell, line.strip(), (seeds[match.group(1)],)))
    return leaks


def _prepare_out(out: Path, root: Path) -> None:
    """Empty ``out``; refuse a folder that holds anything but a previous distribution."""
    out = out.resolve()
    if out == root.resolve() or out in root.resolve().parents:
        raise StudentReleaseError(f"{out} holds the course repository; choose another --out")
    if out.exists():
        unknown = sorted(
            entry.name for entry in out.iterdir() if entry.name not in DISTRIBUTION_NAMES
        )
        if unknown:
            raise StudentReleaseError(
                f"{out} holds {', '.join(unknown)}, which a student distribution does not: "
                "build into a new folder and copy from there"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True)


def notebook_title(notebook: Path) -> str:
    """The first line of the notebook's first markdown cell, without ``#`` marks."""
    for cell in read_notebook(notebook):
        if cell["cell_type"] == "markdown" and cell["source"].strip():
            return cell["source"].strip().splitlines()[0].lstrip("#").strip()
    return notebook.stem


def _assignment_order(title: str, assignment: str) -> tuple[int, str]:
    number = re.match(r"Assignment\s+(\d+)", title)
    return (int(number.group(1)) if number else 1_000, assignment)


def student_readme(
    folder: Path,
    assignments: Sequence[str],
    repository: str = STUDENT_REPOSITORY,
    branch: str = STUDENT_BRANCH,
) -> str:
    """The student README of the distribution in ``folder`` (Markdown), for ``repository``."""
    titled = sorted(
        (
            (notebook_title(folder / "assignments" / name / f"{name}.ipynb"), name)
            for name in assignments
        ),
        key=lambda pair: _assignment_order(*pair),
    )
    lines = [
        "# dlmusic — deep learning on music",
        "",
        COURSE_SUMMARY,
        "",
        "## The assignments",
        "",
        *(
            f"- {colab_badge(name, repository, branch)} `assignments/{name}/{name}.ipynb` — {title}"
            for title, name in titled
        ),
        "",
        "Cells with `# YOUR CODE HERE` and `raise NotImplementedError()`, or `YOUR ANSWER HERE`,",
        "are yours; each is followed by a test cell whose visible asserts give quick feedback.",
        "The grader checks your answers again after you submit.",
        "",
        "## Install",
        "",
        "The notebooks need the course package `dlmusic`:",
        "",
        "```bash",
        f'pip install "{package_url(repository)}"',
        "```",
        "",
        "On Colab the first cell of every notebook runs this install for you, keeping Colab's",
        "own TensorFlow, Keras and torch, and `setup_notebook` installs FluidSynth and a",
        "soundfont with apt and keeps your files on Google Drive. Locally, from this folder,",
        "either",
        "",
        "```bash",
        'pip install -e ".[local]"               # with JupyterLab; or: pip install dist/*.whl',
        "conda env create -f environment.yml && conda activate dlmusic   # the conda way",
        "```",
        "",
        "Rendering audio locally needs FluidSynth and a General MIDI soundfont from your OS",
        "(Debian/Ubuntu: `apt install fluidsynth fluid-soundfont-gm`).",
        "",
        "## Open a notebook",
        "",
        "- **Colab:** click the notebook's *Open in Colab* badge above (or open",
        f"  {colab_url('ASSIGNMENT', repository, branch)}); choose a GPU runtime for",
        "  the transcription, composer and vocals assignments.",
        "- **Locally:** `jupyter lab assignments/<assignment>/<assignment>.ipynb`.",
        "",
        "`DLMUSIC_MODE=quick` runs a notebook on tiny data in minutes (to check that",
        "everything works); the default, `full`, is the real exercise.",
        "",
        "## Hand in",
        "",
        "Run the notebook top to bottom; its last cell, `course.save_submission()`, writes",
        "`<assignment>-submission.zip` (the notebook and the `.weights.h5` files the grader",
        "scores) to your Google Drive on Colab, or offers it for download. Hand in that one zip",
        "as your course's learning platform asks.",
        "",
    ]
    return "\n".join(lines)


def _copy_student_files(folder: Path, root: Path) -> None:
    shutil.copytree(root / "assignments", folder / "assignments", ignore=COPY_IGNORE)
    shutil.copytree(root / "lib" / "dlmusic", folder / "lib" / "dlmusic", ignore=COPY_IGNORE)
    for name in STUDENT_PACKAGE_FILES:
        shutil.copy2(root / name, folder / name)
    for licence in sorted(root.glob(LICENSE_GLOB)):
        if licence.is_file():
            shutil.copy2(licence, folder / licence.name)


def build_wheel(folder: Path, dist: Path) -> Path:
    """Build the student package's wheel from ``folder`` into ``dist`` (offline).

    The build runs in a temporary copy, so ``folder`` gets no ``build/`` or
    ``*.egg-info`` of setuptools'.
    """
    dist.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dlmusic-wheel-") as scratch:
        source = Path(scratch) / "src"
        shutil.copytree(folder, source, ignore=shutil.ignore_patterns("dist", "assignments"))
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--quiet",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--wheel-dir",
                str(dist),
                str(source),
            ],
            check=True,
        )
    wheels = sorted(dist.glob("dlmusic-*.whl"))
    if len(wheels) != 1:
        raise StudentReleaseError(f"expected one dlmusic wheel in {dist}, found {wheels}")
    return wheels[0]


def build_student_release(
    out: Path,
    *,
    repository: str = STUDENT_REPOSITORY,
    branch: str = STUDENT_BRANCH,
    root: Path = COURSE_ROOT,
) -> StudentRelease:
    """Write the student distribution into ``out`` (emptied first) and build its wheel.

    Parameters
    ----------
    out : Path
        The folder to write; it may exist only if it holds nothing but a previous
        student distribution.
    repository, branch : str
        Where the distribution is published (GitHub ``owner/name`` and branch): the
        README's install line and badges, and, when it differs from
        ``dlmusic.course.STUDENT_REPOSITORY``, the distribution's copy of that
        constant and its notebooks' install line.
    root : Path
        The course repository.

    Returns
    -------
    StudentRelease

    Raises
    ------
    StudentReleaseError
        ``out`` is the repository or holds other files, or the wheel was not built.
    dlmusic.errors.DlmusicError
        ``repository`` is not a GitHub ``owner/name``.
    """
    package_url(repository)  # refuses anything but owner/name before writing
    _prepare_out(out, root)
    _copy_student_files(out, root)
    retarget_distribution(out, repository, branch)
    assignments = assignment_ids(out)
    (out / "README.md").write_text(student_readme(out, assignments, repository, branch))
    wheel = build_wheel(out, out / "dist")
    return StudentRelease(folder=out, wheel=wheel, assignments=assignments)


def retarget_distribution(folder: Path, repository: str, branch: str) -> list[Path]:
    """Point the distribution in ``folder`` at ``repository``/``branch``; the files changed.

    Rewrites ``STUDENT_REPOSITORY`` and ``STUDENT_BRANCH`` in its ``lib/dlmusic/course.py``
    and the install URL (:data:`dlmusic.course.PACKAGE_URL`) in its notebooks.
    """
    course = folder / "lib" / "dlmusic" / "course.py"
    text = course.read_text(encoding="utf-8")
    if not REPOSITORY_LINE.search(text) or not BRANCH_LINE.search(text):
        raise StudentReleaseError(f"{course} does not set STUDENT_REPOSITORY and STUDENT_BRANCH")
    new = REPOSITORY_LINE.sub(f'STUDENT_REPOSITORY = "{repository}"', text)
    new = BRANCH_LINE.sub(f'STUDENT_BRANCH = "{branch}"', new)
    changed = []
    if new != text:
        course.write_text(new, encoding="utf-8")
        changed.append(course)
    target_url = package_url(repository)
    for notebook in sorted(folder.glob("assignments/*/*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        if PACKAGE_URL in text and target_url != PACKAGE_URL:
            notebook.write_text(text.replace(PACKAGE_URL, target_url), encoding="utf-8")
            changed.append(notebook)
    return changed


def notebooks_installing_elsewhere(folder: Path) -> list[str]:
    """Notebooks of the distribution whose text does not name its package URL."""
    course = (folder / "lib" / "dlmusic" / "course.py").read_text(encoding="utf-8")
    match = REPOSITORY_LINE.search(course)
    url = package_url(match.group(1)) if match else PACKAGE_URL
    return [
        notebook.relative_to(folder).as_posix()
        for notebook in sorted(folder.glob("assignments/*/*.ipynb"))
        if url not in notebook.read_text(encoding="utf-8")
    ]


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/student-release"))
    parser.add_argument(
        "--repository",
        default=STUDENT_REPOSITORY,
        help=f"GitHub owner/name students install and open from (default: {STUDENT_REPOSITORY})",
    )
    parser.add_argument(
        "--branch", default=STUDENT_BRANCH, help=f"its branch (default: {STUDENT_BRANCH})"
    )
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        release = build_student_release(args.out, repository=args.repository, branch=args.branch)
    except (StudentReleaseError, DlmusicError) as error:
        print(f"student-release: {error}", file=sys.stderr)
        return 2
    print(f"wrote {release.folder} ({', '.join(release.assignments)}) and {release.wheel.name}")
    print(f"published at https://github.com/{args.repository} (branch {args.branch})")
    for notebook in notebooks_installing_elsewhere(release.folder):
        url = package_url(args.repository)
        print(f"warning: {notebook} does not install {url}", file=sys.stderr)
    leaks = scan_for_leaks(release.folder)
    for leak in leaks:
        print(f"LEAK {leak}")
    if leaks:
        print(f"{len(leaks)} leaked lines: do not publish {release.folder}", file=sys.stderr)
        return 1
    print("scan: no solution, reference, hidden test, mark scheme or seed found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
