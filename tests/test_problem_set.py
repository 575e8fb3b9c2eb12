"""The problem set's helpers: example piece, salt-and-pepper noise, pictures, a logistic model."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
from matplotlib.figure import Figure

from dlmusic.problem_set.example_piece import DURATION_S, piano_and_drums_midi, render_piece
from dlmusic.problem_set.images import add_salt_and_pepper, plot_images, plot_matrices
from dlmusic.problem_set.logistic import fit_logistic_regression, onset_features


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
