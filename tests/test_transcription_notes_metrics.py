"""Note creation from posteriorgrams, MIDI export, and note-level scores.

The scores are the notebook's exercise: they are tested through the instructor's
reference, ``dlmusic_instructor.references.transcription.transcription_scores``.
"""

from __future__ import annotations

import warnings

import mir_eval
import numpy as np
import pytest

from dlmusic.transcription.constants import FRAMES_PER_SECOND, LOWEST_MIDI, N_KEYS
from dlmusic.transcription.metrics import SCORE_KEYS, precision_recall_by_confidence
from dlmusic.transcription.notes import (
    TranscribedNotes,
    notes_to_midi,
    posteriorgram_to_notes,
)
from dlmusic.transcription.targets import NoteList, key_index, notes_from_midi
from dlmusic_instructor.references.transcription import (
    mean_scores,
    note_targets,
    transcription_scores,
)

FPS = FRAMES_PER_SECOND
N_FRAMES = 400


def notes(*rows: tuple[float, float, int]) -> NoteList:
    """A NoteList from ``(onset_s, offset_s, pitch)`` rows, all at velocity 80."""
    table = np.array(rows, dtype=np.float64).reshape(-1, 3)
    return NoteList(table[:, :2], table[:, 2].astype(int), np.full(len(table), 80))


def random_notes(rng: np.random.Generator, n_keys: int = 12, n_frames: int = N_FRAMES) -> NoteList:
    """Notes on random keys, each at least 12 frames long, never overlapping on a key."""
    rows = []
    for pitch in rng.choice(np.arange(LOWEST_MIDI, LOWEST_MIDI + N_KEYS), n_keys, replace=False):
        time_s = rng.uniform(0.0, 0.5)
        while True:
            offset_s = time_s + rng.uniform(13, 60) / FPS
            if offset_s * FPS > n_frames - 1:
                break
            rows.append((time_s, offset_s, pitch))
            time_s = offset_s + rng.uniform(1, 30) / FPS
    rows.sort()
    return notes(*rows)


def by_key(note_list: NoteList | TranscribedNotes) -> np.ndarray:
    """``(pitch, onset_s, offset_s)`` rows sorted by pitch then onset, shape (n, 3)."""
    rows = np.column_stack([note_list.pitches, note_list.intervals])
    return rows[np.lexsort((rows[:, 1], rows[:, 0]))]


def posteriors(*spans: tuple[int, int, int, float], n_frames: int = 100) -> dict[str, np.ndarray]:
    """Note and onset posteriorgrams from ``(first_frame, stop_frame, pitch, level)`` spans.

    The note posterior is ``level`` over the span; the onset posterior is ``level``
    in the first frame.
    """
    note, onset = np.zeros((n_frames, N_KEYS)), np.zeros((n_frames, N_KEYS))
    for first, stop, pitch, level in spans:
        note[first:stop, key_index(pitch)] = level
        onset[first, key_index(pitch)] = level
    return {"note": note, "onset": onset}


# --- note creation -------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_notes_round_trip_through_targets_and_note_creation(seed: int) -> None:
    reference = random_notes(np.random.default_rng(seed))
    targets = note_targets(reference, N_FRAMES)
    estimate = posteriorgram_to_notes(targets["note"], targets["onset"])
    assert len(estimate) == len(reference)
    scores = transcription_scores(reference, estimate)
    assert scores["fno"] == 1.0
    assert scores["f"] == pytest.approx(1.0)
    np.testing.assert_allclose(by_key(estimate), by_key(reference), atol=0.5 / FPS + 1e-9)
    np.testing.assert_array_equal(estimate.confidences, 1.0)


def test_note_in_the_first_frame_running_to_the_last_is_found_whole() -> None:
    estimate = posteriorgram_to_notes(**posteriors((0, 100, 60, 1.0)))
    np.testing.assert_allclose(estimate.intervals, [[0.0, 100 / FPS]])
    assert estimate.pitches.tolist() == [60]


def test_repeated_notes_on_one_key_stay_separate_despite_a_short_gap() -> None:
    estimate = posteriorgram_to_notes(**posteriors((10, 40, 60, 1.0), (43, 80, 60, 1.0)))
    np.testing.assert_allclose(estimate.intervals * FPS, [[10, 40], [43, 80]])


def test_a_dip_shorter_than_the_energy_tolerance_stays_one_note() -> None:
    arrays = posteriors((10, 80, 60, 0.9))
    arrays["note"][40:45, key_index(60)] = 0.1
    estimate = posteriorgram_to_notes(**arrays, energy_tolerance_frames=5, infer_onsets=False)
    np.testing.assert_allclose(estimate.intervals * FPS, [[10, 80]])


