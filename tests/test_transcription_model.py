"""The NMP network, its losses, the window pipeline and the saved networks.

The network, the losses and the note targets are what the notebook's student
writes; these tests use the instructor's references
(:mod:`dlmusic_instructor.references.transcription`) and held-out scoring
(:mod:`dlmusic_instructor.heldout.transcription`) with the given code of
``dlmusic.transcription``.
"""

from __future__ import annotations

import keras
import numpy as np
import pretty_midi
import pytest

from dlmusic.audio import SAMPLE_RATE_HZ, write_audio
from dlmusic.datasets.records import PianoRecording
from dlmusic.errors import ChannelError, DlmusicError, EmptyAudioError
from dlmusic.synth import render_midi
from dlmusic.transcription import saved
from dlmusic.transcription.constants import (
    HOP_SAMPLES,
    N_CONTOUR_BINS,
    N_KEYS,
    WINDOW_FRAMES,
    WINDOW_SAMPLES,
)
from dlmusic.transcription.data import (
    PianoClip,
    WindowSequence,
    fixed_windows,
    load_clips,
    predict_posteriorgrams,
)
from dlmusic.transcription.model import (
    POST_STACK_TRAINABLE_PARAMETERS,
    PUBLISHED_TRAINABLE_PARAMETERS,
    count_trainable_parameters,
)
from dlmusic.transcription.targets import NoteList
from dlmusic.transcription.training import compile_nmp, training_callbacks
from dlmusic_instructor.heldout import transcription as heldout
from dlmusic_instructor.heldout.transcription import (
    heldout_fno,
    load_submitted_model,
    write_untrained_weights,
)
from dlmusic_instructor.references.transcription import (
    balanced_weight,
    build_nmp,
    class_mean_bce,
    note_and_onset_targets,
    note_targets,
    weighted_bce,
)


@pytest.fixture(scope="module")
def full_model() -> keras.Model:
    return build_nmp()


def test_published_configuration_has_basic_pitchs_parameter_count():
    model = build_nmp(post_stack_conv=False)
    assert count_trainable_parameters(model) == PUBLISHED_TRAINABLE_PARAMETERS == 16_782


def test_post_stack_conv_adds_a_5x5_conv_and_batch_norm(full_model):
    published = build_nmp(post_stack_conv=False)
    extra = count_trainable_parameters(full_model) - count_trainable_parameters(published)
    assert extra == (5 * 5 * 8 * 8 + 8) + 2 * 8 == POST_STACK_TRAINABLE_PARAMETERS
    assert full_model.get_layer("post_stack_conv").kernel.shape == (5, 5, 8, 8)


def test_outputs_have_basic_pitch_shapes_and_are_probabilities(full_model):
    audio = np.random.default_rng(0).normal(0, 0.1, (2, WINDOW_SAMPLES)).astype(np.float32)
    outputs = full_model.predict(audio, verbose=0)
    assert outputs["contour"].shape == (2, WINDOW_FRAMES, N_CONTOUR_BINS)
    assert outputs["note"].shape == (2, WINDOW_FRAMES, N_KEYS)
    assert outputs["onset"].shape == (2, WINDOW_FRAMES, N_KEYS)
    for value in outputs.values():
        assert np.all((value >= 0) & (value <= 1))


def test_no_harmonic_stacking_ablation_sees_one_channel():
    model = build_nmp(harmonic_stacking=False)
    assert model.get_layer("harmonic_stack").compute_output_shape((1, 172, 309))[-1] == 1
    assert count_trainable_parameters(model) < count_trainable_parameters(build_nmp())


def test_no_contour_supervision_ablation_feeds_notes_from_features():
    model = build_nmp(supervised_contour=False)
    assert model.get_layer("note_conv").input.shape[-1] == 8
    assert build_nmp().get_layer("note_conv").input.shape[-1] == 1


