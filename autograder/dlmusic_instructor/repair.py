"""Repair what Colab breaks in a submitted notebook, before nbgrader grades it.

The reference is the release notebook a student was given, e.g.
``assignments/transcription/transcription.ipynb`` (generated from
``solutions/transcription/transcription.ipynb``). Its cells that carry
``metadata.nbgrader`` with a ``grade_id`` are the graded, locked, solution and task cells.
A notebook saved by Colab, or by a student who copied cells around, can lose or
duplicate that metadata, rename a solution cell, re-order cells or change the kernel.
nbgrader then grades the wrong cells or refuses the notebook, so every submission is
repaired first, and every fix is logged for the student's record.

Each release graded cell is matched to one submitted cell:

1. by ``grade_id`` where the submitted metadata still has it (duplicated ids: the copy the
   student edited wins, the last one if several; the other copies become plain cells);
2. locked, test and task cells by their source (exact or near-exact after normalising
   whitespace), with the release's ungraded cells found the same way as anchors;
3. solution cells (and locked cells edited beyond recognition) by position between
   matched anchors, with the same cell type, preferring the cell that still holds the
   release's stub (signature, docstring).

Matched cells get the release's ``metadata.nbgrader`` back; graded cells out of release
order are moved back; the kernelspec is restored. Missing graded cells are not invented:
nbgrader's ``OverwriteCells.add_missing_cells`` adds them from the gradebook, and locked and
test cells always come from the gradebook whatever the student's copy says.
"""

from __future__ import annotations

import bisect
import copy
import difflib
import json
import re
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4.rwbase import rejoin_lines

from dlmusic.errors import MissingFileError, SubmissionError

#: difflib ratio at or above which a locked, test or markdown cell counts as unchanged.
NEAR_EXACT_RATIO = 0.9
#: Weaker ratio for a locked cell found by position: the student edited it, it is still it.
EDITED_LOCKED_RATIO = 0.5
#: Share of the release stub's lines a cell anywhere in the notebook must keep to be
#: taken for a solution cell that has no candidate between its anchors.
STUB_OVERLAP_ANYWHERE = 0.5
#: Lines nbgrader writes into every stub; they say nothing about which cell it is.
STUB_MARKERS = frozenset({"# YOUR CODE HERE", "raise NotImplementedError()", "YOUR ANSWER HERE"})
#: Cell-level lock flags nbgrader's LockCells preprocessor sets next to ``nbgrader``.
LOCK_FLAGS = ("deletable", "editable")
_VALID_CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")
_CELL_TYPES = frozenset({"code", "markdown", "raw"})


