"""Repairing what Colab breaks: submissions are matched back to the release notebook.

Every test starts from a real release notebook (``assignments/<id>/<id>.ipynb``), breaks
a copy the way Colab or a student does, and checks that the repaired graded cells are the
release's again while the student's work survives.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import nbformat
import pytest
from nbformat import NotebookNode
from nbgrader.preprocessors import CheckCellMetadata, DeduplicateIds

from dlmusic.errors import SubmissionError
from dlmusic_instructor import COURSE_ROOT
from dlmusic_instructor.repair import RepairReport, repair_file, repair_notebook

RELEASES = [
    path
    for path in sorted((COURSE_ROOT / "assignments").glob("*/*.ipynb"))
    if path.stem == path.parent.name
]
STUDENT_CODE = "    return 42  # the student's own solution\n"
STUDENT_ANSWER = "The stacked model wins because harmonics line up in one column."


@pytest.fixture(params=RELEASES, ids=[path.stem for path in RELEASES])
def release_path(request) -> Path:
    return request.param


@pytest.fixture
def release(release_path) -> NotebookNode:
    return nbformat.read(release_path, as_version=4)


def nbgrader(cell: NotebookNode) -> dict:
    return cell.metadata.get("nbgrader") or {}


def graded_cells(notebook: NotebookNode) -> list[tuple[str, str, dict]]:
    """(grade_id, cell type, nbgrader metadata) of each graded cell, in order."""
    return [
        (nbgrader(cell)["grade_id"], cell.cell_type, dict(nbgrader(cell)))
        for cell in notebook.cells
        if nbgrader(cell).get("grade_id")
    ]


def index_of(notebook: NotebookNode, grade_id: str) -> int:
    return next(
        k for k, cell in enumerate(notebook.cells) if nbgrader(cell).get("grade_id") == grade_id
    )


def first_grade_id(notebook: NotebookNode, cell_type: str, **flags: bool) -> str:
    """grade_id of the first cell of ``cell_type`` whose nbgrader flags match."""
    return next(
        nbgrader(cell)["grade_id"]
        for cell in notebook.cells
        if cell.cell_type == cell_type
        and nbgrader(cell).get("grade_id")
        and all(nbgrader(cell).get(flag) == value for flag, value in flags.items())
    )


def solve(cell: NotebookNode) -> None:
    """Write the student's solution into a solution cell (code or markdown)."""
    if cell.cell_type == "code":
        cell.source = cell.source.replace("    raise NotImplementedError()\n", "")
        cell.source = cell.source.replace("raise NotImplementedError()", "") + "\n" + STUDENT_CODE
    else:
        cell.source = STUDENT_ANSWER


def solved_copy(release: NotebookNode) -> NotebookNode:
    """The release with every solution cell answered, as a student hands it in."""
    submitted = copy.deepcopy(release)
    for cell in submitted.cells:
        if nbgrader(cell).get("solution"):
            solve(cell)
    return submitted


def strip_nbgrader(notebook: NotebookNode) -> None:
    """What Colab does to a notebook it re-saves: nbgrader's metadata and lock flags go."""
    for cell in notebook.cells:
        for key in ("nbgrader", "deletable", "editable"):
            cell.metadata.pop(key, None)


def as_colab_json(notebook: NotebookNode) -> str:
    """The notebook as Colab downloads it: one-string sources, Colab ids, no nbformat_minor."""
    raw = json.loads(nbformat.writes(notebook))
    del raw["nbformat_minor"]
    raw["metadata"]["colab"] = {"provenance": [], "gpuType": "T4"}
    for number, cell in enumerate(raw["cells"]):
        cell["source"] = "".join(cell["source"])
        cell.pop("id", None)
        cell["metadata"]["id"] = f"colab{number:04d}"
        if cell["cell_type"] == "code":
            cell["metadata"]["outputId"] = f"out{number}"
            cell["metadata"]["executionInfo"] = {"status": "ok", "elapsed": 12}
    return json.dumps(raw)


def assert_solutions_survive(repaired: NotebookNode, release: NotebookNode) -> None:
    for grade_id, _, metadata in graded_cells(release):
        if metadata.get("solution"):
            source = repaired.cells[index_of(repaired, grade_id)].source
            assert STUDENT_CODE.strip() in source or STUDENT_ANSWER in source, grade_id


def test_the_release_itself_needs_no_repair(release):
    repaired, actions = repair_notebook(release, release)
    assert actions == []
    assert repaired == release


def test_a_solved_notebook_with_intact_metadata_needs_no_repair(release):
    submitted = solved_copy(release)
    repaired, actions = repair_notebook(submitted, release)
    assert actions == []
    assert repaired == submitted


