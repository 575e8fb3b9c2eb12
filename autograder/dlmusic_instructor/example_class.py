"""A made-up class of submissions, built from an assignment's release and solution.

``make demo``, the grading tests and ``benchmarks/grading.py`` grade this class.
Every student is a release notebook with some of the solution filled in and,
for the adversarial ones, one thing done wrong on purpose. Each
:class:`ExampleStudent` says what the grader should make of it, so a test can
check the pipeline's verdict for every case.

The adversarial cases are what breaks graders in a real term: invalid JSON, an
empty file, an endless loop in a solution, ``sys.exit``, a killed kernel, a
notebook deleting the grader's files, megabytes of output, stderr noise in a
graded function, a tampered test cell, a deleted test cell, a memory bomb,
a network download, a notebook that never ends, a changed kernel, inflated
points, and a background process left running; for an assignment that hands
in weights files, also missing weights and weights of the wrong shape.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

SOLUTION_REGION = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.M | re.S
)


@dataclass(frozen=True)
class ExampleStudent:
    """One made-up submission.

    Attributes
    ----------
    student : str
        The student id (the folder name).
    expectation : str
        ``"full"`` (every autograded point), ``"zero"`` (nothing), or
        ``"partial"`` (something in between).
    reason : str
        A phrase the report must contain for this student ("" when nothing
        should go wrong).
    description : str
        What the submission does, for the demo's table.
    """

    student: str
    expectation: str
    reason: str
    description: str


def solution_sources(solution: NotebookNode) -> dict[str, str]:
    """``grade_id -> source`` of the solution notebook's solution cells, markers removed."""
    sources = {}
    for cell in solution.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution"):
            sources[grading["grade_id"]] = SOLUTION_REGION.sub(r"\1", cell.source)
    return sources


def filled_in(
    release: NotebookNode, solutions: dict[str, str], fraction: float = 1.0
) -> NotebookNode:
    """The release notebook with the first ``fraction`` of its solution cells answered."""
    notebook = copy.deepcopy(release)
    solution_cells = [
        cell
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") in solutions
    ]
    answered = round(fraction * len(solution_cells))
    for cell in solution_cells[:answered]:
        cell.source = solutions[cell.metadata["nbgrader"]["grade_id"]]
    return notebook


def write_example_class(
    release_path: Path,
    solution_path: Path,
    out_dir: Path,
    *,
    extra_files: list[Path] | None = None,
    students: Sequence[str] | None = None,
) -> list[ExampleStudent]:
    """Write one folder per example student into ``out_dir`` (replacing it).

    Parameters
    ----------
    release_path, solution_path : Path
        The assignment's student notebook and its solution notebook.
    out_dir : Path
        Gets ``<student>/<notebook name>`` for every student (the layout
        :func:`dlmusic_instructor.collect.collect_folder` reads).
    extra_files : list of Path, optional
        Files every student hands in beside the notebook (saved weights).
    students : sequence of str, optional
        Only these example students (default: all of :func:`example_students`).
    """
    release = nbformat.read(release_path, as_version=4)
    solutions = solution_sources(nbformat.read(solution_path, as_version=4))
    perfect = filled_in(release, solutions)
    name = release_path.name
    extra_files = list(extra_files or [])
    cases = _CASES + (_WEIGHTS_CASES if extra_files else [])
    if out_dir.exists():
        shutil.rmtree(out_dir)
    written = []
    for case in cases:
        if students is not None and case.student.student not in students:
            continue
        folder = out_dir / case.student.student
        folder.mkdir(parents=True)
        content = case.make(release, solutions, perfect)
        target = folder / name
        if isinstance(content, NotebookNode):
            nbformat.write(content, target)
        else:
            target.write_text(content)
        _hand_in_files(case.student.student, extra_files, folder)
        written.append(case.student)
    return written


def _hand_in_files(student: str, files: list[Path], folder: Path) -> None:
    """Copy the saved files, except for the students who lose or mix them up."""
    if student == "missing_weights":
        return
    for index, path in enumerate(files):
        # wrong_weights hands in each network's file under the next network's name
        source = files[(index + 1) % len(files)] if student == "wrong_weights" else path
        shutil.copy2(source, folder / path.name)