def test_a_dip_longer_than_the_energy_tolerance_ends_the_note_where_it_began() -> None:
    arrays = posteriors((10, 80, 60, 0.9))
    arrays["note"][40:46, key_index(60)] = 0.1
    estimate = posteriorgram_to_notes(**arrays, energy_tolerance_frames=5, infer_onsets=False)
    np.testing.assert_allclose(estimate.intervals * FPS, [[10, 40]])


def test_zero_energy_tolerance_ends_a_note_at_its_first_quiet_frame() -> None:
    arrays = posteriors((10, 80, 60, 0.9))
    arrays["note"][40, key_index(60)] = 0.1
    estimate = posteriorgram_to_notes(**arrays, energy_tolerance_frames=0, infer_onsets=False)
    np.testing.assert_allclose(estimate.intervals * FPS, [[10, 40]])


def test_min_note_frames_drops_short_blips() -> None:
    arrays = posteriors((10, 20, 60, 1.0), (10, 21, 62, 1.0), (30, 90, 64, 1.0))
    assert posteriorgram_to_notes(**arrays).pitches.tolist() == [62, 64]
    assert posteriorgram_to_notes(**arrays, min_note_frames=12).pitches.tolist() == [64]
    assert posteriorgram_to_notes(**arrays, min_note_frames=1).pitches.tolist() == [60, 62, 64]


def test_higher_onset_threshold_gives_fewer_notes() -> None:
    arrays = posteriors((10, 50, 60, 0.55), (10, 50, 62, 0.7), (10, 50, 64, 0.95))
    counts = [
        len(posteriorgram_to_notes(**arrays, onset_threshold=threshold, frame_threshold=0.5))
        for threshold in (0.5, 0.6, 0.8, 0.99)
    ]
    assert counts == [3, 2, 1, 0]


def test_higher_frame_threshold_gives_shorter_notes() -> None:
    note = np.zeros((100, N_KEYS))
    note[10:90, key_index(60)] = np.linspace(1.0, 0.0, 80)
    onset = np.zeros_like(note)
    onset[10, key_index(60)] = 1.0
    lengths = [
        np.diff(posteriorgram_to_notes(note, onset, frame_threshold=threshold).intervals)[0, 0]
        for threshold in (0.2, 0.5, 0.8)
    ]
    assert lengths[0] > lengths[1] > lengths[2]


def test_onsets_are_inferred_from_rises_of_the_note_posterior() -> None:
    arrays = posteriors((10, 50, 60, 1.0), (20, 60, 64, 1.0))
    arrays["onset"][20, key_index(64)] = 0.0
    assert posteriorgram_to_notes(**arrays).pitches.tolist() == [60, 64]
    assert posteriorgram_to_notes(**arrays, infer_onsets=False).pitches.tolist() == [60]


def test_notes_are_sorted_by_onset_then_pitch() -> None:
    arrays = posteriors((30, 60, 50, 1.0), (10, 50, 70, 1.0), (10, 50, 40, 1.0))
    estimate = posteriorgram_to_notes(**arrays)
    assert estimate.pitches.tolist() == [40, 70, 50]
    assert np.all(np.diff(estimate.intervals[:, 0]) >= 0)


def test_confidence_is_the_mean_note_posterior_of_the_note() -> None:
    arrays = posteriors((10, 50, 60, 0.6), (10, 50, 64, 1.0))
    arrays["note"][30:50, key_index(64)] = 0.5
    estimate = posteriorgram_to_notes(**arrays, frame_threshold=0.3)
    np.testing.assert_allclose(estimate.confidences, [0.6, 0.75])


def test_confidences_of_noisy_posteriors_lie_in_unit_range_and_above_filters_them() -> None:
    rng = np.random.default_rng(1)
    note, onset = rng.uniform(size=(200, N_KEYS)), rng.uniform(size=(200, N_KEYS)) ** 4
    estimate = posteriorgram_to_notes(note, onset, min_note_frames=3)
    assert len(estimate) > 0
    assert np.all((estimate.confidences >= 0) & (estimate.confidences <= 1))
    cut = float(np.median(estimate.confidences))
    kept = estimate.above(cut)
    assert 0 < len(kept) < len(estimate)
    assert np.all(kept.confidences >= cut)
    assert len(estimate.above(0.0)) == len(estimate)


def test_no_onsets_gives_no_notes() -> None:
    estimate = posteriorgram_to_notes(np.zeros((50, N_KEYS)), np.zeros((50, N_KEYS)))
    assert len(estimate) == 0
    assert estimate.intervals.shape == (0, 2)