def test_stripped_metadata_is_restored_by_content_and_position(release):
    submitted = solved_copy(release)
    strip_nbgrader(submitted)
    repaired, actions = repair_notebook(submitted, release)
    assert graded_cells(repaired) == graded_cells(release)
    assert_solutions_survive(repaired, release)
    for grade_id, _, metadata in graded_cells(release):
        how = "position" if metadata.get("solution") else "content"
        assert any(
            line.startswith(f"restored nbgrader metadata and lock flags of '{grade_id}'")
            and how in line
            for line in actions
        ), grade_id
    assert nbgrader(submitted.cells[0]) == {}, "repair_notebook must not modify its input"


def test_a_duplicated_solution_cell_keeps_the_copy_the_student_edited(release):
    grade_id = first_grade_id(release, "code", solution=True)
    submitted = copy.deepcopy(release)
    position = index_of(submitted, grade_id)
    edited = submitted.cells[position]
    solve(edited)
    untouched = copy.deepcopy(release.cells[position])
    untouched.id = "pasted-copy"
    submitted.cells.insert(position + 1, untouched)

    repaired, actions = repair_notebook(submitted, release)

    assert graded_cells(repaired) == graded_cells(release)
    kept = repaired.cells[index_of(repaired, grade_id)]
    assert STUDENT_CODE.strip() in kept.source
    assert repaired.cells[position + 1].source == release.cells[position].source
    assert nbgrader(repaired.cells[position + 1]) == {}
    assert (
        f"demoted a duplicate of '{grade_id}' (cell {position + 2}) to an ungraded cell" in actions
    )


def test_swapped_graded_cells_are_put_back_in_release_order(release):
    solution_id = first_grade_id(release, "code", solution=True)
    test_id = first_grade_id(release, "code", grade=True, locked=True)
    submitted = solved_copy(release)
    first, second = index_of(submitted, solution_id), index_of(submitted, test_id)
    scratch = nbformat.v4.new_code_cell("print('trying my kernel')", id="scratch")
    submitted.cells.insert(second + 1, scratch)
    cells = submitted.cells
    cells[first], cells[second] = cells[second], cells[first]

    repaired, actions = repair_notebook(submitted, release)

    assert graded_cells(repaired) == graded_cells(release)
    assert [cell.source for cell in repaired.cells if cell.get("id") != "scratch"] == [
        cell.source for cell in solved_copy(release).cells
    ]
    scratch_at = next(k for k, cell in enumerate(repaired.cells) if cell.get("id") == "scratch")
    assert nbgrader(repaired.cells[scratch_at - 1]).get("grade_id") == solution_id
    assert any(line.startswith("re-ordered cells to follow the release") for line in actions)
    assert any(f"'{solution_id}'" in line for line in actions if line.startswith("re-ordered"))


def test_a_renamed_solution_cell_gets_its_grade_id_back(release):
    grade_id = first_grade_id(release, "code", solution=True)
    submitted = solved_copy(release)
    cell = submitted.cells[index_of(submitted, grade_id)]
    cell.metadata.nbgrader["grade_id"] = f"{grade_id}-copy1"

    repaired, actions = repair_notebook(submitted, release)

    assert graded_cells(repaired) == graded_cells(release)
    assert_solutions_survive(repaired, release)
    assert any(
        line.startswith(f"restored nbgrader metadata of '{grade_id}'")
        and f"changed to '{grade_id}-copy1'" in line
        for line in actions
    ), actions


def test_an_r_kernelspec_is_replaced_by_the_release_kernel(release):
    submitted = solved_copy(release)
    submitted.metadata.kernelspec = {"name": "ir", "display_name": "R", "language": "R"}
    submitted.metadata.language_info = {"name": "R"}

    repaired, actions = repair_notebook(submitted, release)

    assert repaired.metadata.kernelspec == release.metadata.kernelspec
    assert repaired.metadata.language_info == release.metadata.language_info
    assert any("kernelspec" in line and "'ir'" in line for line in actions)
    assert any("language_info" in line for line in actions)


def test_a_deleted_test_cell_is_reported_and_left_to_nbgrader(release):
    test_id = first_grade_id(release, "code", grade=True, locked=True)
    submitted = solved_copy(release)
    del submitted.cells[index_of(submitted, test_id)]

    repaired, actions = repair_notebook(submitted, release)

    assert graded_cells(repaired) == [row for row in graded_cells(release) if row[0] != test_id]
    assert f"graded cell '{test_id}' is missing (nbgrader will restore it)" in actions


def test_a_stray_grade_id_is_dropped(release):
    submitted = solved_copy(release)
    stray = nbformat.v4.new_code_cell("x = 1", id="stray")
    stray.metadata.nbgrader = {"grade_id": "not-in-release", "solution": True, "grade": False}
    submitted.cells.append(stray)

    repaired, actions = repair_notebook(submitted, release)

    assert graded_cells(repaired) == graded_cells(release)
    assert repaired.cells[-1].source == "x = 1"
    assert any("'not-in-release'" in line for line in actions)