def test_weighted_bce_with_half_weight_is_ordinary_bce():
    rng = np.random.default_rng(3)
    y_true = (rng.random((4, 10)) < 0.3).astype(np.float32)
    y_pred = rng.uniform(0.05, 0.95, (4, 10)).astype(np.float32)
    ours = np.asarray(weighted_bce(0.5)(y_true, y_pred))
    reference = np.asarray(keras.losses.binary_crossentropy(y_true, y_pred))
    np.testing.assert_allclose(ours, reference, rtol=1e-5)


def test_weighted_bce_counts_positives_by_their_weight():
    y_true = np.array([[1.0, 0.0]], dtype=np.float32)
    y_pred = np.array([[0.5, 0.5]], dtype=np.float32)
    loss = float(np.asarray(weighted_bce(0.9)(y_true, y_pred))[0])
    assert loss == pytest.approx(-2 * (0.9 * np.log(0.5) + 0.1 * np.log(0.5)) / 2)


def test_class_mean_bce_gives_positives_their_weight_however_few_they_are():
    # Basic Pitch's weighted_transcription_loss: per-class means mixed w / (1 - w).
    rng = np.random.default_rng(4)
    for n_positive in (1, 10, 100):
        y_true = np.zeros((1, 2, 500), np.float32)
        y_true.reshape(-1)[rng.choice(1000, n_positive, replace=False)] = 1.0
        y_pred = np.full_like(y_true, 0.5)
        loss = float(np.asarray(class_mean_bce(0.95)(y_true, y_pred)))
        assert loss == pytest.approx(np.log(2.0), rel=1e-5)  # 0.95 ln 2 + 0.05 ln 2
        positives_only = y_pred.copy()
        positives_only[y_true == 0] = 1e-7  # negatives perfectly predicted
        share = float(np.asarray(class_mean_bce(0.95)(y_true, positives_only))) / loss
        assert share == pytest.approx(0.95, rel=1e-4)


def test_class_mean_bce_of_a_batch_without_positives_is_the_negatives_share():
    y_true = np.zeros((2, 3, 4), np.float32)
    y_pred = np.full_like(y_true, 0.2)
    loss = float(np.asarray(class_mean_bce(0.95)(y_true, y_pred)))
    assert loss == pytest.approx(-0.05 * np.log(0.8), rel=1e-5)


def test_label_smoothing_moves_targets_towards_one_half():
    y_true = np.array([[1.0]], dtype=np.float32)
    y_pred = np.array([[0.9]], dtype=np.float32)
    smoothed = float(np.asarray(weighted_bce(0.5, 0.2)(y_true, y_pred))[0])
    assert smoothed == pytest.approx(-(0.9 * np.log(0.9) + 0.1 * np.log(0.1)), rel=1e-5)


def test_balanced_weight_gives_both_classes_an_equal_vote():
    rate = 0.004
    weight = balanced_weight(rate)
    assert weight * rate == pytest.approx((1 - weight) * (1 - rate))
    with pytest.raises(ValueError, match="positive_rate"):
        balanced_weight(0.0)
    with pytest.raises(ValueError, match="positive_weight"):
        weighted_bce(1.0)


def test_compile_switches_off_contour_loss_for_the_ablation():
    full = compile_nmp(build_nmp(), weighted_bce)
    assert set(full.loss) == {"contour", "note", "onset"}
    assert full._compile_config.config["loss_weights"] == {
        "contour": 1.0,
        "note": 1.0,
        "onset": 1.0,
    }
    model = compile_nmp(build_nmp(supervised_contour=False), weighted_bce, supervised_contour=False)
    assert model._compile_config.config["loss_weights"]["contour"] == 0.0


def clip_with_notes(duration_s: float = 3.0) -> PianoClip:
    rng = np.random.default_rng(4)
    audio = rng.normal(0, 0.05, round(duration_s * SAMPLE_RATE_HZ)).astype(np.float32)
    notes = NoteList(
        intervals=np.array([[0.2, 0.9], [1.0, 2.5], [1.9, 2.95]]),
        pitches=np.array([60, 64, 67]),
        velocities=np.array([80, 80, 80]),
    )
    return PianoClip(name="test", audio=audio, notes=notes)


