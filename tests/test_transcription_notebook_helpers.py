"""The given code the transcription notebook calls: data, training, scoring, visible tests."""

from __future__ import annotations

import numpy as np
import pytest

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.transcription import visible_tests
from dlmusic.transcription.constants import N_KEYS, WINDOW_FRAMES, WINDOW_SAMPLES
from dlmusic.transcription.cqt_comparison import best_of
from dlmusic.transcription.data import FixedExcerpts, PianoClip, transcribe
from dlmusic.transcription.evaluation import (
    Evaluation,
    degraded_clips,
    lowest_threshold_reaching,
    pooled_curve,
    score_row,
)
from dlmusic.transcription.experiments import Budget
from dlmusic.transcription.model import conv2d
from dlmusic.transcription.notes import TranscribedNotes
from dlmusic.transcription.targets import NoteList
from dlmusic.transcription.training import positive_share, share_table
from dlmusic_instructor.references import transcription as reference


def clip(duration_s: float = 5.0, seed: int = 0) -> PianoClip:
    rng = np.random.default_rng(seed)
    audio = rng.normal(0, 0.05, round(duration_s * SAMPLE_RATE_HZ)).astype(np.float32)
    notes = NoteList([[0.2, 0.9], [1.0, 2.5], [3.0, 4.0]], [60, 64, 67], [80, 80, 80])
    return PianoClip(name=f"clip {seed}", audio=audio, notes=notes)


NO_NOTES = TranscribedNotes(np.zeros((0, 2)), np.zeros(0, int), np.zeros(0))


class SilentModel:
    """Stands in for a network: every posteriorgram is 0."""

    def predict(self, windows, batch_size=8, verbose=0):
        n = len(windows)
        return {
            "contour": np.zeros((n, WINDOW_FRAMES, 264), np.float32),
            "note": np.zeros((n, WINDOW_FRAMES, N_KEYS), np.float32),
            "onset": np.zeros((n, WINDOW_FRAMES, N_KEYS), np.float32),
        }


def test_fixed_excerpts_draw_the_same_windows_every_epoch_in_a_seeded_order():
    data = FixedExcerpts(
        [clip()], targets=reference.note_and_onset_targets, batch_size=3, batches_per_epoch=2
    )
    assert len(data) == 2 and len(data.windows) == 3  # 5 s: three 2-s windows
    audio, targets = data[0]
    assert audio.shape == (3, WINDOW_SAMPLES) and targets["onset"].shape[1:] == (172, 88)
    assert all(any(np.array_equal(a, w) for w in data.windows) for a in audio)
    again, _ = FixedExcerpts(
        [clip()], targets=reference.note_and_onset_targets, batch_size=3, batches_per_epoch=2
    )[0]
    np.testing.assert_array_equal(audio, again)


def test_transcribe_finds_no_notes_in_silent_posteriorgrams():
    notes = transcribe(SilentModel(), clip().audio)
    assert isinstance(notes, TranscribedNotes) and len(notes) == 0


def test_positive_share_is_pure_weighting_for_a_network_that_knows_nothing():
    targets = np.zeros(1000)
    targets[:10] = 1.0
    half = np.full(1000, 0.5)
    # per cell: w * 10 against (1 - w) * 990
    assert positive_share(targets, half, 0.5, per_class_mean=False) == pytest.approx(0.01)
    assert positive_share(targets, half, 0.99, per_class_mean=False) == pytest.approx(0.5)
    # per-class means: the positives get w whatever their number
    assert positive_share(targets, half, 0.95, per_class_mean=True) == pytest.approx(0.95)
    assert "95.0%" in share_table(targets.reshape(1, 10, 100))


def test_budget_counts_steps():
    budget = Budget(epochs=3, batches_per_epoch=4, batch_size=2)
    assert budget.steps == 12
    assert str(budget) == "3 epochs x 4 batches x 2 windows"


