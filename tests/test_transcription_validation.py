"""The two validation levels and the run log of the transcription notebook."""

from __future__ import annotations

import numpy as np
import pytest

from dlmusic.errors import DlmusicError
from dlmusic.transcription.validation import (
    RUN_LOG_FIELDS,
    append_run,
    cqt_smoke_test,
    plot_runs,
    read_runs,
)
from dlmusic_instructor.references.transcription import cqt_kernel

SMOKE = {"smoke_cqt_error": 1e-4, "smoke_seconds": 0.05}


def test_smoke_test_passes_the_right_kernel_and_catches_a_wrong_one():
    assert cqt_smoke_test(cqt_kernel)["smoke_cqt_error"] < 1e-3

    def unnormalised(freq_hz, sr, bins_per_octave=36):
        return 3.0 * cqt_kernel(freq_hz, sr, bins_per_octave)

    assert cqt_smoke_test(unnormalised)["smoke_cqt_error"] > 0.5


def test_each_run_appends_one_row_with_commit_date_budget_and_both_figures(tmp_path):
    log = tmp_path / "runs" / "log.csv"
    for fno in (0.4, 0.6):
        append_run(
            log,
            name="full",
            steps=600,
            batch_size=16,
            train_seconds=12.5,
            smoke=SMOKE,
            system={"validation_fno": fno, "validation_f": fno / 2},
            commit="abc1234",
            date="2026-11-29T12:00:00Z",
        )
    runs = read_runs(log)
    assert [run["validation_fno"] for run in runs] == ["0.4000", "0.6000"]
    assert tuple(runs[0]) == RUN_LOG_FIELDS
    assert runs[0]["commit"] == "abc1234" and runs[0]["steps"] == "600"
    assert runs[0]["held_out_fno"] == ""
    assert plot_runs(log).axes[1].get_ylabel() == "Fno"


def test_a_run_without_its_figures_or_into_another_csv_is_refused(tmp_path):
    with pytest.raises(DlmusicError, match="validation_f"):
        append_run(
            tmp_path / "log.csv",
            name="full",
            steps=1,
            batch_size=1,
            train_seconds=0.0,
            smoke=SMOKE,
            system={"validation_fno": 0.5},
        )
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with pytest.raises(DlmusicError, match="not a run log"):
        append_run(
            other,
            name="full",
            steps=1,
            batch_size=1,
            train_seconds=0.0,
            smoke=SMOKE,
            system={"validation_fno": 0.5, "validation_f": 0.2},
        )


def test_an_empty_log_plots_and_reads_as_no_runs(tmp_path):
    assert read_runs(tmp_path / "missing.csv") == []
    assert "no runs" in plot_runs(tmp_path / "missing.csv")._suptitle.get_text()
    assert np.isfinite(cqt_smoke_test(cqt_kernel)["smoke_seconds"])
