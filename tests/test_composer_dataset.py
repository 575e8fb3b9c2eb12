"""Honest splits keep every piece on one side; confidence, votes and abstaining."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from dlmusic.composer.confidence import (
    accuracy_when_abstaining,
    choose_threshold,
    expected_calibration_error,
    reliability_curve,
)
from dlmusic.composer.dataset import load_rows, split_rows_at_random
from dlmusic.datasets.sheet_folder import load_score_folder
from dlmusic.errors import DatasetError
from dlmusic_instructor.references.composer import (
    piece_folds,
    piece_vote,
    precision_recall,
    rows_from_page,
    split_by_piece,
)


def rows_of(n_composers: int, pieces_each: int, rows_each: int = 3):
    pieces, labels = [], []
    for composer in range(n_composers):
        for piece in range(pieces_each):
            pieces += [f"c{composer}/p{piece}"] * rows_each
            labels += [composer] * rows_each
    return np.array(pieces), np.array(labels)


def test_piece_split_never_puts_one_piece_in_two_splits():
    pieces, labels = rows_of(6, 8)
    splits = split_by_piece(pieces, labels, seed=3)
    sets = {name: set(pieces[index]) for name, index in splits.items()}
    assert not sets["train"] & sets["dev"] and not sets["train"] & sets["test"]
    assert not sets["dev"] & sets["test"]
    assert sum(len(index) for index in splits.values()) == len(pieces)
    for composer in range(6):  # 8 pieces: 2 test, 1 dev, 5 train for every composer
        own = labels == composer
        assert [
            len(set(pieces[np.intersect1d(splits[s], np.flatnonzero(own))]))
            for s in ("train", "dev", "test")
        ] == [5, 1, 2]


def test_piece_split_with_two_pieces_per_composer_has_no_dev_pieces():
    pieces, labels = rows_of(3, 2)
    splits = split_by_piece(pieces, labels)
    assert len(splits["dev"]) == 0 and len(splits["train"]) == len(splits["test"]) == 9


def test_piece_split_needs_two_pieces_per_composer():
    pieces, labels = rows_of(2, 1)
    with pytest.raises(DatasetError, match="2\\+"):
        split_by_piece(pieces, labels)


def test_random_row_split_has_the_requested_sizes_and_mixes_pieces():
    pieces, _ = rows_of(6, 8)
    splits = split_rows_at_random({"train": 80, "dev": 20, "test": 40}, len(pieces), seed=0)
    assert [len(index) for index in splits.values()] == [80, 20, 40]
    shared = set(pieces[splits["train"]]) & set(pieces[splits["test"]])
    assert shared, "a random row split puts rows of one piece on both sides"
    with pytest.raises(DatasetError):
        split_rows_at_random({"train": 1000}, 10)


def test_load_rows_reads_a_folder_of_pages(tmp_path):
    page = np.full((1754, 1240), 255, np.uint8)
    for top in (100, 600):
        page[top : top + 121 : 10, 100:1140] = 0
        page[top : top + 121, 96:99] = 0
    for composer in ("a", "b"):
        folder = tmp_path / composer / "piece1"
        folder.mkdir(parents=True)
        Image.fromarray(page).save(folder / "page-01.png")
    rows = load_rows(load_score_folder(tmp_path), rows_from_page, shape=(70, 400))
    assert rows.images.shape == (4, 70, 400, 1)
    assert rows.labels.tolist() == [0, 0, 1, 1] and rows.composers == ("a", "b")
    assert rows.pieces.tolist() == ["a/piece1"] * 2 + ["b/piece1"] * 2
    assert len(rows.subset([1, 2])) == 2


def test_blank_pages_give_a_clear_error(tmp_path):
    (tmp_path / "a").mkdir()
    Image.fromarray(np.full((100, 1240), 255, np.uint8)).save(tmp_path / "a" / "blank.png")
    with pytest.raises(DatasetError, match="no rows"):
        load_rows(load_score_folder(tmp_path), rows_from_page)


def test_piece_vote_averages_row_probabilities():
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.3, 0.7], [0.6, 0.4]])
    names, predicted, confidence = piece_vote(probabilities, ["x", "x", "y", "x"])
    assert names.tolist() == ["x", "y"]
    assert predicted.tolist() == [0, 1]  # x: mean (0.567, 0.433); one wrong row is outvoted
    assert np.allclose(confidence, [1.7 / 3, 0.7])


def test_a_calibrated_model_has_accuracy_equal_to_confidence():
    rng = np.random.default_rng(0)
    confidence = rng.uniform(0, 1, 20000)
    correct = rng.uniform(0, 1, 20000) < confidence
    mean_confidence, accuracy, counts = reliability_curve(confidence, correct)
    assert counts.sum() == 20000
    assert np.allclose(mean_confidence, accuracy, atol=0.03)
    assert expected_calibration_error(confidence, correct) < 0.02
    assert expected_calibration_error(np.ones(100), np.zeros(100, bool)) == 1.0


def test_abstaining_trades_coverage_for_accuracy():
    confidence = np.array([0.9, 0.8, 0.4, 0.3])
    correct = np.array([True, True, False, True])
    accuracy, coverage = accuracy_when_abstaining(confidence, correct, [0.0, 0.5, 0.95])
    assert np.allclose(accuracy[:2], [0.75, 1.0]) and np.isnan(accuracy[2])
    assert coverage.tolist() == [1.0, 0.5, 0.0]


def test_the_threshold_is_the_lowest_that_reaches_the_target_on_the_rows_given():
    confidence = np.array([0.95, 0.9, 0.8, 0.6, 0.5, 0.3])
    correct = np.array([True, True, False, True, False, False])
    threshold, accuracy, coverage = choose_threshold(confidence, correct, 0.75)
    assert (threshold, accuracy, coverage) == (0.6, 0.75, 4 / 6)
    assert choose_threshold(confidence, correct, 1.0)[0] == 0.9
    threshold, accuracy, coverage = choose_threshold(confidence, np.zeros(6, bool), 0.5)
    assert threshold > 1 and np.isnan(accuracy) and coverage == 0
    with pytest.raises(ValueError, match="target"):
        choose_threshold(confidence, correct, 0)


def test_load_rows_slices_with_the_row_finder_it_is_given(tmp_path):
    (tmp_path / "a" / "piece1").mkdir(parents=True)
    page = np.full((400, 1240), 255, np.uint8)
    Image.fromarray(page).save(tmp_path / "a" / "piece1" / "page-01.png")
    seen = []

    def finder(gray):
        seen.append(gray.shape)
        return [(10, 60), (100, 180)], [(200, 390)]

    rows = load_rows(load_score_folder(tmp_path), finder, shape=(70, 400))
    assert seen == [(400, 1240)] and len(rows) == 2
    assert rows.flagged == ["a/piece1 page 1: rows 200-390"]


def test_reference_precision_recall_matches_scikit_learn():
    from sklearn.metrics import precision_recall_fscore_support

    rng = np.random.default_rng(23)
    for _ in range(20):
        y_true, y_pred = rng.integers(0, 6, 50), rng.integers(0, 6, 50)
        expected = precision_recall_fscore_support(
            y_true, y_pred, labels=np.arange(7), zero_division=0
        )
        precision, recall = precision_recall(y_true, y_pred, 7)
        assert np.allclose(precision, expected[0]) and np.allclose(recall, expected[1])


def test_folds_by_piece_test_every_piece_once_and_never_split_one():
    pieces = np.repeat([f"c{c}/p{p}" for c in range(2) for p in range(3 + 2 * c)], 3)
    labels = np.array([int(name[1]) for name in pieces])
    folds = piece_folds(pieces, labels, 3, seed=4)
    assert np.array_equal(np.sort(np.concatenate(folds)), np.arange(len(pieces)))
    tested = [set(pieces[fold]) for fold in folds]
    assert all(not (a & b) for i, a in enumerate(tested) for b in tested[i + 1 :])
    for fold in tested:  # composer 0 has 3 pieces: one per fold; composer 1 has 5: 1 or 2
        assert sum(name.startswith("c0") for name in fold) == 1
        assert 1 <= sum(name.startswith("c1") for name in fold) <= 2
    with pytest.raises(DatasetError, match="4 folds"):
        piece_folds(pieces, labels, 4)
