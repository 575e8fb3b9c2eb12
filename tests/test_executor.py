"""The executor: probes run in the student's kernel, verdicts are reached in the grader's process.

A tiny notebook and hand-made checks, so each rule shows on its own: a forbidden
library call is seen under any alias, switching off the call tracer is seen,
the student's errors and missing names become reasons, and what a probe returns
is loaded without pickles.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np
import pytest
import scipy.ndimage

from dlmusic_instructor.checks import Check, CheckFailed, Context
from dlmusic_instructor.executor import Limits, grade_submission
from dlmusic_instructor.sandbox import bubblewrap_path

STUDENT_CODE = """
import sys
import numpy as np
import scipy.ndimage as images

smooth = images.median_filter


def by_alias(x):
    return smooth(x, 3)


def by_hand(x):
    return np.asarray(x) * 2


def evasive(x):
    hook = sys.getprofile()
    sys.setprofile(None)
    result = images.median_filter(x, 3)
    sys.setprofile(hook)
    return result


def returns_object(x):
    return {"not": "an array"}
"""


def _inputs(context: Context) -> dict[str, np.ndarray]:
    return {"x": context.rng("x").normal(size=(6, 6))}


def _median_judge(run) -> None:
    expected = scipy.ndimage.median_filter(run.inputs["x"], 3)
    if not np.allclose(run.array("y", expected.shape), expected):
        raise CheckFailed("wrong median")


def _double_judge(run) -> None:
    if not np.allclose(run.array("y"), 2 * run.inputs["x"]):
        raise CheckFailed("wrong double")


def _check(grade_id: str, function: str, judge=_median_judge, forbidden=True) -> Check:
    return Check(
        grade_id,
        judge,
        probe=f"outputs = {{'y': {function}(inputs['x'])}}",
        make_inputs=_inputs,
        forbidden_calls=("scipy.ndimage.median_filter",) if forbidden else (),
    )


CHECKS = (
    _check("alias", "by_alias"),
    _check("by-hand", "by_hand", _double_judge),
    _check("evasive", "evasive"),
    _check("missing", "not_defined", _double_judge),
    _check("object", "returns_object", _double_judge),
    _check("allowed-alias", "by_alias", forbidden=False),
)


@pytest.fixture(params=["unsandboxed", "sandboxed"])
def verdicts(request, tmp_path):
    if request.param == "sandboxed" and bubblewrap_path() is None:
        pytest.skip("bubblewrap not installed")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(STUDENT_CODE)]
    context = Context("student", "toy", tmp_path / "handed_in", tmp_path / "heldout", seed=7)
    execution = grade_submission(
        notebook,
        CHECKS,
        context,
        tmp_path / "scratch",
        limits=Limits(cell_timeout_s=60, notebook_timeout_s=120),
        sandboxed=request.param == "sandboxed",
    )
    assert execution.problems == []
    assert [cell.source for cell in execution.executed.cells] == [STUDENT_CODE]
    return {verdict.grade_id: verdict for verdict in execution.verdicts}


def test_a_forbidden_call_under_an_alias_scores_zero_and_names_the_function(verdicts):
    assert verdicts["alias"].fraction == 0
    assert "scipy.ndimage.median_filter" in verdicts["alias"].reason


def test_the_same_call_is_fine_where_the_check_allows_it(verdicts):
    assert verdicts["allowed-alias"].full_marks


def test_a_correct_answer_on_the_graders_inputs_earns_full_marks(verdicts):
    assert verdicts["by-hand"].full_marks


def test_switching_off_the_call_tracer_is_seen(verdicts):
    assert verdicts["evasive"].fraction == 0
    assert "tampered" in verdicts["evasive"].reason


def test_a_missing_name_and_an_unreadable_answer_are_reasons_not_crashes(verdicts):
    assert "NameError" in verdicts["missing"].reason
    assert "not a plain number" in verdicts["object"].reason


def test_the_drawn_inputs_depend_on_seed_student_and_cell():
    first = Context("a", "toy", Path("."), Path("."), seed=1)
    assert np.array_equal(first.rng("x").normal(size=3), first.rng("x").normal(size=3))
    assert not np.array_equal(first.rng("x").normal(size=3), first.rng("y").normal(size=3))
    other_student = Context("b", "toy", Path("."), Path("."), seed=1)
    assert not np.array_equal(first.rng("x").normal(size=3), other_student.rng("x").normal(size=3))


def test_grading_refuses_to_run_unconfined_unless_asked(tmp_path, monkeypatch):
    from dlmusic_instructor import autograde, sandbox
    from dlmusic_instructor.workspace import GradingError, Workspace

    monkeypatch.setattr(sandbox, "bubblewrap_path", lambda: None)
    with pytest.raises(GradingError, match="--unsandboxed"):
        autograde.autograde_assignment(Workspace(tmp_path / "grading"), "problem_set")


def test_a_check_that_fails_itself_costs_that_cell_and_says_whose_fault_it_is():
    from dlmusic_instructor.checks import ProbeRun, ProbeStatus, judge

    def broken(run):
        raise RuntimeError("reference data missing")

    context = Context("a", "toy", Path("."), Path("."), seed=1)
    verdict = judge(
        Check("broken", broken), ProbeRun({}, {}, Path("."), context), ProbeStatus(ran=True)
    )
    assert verdict.fraction == 0
    assert "tell your instructor" in verdict.reason
