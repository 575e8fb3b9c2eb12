"""The vocals hidden checks: the solution earns every point, the release none, cheats none.

The notebook tests run the solution and the release through
:func:`dlmusic_instructor.executor.grade_locally` (a kernel each, unsandboxed,
grading mode: the notebook loads the weights handed in instead of training).
The unit tests run one check's probe in this process against a small namespace
of stand-in answers, with the same probe runtime the grader copies into the
student's kernel, then judge it as the grader does.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import keras
import librosa
import numpy as np
import pytest
from keras import layers

from dlmusic.vocals.baselines import high_pass_mask
from dlmusic.vocals.data import FRAME_PROBLEMS
from dlmusic.vocals.model import LogMagnitude, weights_file
from dlmusic.vocals.stft import HOP_SAMPLES, N_BINS, N_FFT
from dlmusic_instructor import COURSE_ROOT
from dlmusic_instructor.assignments import vocals
from dlmusic_instructor.checks import Check, Verdict
from dlmusic_instructor.executor import judge_in_process, local_context
from dlmusic_instructor.heldout.vocals import heldout_tracks
from dlmusic_instructor.references import vocals as reference

BENCHMARK = COURSE_ROOT / "benchmarks" / "results" / "vocals.json"
SOLUTION = COURSE_ROOT / "solutions" / "vocals" / "vocals.ipynb"
RELEASE = COURSE_ROOT / "assignments" / "vocals" / "vocals.ipynb"
CHECKS = {check.grade_id: check for check in vocals.CHECKS}
SCORES = ("score-ratio-mask-network", "score-binary-mask-network")
ANSWERS = {
    name: getattr(reference, name)
    for name in (
        "stft",
        "spectrogram",
        "ideal_binary_mask",
        "ideal_ratio_mask",
        "masked_estimate",
        "malformed_frames",
        "separate_track",
        "build_model",
        "overfit_one_batch",
    )
}
"""Stand-ins for a right notebook's functions: the references under the students' names."""


def run_check(
    check: Check, namespace: dict, tmp_path: Path, heldout: Path | None = None
) -> Verdict:
    """Probe ``namespace`` (the stand-in for a notebook's globals) and judge, as the grader does.

    ``heldout`` is where the held-out songs are rendered (default: under ``tmp_path``).
    """
    context = local_context(
        "vocals",
        submission=tmp_path / "submission",
        heldout=heldout or tmp_path / "heldout",
        seed=31,
        student="ada",
    )
    return judge_in_process(check, {"np": np, **namespace}, context, tmp_path)


def with_answer(**replaced) -> dict:
    return {**ANSWERS, **replaced}


# --------------------------------------------------------------- whole notebooks


@pytest.fixture
def handed_in(monkeypatch, tmp_path, quick_data_dir):
    """A submission folder holding both weights files (an untrained reference network's)."""
    monkeypatch.setenv("DLMUSIC_MODE", "quick")
    monkeypatch.setenv("DLMUSIC_DATA", str(quick_data_dir))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    submission = tmp_path / "submission"
    submission.mkdir()
    keras.utils.set_random_seed(0)
    network = reference.build_model()
    for target in ("ratio", "binary"):
        network.save_weights(weights_file(target, submission))
    return tmp_path


def test_the_solution_earns_every_point_but_untrained_networks_none(handed_in, grade_by_check):
    verdicts = grade_by_check(SOLUTION, "vocals", handed_in, cell_timeout_s=300)
    wrong = [(v.grade_id, v.reason) for v in verdicts.values() if v.grade_id not in SCORES]
    assert all(verdicts[grade_id].full_marks for grade_id, _ in wrong), wrong
    for grade_id in SCORES:  # an untrained network separates nothing: no relaxation
        assert verdicts[grade_id].fraction == 0.0, verdicts[grade_id]
        assert "held-out vocal SDR improvement" in verdicts[grade_id].reason


def test_the_release_earns_nothing_and_says_why(handed_in, grade_by_check):
    for verdict in grade_by_check(RELEASE, "vocals", handed_in, cell_timeout_s=300).values():
        assert verdict.fraction == 0.0, verdict
        assert verdict.reason, verdict


# --------------------------------------------------------------- the right answers


@pytest.mark.parametrize("grade_id", [g for g in CHECKS if g not in SCORES])
def test_the_references_earn_full_marks(grade_id, tmp_path):
    verdict = run_check(CHECKS[grade_id], ANSWERS, tmp_path)
    assert verdict.full_marks, verdict


def test_a_float64_spectrogram_earns_half(tmp_path):
    def spectrogram(audio):
        return np.abs(reference.stft(audio)).astype(np.float64)

    verdict = run_check(CHECKS["test-spectrogram"], with_answer(spectrogram=spectrogram), tmp_path)
    assert verdict.fraction == 0.5 and "float32" in verdict.reason, verdict


def test_a_rectangular_window_earns_nothing(tmp_path):
    def stft(audio):
        return librosa.stft(audio, n_fft=N_FFT, hop_length=HOP_SAMPLES, window="boxcar")

    def spectrogram(audio):
        return np.abs(stft(audio)).astype(np.float32)

    namespace = with_answer(stft=stft, spectrogram=spectrogram)
    verdict = run_check(CHECKS["test-spectrogram"], namespace, tmp_path)
    assert verdict.fraction == 0.0 and "window" in verdict.reason, verdict


def test_a_ratio_mask_that_divides_by_zero_loses_the_silent_cases(tmp_path):
    def ideal_ratio_mask(vocals, accompaniment, power=1.0):
        vocal_part = np.abs(vocals) ** power
        return np.nan_to_num(vocal_part / (vocal_part + np.abs(accompaniment) ** power)).astype(
            np.float32
        )

    namespace = with_answer(ideal_ratio_mask=ideal_ratio_mask)
    verdict = run_check(CHECKS["test-ideal-ratio-mask"], namespace, tmp_path)
    assert verdict.fraction == pytest.approx(0.6), verdict
    assert "warning" in verdict.reason


# --------------------------------------------------------------- cheats


def test_softmask_under_another_name_scores_zero(tmp_path):
    from librosa.util import softmask as share

    def ideal_binary_mask(vocals, accompaniment, threshold_db=0.0):
        reference_level = np.abs(accompaniment) * 10.0 ** (threshold_db / 20.0)
        return share(np.abs(vocals), reference_level, power=np.inf).astype(np.float32)

    namespace = with_answer(ideal_binary_mask=ideal_binary_mask)
    verdict = run_check(CHECKS["test-ideal-binary-mask"], namespace, tmp_path)
    assert verdict.fraction == 0.0
    assert "librosa.util.softmask" in verdict.reason


def test_answers_fitted_to_the_visible_tests_score_nothing(tmp_path):
    def malformed_frames(mixture_stft, vocals_stft, accompaniment_stft):
        # The visible test's answer, whatever the input.
        flags = {problem: np.zeros(mixture_stft.shape[1], bool) for problem in FRAME_PROBLEMS}
        if mixture_stft.shape[1] == 12:
            flags["non_finite"][[1, 7]] = True
            flags["silent"][3] = True
            flags["stems_do_not_sum"][5] = True
        return flags

    def separate_track(model, mixture):
        # A mask of ones passes the visible test's identity network without calling the model.
        frames = 1 + mixture.size // HOP_SAMPLES
        return {
            "vocals": mixture.copy(),
            "accompaniment": np.zeros_like(mixture),
            "mask": np.ones((N_BINS, frames), np.float32),
        }

    namespace = with_answer(malformed_frames=malformed_frames, separate_track=separate_track)
    frames = run_check(CHECKS["test-malformed-frames"], namespace, tmp_path / "frames")
    assert frames.fraction < 0.5 and "wrong frames" in frames.reason, frames
    separated = run_check(CHECKS["test-separate-track"], namespace, tmp_path / "separate")
    assert separated.fraction == 0.0 and "mask differs" in separated.reason, separated


def test_a_network_with_the_right_size_but_other_activations_scores_zero(tmp_path):
    def build_model():
        magnitude = keras.Input(shape=(None, N_BINS), name="mixture_magnitude")
        features = LogMagnitude(name="log_magnitude")(magnitude)
        features = layers.BatchNormalization(name="input_norm")(features)
        features = layers.Dense(96, activation="relu", name="frame_encoder")(features)
        features = layers.Bidirectional(layers.LSTM(96, return_sequences=True), name="context")(
            features
        )
        mask = layers.Dense(N_BINS, activation="sigmoid", name="mask")(features)
        return keras.Model(magnitude, mask)

    verdict = run_check(CHECKS["test-build-model"], with_answer(build_model=build_model), tmp_path)
    assert verdict.fraction == 0.0 and "different masks" in verdict.reason, verdict


def test_missing_or_linked_weights_score_zero(tmp_path):
    (tmp_path / "submission").mkdir()
    verdict = run_check(CHECKS["score-ratio-mask-network"], {}, tmp_path)
    assert verdict.fraction == 0.0 and "no saved weights" in verdict.reason, verdict
    weights_file("binary", tmp_path / "submission").symlink_to("/etc/passwd")
    verdict = run_check(CHECKS["score-binary-mask-network"], {}, tmp_path)
    assert verdict.fraction == 0.0 and "not a regular file" in verdict.reason, verdict


# --------------------------------------------------------------- held-out songs


def test_heldout_songs_come_from_the_seed(tmp_path):
    first = heldout_tracks(tmp_path, 11, "quick")
    again = heldout_tracks(tmp_path, 11, "quick")
    other = heldout_tracks(tmp_path, 12, "quick")
    assert len(first) == 2 and first[0].duration_s == pytest.approx(8.0)
    assert np.array_equal(first[0].mixture, again[0].mixture)
    assert not np.array_equal(first[0].mixture, other[0].mixture)


# --------------------------------------------------------------- exercise 5b


def test_overfitting_too_long_scores_zero(tmp_path):
    def overfit_one_batch(model, batch, steps=50):
        x, y, w = batch
        return [float(model.train_on_batch(x, y, sample_weight=w)) for _ in range(steps + 30)]

    verdict = run_check(
        CHECKS["test-overfit-one-batch"], with_answer(overfit_one_batch=overfit_one_batch), tmp_path
    )
    assert verdict.fraction == 0.0 and "80 steps" in verdict.reason, verdict


def test_overfitting_that_fakes_the_losses_scores_zero(tmp_path):
    def overfit_one_batch(model, batch, steps=50):
        x, y, w = batch
        model.train_on_batch(x, y, sample_weight=w)
        return [1.0 / (step + 1) for step in range(steps)]  # a falling curve, made up

    verdict = run_check(
        CHECKS["test-overfit-one-batch"], with_answer(overfit_one_batch=overfit_one_batch), tmp_path
    )
    assert verdict.fraction == 0.0 and "constant 0.5 mask" in verdict.reason, verdict


# --------------------------------------------------------------- calibration


def test_the_slack_covers_what_the_reference_lost_on_the_heldout_songs():
    """The reference's networks, graded on held-out songs, reached full credit on every seed."""
    measured = json.loads((COURSE_ROOT / "benchmarks/results/vocals_heldout.json").read_text())
    assert len({run["seed"] for run in measured["runs"]}) >= 3
    assert vocals.TARGET_SLACK_DB >= measured["largest_shortfall_db"]
    assert vocals.TARGET_SLACK_DB <= measured["largest_shortfall_db"] + 0.1
    for run in measured["runs"]:
        assert run["margin_db"] >= vocals.MARGIN_DB[run["network"]], run


def test_heldout_floor_and_margins_come_from_the_benchmark():
    """Floor: the best trivial mask's gain; margin: the reference network's above it, less slack."""
    results = json.loads((COURSE_ROOT / vocals.BENCHMARK_SOURCE).read_text())
    gain = {name: values["vocal_sdr_improvement"] for name, values in results["systems"].items()}
    best_trivial = max(gain["best_fixed_mask"], gain["mean_irm_mask"])
    assert vocals.FLOOR_DB == max(0.0, math.ceil(best_trivial))
    assert vocals.HIGH_PASS_CUTOFF_HZ == results["baselines"]["high_pass_mask_cutoff_hz"]
    for target in ("ratio", "binary"):
        expected = gain[f"network_{target}"] - best_trivial - vocals.TARGET_SLACK_DB
        assert expected - 0.1 < vocals.MARGIN_DB[target] <= expected, target


def test_heldout_floor_is_the_high_pass_gain_when_that_is_higher():
    assert vocals.heldout_floor(-3.0) == vocals.FLOOR_DB
    assert vocals.heldout_floor(vocals.FLOOR_DB + 2.0) == vocals.FLOOR_DB + 2.0
    assert vocals.heldout_floor(float("nan")) == vocals.FLOOR_DB


def high_pass_network(cutoff_hz: float) -> keras.Model:
    """The grader's network made to output a fixed high-pass mask (the mask layer's bias)."""
    network = reference.build_model()
    mask_layer = network.get_layer("mask")
    kernel, _ = mask_layer.get_weights()
    bias = np.where(high_pass_mask(cutoff_hz, 1)[:, 0] > 0, 30.0, -30.0)
    mask_layer.set_weights([np.zeros_like(kernel), bias.astype(np.float32)])
    return network


def untrained_network() -> keras.Model:
    keras.utils.set_random_seed(0)
    return reference.build_model()


@pytest.fixture(scope="module")
def heldout_songs(tmp_path_factory) -> Path:
    """One held-out folder for the trivial networks: seed 31's songs are rendered once."""
    return tmp_path_factory.mktemp("vocals-heldout")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: high_pass_network(200.0), id="high-pass-200Hz"),
        pytest.param(lambda: high_pass_network(600.0), id="high-pass-600Hz"),
        pytest.param(untrained_network, id="untrained"),
    ],
)
def test_trivial_networks_earn_at_most_a_third_of_the_network_points(make, tmp_path, heldout_songs):
    """Measured by the grader itself, on the quick held-out songs."""
    submission = tmp_path / "submission"
    submission.mkdir()
    network = make()
    for target in ("ratio", "binary"):
        network.save_weights(weights_file(target, submission))
    for grade_id in SCORES:
        verdict = run_check(CHECKS[grade_id], {}, tmp_path, heldout_songs)
        assert verdict.fraction <= 1 / 3, verdict
