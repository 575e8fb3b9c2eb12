"""The problem set's hidden checks: the solution earns every point, the release none, cheats none.

The notebook tests run the solution and the release through
:func:`dlmusic_instructor.executor.grade_locally` (a kernel each, unsandboxed).
The unit tests run one check's probe in this process against a small namespace
of stand-in answers, with the same probe runtime the grader copies into the
student's kernel, then judge it as the grader does.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage
import scipy.special

from dlmusic.problem_set.example_piece import piano_and_drums_midi
from dlmusic.problem_set.piano_roll import midi_piano_roll
from dlmusic_instructor import COURSE_ROOT
from dlmusic_instructor.assignments import problem_set
from dlmusic_instructor.checks import Check, Verdict
from dlmusic_instructor.executor import judge_in_process, local_context

SOLUTION = COURSE_ROOT / "solutions" / "problem_set" / "problem_set.ipynb"
RELEASE = COURSE_ROOT / "assignments" / "problem_set" / "problem_set.ipynb"
CHECKS = {check.grade_id: check for check in problem_set.CHECKS}


def run_check(check: Check, namespace: dict, tmp_path: Path) -> Verdict:
    """Probe ``namespace`` (the stand-in for a notebook's globals) and judge, as the grader does."""
    context = local_context(
        "problem_set", submission=tmp_path, heldout=tmp_path, seed=31, student="ada"
    )
    return judge_in_process(check, {"np": np, **namespace}, context, tmp_path)


# --------------------------------------------------------------- whole notebooks


@pytest.fixture
def grading_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DLMUSIC_MODE", "quick")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    (tmp_path / "submission").mkdir()
    return tmp_path


def test_the_solution_earns_every_point(grading_env, grade_by_check):
    verdicts = grade_by_check(SOLUTION, "problem_set", grading_env, cell_timeout_s=120).values()
    assert all(verdict.full_marks for verdict in verdicts), [
        (verdict.grade_id, verdict.reason) for verdict in verdicts if not verdict.full_marks
    ]


def test_the_release_earns_nothing_and_says_why(grading_env, grade_by_check):
    verdicts = grade_by_check(RELEASE, "problem_set", grading_env, cell_timeout_s=120).values()
    for verdict in verdicts:
        assert verdict.fraction == 0.0, verdict
        assert verdict.reason, verdict


# --------------------------------------------------------------- inputs


# --------------------------------------------------------------- 1.2 median filter


def hand_written_median_filter(image, size):
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError("image must be 2-D")
    rows, columns = (size, size) if np.isscalar(size) else size
    if rows < 1 or columns < 1 or rows % 2 == 0 or columns % 2 == 0:
        raise ValueError("window sides must be positive and odd")
    padded = np.pad(image, ((rows // 2,) * 2, (columns // 2,) * 2), mode="symmetric")
    windows = np.lib.stride_tricks.sliding_window_view(padded, (rows, columns))
    return np.median(windows, axis=(-2, -1))


def test_a_hand_written_median_filter_earns_full_marks(tmp_path):
    namespace = {"median_filter": hand_written_median_filter}
    assert run_check(CHECKS["test-median-filter"], namespace, tmp_path).full_marks


def test_a_median_filter_that_calls_scipy_under_an_alias_earns_nothing(tmp_path):
    from scipy.ndimage import median_filter as smooth

    def median_filter(image, size):
        hand_written_median_filter(image, size)  # validates the size like the real one
        rows, columns = (size, size) if np.isscalar(size) else size
        return smooth(np.asarray(image, dtype=float), size=(rows, columns))

    verdict = run_check(CHECKS["test-median-filter"], {"median_filter": median_filter}, tmp_path)
    assert verdict.fraction == 0.0
    assert "scipy.ndimage.median_filter" in verdict.reason


def test_a_median_filter_padding_with_zeros_earns_nothing(tmp_path):
    def median_filter(image, size):
        hand_written_median_filter(image, size)
        rows, columns = (size, size) if np.isscalar(size) else size
        padded = np.pad(np.asarray(image, float), ((rows // 2,) * 2, (columns // 2,) * 2))
        windows = np.lib.stride_tricks.sliding_window_view(padded, (rows, columns))
        return np.median(windows, axis=(-2, -1))

    verdict = run_check(CHECKS["test-median-filter"], {"median_filter": median_filter}, tmp_path)
    assert verdict.fraction == 0.0
    assert "wrong values" in verdict.reason


def test_a_median_filter_accepting_even_windows_earns_nothing(tmp_path):
    def median_filter(image, size):
        rows, columns = (size, size) if np.isscalar(size) else size
        return scipy.ndimage.median_filter(np.asarray(image, float), (rows, columns))

    # scipy itself is forbidden; judged without the tracer, the missing ValueError still fails
    check = Check(
        "test-median-filter",
        problem_set.judge_median_filter,
        problem_set.PROBE_MEDIAN_FILTER,
        make_inputs=problem_set.inputs_median_filter,
    )
    verdict = run_check(check, {"median_filter": median_filter}, tmp_path)
    assert verdict.fraction == 0.0
    assert "must raise ValueError" in verdict.reason


# --------------------------------------------------------------- 1.4 median of three


def relu(x):
    return np.maximum(x, 0.0)


def median_of_three_with_relu(a, b, c):
    def larger(x, y):
        return x + relu(y - x)

    def smaller(x, y):
        return x - relu(x - y)

    return larger(smaller(a, b), smaller(larger(a, b), c))


def max(x, y):  # shadows the builtin, as a student helper named after the prompt may
    return x + relu(y - x)


def min(x, y):
    return x - relu(x - y)


def median_of_three_with_helpers_named_max_and_min(a, b, c):
    return max(min(a, b), min(max(a, b), c))


def median_of_three_with_median(a, b, c):
    return np.median(np.stack([a, b, c]), axis=0)


def median_of_three_with_comparisons(a, b, c):
    low = a * (a < b) + b * (a >= b)
    high = a + b - low
    return c * (c >= low) * (c <= high) + low * (c < low) + high * (c > high)


smallest = np.minimum


def median_of_three_with_a_renamed_minimum(a, b, c):
    lowest = smallest(smallest(a, b), c)
    highest = -smallest(smallest(-a, -b), -c)
    return a + b + c - lowest - highest


def test_median_of_three_from_relus_earns_full_marks(tmp_path):
    namespace = {"relu": relu, "median_of_three": median_of_three_with_relu}
    assert run_check(CHECKS["test-median-of-three"], namespace, tmp_path).full_marks


def test_median_of_three_with_helpers_named_max_and_min_earns_full_marks(tmp_path):
    namespace = {"median_of_three": median_of_three_with_helpers_named_max_and_min}
    assert run_check(CHECKS["test-median-of-three"], namespace, tmp_path).full_marks


def test_median_of_three_calling_numpy_median_earns_nothing(tmp_path):
    namespace = {"relu": relu, "median_of_three": median_of_three_with_median}
    verdict = run_check(CHECKS["test-median-of-three"], namespace, tmp_path)
    assert verdict.fraction == 0.0
    assert "median" in verdict.reason


def test_median_of_three_with_comparisons_earns_nothing(tmp_path):
    namespace = {"relu": relu, "median_of_three": median_of_three_with_comparisons}
    verdict = run_check(CHECKS["test-median-of-three"], namespace, tmp_path)
    assert verdict.fraction == 0.0
    assert "'<' not supported" in verdict.reason


def test_median_of_three_with_a_renamed_minimum_earns_nothing(tmp_path):
    assert np.allclose(
        median_of_three_with_a_renamed_minimum(np.array([1.0]), np.array([5.0]), np.array([3.0])),
        3.0,
    )
    namespace = {"relu": relu, "median_of_three": median_of_three_with_a_renamed_minimum}
    verdict = run_check(CHECKS["test-median-of-three"], namespace, tmp_path)
    assert verdict.fraction == 0.0
    assert "minimum" in verdict.reason


# --------------------------------------------------------------- 1.5 hpss


def test_hpss_from_librosa_earns_nothing(tmp_path):
    import librosa

    def harmonic_percussive(S, kernel_size=17):
        return librosa.decompose.hpss(np.asarray(S, dtype=float), kernel_size=kernel_size)

    verdict = run_check(CHECKS["test-hpss"], {"harmonic_percussive": harmonic_percussive}, tmp_path)
    assert verdict.fraction == 0.0
    assert "librosa.decompose.hpss" in verdict.reason


def test_hpss_with_hard_masks_earns_nothing(tmp_path):
    def harmonic_percussive(S, kernel_size=17):
        along_time = hand_written_median_filter(S, (1, kernel_size))
        along_frequency = hand_written_median_filter(S, (kernel_size, 1))
        harmonic_mask = (along_time >= along_frequency).astype(float)
        return harmonic_mask * S, (1 - harmonic_mask) * S

    verdict = run_check(CHECKS["test-hpss"], {"harmonic_percussive": harmonic_percussive}, tmp_path)
    assert verdict.fraction == 0.0
    assert "soft-mask" in verdict.reason


# --------------------------------------------------------------- 2.1 - 2.5


def mean_weighted_bce(y, p, w, clip=1e-7):
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), clip, 1 - clip)
    c = np.where(y > 0, w, 1 - w)
    return float(-2 * np.mean(c * (y * np.log(p) + (1 - y) * np.log(1 - p))))


def bce_namespace(loss):
    y_given = np.array([1, 0, 0, 0, 0, 0, 0, 0])
    p_given = np.array([0.6, 0.1, 0.2, 0.1, 0.05, 0.3, 0.1, 0.1])
    return {
        "mean_weighted_bce": loss,
        "loss_plain": loss(y_given, p_given, 0.5),
        "loss_weighted": loss(y_given, p_given, 0.9),
    }


def test_mean_weighted_bce_full_marks_and_half_for_a_different_clip(tmp_path):
    check = CHECKS["test-weighted-bce"]
    assert run_check(check, bce_namespace(mean_weighted_bce), tmp_path / "right").full_marks
    verdict = run_check(
        check,
        bce_namespace(lambda y, p, w: mean_weighted_bce(y, p, w, clip=1e-15)),
        tmp_path / "clip",
    )
    assert verdict.fraction == 0.5
    assert "clip" in verdict.reason


def test_mean_weighted_bce_without_the_factor_two_earns_nothing(tmp_path):
    verdict = run_check(
        CHECKS["test-weighted-bce"],
        bce_namespace(lambda y, p, w: mean_weighted_bce(y, p, w) / 2),
        tmp_path,
    )
    assert verdict.fraction == 0.0


def test_a_gradient_dividing_by_the_rows_only_earns_nothing(tmp_path):
    def weighted_bce_gradient(y, z, w):
        y = np.asarray(y, dtype=float)
        return 2 / len(y) * np.where(y > 0, w, 1 - w) * (scipy.special.expit(z) - y)

    verdict = run_check(
        CHECKS["test-bce-gradient"], {"weighted_bce_gradient": weighted_bce_gradient}, tmp_path
    )
    assert verdict.fraction == 0.0
    assert "numerical derivative" in verdict.reason


def test_an_f_measure_that_ignores_the_weight_earns_nothing(tmp_path):
    def f_measure_for_weight(labels, posterior, w):
        predicted, labels = np.asarray(posterior) >= 0.5, np.asarray(labels) > 0
        hits = np.sum(predicted & labels)
        return 0.0 if hits == 0 else float(2 * hits / (predicted.sum() + labels.sum()))

    verdict = run_check(
        CHECKS["test-f-for-weight"], {"f_measure_for_weight": f_measure_for_weight}, tmp_path
    )
    assert verdict.fraction == 0.0


def test_onset_rate_right_and_wrong(tmp_path):
    onsets = midi_piano_roll(piano_and_drums_midi(), 517).onset
    check = CHECKS["test-onset-rate"]
    assert run_check(check, {"onset_rate": float(onsets.mean())}, tmp_path / "right").full_marks
    notes = sum(len(instrument.notes) for instrument in piano_and_drums_midi().instruments)
    wrong = run_check(check, {"onset_rate": notes / onsets.size}, tmp_path / "drums counted")
    assert wrong.fraction == 0.0


def test_best_constants_right_and_swapped(tmp_path):
    p = float(midi_piano_roll(piano_and_drums_midi(), 517).onset.mean())

    def best(w):
        return w * p / (w * p + (1 - w) * (1 - p))

    right = {
        "best_constant_plain": best(0.5),
        "best_constant_095": best(0.95),
        "best_constant_equal_vote": best(1 - p),
    }
    check = CHECKS["test-best-constants"]
    assert run_check(check, right, tmp_path / "right").full_marks
    swapped = right | {"best_constant_095": best(0.05)}
    assert run_check(check, swapped, tmp_path / "swapped").fraction == 0.0


def test_by_hand_answers_with_one_wrong_entry_earn_nothing(tmp_path):
    median = scipy.ndimage.median_filter(problem_set.IMAGE, size=3)[1:-1, 1:-1]
    box = scipy.ndimage.uniform_filter(problem_set.IMAGE.astype(float), size=3)[1:-1, 1:-1]
    namespace = {"median_by_hand": median, "box_by_hand": np.round(box, 3)}
    assert run_check(CHECKS["test-median-by-hand"], namespace, tmp_path / "m").full_marks
    assert run_check(CHECKS["test-box-by-hand"], namespace, tmp_path / "b").full_marks
    median_wrong = median.copy()
    median_wrong[2, 0] = 2
    verdict = run_check(
        CHECKS["test-median-by-hand"], {"median_by_hand": median_wrong}, tmp_path / "w"
    )
    assert verdict.fraction == 0.0
    assert "1 of the 16" in verdict.reason


def test_linear_looking_patches_are_no_counterexample(tmp_path):
    check = CHECKS["test-not-linear"]
    same = {"patch_a": np.eye(3), "patch_b": 2 * np.eye(3)}
    assert run_check(check, same, tmp_path / "same").fraction == 0.0
    rows = {
        "patch_a": np.array([[0, 0, 0], [0, 0, 0], [1, 1, 1]]),
        "patch_b": np.array([[1, 1, 1], [0, 0, 0], [0, 0, 0]]),
    }
    assert run_check(check, rows, tmp_path / "rows").full_marks


def test_best_f_weight_must_be_the_best_of_the_grid(tmp_path):
    check = CHECKS["test-best-f-weight"]
    assert run_check(check, {"best_f_weight": 0.5}, tmp_path / "plain").fraction == 0.0
    assert run_check(check, {"best_f_weight": 0.505}, tmp_path / "off").fraction == 0.0
