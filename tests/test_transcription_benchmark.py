"""The transcription benchmark end to end on quick data: its JSON and its run log."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest

from dlmusic.transcription.validation import RUN_LOG_FIELDS
from dlmusic_instructor import COURSE_ROOT

BENCHMARK = COURSE_ROOT / "benchmarks" / "transcription.py"
SCORE_KEYS = {"fno", "f", "precision_no_offset", "recall_no_offset"}


def run_benchmark(tmp_path, data_dir, *systems: str) -> subprocess.CompletedProcess:
    """Two training steps per network, in ``tmp_path`` (its weights go to build/bench there)."""
    command = [sys.executable, str(BENCHMARK), "--size", "quick", "--epochs", "1"]
    command += ["--batches-per-epoch", "2", "--batch-size", "2", "--systems", *systems]
    command += ["--results", "results.json", "--run-log", "runs.csv"]
    env = {**os.environ, "DLMUSIC_DATA": str(data_dir)}
    return subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_benchmark_writes_the_issue_format_and_one_log_row_per_network(tmp_path, quick_data_dir):
    first = run_benchmark(tmp_path, quick_data_dir, "full")
    assert first.returncode == 0, first.stderr[-3000:]
    second = run_benchmark(tmp_path, quick_data_dir, "no_post_stack_conv")
    assert second.returncode == 0, second.stderr[-3000:]

    results = json.loads((tmp_path / "results.json").read_text())
    assert results["steps"] == 2
    assert results["train_seconds"] > 0
    assert set(results["conditions"]) == {
        "training_timbres",
        "held_out_timbre",
        "held_out_reverb_noise",
    }
    for name, condition in results["conditions"].items():
        assert condition["held_out_timbre"] is (name != "training_timbres")
        # The second run merged into the first (same data and budget).
        assert set(condition["systems"]) == {"full", "no_post_stack_conv"}
        for scores in condition["systems"].values():
            assert set(scores) == SCORE_KEYS
            assert all(0.0 <= value <= 1.0 for value in scores.values())

    with (tmp_path / "runs.csv").open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert tuple(rows[0]) == RUN_LOG_FIELDS
    assert [row["name"] for row in rows] == ["full", "no_post_stack_conv"]
    for row, name in zip(rows, ("full", "no_post_stack_conv"), strict=True):
        assert row["steps"] == "2" and row["batch_size"] == "2"
        assert float(row["smoke_cqt_error"]) < 1e-3
        held_out = results["conditions"]["held_out_timbre"]["systems"][name]["fno"]
        assert float(row["held_out_fno"]) == pytest.approx(held_out, abs=5e-5)