def mangle_like_colab(release: NotebookNode) -> NotebookNode:
    """All of the breakages at once, as one unlucky submission."""
    submitted = solved_copy(release)
    strip_nbgrader(submitted)
    solution_id = first_grade_id(release, "code", solution=True)
    position = index_of(release, solution_id)
    cells = submitted.cells
    cells[position], cells[position + 2] = cells[position + 2], cells[position]
    submitted.metadata.kernelspec = {"name": "ir", "display_name": "R", "language": "R"}
    return submitted


def test_a_colab_download_is_repaired_in_place_with_the_original_kept(
    release, release_path, tmp_path
):
    submitted_path = tmp_path / release_path.name
    submitted_path.write_text(as_colab_json(mangle_like_colab(release)))
    original = submitted_path.read_bytes()

    report = repair_file(submitted_path, release_path)

    assert isinstance(report, RepairReport) and report.changed
    assert report.notebook == release_path.name
    assert (tmp_path / f"{release_path.name}.orig").read_bytes() == original
    repaired = nbformat.read(submitted_path, as_version=4)
    nbformat.validate(repaired)
    assert graded_cells(repaired) == graded_cells(release)
    assert_solutions_survive(repaired, release)
    assert [cell.get("id") for cell in repaired.cells if nbgrader(cell)] == [
        cell.id for cell in release.cells if nbgrader(cell)
    ]
    assert any("nbformat_minor" in line for line in report.actions)
    assert any(line.startswith("re-ordered") for line in report.actions)
    assert any("kernelspec" in line for line in report.actions)


def test_repairing_twice_changes_nothing_the_second_time(release, release_path, tmp_path):
    submitted_path = tmp_path / release_path.name
    submitted_path.write_text(as_colab_json(mangle_like_colab(release)))
    repair_file(submitted_path, release_path)
    once = submitted_path.read_bytes()

    again = repair_file(submitted_path, release_path)

    assert again.actions == () and not again.changed
    assert submitted_path.read_bytes() == once


def test_nbgrader_accepts_the_repaired_notebook(release):
    repaired, _ = repair_notebook(mangle_like_colab(release), release)
    repaired, _ = DeduplicateIds().preprocess(repaired, {})
    repaired, _ = CheckCellMetadata().preprocess(repaired, {})
    assert graded_cells(repaired) == graded_cells(release)


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "is empty"),
        ("  \n", "is empty"),
        ('{"cells": [', "is not valid JSON"),
        ('{"name": "homework"}', "not a Jupyter notebook"),
        ('{"cells": [{"source": "x"}], "nbformat": 4}', "has no cell type"),
        ('{"cells": [], "nbformat": 5}', "only formats 1 to 4"),
        ('{"nbformat": 3, "worksheets": 7}', "could not be upgraded to format 4"),
    ],
)
def test_a_broken_file_is_refused_with_the_reason(content, reason, release_path, tmp_path):
    submitted_path = tmp_path / "broken.ipynb"
    submitted_path.write_text(content)
    with pytest.raises(SubmissionError, match=reason):
        repair_file(submitted_path, release_path)
    assert submitted_path.read_text() == content


def test_an_nbformat_3_notebook_is_upgraded_and_graded_not_refused(release, release_path, tmp_path):
    submitted_path = tmp_path / release_path.name
    old_format = nbformat.convert(solved_copy(release), 3)
    submitted_path.write_text(nbformat.writes(old_format, version=3))

    report = repair_file(submitted_path, release_path)

    assert report.actions[0] == "upgraded the notebook from format 3 to format 4"
    repaired = nbformat.read(submitted_path, as_version=4)
    assert (repaired.nbformat, repaired.nbformat_minor) == (4, release.nbformat_minor)
    nbformat.validate(repaired)
    assert graded_cells(repaired) == graded_cells(release)
    assert_solutions_survive(repaired, release)
    assert repair_file(submitted_path, release_path).actions == ()


def test_without_metadata_the_edited_copy_of_a_pasted_solution_cell_is_graded(release):
    grade_id = first_grade_id(release, "code", solution=True)
    submitted = solved_copy(release)
    position = index_of(submitted, grade_id)
    submitted.cells.insert(position, copy.deepcopy(release.cells[position]))
    strip_nbgrader(submitted)

    repaired, _ = repair_notebook(submitted, release)

    assert graded_cells(repaired) == graded_cells(release)
    assert STUDENT_CODE.strip() in repaired.cells[index_of(repaired, grade_id)].source
    assert nbgrader(repaired.cells[position]) == {}


def test_broken_outputs_are_cleared_rather_than_refused(release, release_path, tmp_path):
    submitted = solved_copy(release)
    code_cell = next(cell for cell in submitted.cells if cell.cell_type == "code")
    raw = json.loads(nbformat.writes(submitted))
    position = submitted.cells.index(code_cell)
    raw["cells"][position]["outputs"] = [{"output_type": "stream", "name": "stdout"}]
    submitted_path = tmp_path / release_path.name
    submitted_path.write_text(json.dumps(raw))

    report = repair_file(submitted_path, release_path)

    assert any(line.startswith("cleared all outputs") for line in report.actions)
    nbformat.validate(nbformat.read(submitted_path, as_version=4))
