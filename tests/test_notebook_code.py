"""Notebooks stay thin and the code behind them says where it is taught (issue 20).

- Each solution notebook holds at most :data:`MAX_GIVEN_LINES` lines of given code
  (counted by :func:`given_code_lines`), and no function or class is defined in
  two notebooks: shared code lives once, in ``dlmusic``.
- Every public function and class of a notebook's package has a
  ``Notebook: <assignment>, part <N>`` docstring line (libfmp style).
- Every public function of the instructor's reference modules has an
  ``Examples`` section, and those examples run; so do the examples written in
  the student package.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import re
from collections import defaultdict
from pathlib import Path

import nbformat
import pytest

from dlmusic_instructor import COURSE_ROOT

NOTEBOOKS = sorted((COURSE_ROOT / "solutions").glob("*/*.ipynb"))
MAX_GIVEN_LINES = 350
"""Issue 20's target for the given code of one solution notebook."""
PACKAGES = {
    "transcription": "transcription",
    "vocals": "vocals",
    "composer": "composer",
    "problem_set": "problem_set",
}
"""Each graded notebook's package under ``lib/dlmusic`` (named like the notebook)."""
REFERENCES = sorted(
    path.stem
    for path in (COURSE_ROOT / "autograder" / "dlmusic_instructor" / "references").glob("*.py")
    if not path.name.startswith("_")
)
EXAMPLE_MODULES = sorted(
    ".".join(path.relative_to(COURSE_ROOT / "lib").with_suffix("").parts)
    for path in (COURSE_ROOT / "lib" / "dlmusic").rglob("*.py")
    if ">>>" in path.read_text(encoding="utf-8")
)
"""The student package's modules with doctest examples."""
BEGIN = re.compile(r"^#{3}\s*BEGIN (SOLUTION|HIDDEN TESTS)\s*$")
END = re.compile(r"^#{3}\s*END (SOLUTION|HIDDEN TESTS)\s*$")
DEFINITION = re.compile(r"^\s*(?:async\s+def|def|class)\s+([A-Za-z_]\w*)")
NOTEBOOK_LINE = re.compile(
    r"^\s*Notebook: .*\b(?:" + "|".join(PACKAGES) + r"), parts? \d", flags=re.MULTILINE
)


def given_lines(notebook: nbformat.NotebookNode) -> list[str]:
    """The code lines of a notebook that are given, not the student's to write.

    Counted: every non-blank line of every code cell that is not a comment and not
    between ``### BEGIN SOLUTION`` / ``### END SOLUTION`` (or ``### BEGIN HIDDEN
    TESTS`` / ``### END HIDDEN TESTS``); the markers themselves are comments.

    Raises
    ------
    ValueError
        A cell opens a block it does not close, or closes one it did not open.
    """
    lines = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        block = None
        for line in cell.source.splitlines():
            text = line.strip()
            if opened := BEGIN.match(text):
                if block is not None:
                    raise ValueError(f"cell {index}: BEGIN {opened[1]} inside BEGIN {block}")
                block = opened[1]
            elif closed := END.match(text):
                if closed[1] != block:
                    raise ValueError(f"cell {index}: END {closed[1]} without its BEGIN")
                block = None
            elif block is None and text and not text.startswith("#"):
                lines.append(line)
        if block is not None:
            raise ValueError(f"cell {index}: BEGIN {block} is never closed")
    return lines


def given_code_lines(notebook: nbformat.NotebookNode) -> int:
    """Number of given code lines in ``notebook`` (see :func:`given_lines`)."""
    return len(given_lines(notebook))


def defined_names(notebook: nbformat.NotebookNode) -> set[str]:
    """Names of the functions and classes the given code defines, at any indentation."""
    return {match[1] for line in given_lines(notebook) if (match := DEFINITION.match(line))}


def code_cell(source: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source)


def small_notebook() -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("def not_code():\n    is prose"),
        code_cell("import numpy as np\n\n# a comment\n   # an indented comment\nx = 1  # counted"),
        code_cell(
            "def scale(a):\n"
            '    """Given docstring."""\n'
            "    ### BEGIN SOLUTION\n"
            "    def inner(b):\n"
            "        return 2 * b\n"
            "\n"
            "    return inner(a)\n"
            "    ### END SOLUTION\n"
        ),
        code_cell(
            "assert scale(1) == 2\n"
            "### BEGIN HIDDEN TESTS\nassert scale(2) == 4\n### END HIDDEN TESTS"
        ),
        code_cell("class Window:\n    def __len__(self):\n        return 3"),
    ]
    return notebook