def example_students(with_saved_files: bool = False) -> list[ExampleStudent]:
    """Every example student, with what the grader should make of it.

    ``with_saved_files``: also the two students who mishandle the weights
    files an assignment hands in (written only when there are such files).
    """
    cases = _CASES + (_WEIGHTS_CASES if with_saved_files else [])
    return [case.student for case in cases]


@dataclass(frozen=True)
class _Case:
    student: ExampleStudent
    make: Callable[[NotebookNode, dict[str, str], NotebookNode], NotebookNode | str]


def _first_solution_function_cell(notebook: NotebookNode) -> NotebookNode:
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution") and cell.cell_type == "code" and "def " in cell.source:
            return cell
    raise ValueError("the notebook has no solution cell defining a function")


def _first_test_cell(notebook: NotebookNode) -> NotebookNode:
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") and cell.cell_type == "code":
            return cell
    raise ValueError("the notebook has no test cell")


def _with_cell(notebook: NotebookNode, source: str, *, after_setup: bool = True) -> NotebookNode:
    """A copy with one extra code cell, after the first graded cell (or at the end)."""
    changed = copy.deepcopy(notebook)
    cell = nbformat.v4.new_code_cell(source)
    if after_setup:
        position = next(
            i for i, c in enumerate(changed.cells) if c.metadata.get("nbgrader", {}).get("grade_id")
        )
        changed.cells.insert(position, cell)
    else:
        changed.cells.append(cell)
    return changed


def _with_cells(notebook: NotebookNode, sources: list[str]) -> NotebookNode:
    """A copy with extra code cells before the first graded cell."""
    changed = notebook
    for source in reversed(sources):
        changed = _with_cell(changed, source)
    return changed