@dataclass(frozen=True)
class RepairReport:
    """What :func:`repair_file` did to one submitted notebook.

    Attributes
    ----------
    notebook : str
        File name of the submitted notebook.
    actions : tuple of str
        One human-readable line per fix, in the order they were made; empty when the
        notebook needed nothing.
    """

    notebook: str
    actions: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether the notebook was modified (and rewritten)."""
        return bool(self.actions)


@dataclass(frozen=True)
class _Match:
    """A submitted cell found for a release cell, and how it was found."""

    submitted: int
    how: str


def repair_notebook(
    submitted: NotebookNode, release: NotebookNode
) -> tuple[NotebookNode, list[str]]:
    """Repair a submitted notebook against the release notebook it was made from.

    Pure function: neither argument is modified.

    Parameters
    ----------
    submitted : NotebookNode
        The student's notebook (nbformat 4), sources as strings.
    release : NotebookNode
        The release notebook, ``assignments/<id>/<id>.ipynb``.

    Returns
    -------
    notebook : NotebookNode
        A repaired copy of ``submitted``.
    actions : list of str
        One line per fix; empty when nothing needed repair (repairing twice gives none).

    Raises
    ------
    SubmissionError
        ``submitted`` has no list of cells, or a cell without a known type or a source.
    """
    notebook = copy.deepcopy(submitted)
    _check_structure(notebook)
    actions = _repair_format(notebook, release)
    cells = notebook.cells
    graded = _graded_release_cells(release)
    with_ids = notebook.nbformat_minor >= 5

    matches, match_actions = _match_cells(cells, release, graded)
    actions += match_actions
    actions += _restore_matched(cells, release, graded, matches, with_ids)
    claimed = {match.submitted for match in matches.values()}
    actions += _drop_stray_metadata(cells, claimed)
    notebook.cells, moved = _reorder(cells, matches, set(graded.values()), release)
    if moved:
        names = ", ".join(f"'{gid}'" for gid in moved)
        actions.append(f"re-ordered cells to follow the release (graded cells {names} moved)")
    if with_ids:
        release_ids = {release.cells[index].get("id") for index in graded.values()}
        actions += _ensure_unique_ids(notebook.cells, release_ids - {None})
    actions += _restore_kernel(notebook, release)
    actions += _clear_invalid_outputs(notebook)
    return notebook, actions


def repair_file(submitted_path: Path, release_path: Path) -> RepairReport:
    """Repair a submitted notebook file in place, keeping the original beside it.

    The file is rewritten only if something changed; the first time, the untouched
    submission is copied to ``<name>.ipynb.orig`` next to it.

    Parameters
    ----------
    submitted_path : Path
        The student's ``.ipynb``.
    release_path : Path
        The release notebook, ``assignments/<id>/<id>.ipynb``.

    Returns
    -------
    RepairReport
        The file name and the fixes made.

    Raises
    ------
    MissingFileError
        Either path does not exist.
    SubmissionError
        The submission is empty, not valid JSON, or not a notebook that can be repaired
        (a notebook of format 1 to 3 is upgraded to format 4 first, and the upgrade logged).
    """
    submitted_path, release_path = Path(submitted_path), Path(release_path)
    for path in (submitted_path, release_path):
        if not path.is_file():
            raise MissingFileError(f"no notebook at {path}")
    notebook, actions = _read_submission(submitted_path)
    release = nbformat.read(release_path, as_version=4)
    repaired, repairs = repair_notebook(notebook, release)
    actions += repairs
    try:
        nbformat.validate(repaired)
    except nbformat.ValidationError as error:
        raise SubmissionError(
            f"{submitted_path.name} is not a valid notebook even after repair: {error.message}"
        ) from error
    if actions:
        original = submitted_path.with_name(submitted_path.name + ".orig")
        if not original.exists():
            shutil.copy2(submitted_path, original)
        temporary = submitted_path.with_name(submitted_path.name + ".repairing")
        nbformat.write(repaired, temporary)
        temporary.replace(submitted_path)
    return RepairReport(notebook=submitted_path.name, actions=tuple(actions))


def _read_submission(path: Path) -> tuple[NotebookNode, list[str]]:
    """Parse a submitted file into a NotebookNode, or say clearly why it is not one.

    A notebook of an older format (nbformat 3, as saved by IPython 2 and old tools) is
    upgraded to format 4 by nbformat; its cells get ids ``upgraded-<n>`` (deterministic,
    so repairing is repeatable) and the upgrade is logged.

    Returns
    -------
    notebook : NotebookNode
        The submission in nbformat 4, sources as strings.
    actions : list of str
        The upgrade made, if any.
    """
    text = path.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        raise SubmissionError(f"{path.name} is empty ({path.stat().st_size} bytes)")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise SubmissionError(
            f"{path.name} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg}); it was probably truncated or saved as something else"
        ) from error
    version = raw.get("nbformat") if isinstance(raw, dict) else None
    if isinstance(version, int) and 1 <= version < 4:
        return _upgrade(raw, path.name)
    if not isinstance(raw, dict) or "cells" not in raw:
        raise SubmissionError(f"{path.name} is JSON but not a Jupyter notebook (no 'cells')")
    if version != 4:
        raise SubmissionError(
            f"{path.name} is notebook format {version!r}; only formats 1 to 4 can be graded"
        )
    _check_structure(raw, path.name)
    return rejoin_lines(nbformat.from_dict(raw)), []


def _upgrade(raw: dict[str, Any], name: str) -> tuple[NotebookNode, list[str]]:
    """Convert an nbformat 1-3 notebook to format 4 (see :func:`_read_submission`)."""
    version = raw["nbformat"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as error:  # nbformat raises many types for a malformed old notebook
        raise SubmissionError(
            f"{name} is notebook format {version} and could not be upgraded to format 4: {error}"
        ) from error
    _check_structure(notebook, name)
    for number, cell in enumerate(notebook.cells):
        cell.id = f"upgraded-{number}"
    return notebook, [f"upgraded the notebook from format {version} to format 4"]


def _check_structure(notebook: dict[str, Any], name: str = "the submission") -> None:
    """Raise SubmissionError unless every cell has a known type and a source."""
    cells = notebook.get("cells")
    if not isinstance(cells, list):
        raise SubmissionError(f"{name} is not a notebook: 'cells' is not a list")
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in _CELL_TYPES:
            raise SubmissionError(f"{name} is not a notebook: cell {number} has no cell type")
        if not isinstance(cell.get("source"), str | list):
            raise SubmissionError(f"{name} is not a notebook: cell {number} has no source")


def _repair_format(notebook: NotebookNode, release: NotebookNode) -> list[str]:
    """Put back the top-level and per-cell fields nbformat requires."""
    actions = []
    if not isinstance(notebook.get("metadata"), dict):
        notebook.metadata = nbformat.NotebookNode()
        actions.append("added the missing notebook metadata")
    if "nbformat_minor" not in notebook:
        notebook.nbformat_minor = release.nbformat_minor
        actions.append(f"set the missing nbformat_minor to {release.nbformat_minor}")
    elif notebook.nbformat_minor < 5 and any("id" in cell for cell in notebook.cells):
        actions.append(
            f"upgraded nbformat_minor {notebook.nbformat_minor} to {release.nbformat_minor} "
            "(cells carry ids)"
        )
        notebook.nbformat_minor = release.nbformat_minor
    filled = sum(_fill_cell_fields(cell) for cell in notebook.cells)
    if filled:
        actions.append(f"filled in missing nbformat fields of {filled} cells")
    return actions


def _fill_cell_fields(cell: NotebookNode) -> bool:
    """Give a cell the fields its type requires (and drop the ones it must not have)."""
    before = dict(cell)
    cell.setdefault("metadata", nbformat.NotebookNode())
    if cell.cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return dict(cell) != before


def _graded_release_cells(release: NotebookNode) -> dict[str, int]:
    """Map each release grade_id to the index of its cell."""
    return {
        gid: index
        for index, cell in enumerate(release.cells)
        if (gid := cell_grade_id(cell)) is not None
    }


def cell_grade_id(cell: NotebookNode) -> str | None:
    """The cell's nbgrader grade_id, or None if it has none."""
    metadata = cell.get("metadata", {}).get("nbgrader") or {}
    gid = metadata.get("grade_id") if isinstance(metadata, dict) else None
    return gid if isinstance(gid, str) and gid else None