def test_window_keeps_notes_sounding_at_its_start_without_a_false_onset():
    clip = clip_with_notes()
    audio, notes = clip.window(round(0.5 * SAMPLE_RATE_HZ))
    assert audio.shape == (WINDOW_SAMPLES,)
    targets = note_targets(notes, WINDOW_FRAMES)
    assert targets["note"][0, 60 - 21] == 1.0
    assert targets["onset"][0, 60 - 21] == 0.0


def test_window_sequence_batches_are_seeded_and_change_every_epoch():
    clips = [clip_with_notes(), clip_with_notes(4.0)]
    sequence = WindowSequence(
        clips, targets=note_and_onset_targets, batch_size=3, batches_per_epoch=2, seed=7
    )
    audio, targets = sequence[0]
    assert audio.shape == (3, WINDOW_SAMPLES)
    assert targets["onset"].shape == (3, WINDOW_FRAMES, N_KEYS)
    again, _ = WindowSequence(
        clips, targets=note_and_onset_targets, batch_size=3, batches_per_epoch=2, seed=7
    )[0]
    np.testing.assert_array_equal(audio, again)
    sequence.on_epoch_end()
    next_epoch, _ = sequence[0]
    assert not np.array_equal(audio, next_epoch)


def test_fixed_windows_tile_each_clip_from_its_start():
    audio, targets = fixed_windows([clip_with_notes(5.0)], note_and_onset_targets)
    assert audio.shape[0] == 3
    assert targets["note"].shape == (3, WINDOW_FRAMES, N_KEYS)


