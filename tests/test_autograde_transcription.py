"""Grading transcription: saved weights are measured, missing or wrong ones explained.

Three submissions of the real release, graded by the pipeline in grading mode
(no retraining): every answer right with untrained weights of the right shape,
the same without its weights files, and the same with each network's file
handed in under another network's name.
"""

from __future__ import annotations

import nbformat
import pytest

from dlmusic_instructor.autograde import Limits, autograde_assignment
from dlmusic_instructor.collect import collect_folder
from dlmusic_instructor.example_class import write_example_class
from dlmusic_instructor.heldout.transcription import write_untrained_weights
from dlmusic_instructor.workspace import COURSE_ROOT, Workspace

ASSIGNMENT = "transcription"
STUDENTS = ("perfect", "missing_weights", "wrong_weights")
MODEL_CELLS = ("score-full-model", "score-no-harmonic-stacking", "score-no-contour-supervision")


def written_cells() -> set[str]:
    """The grade ids of the answers graded by hand (markdown cells worth points)."""
    notebook = nbformat.read(COURSE_ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    return {
        cell.metadata["nbgrader"]["grade_id"]
        for cell in notebook.cells
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("grade")
    }


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, quick_data_dir):
    root = tmp_path_factory.mktemp("transcription-class")
    notebook = f"{ASSIGNMENT}.ipynb"
    write_example_class(
        COURSE_ROOT / "assignments" / ASSIGNMENT / notebook,
        COURSE_ROOT / "solutions" / ASSIGNMENT / notebook,
        root / "submissions",
        extra_files=write_untrained_weights(root / "weights"),
        students=STUDENTS,
    )
    workspace = Workspace(root / "grading")
    workspace.prepare(ASSIGNMENT)
    collect_folder(root / "submissions", workspace, ASSIGNMENT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLMUSIC_DATA", str(quick_data_dir))
        graded = autograde_assignment(
            workspace,
            ASSIGNMENT,
            workers=2,
            limits=Limits(cell_timeout_s=600, notebook_timeout_s=1500),
        )
    with workspace.gradebook() as book:
        scores = {
            student: {
                grade.name: (grade.score, grade.max_score)
                for notebook in book.find_submission(ASSIGNMENT, student).notebooks
                for grade in notebook.grades
            }
            for student in STUDENTS
        }
    return {o.student: o for o in graded}, scores


def test_every_submission_is_graded(outcomes):
    by_student, _ = outcomes
    assert all(by_student[student].graded for student in STUDENTS)


def test_function_tests_do_not_depend_on_the_weights(outcomes):
    _, scores = outcomes
    for student in STUDENTS:
        functions = {cell: s for cell, s in scores[student].items() if cell not in MODEL_CELLS}
        lost = {cell: s for cell, s in functions.items() if s[0] < s[1]}
        assert set(lost) <= written_cells(), (student, lost)  # graded by hand


def test_missing_and_mismatched_weights_lose_the_model_points_with_a_reason(outcomes):
    by_student, scores = outcomes
    for student, phrase in (("missing_weights", "weights.h5"), ("wrong_weights", "do not fit")):
        model_points = [scores[student][cell][0] for cell in MODEL_CELLS]
        assert model_points == [0.0, 0.0, 0.0], (student, model_points)
        reasons = " | ".join(by_student[student].reasons)
        assert phrase in reasons, reasons