def _is_solution(cell: NotebookNode) -> bool:
    """Whether a release cell is one the student writes in."""
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def _normalised(source: str) -> str:
    """The source with all runs of whitespace collapsed to one space."""
    return " ".join(source.split())


def _similarity(first: str, second: str, floor: float) -> float:
    """difflib ratio of two normalised sources; 0.0 as soon as it must be below ``floor``."""
    if first == second:
        return 1.0
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def _stub_overlap(stub: str, source: str) -> float:
    """Share of a release stub's meaningful lines that a submitted source still contains.

    Parameters
    ----------
    stub : str
        Source of the release solution cell (signature, docstring, nbgrader markers).
    source : str
        Source of a submitted cell.

    Returns
    -------
    float
        In [0, 1]; 0 when the stub has no lines other than nbgrader's markers.
    """
    stub_lines = {line.strip() for line in stub.splitlines()} - STUB_MARKERS - {""}
    if not stub_lines:
        return 0.0
    source_lines = {line.strip() for line in source.splitlines()}
    return len(stub_lines & source_lines) / len(stub_lines)


def _is_edited(cell: NotebookNode, release_cell: NotebookNode) -> bool:
    """Whether the student changed a cell's source from the release."""
    return _normalised(cell.source) != _normalised(release_cell.source)


