"""The problem set's helpers: example piece, salt-and-pepper noise, pictures, a logistic model."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
import scipy.special
from matplotlib.figure import Figure

from dlmusic.problem_set.example_piece import DURATION_S, piano_and_drums_midi, render_piece
from dlmusic.problem_set.images import add_salt_and_pepper, plot_images, plot_matrices
from dlmusic.problem_set.logistic import fit_logistic_regression, onset_features
from dlmusic.problem_set.piano_roll import midi_piano_roll
from dlmusic.transcription.constants import FRAMES_PER_SECOND, LOWEST_MIDI


def weighted_bce(w):
    def loss(y, p):
        weights = np.where(y > 0, w, 1.0 - w)
        return float(-2.0 * np.mean(weights * (y * np.log(p) + (1 - y) * np.log(1 - p))))

    return loss


def weighted_bce_gradient(w):
    def gradient(y, z):
        return 2.0 / y.size * np.where(y > 0, w, 1.0 - w) * (scipy.special.expit(z) - y)

    return gradient


def test_piece_has_piano_notes_and_drum_hits_within_its_duration():
    midi = piano_and_drums_midi()
    piano, drums = midi.instruments
    assert not piano.is_drum and drums.is_drum
    assert max(note.end for inst in midi.instruments for note in inst.notes) <= DURATION_S


def test_piano_roll_of_the_piece_has_one_onset_per_piano_note_and_no_drums():
    midi = piano_and_drums_midi()
    n_frames = 517
    roll = midi_piano_roll(midi, n_frames)
    assert roll.note.shape == roll.onset.shape == (n_frames, 88)
    piano = midi.instruments[0]
    expected = {(int(note.start * FRAMES_PER_SECOND), note.pitch) for note in piano.notes}
    found = {(frame, key + LOWEST_MIDI) for frame, key in zip(*np.nonzero(roll.onset), strict=True)}
    assert found == expected and len(found) == len(piano.notes)
    assert np.all(roll.note[roll.onset > 0] == 1)
    keys_played = {note.pitch - LOWEST_MIDI for note in piano.notes}
    assert set(np.nonzero(roll.note.any(axis=0))[0]) == keys_played


def test_piano_roll_onsets_start_each_run_of_sounding_frames_and_fit_n_frames():
    midi = pretty_midi.PrettyMIDI()
    piano = pretty_midi.Instrument(program=0)
    fps = 10.0
    piano.notes += [
        pretty_midi.Note(100, 60, 0.0, 0.3),  # frames 0-2
        pretty_midi.Note(100, 60, 0.5, 0.9),  # frames 5-8: a second onset after a gap
        pretty_midi.Note(100, 20, 0.1, 0.4),  # below A0: dropped
        pretty_midi.Note(100, 108, 1.5, 3.0),  # C8, cut at n_frames
    ]
    midi.instruments.append(piano)
    roll = midi_piano_roll(midi, 20, frames_per_second=fps)
    key = 60 - LOWEST_MIDI
    assert np.array_equal(np.nonzero(roll.note[:, key])[0], [0, 1, 2, 5, 6, 7, 8])
    assert np.array_equal(np.nonzero(roll.onset[:, key])[0], [0, 5])
    assert np.array_equal(np.nonzero(roll.onset[:, 87])[0], [15])
    assert roll.note[:, 87].sum() == 5
    assert roll.onset.sum() == 3
    longer = midi_piano_roll(midi, 40, frames_per_second=fps)
    assert longer.note.shape == (40, 88) and not longer.note[30:].any()


@pytest.mark.parametrize("n_frames", [0, 2.5, -3])
def test_piano_roll_rejects_a_frame_count_that_is_not_positive_and_whole(n_frames):
    with pytest.raises(ValueError, match="n_frames"):
        midi_piano_roll(piano_and_drums_midi(), n_frames)


def test_rendered_mixture_is_the_sum_of_its_stems():
    piece = render_piece(sr=16000)
    assert piece.piano.shape == piece.drums.shape == (round(DURATION_S * 16000),)
    assert np.array_equal(piece.mixture, piece.piano + piece.drums)
    assert np.abs(piece.piano).max() > 0.01 and np.abs(piece.drums).max() > 0.01


def test_salt_and_pepper_replaces_the_requested_share_with_the_extremes():
    image = np.linspace(0.2, 0.8, 400).reshape(20, 20)
    noisy = add_salt_and_pepper(image, 0.1, np.random.default_rng(0), low=0.0, high=1.0)
    changed = noisy != image
    assert changed.sum() == 40
    assert set(np.unique(noisy[changed])) == {0.0, 1.0}
    assert np.array_equal(noisy[~changed], image[~changed])


def test_salt_and_pepper_is_reproducible_and_leaves_the_input_alone():
    image = np.random.default_rng(1).random((8, 9))
    copy = image.copy()
    first = add_salt_and_pepper(image, 0.2, np.random.default_rng(5))
    assert np.array_equal(first, add_salt_and_pepper(image, 0.2, np.random.default_rng(5)))
    assert np.array_equal(image, copy)


@pytest.mark.parametrize("bad", [np.zeros(5), np.full((2, 2), np.nan)])
def test_salt_and_pepper_rejects_what_is_not_a_finite_image(bad):
    with pytest.raises(ValueError, match="2-D"):
        add_salt_and_pepper(bad, 0.1, np.random.default_rng(0))


def test_salt_and_pepper_rejects_a_fraction_outside_0_1():
    with pytest.raises(ValueError, match="fraction"):
        add_salt_and_pepper(np.zeros((3, 3)), 1.5, np.random.default_rng(0))


def test_pictures_have_one_panel_per_image_and_reject_bad_input():
    figure = plot_images({"a": np.zeros((4, 5)), "b": np.ones((4, 5)), "c": np.eye(4)}, columns=2)
    assert isinstance(figure, Figure)
    assert sum(ax.get_visible() and bool(ax.images) for ax in figure.axes) == 3
    grid = plot_matrices({"m": np.arange(6).reshape(2, 3)})
    assert [text.get_text() for text in grid.axes[0].texts] == ["0", "1", "2", "3", "4", "5"]
    with pytest.raises(ValueError, match="2-D"):
        plot_images({"flat": np.zeros(3)})
    with pytest.raises(ValueError, match="at least one"):
        plot_matrices({})


def test_onset_features_light_up_where_a_key_starts_sounding():
    level = np.zeros((20, 3))
    level[10:, 1] = 1.0  # key 1 starts in frame 10
    features = onset_features(level)
    assert features.shape == (20, 3, 4)
    rise = features[:, :, 2]
    assert rise[:, 1].argmax() in (8, 9, 10)
    assert np.allclose(features.mean(axis=(0, 1)), 0.0)


def test_onset_features_reject_a_single_frame():
    with pytest.raises(ValueError, match="n_frames"):
        onset_features(np.zeros((1, 88)))


def test_logistic_regression_recovers_the_generating_coefficients():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(4000, 2))
    labels = (rng.random(4000) < scipy.special.expit(features @ [2.0, -1.0] + 0.5)).astype(float)
    model = fit_logistic_regression(features, labels, weighted_bce(0.5), weighted_bce_gradient(0.5))
    assert model.converged
    assert np.allclose(model.coefficients, [2.0, -1.0, 0.5], atol=0.25)


def test_unweighted_fit_on_rare_labels_misses_them_and_a_balanced_weight_finds_them():
    rng = np.random.default_rng(1)
    labels = (rng.random((500, 10)) < 0.005).astype(float)
    features = (labels + rng.normal(0, 0.5, labels.shape))[..., np.newaxis]
    plain = fit_logistic_regression(features, labels, weighted_bce(0.5), weighted_bce_gradient(0.5))
    balanced = fit_logistic_regression(
        features, labels, weighted_bce(1 - labels.mean()), weighted_bce_gradient(1 - labels.mean())
    )
    found_plain = (plain.predict(features) >= 0.5) & (labels > 0)
    found_balanced = (balanced.predict(features) >= 0.5) & (labels > 0)
    assert found_plain.sum() <= 0.1 * labels.sum()
    assert found_balanced.sum() >= 0.7 * labels.sum()


def test_logistic_regression_needs_one_label_per_cell():
    with pytest.raises(ValueError, match="one per cell"):
        fit_logistic_regression(
            np.zeros((5, 2)), np.zeros(4), weighted_bce(0.5), weighted_bce_gradient(0.5)
        )


def test_compare_weights_reports_what_each_weight_finds():
    from dlmusic.problem_set.logistic import compare_weights

    rng = np.random.default_rng(1)
    labels = (rng.random((500, 10)) < 0.005).astype(float)
    features = (labels + rng.normal(0, 0.5, labels.shape))[..., np.newaxis]

    def loss(y, p, w):
        return weighted_bce(w)(y, p)

    def gradient(y, z, w):
        return weighted_bce_gradient(w)(y, z)

    weights = {"plain": 0.5, "equal vote": 1 - labels.mean()}
    table, probabilities = compare_weights(features, labels, weights, loss, gradient)
    assert [row["loss"] for row in table] == ["plain", "equal vote"]
    assert set(probabilities) == set(weights) and probabilities["plain"].shape == labels.shape
    found = [int(row["true onsets found"].split(" of ")[0]) for row in table]
    assert found[0] < found[1]


def test_toy_posteriors_are_calibrated():
    from dlmusic.problem_set.toy import toy_posteriors

    labels, posterior = toy_posteriors(20000, 0.05, 2.0, seed=3)
    assert abs(labels.mean() - 0.05) < 0.01
    for low, high in ((0.0, 0.2), (0.2, 0.6), (0.6, 1.0)):
        inside = (posterior >= low) & (posterior < high)
        assert abs(labels[inside].mean() - posterior[inside].mean()) < 0.03


def test_relative_error_and_the_log_cqt_image():
    from dlmusic.problem_set.separation import relative_error
    from dlmusic.problem_set.spectrogram import log_cqt_image

    assert relative_error(np.array([3.0, 4.0]), np.array([3.0, 4.0])) == 0.0
    assert relative_error(np.zeros(2), np.array([3.0, 4.0])) == 1.0
    piece = render_piece()
    image = log_cqt_image(piece.piano, piece.sr)
    assert image.shape[0] == 264 and image.min() == 0.0 and image.max() == 1.0