def test_given_code_lines_follows_the_counting_rule():
    notebook = small_notebook()
    assert given_lines(notebook) == [
        "import numpy as np",
        "x = 1  # counted",
        "def scale(a):",
        '    """Given docstring."""',
        "assert scale(1) == 2",
        "class Window:",
        "    def __len__(self):",
        "        return 3",
    ]
    assert given_code_lines(notebook) == 8
    assert defined_names(notebook) == {"scale", "Window", "__len__"}


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n### END SOLUTION",
        "### BEGIN HIDDEN TESTS\nx = 1\n### END SOLUTION",
    ],
)
def test_given_code_lines_refuses_unbalanced_markers(source):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [code_cell(source)]
    with pytest.raises(ValueError, match="cell 0"):
        given_code_lines(notebook)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_solution_notebook_has_at_most_350_given_code_lines(path):
    count = given_code_lines(nbformat.read(path, as_version=4))
    assert count <= MAX_GIVEN_LINES, (
        f"{path.relative_to(COURSE_ROOT)} has {count} given code lines (target {MAX_GIVEN_LINES}): "
        "move shared code into dlmusic"
    )


def test_no_function_or_class_is_defined_in_two_notebooks():
    where = defaultdict(list)
    for path in NOTEBOOKS:
        for name in defined_names(nbformat.read(path, as_version=4)):
            where[name].append(path.stem)
    repeated = {name: notebooks for name, notebooks in where.items() if len(notebooks) > 1}
    assert not repeated, f"defined in more than one notebook (move into dlmusic): {repeated}"


def package_modules(assignment: str) -> list[Path]:
    folder = COURSE_ROOT / "lib" / "dlmusic" / PACKAGES[assignment]
    assert folder.is_dir(), f"no package for the {assignment} notebook under lib/dlmusic"
    return sorted(folder.glob("*.py"))


def public_definitions(path: Path) -> list[tuple[str, str | None]]:
    """``(name, docstring)`` of each public top-level function and class of a module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.name, ast.get_docstring(node))
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and not node.name.startswith("_")
    ]


def test_public_definitions_reads_top_level_public_names(tmp_path):
    module = tmp_path / "module.py"
    module.write_text(
        'def taught():\n    """Notebook: vocals, part 2."""\n\n'
        "def _private():\n    pass\n\n"
        "class Layer:\n    def method(self):\n        pass\n"
    )
    definitions = public_definitions(module)
    assert definitions == [("taught", "Notebook: vocals, part 2."), ("Layer", None)]
    assert NOTEBOOK_LINE.search(definitions[0][1])
    assert not NOTEBOOK_LINE.search("Used by the vocals notebook.")


@pytest.mark.parametrize("assignment", list(PACKAGES))
def test_public_functions_name_the_notebook_part_that_uses_them(assignment):
    missing = [
        f"{path.relative_to(COURSE_ROOT)}::{name}"
        for path in package_modules(assignment)
        for name, docstring in public_definitions(path)
        if not (docstring and NOTEBOOK_LINE.search(docstring))
    ]
    assert not missing, (
        f"{len(missing)} public definitions lack a 'Notebook: <assignment>, part <N>' "
        f"docstring line: {missing}"
    )


@pytest.mark.parametrize("name", REFERENCES)
def test_reference_functions_have_examples_that_run(name):
    module = importlib.import_module(f"dlmusic_instructor.references.{name}")
    functions = [
        (attribute, function)
        for attribute, function in vars(module).items()
        if inspect.isfunction(function)
        and function.__module__ == module.__name__
        and not attribute.startswith("_")
    ]
    undocumented = [
        attribute
        for attribute, function in functions
        if "Examples\n" not in (function.__doc__ or "") or ">>>" not in function.__doc__
    ]
    assert not undocumented, f"references/{name}.py: no Examples doctest in {undocumented}"
    results = run_examples(module)
    assert results.attempted > 0
    assert results.failed == 0, f"references/{name}.py: {results.failed} doctest examples failed"


def run_examples(module) -> doctest.TestResults:
    """Run every doctest example of ``module``; the failures are printed."""
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in doctest.DocTestFinder().find(module):
        runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.parametrize("name", EXAMPLE_MODULES)
def test_package_examples_run(name, monkeypatch):
    monkeypatch.setenv("DLMUSIC_MODE", "quick")  # restored afterwards, whatever an example sets
    results = run_examples(importlib.import_module(name))
    assert results.attempted > 0
    assert results.failed == 0, f"{name}: {results.failed} doctest examples failed"