def _match_cells(
    cells: list[NotebookNode], release: NotebookNode, graded: dict[str, int]
) -> tuple[dict[int, _Match], list[str]]:
    """Find each release graded cell (and ungraded anchors) among the submitted cells.

    Returns
    -------
    matches : dict of int to _Match
        Release cell index -> the submitted cell found for it.
    actions : list of str
        The duplicates demoted on the way.
    """
    matches, demoted = _match_by_grade_id(cells, release, graded)
    actions = [
        f"demoted a duplicate of '{gid}' (cell {index + 1}) to an ungraded cell"
        for index, gid in demoted
    ]
    _match_by_content(cells, release, graded, matches)
    _match_by_position(cells, release, graded, matches)
    return matches, actions


def _restore_matched(
    cells: list[NotebookNode],
    release: NotebookNode,
    graded: dict[str, int],
    matches: dict[int, _Match],
    with_ids: bool,
) -> list[str]:
    """Restore every matched graded cell and report the missing ones, in release order."""
    actions = []
    for index in graded.values():
        if index not in matches:
            gid = cell_grade_id(release.cells[index])
            actions.append(f"graded cell '{gid}' is missing (nbgrader will restore it)")
            continue
        cell = cells[matches[index].submitted]
        action = _restore_cell(cell, release.cells[index], with_ids)
        if action:
            actions.append(f"{action} (matched by {matches[index].how})")
    return actions


def _match_by_grade_id(
    cells: list[NotebookNode], release: NotebookNode, graded: dict[str, int]
) -> tuple[dict[int, _Match], list[tuple[int, str]]]:
    """Match release graded cells by the grade_id the submitted cells still carry.

    Returns
    -------
    matches : dict of int to _Match
        Release cell index -> submitted cell.
    demoted : list of (int, str)
        Submitted index and grade_id of each duplicate whose nbgrader metadata was dropped.
    """
    copies: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        gid = cell_grade_id(cell)
        if gid in graded:
            copies.setdefault(gid, []).append(index)
    matches, demoted = {}, []
    for gid, indices in copies.items():
        release_cell = release.cells[graded[gid]]
        edited = [index for index in indices if _is_edited(cells[index], release_cell)]
        keep = (edited or indices)[-1]
        matches[graded[gid]] = _Match(keep, "grade_id")
        for index in indices:
            if index != keep:
                del cells[index].metadata["nbgrader"]
                demoted.append((index, gid))
    return matches, sorted(demoted)


def _is_free(cell: NotebookNode, graded: dict[str, int]) -> bool:
    """Whether a submitted cell may be matched: no grade_id, or one the release lacks."""
    return cell_grade_id(cell) not in graded


def _match_by_content(
    cells: list[NotebookNode],
    release: NotebookNode,
    graded: dict[str, int],
    matches: dict[int, _Match],
) -> None:
    """Match locked, test, task and ungraded release cells by near-exact source.

    Ungraded cells matched here are anchors for :func:`_match_by_position` and for
    re-ordering; they are never modified. ``matches`` is updated in place.
    """
    claimed = {match.submitted for match in matches.values()}
    texts = [_normalised(cell.source) for cell in cells]
    for index, release_cell in enumerate(release.cells):
        text = _normalised(release_cell.source)
        if index in matches or _is_solution(release_cell) or not text:
            continue
        is_graded = cell_grade_id(release_cell) is not None
        candidates = [
            position
            for position, cell in enumerate(cells)
            if position not in claimed
            and cell.cell_type == release_cell.cell_type
            and (_is_free(cell, graded) if is_graded else cell_grade_id(cell) is None)
        ]
        scores = {p: 1.0 for p in candidates if texts[p] == text} or {
            p: _similarity(text, texts[p], NEAR_EXACT_RATIO) for p in candidates
        }
        best = max(scores.values(), default=0.0)
        if best < NEAR_EXACT_RATIO:
            continue
        cursor = _previous_match(matches, index)
        chosen = min(
            (position for position, score in scores.items() if score == best),
            key=lambda position: (position <= cursor, position),
        )
        matches[index] = _Match(chosen, "content")
        claimed.add(chosen)


