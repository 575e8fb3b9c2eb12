"""Every solution notebook executes top to bottom in quick mode, within its time budget.

Then ``nbgrader validate`` runs it again as the autograder would (grading
mode: the weights the quick run saved are loaded, not retrained) and must
report that every test passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from dlmusic_instructor import COURSE_ROOT

CONFIG = COURSE_ROOT / "autograder" / "nbgrader_config.py"
PATH = os.environ.get("PATH", "")
NOTEBOOKS = sorted((COURSE_ROOT / "solutions").glob("*/*.ipynb"))
QUICK_MODE_BUDGET_S = 300


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_solution_notebook_runs_in_quick_mode(path, tmp_path, monkeypatch, quick_data_dir):
    monkeypatch.setenv("DLMUSIC_MODE", "quick")
    monkeypatch.setenv("DLMUSIC_DATA", str(quick_data_dir))
    workdir = tmp_path / path.parent.name
    shutil.copytree(path.parent, workdir)
    notebook = nbformat.read(workdir / path.name, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": workdir}}
    ).execute()
    seconds = time.perf_counter() - start
    assert seconds < QUICK_MODE_BUDGET_S, f"{path.name} took {seconds:.0f} s in quick mode"
    for cell in notebook.cells:
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if grading.get("grade") and cell.cell_type == "code":
            stderr = [o for o in cell.get("outputs", []) if o.get("name") == "stderr"]
            assert not stderr, f"test cell {grading['grade_id']} wrote to stderr: {stderr}"
    (tmp_path / "executed.json").write_text(json.dumps({"seconds": seconds}))

    validation = subprocess.run(
        [sys.executable, "-m", "nbgrader", "validate", f"--config={CONFIG}", path.name],
        cwd=workdir,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), PATH])},
        timeout=1200,
        check=False,
    )
    output = validation.stdout + validation.stderr
    assert "Success! Your notebook passes all the tests." in output, output[-3000:]
