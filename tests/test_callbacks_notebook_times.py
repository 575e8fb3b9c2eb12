"""benchmarks/notebook_times.py: a notebook's probed runs are found, cut short and extrapolated."""

from __future__ import annotations

import argparse
import importlib.util
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from dlmusic_instructor import COURSE_ROOT

EPOCHS, BATCHES, PROBE_STEPS = 3, 5, 4


def benchmark_module():
    spec = importlib.util.spec_from_file_location(
        "notebook_times", COURSE_ROOT / "benchmarks" / "notebook_times.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def training_notebook() -> nbformat.NotebookNode:
    notebook = new_notebook(
        cells=[
            new_code_cell("import numpy as np, keras\nfrom dlmusic.callbacks import run_callbacks"),
            new_code_cell(
                "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
                "model.compile(optimizer='sgd', loss='mse')\n"
                f"x = np.ones(({BATCHES * 4}, 3), 'float32')\n"
                f"model.fit(x, x[:, :1], batch_size=4, epochs={EPOCHS}, verbose=0,\n"
                "          validation_data=(x, x[:, :1]),\n"
                "          callbacks=run_callbacks('runs', 'tiny'))\n"
                "None"
            ),
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return notebook


@pytest.mark.parametrize("run_mode", ["quick", "full"])
def test_full_mode_extrapolates_the_steps_the_probe_cut(tmp_path, run_mode):
    times = benchmark_module()
    (tmp_path / "solutions" / "problem_set").mkdir(parents=True)
    nbformat.write(
        training_notebook(), tmp_path / "solutions" / "problem_set" / "problem_set.ipynb"
    )
    args = argparse.Namespace(
        solutions=tmp_path / "solutions",
        data=tmp_path / "data",
        probe_steps=PROBE_STEPS,
        cell_timeout=300,
    )
    result = times.execute("problem_set", run_mode, args)
    assert result["completed"], result["error"]
    assert [cell["index"] for cell in result["cells"]] == [0, 1]
    if run_mode == "quick":
        assert not result["cells"][1]["runs"] and "training" not in result
        return
    (run,) = result["cells"][1]["runs"]
    assert (run["name"], run["planned_steps"], run["steps_run"]) == (
        "tiny",
        EPOCHS * BATCHES,
        PROBE_STEPS,
    )
    assert result["training"]["fraction_of_steps_run"] == pytest.approx(
        PROBE_STEPS / (EPOCHS * BATCHES)
    )
    assert run["extrapolated_seconds"] > 0
    assert result["extrapolated_seconds"] == pytest.approx(run["extrapolated_seconds"])
    assert result["full_seconds"] == pytest.approx(
        result["measured_seconds"] + result["extrapolated_seconds"]
    )
    low, high = result["colab_gpu"]["seconds_range"]
    assert result["colab_gpu"]["estimate"] is True
    assert result["non_training_seconds"] <= low <= high <= result["full_seconds"]
    results = tmp_path / "times.json"
    times.merge(results, "problem_set", run_mode, result)
    assert "problem_set | " in times.markdown_table(json.loads(results.read_text()))
