"""The composer's hidden checks: the solution earns every point, the release none, cheats none.

The notebook tests run the solution and the release through
:func:`dlmusic_instructor.executor.grade_locally` (a kernel each, unsandboxed,
grading mode, held-out pages engraved once for the module). The unit tests run
one check's probe in this process against the solution's functions (the
notebook's solution cells, executed here) or a cheat's, with the same probe
runtime the grader copies into the student's kernel, then judge it as the
grader does.
"""

from __future__ import annotations

import random
from pathlib import Path

import nbformat
import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dlmusic.callbacks import training_callbacks  # noqa: E402
from dlmusic.composer.model import weights_file  # noqa: E402
from dlmusic.composer.rows import ROW_SHAPE  # noqa: E402
from dlmusic.datasets.synthetic_scores import COMPOSERS  # noqa: E402
from dlmusic_instructor import COURSE_ROOT  # noqa: E402
from dlmusic_instructor.assignments import composer  # noqa: E402
from dlmusic_instructor.checks import (  # noqa: E402
    Check,
    Context,
    ProbeRun,
    ProbeStatus,
    Verdict,
    judge,
)
from dlmusic_instructor.executor import grade_locally, judge_in_process, local_context  # noqa: E402
from dlmusic_instructor.references.composer import build_resnet50, rows_from_page  # noqa: E402

SOLUTION = COURSE_ROOT / "solutions" / "composer" / "composer.ipynb"
RELEASE = COURSE_ROOT / "assignments" / "composer" / "composer.ipynb"
CHECKS = {check.grade_id: check for check in composer.CHECKS}
MODEL_CHECKS = ("score-resnet50-rows", "score-resnet50-pieces")
HELDOUT_SEED = 11
"""The seed of ``composer_heldout_dir`` (conftest): its pages are engraved once for every file."""


def run_check(check: Check, namespace: dict, tmp_path: Path) -> Verdict:
    """Probe ``namespace`` (the stand-in for a notebook's globals) and judge, as the grader does."""
    context = local_context(
        "composer", submission=tmp_path, heldout=tmp_path, seed=31, student="ada"
    )
    return judge_in_process(check, namespace, context, tmp_path)


def solution_namespace() -> dict:
    """The solution notebook's answer cells, executed here (with the names they use)."""
    namespace = {
        "np": np,
        "keras": keras,
        "Path": Path,
        "ROW_SHAPE": ROW_SHAPE,
        "training_callbacks": training_callbacks,
    }
    for cell in nbformat.read(SOLUTION, as_version=4).cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"):
            exec(cell.source, namespace)
    return namespace


# --------------------------------------------------------------- whole notebooks


