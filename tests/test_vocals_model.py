"""The reference LSTM mask estimator, the given loss, and how the grader loads and scores it."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest

from dlmusic.errors import ChannelError, DlmusicError
from dlmusic.runs import count_trainable_parameters
from dlmusic.vocals.data import TrackStems, energy_weights
from dlmusic.vocals.model import (
    compile_mask_estimator,
    weights_file,
)
from dlmusic.vocals.stft import N_BINS, n_frames
from dlmusic_instructor import COURSE_ROOT
from dlmusic_instructor.heldout import vocals as heldout
from dlmusic_instructor.references import vocals as reference
from dlmusic_instructor.references.vocals import build_model, predict_mask, separate_track

SR = 22050


@pytest.fixture(scope="module")
def model():
    return build_model()


def layer_table() -> dict[str, int]:
    """``{layer name: parameters}`` of the table part 5 of the solution notebook shows."""
    notebook = nbformat.read(COURSE_ROOT / "solutions" / "vocals" / "vocals.ipynb", as_version=4)
    (table,) = [cell.source for cell in notebook.cells if "| layer (name) |" in cell.source]
    rows = re.findall(r"^\| `(\w+)` \|.*\| ([\d,]+)[^|]*\|$", table, flags=re.MULTILINE)
    return {name: int(count.replace(",", "")) for name, count in rows}


def test_the_reference_network_has_the_layers_and_counts_of_the_notebooks_table(model):
    table = layer_table()
    assert list(table) == ["log_magnitude", "input_norm", "frame_encoder", "context", "mask"]
    assert {name: model.get_layer(name).count_params() for name in table} == table
    assert model.count_params() == sum(table.values()) == reference.TOTAL_PARAMETERS
    # batch normalisation's moving mean and variance (2 x 513) are weights no gradient touches
    trainable = count_trainable_parameters(model)
    assert trainable == sum(table.values()) - 2 * N_BINS == reference.TRAINABLE_PARAMETERS
    assert 250_000 <= trainable <= 350_000, "the notebook promises about 300,000 parameters"


def test_masks_for_any_number_of_frames_lie_in_0_1(model):
    for frames in (1, 37):
        mask = np.asarray(model(np.ones((2, frames, N_BINS), np.float32), training=False))
        assert mask.shape == (2, frames, N_BINS)
        assert np.all((mask >= 0) & (mask <= 1))


def test_separate_returns_audio_of_the_mixture_length_that_adds_up(model):
    mixture = (0.1 * np.random.default_rng(0).standard_normal(SR // 2)).astype(np.float32)
    result = separate_track(model, mixture)
    assert result["mask"].shape == (N_BINS, n_frames(mixture.size))
    assert result["vocals"].shape == result["accompaniment"].shape == mixture.shape
    np.testing.assert_allclose(result["vocals"] + result["accompaniment"], mixture, atol=1e-4)
    with pytest.raises(ChannelError):
        predict_mask(model, np.stack([mixture, mixture]))


def test_a_few_steps_lower_the_energy_weighted_mask_loss():
    rng = np.random.default_rng(1)
    magnitude = rng.uniform(0, 2, (4, 16, N_BINS)).astype(np.float32)
    target = (magnitude > 1).astype(np.float32)
    network = compile_mask_estimator(build_model(), learning_rate=1e-2)
    history = network.fit(
        magnitude,
        target,
        sample_weight=energy_weights(magnitude),
        epochs=8,
        batch_size=4,
        verbose=0,
    )
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]


def test_the_loss_is_the_mean_weighted_squared_error_of_each_cell():
    rng = np.random.default_rng(4)
    magnitude = rng.uniform(0, 3, (2, 6, N_BINS)).astype(np.float32)
    target = rng.uniform(0, 1, magnitude.shape).astype(np.float32)
    weights = energy_weights(magnitude)
    network = compile_mask_estimator(build_model())
    loss = network.evaluate(magnitude, target, sample_weight=weights, verbose=0)
    predicted = np.asarray(network(magnitude, training=False))
    np.testing.assert_allclose(loss, np.mean(weights * (predicted - target) ** 2), rtol=1e-4)


def test_saved_weights_load_into_the_grader_network(model, tmp_path):
    path = weights_file("ratio", tmp_path)
    assert path.name == "vocals_ratio_mask.weights.h5"
    model.save_weights(path)
    loaded = heldout.submitted_model(tmp_path, "ratio")
    frames = np.random.default_rng(2).uniform(0, 1, (1, 5, N_BINS)).astype(np.float32)
    np.testing.assert_allclose(loaded(frames), model(frames), atol=1e-6)


def test_missing_foreign_or_linked_weights_are_reported(tmp_path):
    with pytest.raises(DlmusicError, match="no saved weights"):
        heldout.submitted_model(tmp_path, "binary")
    build_model(hidden_units=8).save_weights(weights_file("binary", tmp_path))
    with pytest.raises(DlmusicError, match="do not fit"):
        heldout.submitted_model(tmp_path, "binary")
    with pytest.raises(DlmusicError, match="unknown mask target"):
        weights_file("soft")
    weights_file("ratio", tmp_path).symlink_to(weights_file("binary", tmp_path))
    with pytest.raises(DlmusicError, match="not a regular file"):
        heldout.submitted_model(tmp_path, "ratio")


def test_sdr_improvement_is_measured_against_the_mixture(model):
    rng = np.random.default_rng(3)
    t = np.arange(5 * SR) / SR
    vocals = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    accompaniment = (0.05 * rng.standard_normal(t.size)).astype(np.float32)
    track = TrackStems("tone", vocals + accompaniment, vocals, accompaniment)
    gain = heldout.vocal_sdr_improvement(model, [track])
    assert np.isfinite(gain)
    instrumental = TrackStems("instrumental", accompaniment, np.zeros_like(vocals), accompaniment)
    assert np.isnan(heldout.vocal_sdr_improvement(model, [instrumental]))
