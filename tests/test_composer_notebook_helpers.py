"""The composer notebook's given helpers: splits, the row finder it builds, reports, training."""

from __future__ import annotations

import numpy as np
import pytest

from dlmusic.composer.confidence import abstention_report
from dlmusic.composer.dataset import (
    RowSet,
    describe_splits,
    reuse_test_as_dev,
    split_like_at_random,
)
from dlmusic.composer.evaluation import composer_table, piece_labels
from dlmusic.composer.rows import row_finder_from


def _rows(pieces: list[str], labels: list[int]) -> RowSet:
    n = len(pieces)
    return RowSet(
        np.zeros((n, 2, 2, 1), np.float32),
        np.array(labels),
        np.array(pieces),
        np.ones(n, np.int64),
        ("a", "b"),
    )


def test_reuse_test_as_dev_fills_only_an_empty_dev_split(capsys):
    with_dev = {"train": np.array([0]), "dev": np.array([1]), "test": np.array([2])}
    assert reuse_test_as_dev(with_dev) is with_dev
    without = {"train": np.array([0, 1]), "dev": np.array([], int), "test": np.array([2])}
    filled = reuse_test_as_dev(without)
    assert filled["dev"] is filled["test"]
    assert "never do this for real" in capsys.readouterr().out


def test_the_leaky_split_keeps_the_sizes_and_a_reused_dev_split():
    splits = {"train": np.arange(6), "dev": np.arange(6, 8), "test": np.arange(8, 10)}
    leaky = split_like_at_random(splits, seed=1)
    assert {name: len(rows) for name, rows in leaky.items()} == {"train": 6, "dev": 2, "test": 2}
    assert sorted(np.concatenate(list(leaky.values())).tolist()) == list(range(10))
    reused = reuse_test_as_dev({**splits, "dev": np.array([], int)})
    leaky = split_like_at_random({**reused, "train": np.arange(8)}, seed=1)
    assert leaky["dev"] is leaky["test"]
    assert sorted(np.concatenate([leaky["train"], leaky["test"]]).tolist()) == list(range(10))


def test_describe_splits_counts_test_works_the_leaky_split_trains_on():
    pieces = np.array(["a/1", "a/1", "a/2", "a/2"])
    by_work = {"train": np.array([0, 1]), "dev": np.array([], int), "test": np.array([2, 3])}
    leaky = {"train": np.array([0, 2]), "dev": np.array([], int), "test": np.array([1, 3])}
    text = describe_splits(pieces, by_work, leaky)
    assert "2 of 2 test works also in train" in text
    assert "0 of 1 test works" in describe_splits(pieces, by_work, by_work)


def test_row_finder_from_composes_the_two_functions():
    calls = []

    def profile(page):
        calls.append("profile")
        return page.max(axis=1)

    def finder(values):
        calls.append("finder")
        return [(0, len(values))], []

    assert row_finder_from(profile, finder)(np.ones((5, 3))) == ([(0, 5)], [])
    assert calls == ["profile", "finder"]


def test_piece_labels_and_the_composer_table():
    rows = _rows(["a/1", "a/1", "b/1", "b/2"], [0, 0, 1, 1])
    assert piece_labels(rows, ["b/2", "a/1"]).tolist() == [1, 0]
    table = composer_table(rows, np.array([0, 1, 1, 1]), np.array([1.0, 2 / 3]), np.array([0.5, 1]))
    assert table.splitlines()[0] == "row accuracy 75.0%"
    assert "0.67" in table


def test_abstention_report_chooses_the_threshold_on_dev_and_reports_test():
    dev = (np.array([0.95, 0.9, 0.6, 0.55]), np.array([True, True, False, True]))
    test = (np.array([0.99, 0.5]), np.array([False, True]))
    report = abstention_report(dev, test, target_accuracy=0.9)
    assert report.startswith("threshold chosen on 4 dev rows: 0.900 (keeps 50% of dev rows")
    assert "on the test rows it keeps 50%, 0.0% right" in report


@pytest.mark.parametrize("quick", [True, False])
def test_budgets_follow_the_run_mode(monkeypatch, quick):
    from dlmusic.composer.training import budgets

    monkeypatch.setenv("DLMUSIC_MODE", "quick" if quick else "full")
    epochs = {name: budget.epochs for name, budget in budgets().items()}
    assert epochs == (
        {"resnet50": 1, "small_cnn": 2} if quick else {"resnet50": 30, "small_cnn": 40}
    )