@pytest.fixture
def grading_env(monkeypatch, tmp_path, quick_data_dir):
    monkeypatch.setenv("DLMUSIC_MODE", "quick")
    monkeypatch.setenv("DLMUSIC_DATA", str(quick_data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    (tmp_path / "submission").mkdir()
    return tmp_path


def test_the_solution_earns_every_point_but_the_untrained_networks(
    grading_env, composer_heldout_dir
):
    """Untrained weights are handed in: every function check is full marks, and the two
    held-out scores are measured (an untrained ResNet50 is far from the target)."""
    submission = grading_env / "submission"
    build_resnet50(len(COMPOSERS)).save_weights(weights_file("resnet50", submission))
    from dlmusic.composer.model import build_small_cnn

    build_small_cnn(len(COMPOSERS)).save_weights(weights_file("small_cnn", submission))
    verdicts = grade_locally(
        SOLUTION,
        "composer",
        submission=submission,
        heldout=composer_heldout_dir,
        seed=HELDOUT_SEED,
        cell_timeout_s=300,
    )
    assert [verdict.grade_id for verdict in verdicts] == list(CHECKS)
    for verdict in verdicts:
        if verdict.grade_id in MODEL_CHECKS:
            assert not verdict.full_marks and "held-out" in verdict.reason, verdict
        else:
            assert verdict.full_marks, verdict


def test_the_release_earns_nothing_and_says_why(grading_env, composer_heldout_dir):
    verdicts = grade_locally(
        RELEASE,
        "composer",
        submission=grading_env / "submission",
        heldout=composer_heldout_dir,
        seed=HELDOUT_SEED,
        cell_timeout_s=300,
    )
    assert [verdict.grade_id for verdict in verdicts] == list(CHECKS)
    for verdict in verdicts:
        assert verdict.fraction == 0.0, verdict
        assert verdict.reason, verdict


# --------------------------------------------------------------- the solution's functions


@pytest.mark.parametrize(
    "grade_id",
    [
        "test-range-profile",
        "test-find-rows",
        "test-build-resnet50",
        "test-compile-and-callbacks",
        "test-precision-recall",
        "test-piece-vote",
    ],
)
def test_the_solution_functions_earn_full_marks(grade_id, tmp_path):
    verdict = run_check(CHECKS[grade_id], solution_namespace(), tmp_path)
    assert verdict.full_marks, verdict


# --------------------------------------------------------------- part 1


def test_a_row_finder_with_inclusive_bottoms_scores_zero(tmp_path):
    namespace = solution_namespace()
    right = namespace["find_rows"]

    def inclusive(profile, threshold=0.5, min_height=40, max_height=1400):
        rows, too_tall = right(profile, threshold, min_height, max_height)
        return [(top, bottom - 1) for top, bottom in rows], too_tall

    namespace["find_rows"] = inclusive
    verdict = run_check(CHECKS["test-find-rows"], namespace, tmp_path)
    assert verdict.fraction == 0.0 and "rows differ" in verdict.reason


def test_row_finder_score_counts_rows_found_as_the_reference_finds_them(tmp_path):
    page = np.full((600, 1240), 255, np.uint8)
    for top in (50, 250, 450):
        page[top : top + 61 : 10, 100:1140] = 0
        page[top : top + 61, 96:99] = 0
    reference = rows_from_page(page.astype(np.float32) / 255).rows
    assert len(reference) == 3
    inputs = {"page_00": page}
    check = CHECKS["score-row-finder"]
    for found, fraction in ((reference, 1.0), (reference[:2], (2 / 3 - 0.5) / 0.49), ([], 0.0)):
        run = ProbeRun(inputs, {"page_00": np.array(found).reshape(-1, 2)}, tmp_path, None)
        verdict = judge(check, run, ProbeStatus(ran=True))
        assert verdict.fraction == pytest.approx(fraction), verdict


# --------------------------------------------------------------- part 2


def test_the_solution_split_earns_full_marks(tmp_path):
    verdict = run_check(CHECKS["test-split-by-piece"], solution_namespace(), tmp_path)
    assert verdict.full_marks, verdict


def test_a_split_with_another_random_number_convention_earns_full_marks(tmp_path):
    """Properties are judged, not numpy's permutation: Python's shuffle is as honest."""

    def split_by_piece(pieces, labels, test_fraction=0.25, dev_fraction=0.125, seed=0):
        pieces, labels = np.asarray(pieces), np.asarray(labels)
        shuffle = random.Random(seed).shuffle
        side = {}
        for label in np.unique(labels):
            own = sorted(set(pieces[labels == label].tolist()))
            shuffle(own)
            n_test = max(1, round(test_fraction * len(own)))
            n_dev = min(max(1, round(dev_fraction * len(own))), len(own) - n_test - 1)
            for index, piece in enumerate(own):
                side[piece] = "test" if index < n_test else "dev" if index < n_test + n_dev else ""
        assigned = np.array([side[piece] or "train" for piece in pieces.tolist()])
        return {name: np.flatnonzero(assigned == name) for name in ("train", "dev", "test")}

    verdict = run_check(CHECKS["test-split-by-piece"], {"split_by_piece": split_by_piece}, tmp_path)
    assert verdict.full_marks, verdict


def test_a_split_that_leaks_a_piece_scores_zero(tmp_path):
    right = solution_namespace()["split_by_piece"]

    def leaky(pieces, labels, test_fraction=0.25, dev_fraction=0.125, seed=0):
        splits = right(pieces, labels, test_fraction, dev_fraction, seed)
        pieces, test = np.asarray(pieces), splits["test"]
        shared = [row for row in test if np.sum(pieces[test] == pieces[row]) > 1]
        moved = shared[:1]  # one row of a test piece with several rows goes to train
        return {
            "train": np.sort(np.concatenate([splits["train"], moved]).astype(int)),
            "dev": splits["dev"],
            "test": np.setdiff1d(test, moved),
        }

    verdict = run_check(CHECKS["test-split-by-piece"], {"split_by_piece": leaky}, tmp_path)
    assert verdict.fraction == 0.0 and "both train and test" in verdict.reason


def test_a_split_of_rows_at_random_scores_zero(tmp_path):
    def by_row(pieces, labels, test_fraction=0.25, dev_fraction=0.125, seed=0):
        order = np.random.default_rng(seed).permutation(len(pieces))
        n_test, n_dev = round(test_fraction * len(order)), round(dev_fraction * len(order))
        return {
            "test": np.sort(order[:n_test]),
            "dev": np.sort(order[n_test : n_test + n_dev]),
            "train": np.sort(order[n_test + n_dev :]),
        }

    verdict = run_check(CHECKS["test-split-by-piece"], {"split_by_piece": by_row}, tmp_path)
    assert verdict.fraction == 0.0, verdict


def test_a_split_that_ignores_its_seed_scores_zero(tmp_path):
    right = solution_namespace()["split_by_piece"]

    def fixed(pieces, labels, test_fraction=0.25, dev_fraction=0.125, seed=0):
        return right(pieces, labels, test_fraction, dev_fraction, 0)

    verdict = run_check(CHECKS["test-split-by-piece"], {"split_by_piece": fixed}, tmp_path)
    assert verdict.fraction == 0.0 and "seed" in verdict.reason


# --------------------------------------------------------------- part 3


def test_a_resnet50_for_colour_images_scores_zero(tmp_path):
    def build_resnet50(n_classes):
        return keras.applications.ResNet50(
            weights=None, input_shape=(70, 400, 3), classes=n_classes, name="resnet50"
        )

    verdict = run_check(CHECKS["test-build-resnet50"], {"build_resnet50": build_resnet50}, tmp_path)
    assert verdict.fraction == 0.0 and "input_shape" in verdict.reason


def test_a_checkpoint_that_keeps_the_lowest_accuracy_scores_zero(tmp_path):
    namespace = solution_namespace()

    def make_callbacks(out_dir, name):
        Path(out_dir).mkdir(parents=True, exist_ok=True)
        return [
            keras.callbacks.TerminateOnNaN(),
            keras.callbacks.ModelCheckpoint(
                Path(out_dir) / f"{name}.weights.h5",
                monitor="val_accuracy",
                mode="min",
                save_best_only=True,
                save_weights_only=True,
            ),
            keras.callbacks.CSVLogger(Path(out_dir) / f"{name}.log.csv"),
        ]

    namespace["make_callbacks"] = make_callbacks
    verdict = run_check(CHECKS["test-compile-and-callbacks"], namespace, tmp_path)
    assert verdict.fraction == 0.0 and "checkpoint mode is 'min'" in verdict.reason


def test_the_given_callbacks_left_on_their_loss_default_score_zero(tmp_path):
    from dlmusic.callbacks import training_callbacks

    namespace = solution_namespace()
    namespace["make_callbacks"] = training_callbacks
    verdict = run_check(CHECKS["test-compile-and-callbacks"], namespace, tmp_path)
    assert verdict.fraction == 0.0 and "val_loss" in verdict.reason


def test_a_learning_rate_that_does_not_decay_scores_zero(tmp_path):
    namespace = solution_namespace()

    def compile_classifier(model, learning_rate=0.01, decay_steps=100, decay_rate=0.5):
        model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=learning_rate, momentum=0.9),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        return model

    namespace["compile_classifier"] = compile_classifier
    verdict = run_check(CHECKS["test-compile-and-callbacks"], namespace, tmp_path)
    assert verdict.fraction == 0.0 and "decay" in verdict.reason


# --------------------------------------------------------------- parts 4 and 5


def test_precision_that_is_nan_for_a_class_never_predicted_scores_zero(tmp_path):
    def precision_recall(y_true, y_pred, n_classes):
        classes = np.arange(n_classes)[:, np.newaxis]
        hits = np.sum((y_true == classes) & (y_pred == classes), axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return hits / np.sum(y_pred == classes, axis=1), hits / np.sum(y_true == classes, 1)

    verdict = run_check(
        CHECKS["test-precision-recall"], {"precision_recall": precision_recall}, tmp_path
    )
    assert verdict.fraction == 0.0, verdict


def test_a_hard_majority_vote_scores_zero(tmp_path):
    def piece_vote(probabilities, pieces):
        names = np.unique(pieces)
        votes = [
            np.bincount(probabilities[pieces == name].argmax(axis=1), minlength=6) for name in names
        ]
        predicted = np.array([v.argmax() for v in votes])
        return names, predicted, np.array([v.max() / v.sum() for v in votes])

    verdict = run_check(CHECKS["test-piece-vote"], {"piece_vote": piece_vote}, tmp_path)
    assert verdict.fraction == 0.0, verdict


ROWS = (composer.ROW_ACCURACY_FLOOR, composer.ROW_ACCURACY_TARGET)
PIECES = (composer.PIECE_ACCURACY_FLOOR, composer.PIECE_ACCURACY_TARGET)


@pytest.mark.parametrize(
    ("grade_id", "scores", "fraction"),
    [
        ("score-resnet50-rows", {"row": ROWS[1], "piece": 0.0}, 1.0),
        ("score-resnet50-rows", {"row": sum(ROWS) / 2, "piece": 1.0}, 0.5),
        ("score-resnet50-rows", {"row": ROWS[0], "piece": 1.0}, 0.0),
        ("score-resnet50-pieces", {"row": 1.0, "piece": sum(PIECES) / 2}, 0.5),
        ("score-resnet50-pieces", {"row": 1.0, "piece": PIECES[1]}, 1.0),
        ("score-resnet50-pieces", {"row": 1.0, "piece": PIECES[0]}, 0.0),
    ],
)
def test_held_out_scores_use_fixed_floors_and_targets_in_every_size(
    grade_id, scores, fraction, tmp_path, monkeypatch
):
    seen = []

    def measured(submission, heldout, seed, size):
        seen.append((submission, heldout, seed, size))
        return scores

    monkeypatch.setattr(composer, "submission_accuracy", measured)
    for size in ("quick", "full"):
        context = Context("ada", "composer", tmp_path / "in", tmp_path / "heldout", 7, size)
        verdict = judge(CHECKS[grade_id], ProbeRun({}, {}, tmp_path, context), ProbeStatus())
        assert verdict.fraction == pytest.approx(fraction), verdict
    assert seen == [
        (tmp_path / "in", tmp_path / "heldout", 7, "quick"),
        (tmp_path / "in", tmp_path / "heldout", 7, "full"),
    ]


def test_missing_weights_score_zero_with_a_reason(tmp_path):
    context = Context("ada", "composer", tmp_path, tmp_path, 7, "quick")
    verdict = judge(
        CHECKS["score-resnet50-rows"], ProbeRun({}, {}, tmp_path, context), ProbeStatus()
    )
    assert verdict.fraction == 0.0 and "no saved weights" in verdict.reason