def test_pooled_curve_counts_hits_over_kept_notes_and_reference_notes():
    reference_notes = NoteList([[0.0, 0.5], [1.0, 1.5]], [60, 64], [80, 80])
    estimate = TranscribedNotes(
        intervals=np.array([[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]),
        pitches=np.array([60, 65, 64]),
        confidences=np.array([0.9, 0.3, 0.6]),
    )
    thresholds = (0.0, 0.5, 0.95)
    precision, recall, kept = pooled_curve(
        [PianoClip("a", np.zeros(10, np.float32), reference_notes)],
        [estimate],
        reference.transcription_scores,
        thresholds,
    )
    np.testing.assert_allclose(precision[:2], [1 / 3, 1 / 2])
    assert np.isnan(precision[2])  # nothing kept
    np.testing.assert_allclose(recall, [0.5, 0.5, 0.0])
    np.testing.assert_array_equal(kept, [3, 2, 0])
    assert lowest_threshold_reaching(precision, 0.5, thresholds) == 0.5
    assert lowest_threshold_reaching(precision, 0.9, thresholds) is None


def test_evaluation_rows_end_with_the_mean():
    scores = [dict.fromkeys(("precision", "recall", "precision_no_offset"), 1.0)] * 2
    scores = [
        {**s, "f": f, "fno": f, "recall_no_offset": f}
        for s, f in zip(scores, (0.2, 0.6), strict=True)
    ]
    evaluation = Evaluation([clip(seed=0), clip(seed=1)], [NO_NOTES] * 2, scores)
    assert evaluation.mean["fno"] == pytest.approx(0.4)
    assert evaluation.rows()[-1] == score_row(
        clip="mean", notes="", found="", scores=evaluation.mean
    )
    assert "mean" in evaluation.table("t")


def test_degraded_clips_keep_the_notes_and_repeat_with_the_seed():
    clean = [clip(2.0)]
    degraded = degraded_clips(clean)
    assert degraded[0].notes is clean[0].notes
    assert degraded[0].audio.shape == clean[0].audio.shape
    assert not np.allclose(degraded[0].audio, clean[0].audio)
    np.testing.assert_array_equal(degraded[0].audio, degraded_clips(clean)[0].audio)


def test_conv2d_keeps_frames_and_bins_and_unit_norm_filters():
    layer = conv2d(4, (3, 5))
    out = layer(np.ones((1, 10, 12, 2), np.float32))
    assert tuple(out.shape) == (1, 10, 12, 4)
    assert layer.padding == "same"
    norms = np.sqrt((np.asarray(layer.kernel_constraint(layer.kernel)) ** 2).sum(axis=(0, 1, 2)))
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)


def test_best_of_times_the_fastest_run_after_a_warm_up():
    calls = []
    assert best_of(lambda: calls.append(1), repeats=3) >= 0.0
    assert len(calls) == 4


@pytest.mark.parametrize(
    ("check", "answer"),
    [
        (visible_tests.check_cqt_kernel, reference.cqt_kernel),
        (visible_tests.check_harmonic_stack, reference.harmonic_stack),
        (visible_tests.check_note_and_onset_targets, reference.note_and_onset_targets),
        (visible_tests.check_weighted_bce, reference.weighted_bce),
        (visible_tests.check_class_mean_bce, reference.class_mean_bce),
        (visible_tests.check_transcription_scores, reference.transcription_scores),
        (visible_tests.check_note_hits, reference.note_hits),
    ],
)
def test_visible_tests_pass_the_reference_and_fail_a_wrong_answer(check, answer):
    check(answer)

    def wrong(*args, **kwargs):
        result = answer(*args, **kwargs)
        if callable(result):  # a loss factory: scale the loss
            return lambda y_true, y_pred: 2 * result(y_true, y_pred)
        if isinstance(result, dict):
            return {key: 0.5 for key in result}
        if isinstance(result, tuple):
            return tuple(np.roll(np.asarray(r), 1, axis=0) for r in result)
        return np.roll(np.asarray(result), 1)

    with pytest.raises(AssertionError):
        check(wrong)


def test_visible_balanced_weight_check_uses_the_measured_rate():
    visible_tests.check_balanced_weight(reference.balanced_weight, 0.003)
    with pytest.raises(AssertionError):
        visible_tests.check_balanced_weight(lambda p: p, 0.003)