@pytest.mark.parametrize(
    ("note_shape", "onset_shape", "message"),
    [
        ((100, 87), (100, 87), r"shape \(n_frames, 88\)"),
        ((100,), (100,), r"shape \(n_frames, 88\)"),
        ((100, 88), (90, 88), "differ in shape"),
    ],
)
def test_posteriorgrams_of_the_wrong_shape_raise(
    note_shape: tuple[int, ...], onset_shape: tuple[int, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        posteriorgram_to_notes(np.zeros(note_shape), np.zeros(onset_shape))


@pytest.mark.parametrize(
    ("value", "message"), [(1.5, r"\[0, 1\]"), (-0.1, r"\[0, 1\]"), (np.nan, "NaN")]
)
def test_posteriors_outside_the_unit_range_or_not_finite_raise(value: float, message: str) -> None:
    note = np.zeros((50, N_KEYS))
    note[3, 4] = value
    with pytest.raises(ValueError, match=message):
        posteriorgram_to_notes(note, np.zeros((50, N_KEYS)))


@pytest.mark.parametrize(
    "setting",
    [
        {"onset_threshold": 1.5},
        {"frame_threshold": -0.1},
        {"min_note_frames": 0},
        {"energy_tolerance_frames": -1},
    ],
)
def test_settings_out_of_range_raise(setting: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(setting))):
        posteriorgram_to_notes(np.zeros((50, N_KEYS)), np.zeros((50, N_KEYS)), **setting)


def test_transcribed_notes_reject_confidences_outside_the_unit_range() -> None:
    with pytest.raises(ValueError, match="confidences"):
        TranscribedNotes([[0.0, 1.0]], [60], [1.2])
    with pytest.raises(ValueError, match="confidences must have shape"):
        TranscribedNotes([[0.0, 1.0]], [60], [0.5, 0.5])


def test_transcribed_notes_become_a_note_list_at_one_velocity() -> None:
    note_list = TranscribedNotes([[0.0, 1.0], [0.5, 0.7]], [60, 64], [0.9, 0.2]).to_note_list(64)
    assert note_list.velocities.tolist() == [64, 64]
    assert note_list.pitches.tolist() == [60, 64]


# --- MIDI export ---------------------------------------------------------------------------


def test_notes_to_midi_round_trips_through_notes_from_midi(tmp_path) -> None:
    played = random_notes(np.random.default_rng(7))
    # Velocity tied to pitch, so that it can be checked whatever order the notes come back in.
    reference = NoteList(played.intervals, played.pitches, played.pitches + 10)
    path = tmp_path / "transcription.mid"
    notes_to_midi(reference, program=1).write(str(path))
    reloaded = notes_from_midi(path)
    np.testing.assert_allclose(by_key(reloaded), by_key(reference), atol=0.005)
    np.testing.assert_array_equal(reloaded.velocities, reloaded.pitches + 10)


def test_transcribed_notes_get_louder_with_confidence_in_midi() -> None:
    estimate = TranscribedNotes([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0]], [60, 64, 67], [0.0, 0.5, 1.0])
    midi = notes_to_midi(estimate)
    assert [note.velocity for note in midi.instruments[0].notes] == [40, 84, 127]
    assert midi.instruments[0].program == 0


def test_notes_to_midi_rejects_a_program_outside_general_midi() -> None:
    with pytest.raises(ValueError, match="program"):
        notes_to_midi(NoteList.empty(), program=128)


# --- metrics -------------------------------------------------------------------------------


REFERENCE = notes((0.1, 0.6, 60), (0.5, 1.5, 64), (1.0, 1.3, 67), (1.6, 2.0, 72))


def shifted(note_list: NoteList, shift_s: float) -> NoteList:
    return NoteList(note_list.intervals + shift_s, note_list.pitches, note_list.velocities)


def test_a_perfect_estimate_scores_one_everywhere_as_plain_floats() -> None:
    scores = transcription_scores(REFERENCE, REFERENCE)
    assert scores == dict.fromkeys(SCORE_KEYS, 1.0)
    assert all(type(value) is float for value in scores.values())


def test_a_30_ms_shift_matches_but_an_80_ms_shift_does_not() -> None:
    near = transcription_scores(REFERENCE, shifted(REFERENCE, 0.03))
    assert near["fno"] == 1.0
    assert near["f"] == 1.0
    far = transcription_scores(REFERENCE, shifted(REFERENCE, 0.08))
    assert far["fno"] == 0.0
    assert far["f"] == 0.0


def test_onset_tolerance_can_be_widened() -> None:
    assert (
        transcription_scores(REFERENCE, shifted(REFERENCE, 0.08), onset_tolerance_s=0.1)["fno"]
        == 1.0
    )


def test_wrong_offsets_lower_f_but_not_fno() -> None:
    onsets, offsets = REFERENCE.intervals.T
    early_offsets = np.column_stack([onsets, onsets + 0.5 * (offsets - onsets)])
    estimate = NoteList(early_offsets, REFERENCE.pitches, REFERENCE.velocities)
    scores = transcription_scores(REFERENCE, estimate)
    assert scores["fno"] == 1.0
    assert scores["f"] < 0.5