def test_posteriorgrams_cover_a_whole_recording(full_model):
    audio = np.random.default_rng(5).normal(0, 0.1, 5 * SAMPLE_RATE_HZ).astype(np.float32)
    outputs = predict_posteriorgrams(full_model, audio)
    assert outputs["note"].shape == (1 + audio.size // HOP_SAMPLES, N_KEYS)
    assert outputs["contour"].shape[1] == N_CONTOUR_BINS


def test_posteriorgrams_reject_stereo_and_empty_audio(full_model):
    with pytest.raises(ChannelError):
        predict_posteriorgrams(full_model, np.zeros((2, 1000), dtype=np.float32))
    with pytest.raises(EmptyAudioError):
        predict_posteriorgrams(full_model, np.zeros(0, dtype=np.float32))


def test_load_clips_reads_audio_and_midi(tmp_path):
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    piano.notes.append(pretty_midi.Note(velocity=90, pitch=69, start=0.5, end=1.5))
    midi.instruments.append(piano)
    midi.write(str(tmp_path / "a.mid"))
    write_audio(tmp_path / "a.wav", render_midi(midi), SAMPLE_RATE_HZ)
    record = PianoRecording("X", "A", "train", 2026, tmp_path / "a.wav", tmp_path / "a.mid", 2.5)
    (clip,) = load_clips([record])
    assert clip.notes.pitches.tolist() == [69]
    assert clip.duration_s == pytest.approx(2.5, abs=0.01)
    (short,) = load_clips([record], max_duration_s=1.0)
    assert short.audio.size == SAMPLE_RATE_HZ
    assert short.notes.intervals[0, 1] == pytest.approx(1.0)


def test_training_callbacks_save_weights_and_a_csv_log(tmp_path):
    model = compile_nmp(build_nmp(), weighted_bce)
    clip = clip_with_notes()
    x, y = fixed_windows([clip], note_and_onset_targets)
    model.fit(
        x,
        y,
        validation_data=(x, y),
        epochs=1,
        verbose=0,
        callbacks=training_callbacks(tmp_path, "nmp_full"),
    )
    assert (tmp_path / "nmp_full.weights.h5").is_file()
    header = (tmp_path / "nmp_full.log.csv").read_text().splitlines()[0]
    assert "val_loss" in header and "onset_loss" in header


def test_saved_weights_load_into_the_right_model_and_not_the_wrong_one(tmp_path):
    build_nmp().save_weights(saved.weights_file("full", tmp_path))
    loaded = saved.load_saved_model("full", build_nmp, tmp_path)
    assert count_trainable_parameters(loaded) == count_trainable_parameters(build_nmp())
    build_nmp().save_weights(saved.weights_file("no_harmonic_stacking", tmp_path))
    with pytest.raises(DlmusicError, match="do not fit"):
        saved.load_saved_model("no_harmonic_stacking", build_nmp, tmp_path)
    with pytest.raises(DlmusicError, match="no saved weights"):
        saved.load_saved_model("no_contour_supervision", build_nmp, tmp_path)
    with pytest.raises(DlmusicError, match="unknown model"):
        saved.weights_file("bigger")


def test_the_grader_loads_untrained_weights_and_refuses_links_and_huge_files(tmp_path):
    paths = write_untrained_weights(tmp_path)
    assert [path.name for path in paths] == [
        saved.weights_file(name).name for name in saved.MODEL_CONFIGS
    ]
    assert count_trainable_parameters(load_submitted_model("full", tmp_path)) == (
        PUBLISHED_TRAINABLE_PARAMETERS + POST_STACK_TRAINABLE_PARAMETERS
    )
    linked = tmp_path / "linked"
    linked.mkdir()
    saved.weights_file("full", linked).symlink_to(paths[0])
    with pytest.raises(DlmusicError, match="not a regular file"):
        load_submitted_model("full", linked)
    huge = tmp_path / "huge"
    huge.mkdir()
    with saved.weights_file("full", huge).open("wb") as handle:
        handle.truncate(64 * 2**20)
    with pytest.raises(DlmusicError, match="larger than"):
        load_submitted_model("full", huge)


def test_an_untrained_model_scores_low_fno_on_clips(full_model):
    fno = heldout_fno(full_model, [clip_with_notes()])
    assert 0.0 <= fno < 0.5


def test_heldout_fno_is_one_for_posteriorgrams_equal_to_the_targets(monkeypatch):
    clip = clip_with_notes()

    def the_targets(model, audio):
        return note_targets(clip.notes, 1 + audio.size // HOP_SAMPLES)

    monkeypatch.setattr(heldout, "predict_posteriorgrams", the_targets)
    assert heldout_fno(None, [clip]) == pytest.approx(1.0)


def test_the_window_pipeline_reports_targets_of_the_wrong_shape():
    def transposed(notes, n_frames):
        note, onset = note_and_onset_targets(notes, n_frames)
        return note.T, onset.T

    with pytest.raises(ValueError, match="note target must have shape"):
        fixed_windows([clip_with_notes()], transposed)


def test_smoothed_weighted_bce_lets_negatives_settle_at_their_smoothed_target():
    """Weights go by class: a heavy positive weight must not drag negative cells upwards."""
    loss = weighted_bce(0.95, 0.2)
    negatives = np.zeros((1, 1, 88), dtype=np.float32)
    losses = {
        p: float(np.asarray(loss(negatives, np.full_like(negatives, p)))[0, 0])
        for p in (0.05, 0.1, 0.2, 0.5)
    }
    assert min(losses, key=losses.get) == 0.1


def test_weighted_bce_with_smoothing_matches_a_hand_computation():
    y_true = np.array([[[1.0, 0.0]]], dtype=np.float32)
    y_pred = np.array([[[0.9, 0.2]]], dtype=np.float32)
    positive = -(0.9 * np.log(0.9) + 0.1 * np.log(0.1))
    negative = -(0.1 * np.log(0.2) + 0.9 * np.log(0.8))
    expected = 2 * (0.9 * positive + 0.1 * negative) / 2
    value = float(np.asarray(weighted_bce(0.9, 0.2)(y_true, y_pred))[0, 0])
    assert value == pytest.approx(expected, rel=1e-5)