def _mangled_by_colab(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    duplicate = copy.deepcopy(_first_solution_function_cell(notebook))
    duplicate["id"] = "colab-copy"
    index = notebook.cells.index(_first_solution_function_cell(notebook))
    notebook.cells.insert(index + 1, duplicate)
    for cell in notebook.cells:
        cell.metadata = {"id": cell.get("id", ""), "colab": {"base_uri": "https://localhost/"}}
    notebook.metadata["colab"] = {"provenance": []}
    return notebook


def _endless_solution(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    cell = _first_solution_function_cell(notebook)
    cell.source = "while True:\n    pass\n"
    return notebook


def _noisy_solution(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    cell = _first_solution_function_cell(notebook)
    cell.source += (
        "\n\nimport functools as _functools\nimport sys as _sys\n"
        + _wrap_first_function(cell.source)
    )
    return notebook


def _wrap_first_function(source: str) -> str:
    """Code that wraps the cell's first function so every call writes to stderr."""
    name = re.search(r"^def (\w+)", source, re.M)
    if name is None:
        raise ValueError("no top-level function in the solution cell")
    function = name.group(1)
    return (
        f"_original = {function}\n\n\n"
        f"@_functools.wraps(_original)\n"
        f"def {function}(*args, **kwargs):\n"
        f'    print("debug: called", file=_sys.stderr)\n'
        f"    return _original(*args, **kwargs)\n"
    )


def _tampered_test(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(release)
    _first_test_cell(notebook).source = "# the test was here\npass\n"
    return notebook


def _deleted_test(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    notebook.cells.remove(_first_test_cell(notebook))
    return notebook


def _changed_kernel(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    notebook.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    return notebook


def _inflated_points(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(release)
    _first_test_cell(notebook).metadata["nbgrader"]["points"] = 1000
    return notebook


_CASES = [
    _Case(
        ExampleStudent("perfect", "full", "", "every answer from the solution"),
        lambda release, solutions, perfect: perfect,
    ),
    _Case(
        ExampleStudent("empty", "zero", "NotImplementedError", "the release, untouched"),
        lambda release, solutions, perfect: release,
    ),
    _Case(
        ExampleStudent("partial", "partial", "NotImplementedError", "first half of the answers"),
        lambda release, solutions, perfect: filled_in(release, solutions, 0.5),
    ),
    _Case(
        ExampleStudent(
            "colab_mangled", "full", "", "Colab metadata only, nbgrader's stripped, a cell doubled"
        ),
        _mangled_by_colab,
    ),
    _Case(
        ExampleStudent("invalid_json", "zero", "not valid JSON", "a truncated file"),
        lambda release, solutions, perfect: json.dumps(perfect)[:500],
    ),
    _Case(
        ExampleStudent("empty_file", "zero", "empty", "zero bytes"),
        lambda release, solutions, perfect: "",
    ),
    _Case(
        ExampleStudent("endless_loop", "partial", "", "a solution cell that never returns"),
        _endless_solution,
    ),
    _Case(
        ExampleStudent("sys_exit", "full", "", "calls sys.exit() in a cell"),
        lambda release, solutions, perfect: _with_cell(perfect, "import sys\nsys.exit(3)\n"),
    ),
    _Case(
        ExampleStudent("kernel_killed", "zero", "", "kills its own kernel"),
        lambda release, solutions, perfect: _with_cell(perfect, "import os\nos._exit(1)\n"),
    ),
    _Case(
        ExampleStudent("deletes_files", "zero", "", "deletes the grader's scratch folder"),
        lambda release, solutions, perfect: _with_cell(
            perfect,
            "import shutil\nfrom pathlib import Path\n"
            "shutil.rmtree(Path.cwd().parents[2], ignore_errors=True)\n",
            after_setup=False,
        ),
    ),
    _Case(
        ExampleStudent("prints_megabytes", "full", "", "prints two million lines"),
        lambda release, solutions, perfect: _with_cell(
            perfect, "for line in range(2_000_000):\n    print(line)\n"
        ),
    ),
    _Case(
        ExampleStudent("stderr_noise", "partial", "stderr", "a graded function writes to stderr"),
        _noisy_solution,
    ),
    _Case(
        ExampleStudent("tampered_test", "zero", "NotImplementedError", "a test cell replaced"),
        _tampered_test,
    ),
    _Case(
        ExampleStudent("deleted_test", "full", "", "a test cell deleted"),
        _deleted_test,
    ),
    _Case(
        ExampleStudent("memory_bomb", "zero", "memory", "allocates memory until stopped"),
        lambda release, solutions, perfect: _with_cell(
            perfect,
            "import numpy as np\nhoard = []\nwhile True:\n"
            "    hoard.append(np.ones(2**26))  # 512 MiB a step\n",
        ),
    ),
    _Case(
        ExampleStudent("downloads", "full", "", "tries to download a file"),
        lambda release, solutions, perfect: _with_cell(
            perfect,
            "import urllib.request\ntry:\n"
            "    urllib.request.urlopen('http://192.0.2.1/data.zip', timeout=5)\n"
            "except PermissionError as err:\n    print('blocked:', err)\n",
        ),
    ),
    _Case(
        ExampleStudent("never_ends", "zero", "longer than", "1000 cells of 5 s each"),
        lambda release, solutions, perfect: _with_cells(
            perfect, ["import time\ntime.sleep(5)\n"] * 1000
        ),
    ),
    _Case(
        ExampleStudent("changed_kernel", "full", "", "kernel switched to R"),
        _changed_kernel,
    ),
    _Case(
        ExampleStudent("inflated_points", "zero", "NotImplementedError", "test worth 1000 points"),
        _inflated_points,
    ),
    _Case(
        ExampleStudent("background_process", "full", "", "leaves a process running"),
        lambda release, solutions, perfect: _with_cell(
            perfect, "import subprocess\nsubprocess.Popen(['sleep', '600'])\n"
        ),
    ),
]
_WEIGHTS_CASES = [
    _Case(
        ExampleStudent("missing_weights", "partial", "weights.h5", "weights not handed in"),
        lambda release, solutions, perfect: perfect,
    ),
    _Case(
        ExampleStudent("wrong_weights", "partial", "do not fit", "each network's file swapped"),
        lambda release, solutions, perfect: perfect,
    ),
]
