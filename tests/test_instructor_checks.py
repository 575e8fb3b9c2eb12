"""Every assignment's hidden checks, as a set: one per autograded cell, inputs fixed per student.

The per-assignment files (``test_instructor_<assignment>.py``) prove what each check
accepts and refuses; this one proves what all of them must share.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import nbformat
import numpy as np
import pytest

from dlmusic_instructor import COURSE_ROOT, checks
from dlmusic_instructor.checks import checks_for
from dlmusic_instructor.executor import local_context

ASSIGNMENTS = ("problem_set", "transcription", "composer", "vocals")


def autograded_cells(assignment: str) -> list[str]:
    notebook = nbformat.read(
        COURSE_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4
    )
    return [
        cell.metadata.nbgrader["grade_id"]
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")
    ]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_autograded_cell_has_exactly_one_check_in_notebook_order(assignment):
    assert [check.grade_id for check in checks_for(assignment)] == autograded_cells(assignment)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_holds_no_hidden_test_and_no_instructor_code(assignment):
    notebook = nbformat.read(
        COURSE_ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4
    )
    for cell in notebook.cells:
        assert "HIDDEN TESTS" not in cell.source
        assert "dlmusic_instructor" not in cell.source
        assert cell.metadata.get("nbgrader", {}).get("grade_id") != "heldout-scoring-helpers"


HELDOUT_SEED = 11
"""The seed of ``composer_heldout_dir`` (conftest), whose pages the composer draws reuse."""


def _drawn(assignment: str, student: str, heldout: Path) -> list[dict[str, np.ndarray]]:
    context = local_context(
        assignment, submission=heldout, heldout=heldout, seed=HELDOUT_SEED, student=student
    )
    return [check.make_inputs(context) for check in checks_for(assignment) if check.make_inputs]


def _same(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> bool:
    """Equal arrays under equal names (NaN equal to NaN: some inputs are malformed on purpose)."""
    return first.keys() == second.keys() and all(
        np.array_equal(first[name], second[name], equal_nan=first[name].dtype.kind in "fc")
        for name in first
    )


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_inputs_are_fixed_by_seed_and_student_and_differ_between_students(
    assignment, composer_heldout_dir
):
    ada, again, grace = (
        _drawn(assignment, s, composer_heldout_dir) for s in ("ada", "ada", "grace")
    )
    assert all(_same(first, second) for first, second in zip(ada, again, strict=True))
    assert not all(_same(first, second) for first, second in zip(ada, grace, strict=True))


def test_the_shared_judging_helpers_examples_run():
    results = doctest.testmod(checks)
    assert results.attempted >= 3
    assert results.failed == 0