def _previous_match(matches: dict[int, _Match], release_index: int) -> int:
    """Submitted index of the nearest matched release cell before ``release_index``."""
    earlier = [r for r in matches if r < release_index]
    return matches[max(earlier)].submitted if earlier else -1


def _monotone_anchors(matches: dict[int, _Match]) -> list[tuple[int, int]]:
    """The longest run of matches whose submitted order agrees with the release order.

    Returns
    -------
    list of (int, int)
        (release index, submitted index) pairs, increasing in both.
    """
    pairs = sorted((release, match.submitted) for release, match in matches.items())
    tails: list[int] = []
    tail_pair: list[int] = []
    parent = [-1] * len(pairs)
    for k, (_, submitted) in enumerate(pairs):
        slot = bisect.bisect_left(tails, submitted)
        parent[k] = tail_pair[slot - 1] if slot else -1
        if slot == len(tails):
            tails.append(submitted)
            tail_pair.append(k)
        else:
            tails[slot], tail_pair[slot] = submitted, k
    chain, k = [], tail_pair[-1] if tail_pair else -1
    while k >= 0:
        chain.append(pairs[k])
        k = parent[k]
    return chain[::-1]


def _match_by_position(
    cells: list[NotebookNode],
    release: NotebookNode,
    graded: dict[str, int],
    matches: dict[int, _Match],
) -> None:
    """Match the remaining graded cells by position between anchors (``matches`` in place).

    A candidate lies strictly between the submitted cells of the nearest matched release
    cells before and after, has the same cell type and no grade_id the release knows.
    Solution cells prefer a cell with a renamed grade_id, then the one keeping most of the
    stub; a solution cell with no candidate there is looked for anywhere by its stub.
    Locked cells must still resemble the release (``EDITED_LOCKED_RATIO``).
    """
    anchors = _monotone_anchors(matches)
    claimed = {match.submitted for match in matches.values()}
    for index in sorted(graded.values()):
        if index in matches:
            continue
        release_cell = release.cells[index]
        slot = bisect.bisect_left(anchors, (index, -1))
        low_release, low = anchors[slot - 1] if slot else (-1, -1)
        high = anchors[slot][1] if slot < len(anchors) else len(cells)
        expected = low + (index - low_release)
        free = [
            position
            for position, cell in enumerate(cells)
            if position not in claimed
            and cell.cell_type == release_cell.cell_type
            and _is_free(cell, graded)
        ]
        window = [position for position in free if low < position < high]
        found = _pick_by_position(cells, release_cell, window, free, expected)
        if found is not None:
            matches[index] = found
            claimed.add(found.submitted)
            bisect.insort(anchors, (index, found.submitted))


def _pick_by_position(
    cells: list[NotebookNode],
    release_cell: NotebookNode,
    window: list[int],
    free: list[int],
    expected: int,
) -> _Match | None:
    """Choose the submitted cell for one release graded cell, or None.

    Parameters
    ----------
    cells : list of NotebookNode
        The submitted cells.
    release_cell : NotebookNode
        The release graded cell still unmatched.
    window : list of int
        Free submitted positions between its anchors.
    free : list of int
        Every free submitted position of the same cell type.
    expected : int
        Where the cell would be if nothing had moved since the previous anchor.
    """
    if not _is_solution(release_cell):
        text = _normalised(release_cell.source)
        scores = {
            p: _similarity(text, _normalised(cells[p].source), EDITED_LOCKED_RATIO) for p in window
        }
        best = max(scores, key=lambda p: (scores[p], -abs(p - expected)), default=None)
        if best is None or scores[best] < EDITED_LOCKED_RATIO:
            return None
        return _Match(best, "position and content")

    def score(position: int) -> tuple[bool, bool, bool, float, int]:
        return _solution_score(cells[position], release_cell, position, expected)

    best = max(window, key=score) if window else None
    if best is None or not any(score(best)[:2]):
        anywhere = [p for p in free if score(p)[3] >= STUB_OVERLAP_ANYWHERE]
        best = max(anywhere, key=score) if anywhere else best
    if best is None:
        return None
    has_stub = score(best)[1]
    return _Match(best, "position and content" if has_stub else "position")