def test_a_wrong_pitch_is_a_miss_and_a_false_alarm() -> None:
    estimate = NoteList(
        REFERENCE.intervals, REFERENCE.pitches + np.array([0, 0, 0, 1]), REFERENCE.velocities
    )
    scores = transcription_scores(REFERENCE, estimate)
    assert scores["precision_no_offset"] == scores["recall_no_offset"] == 0.75


def test_scores_agree_with_mir_eval_called_directly() -> None:
    rng = np.random.default_rng(3)
    reference = random_notes(rng)
    jitter = rng.normal(0.0, 0.04, size=reference.intervals.shape)
    intervals = reference.intervals + jitter
    intervals[:, 1] = np.maximum(intervals[:, 1], intervals[:, 0] + 0.01)
    estimate = NoteList(intervals, reference.pitches, reference.velocities)
    scores = transcription_scores(reference, estimate)
    ref_hz, est_hz = (mir_eval.util.midi_to_hz(n.pitches) for n in (reference, estimate))
    expected = mir_eval.transcription.precision_recall_f1_overlap(
        reference.intervals, ref_hz, estimate.intervals, est_hz, offset_ratio=0.2
    )[:3]
    expected_no_offset = mir_eval.transcription.precision_recall_f1_overlap(
        reference.intervals, ref_hz, estimate.intervals, est_hz, offset_ratio=None
    )[:3]
    assert 0.0 < scores["f"] < scores["fno"] < 1.0
    assert [scores[key] for key in SCORE_KEYS] == pytest.approx(
        list(expected) + list(expected_no_offset)
    )


def test_empty_estimate_scores_zero_without_warnings(capsys: pytest.CaptureFixture) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = transcription_scores(REFERENCE, NoteList.empty())
        empty_reference = transcription_scores(NoteList.empty(), REFERENCE)
        both_empty = transcription_scores(NoteList.empty(), NoteList.empty())
    assert scores == dict.fromkeys(SCORE_KEYS, 0.0)
    assert empty_reference == dict.fromkeys(SCORE_KEYS, 0.0)
    assert both_empty == dict.fromkeys(SCORE_KEYS, 1.0)
    assert capsys.readouterr().err == ""


def test_transcribed_notes_are_scored_directly() -> None:
    estimate = TranscribedNotes(REFERENCE.intervals, REFERENCE.pitches, [0.9, 0.8, 0.7, 0.6])
    assert transcription_scores(REFERENCE, estimate)["f"] == 1.0


def test_onset_tolerance_must_be_positive() -> None:
    with pytest.raises(ValueError, match="onset_tolerance_s"):
        transcription_scores(REFERENCE, REFERENCE, onset_tolerance_s=0.0)


def test_mean_scores_weigh_every_clip_equally() -> None:
    half = NoteList(REFERENCE.intervals[:2], REFERENCE.pitches[:2], REFERENCE.velocities[:2])
    means = mean_scores([(REFERENCE, REFERENCE), (REFERENCE, half)])
    assert means["precision_no_offset"] == 1.0
    assert means["recall_no_offset"] == pytest.approx(0.75)
    assert means["fno"] == pytest.approx((1.0 + 2 / 3) / 2)
    with pytest.raises(ValueError, match="at least one"):
        mean_scores([])


def test_raising_the_confidence_threshold_keeps_fewer_notes_and_trades_recall() -> None:
    extra = notes((0.3, 0.8, 50), (1.2, 1.8, 80))
    intervals = np.concatenate([REFERENCE.intervals, extra.intervals])
    pitches = np.concatenate([REFERENCE.pitches, extra.pitches])
    estimate = TranscribedNotes(intervals, pitches, [0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    rows = precision_recall_by_confidence(
        REFERENCE, estimate, [0.0, 0.15, 0.5, 0.75, 1.0], scores=transcription_scores
    )
    assert [row["n_notes"] for row in rows] == [6, 5, 3, 2, 0]
    assert [row["precision"] for row in rows] == pytest.approx([4 / 6, 4 / 5, 1.0, 1.0, 0.0])
    assert [row["recall"] for row in rows] == pytest.approx([1.0, 1.0, 0.75, 0.5, 0.0])
    assert rows[0]["fno"] == transcription_scores(REFERENCE, estimate)["fno"]
    assert [row["threshold"] for row in rows] == [0.0, 0.15, 0.5, 0.75, 1.0]


def test_confidence_thresholds_outside_the_unit_range_raise() -> None:
    estimate = TranscribedNotes(REFERENCE.intervals, REFERENCE.pitches, [0.5] * 4)
    with pytest.raises(ValueError, match="thresholds"):
        precision_recall_by_confidence(REFERENCE, estimate, [0.5, 1.5], scores=transcription_scores)