def _solution_score(
    cell: NotebookNode, release_cell: NotebookNode, position: int, expected: int
) -> tuple[bool, bool, bool, float, int]:
    """How likely a submitted cell is the student's copy of a release solution cell.

    Compared as a tuple: a cell with a renamed grade_id first, then one that keeps part
    of the stub, then one the student edited (the rule for duplicates), then the larger
    share of the stub, then the cell nearest where it is expected.
    """
    overlap = _stub_overlap(release_cell.source, cell.source)
    return (
        cell_grade_id(cell) is not None,
        overlap > 0,
        _is_edited(cell, release_cell),
        overlap,
        -abs(position - expected),
    )


def _restore_cell(cell: NotebookNode, release_cell: NotebookNode, with_ids: bool) -> str | None:
    """Give a matched cell the release's type, nbgrader metadata, lock flags and id.

    The id is restored only ``with_ids`` (nbformat 4.5 and later have cell ids).

    Returns
    -------
    str or None
        The log line (without how it was matched), or None if nothing differed.
    """
    gid = cell_grade_id(release_cell)
    old_gid = cell_grade_id(cell)
    restored = []
    if cell.cell_type != release_cell.cell_type:
        _set_cell_type(cell, release_cell.cell_type)
        restored.append("cell type")
    if cell.metadata.get("nbgrader") != release_cell.metadata.nbgrader:
        cell.metadata["nbgrader"] = copy.deepcopy(release_cell.metadata.nbgrader)
        restored.append("nbgrader metadata")
    flags = {
        flag: release_cell.metadata[flag] for flag in LOCK_FLAGS if flag in release_cell.metadata
    }
    if any(cell.metadata.get(flag) != value for flag, value in flags.items()):
        cell.metadata.update(flags)
        restored.append("lock flags")
    if with_ids and "id" in release_cell and cell.get("id") != release_cell.id:
        cell.id = release_cell.id
        restored.append("cell id")
    if not restored:
        return None
    what = ", ".join(restored[:-1]) + " and " + restored[-1] if len(restored) > 1 else restored[0]
    line = f"restored {what} of '{gid}'"
    if old_gid is not None and old_gid != gid:
        line += f" (its grade_id had been changed to '{old_gid}')"
    return line


def _set_cell_type(cell: NotebookNode, cell_type: str) -> None:
    """Turn a cell into ``cell_type`` in place, keeping its source and metadata."""
    cell.cell_type = cell_type
    cell.pop("attachments", None)
    if cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _drop_stray_metadata(cells: list[NotebookNode], claimed: set[int]) -> list[str]:
    """Remove nbgrader metadata from cells that match no release graded cell."""
    actions = []
    for index, cell in enumerate(cells):
        if index not in claimed and cell.metadata.get("nbgrader"):
            gid = cell_grade_id(cell)
            del cell.metadata["nbgrader"]
            actions.append(
                f"removed nbgrader metadata (grade_id {gid!r}) from cell {index + 1}, "
                "which matches no graded cell of the release"
            )
    return actions


def _reorder(
    cells: list[NotebookNode],
    matches: dict[int, _Match],
    graded_indices: set[int],
    release: NotebookNode,
) -> tuple[list[NotebookNode], list[str]]:
    """Put graded cells back in release order if the student moved them.

    Every matched cell (graded, or an ungraded anchor) heads a segment that also holds
    the unmatched student cells after it; segments are sorted by release position, and
    cells before the first matched cell stay first.

    Returns
    -------
    cells : list of NotebookNode
        The cells in their new order (the same list if nothing moved).
    moved : list of str
        grade_ids of the graded cells that were out of order, in release order.
    """
    graded_matches = {r: m for r, m in matches.items() if r in graded_indices}
    in_order = {r for r, _ in _monotone_anchors(graded_matches)}
    moved = sorted(r for r in graded_matches if r not in in_order)
    if not moved:
        return cells, []
    head_of = {match.submitted: release_index for release_index, match in matches.items()}
    segments: list[tuple[int, list[NotebookNode]]] = [(-1, [])]
    for position, cell in enumerate(cells):
        if position in head_of:
            segments.append((head_of[position], []))
        segments[-1][1].append(cell)
    segments.sort(key=lambda segment: segment[0])
    reordered = [cell for _, segment in segments for cell in segment]
    return reordered, [cell_grade_id(release.cells[r]) or "" for r in moved]


def _ensure_unique_ids(cells: list[NotebookNode], release_ids: set[str]) -> list[str]:
    """Give a fresh id to every cell whose id is missing, invalid or taken.

    Graded cells go first and keep theirs (the release ids); other cells give way, and
    never take an id of a release graded cell.
    """
    taken: set[str] = set()
    renamed = 0
    for number in sorted(range(len(cells)), key=lambda k: cell_grade_id(cells[k]) is None):
        cell, current = cells[number], cells[number].get("id")
        may_hold = cell_grade_id(cell) is not None or current not in release_ids
        if isinstance(current, str) and _VALID_CELL_ID.match(current) and may_hold:
            if current not in taken:
                taken.add(current)
                continue
        fresh, suffix = f"student-{number}", 0
        while fresh in taken or fresh in release_ids:
            suffix += 1
            fresh = f"student-{number}-{suffix}"
        cell.id = fresh
        taken.add(fresh)
        renamed += 1
    return [f"gave {renamed} cells new unique ids"] if renamed else []


def _restore_kernel(notebook: NotebookNode, release: NotebookNode) -> list[str]:
    """Restore the release's kernelspec and language_info where the submission differs."""
    actions = []
    metadata = notebook.setdefault("metadata", nbformat.NotebookNode())
    kernelspec = release.metadata.get("kernelspec")
    current_spec = metadata.get("kernelspec") or {}
    if kernelspec is not None and _kernel_key(current_spec) != _kernel_key(kernelspec):
        old = current_spec.get("name", "missing")
        metadata["kernelspec"] = copy.deepcopy(kernelspec)
        actions.append(f"restored kernelspec '{kernelspec.get('name')}' (was '{old}')")
    language = release.metadata.get("language_info")
    current = metadata.get("language_info") or {}
    if language is not None and current.get("name") != language.get("name"):
        metadata["language_info"] = copy.deepcopy(language)
        old = current.get("name", "missing")
        actions.append(f"restored language_info '{language.get('name')}' (was '{old}')")
    return actions


def _validation_error(notebook: NotebookNode) -> str | None:
    """nbformat's complaint about a notebook, or None if it is valid (nothing modified)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nbformat.validate(copy.deepcopy(notebook))
    except nbformat.ValidationError as error:
        return error.message
    return None


def _clear_invalid_outputs(notebook: NotebookNode) -> list[str]:
    """Clear the outputs of a notebook that is invalid only because of its outputs.

    nbgrader runs the notebook again, so outputs are never graded; broken ones (a
    truncated image, an output without a type) must not sink a submission.
    """
    error = _validation_error(notebook)
    if error is None:
        return []
    cleared = copy.deepcopy(notebook)
    for cell in cleared.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    if _validation_error(cleared) is not None:
        return []
    notebook.cells = cleared.cells
    return [f"cleared all outputs, which were not valid nbformat ({error})"]


def _kernel_key(kernelspec: dict[str, Any]) -> tuple[Any, Any]:
    """What identifies a kernel; display names differ between Jupyter and Colab."""
    return kernelspec.get("name"), kernelspec.get("language")
