"""The composer networks, training plumbing, inspection and held-out scoring, on tiny inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dlmusic.composer.dataset import RowSet  # noqa: E402
from dlmusic.composer.inside import (  # noqa: E402
    class_logits,
    conv_layer_names,
    first_layer_filters,
    grad_cam,
    layer_activations,
)
from dlmusic.composer.model import (  # noqa: E402
    INPUT_SHAPE,
    build_small_cnn,
    load_saved_model,
    set_batch_norm_momentum,
    weights_file,
)
from dlmusic.errors import DlmusicError  # noqa: E402
from dlmusic_instructor.heldout import composer as heldout  # noqa: E402
from dlmusic_instructor.references.composer import (  # noqa: E402
    build_resnet50,
    compile_classifier,
    make_callbacks,
)


def test_resnet50_reads_one_channel_rows_and_has_resnet50_size():
    model = build_resnet50(6)
    assert model.input_shape == (None, *INPUT_SHAPE) and model.output_shape == (None, 6)
    # ImageNet's ResNet50 has 25,636,712 parameters; one input channel instead of three
    # removes 2 * 7 * 7 * 64 weights and 6 classes instead of 1000 remove 994 * 2049.
    assert model.count_params() == 25_636_712 - 2 * 7 * 7 * 64 - 994 * 2049


def test_small_cnn_learns_to_tell_two_textures_apart(tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = np.zeros((32, 70, 400, 1), np.float32)
    x[:16, ::8] = 1.0  # horizontal lines
    x[16:, :, ::8] = 1.0  # vertical lines
    x += rng.uniform(0, 0.2, x.shape).astype(np.float32)
    y = np.repeat([0, 1], 16)
    model = compile_classifier(build_small_cnn(2, filters=(8, 16)), learning_rate=0.05)
    model.fit(
        x,
        y,
        validation_data=(x, y),
        epochs=4,
        batch_size=8,
        verbose=0,
        callbacks=make_callbacks(tmp_path, "tiny"),
    )
    assert model.evaluate(x, y, verbose=0)[1] == 1.0
    assert (tmp_path / "tiny.weights.h5").is_file() and (tmp_path / "tiny.log.csv").is_file()


def test_sgd_learning_rate_halves_every_decay_steps():
    model = compile_classifier(build_small_cnn(2), learning_rate=0.1, decay_steps=10)
    config = model.optimizer.get_config()
    assert isinstance(model.optimizer, keras.optimizers.SGD) and config["momentum"] == 0.9
    schedule = keras.optimizers.schedules.deserialize(config["learning_rate"])
    assert np.isclose(float(schedule(0)), 0.1) and np.isclose(float(schedule(10)), 0.05)


def test_inspection_shapes_and_grad_cam_range():
    model = build_small_cnn(3, filters=(4, 8))
    row = np.random.default_rng(1).uniform(0, 1, INPUT_SHAPE).astype(np.float32)
    names = conv_layer_names(model)
    assert names == ["conv1", "conv2"]
    assert layer_activations(model, "conv1", row[np.newaxis]).shape == (1, 70, 400, 4)
    assert first_layer_filters(model).shape == (3, 3, 1, 4)
    heat = grad_cam(model, row, "conv2", class_index=1)
    assert heat.shape == (35, 200) and heat.min() >= 0 and heat.max() <= 1


def test_grad_cam_differentiates_the_logit_that_the_softmax_turns_into_the_output():
    model = build_small_cnn(3, filters=(4, 8))
    rows = np.random.default_rng(2).uniform(0, 1, (2, *INPUT_SHAPE)).astype(np.float32)
    features = keras.Model(model.inputs[0], model.layers[-1].input)(rows)
    logits = keras.ops.convert_to_numpy(class_logits(model, features))
    probabilities = keras.ops.convert_to_numpy(model(rows))
    assert np.allclose(keras.ops.convert_to_numpy(keras.ops.softmax(logits)), probabilities)
    linear = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(DlmusicError, match="softmax"):
        class_logits(linear, np.zeros((1, 4), np.float32))


def test_saved_weights_are_reloaded_with_the_given_builder_and_scored(tmp_path):
    model = build_small_cnn(6)
    model.save_weights(weights_file("small_cnn", tmp_path))
    loaded = load_saved_model("small_cnn", build_small_cnn, 6, tmp_path)
    rows = RowSet(
        np.zeros((4, *INPUT_SHAPE), np.float32),
        np.array([0, 0, 1, 1]),
        np.array(["a/1", "a/1", "b/1", "b/1"]),
        np.ones(4, int),
        ("a", "b", "c", "d", "e", "f"),
    )
    scores = heldout.heldout_accuracy(loaded, rows)
    assert set(scores) == {"row", "piece"} and scores["row"] == scores["piece"] == 0.5


def test_missing_or_mismatched_weights_give_a_clear_error(tmp_path):
    with pytest.raises(DlmusicError, match="run the notebook"):
        load_saved_model("small_cnn", build_small_cnn, 6, tmp_path)
    build_small_cnn(6, filters=(8,)).save_weights(weights_file("small_cnn", tmp_path))
    with pytest.raises(DlmusicError, match="do not fit"):
        load_saved_model("small_cnn", build_small_cnn, 6, tmp_path)
    with pytest.raises(DlmusicError, match="unknown model"):
        weights_file("vgg")


def test_submitted_resnet50_must_be_a_regular_file_that_fits(tmp_path):
    with pytest.raises(DlmusicError, match="run the notebook"):
        heldout.load_submitted_resnet50(tmp_path)
    weights_file("resnet50", tmp_path).symlink_to("/etc/passwd")
    with pytest.raises(DlmusicError, match="not a regular file"):
        heldout.load_submitted_resnet50(tmp_path)
    weights_file("resnet50", tmp_path).unlink()
    build_small_cnn(6).save_weights(weights_file("resnet50", tmp_path))
    with pytest.raises(DlmusicError, match="do not fit"):
        heldout.load_submitted_resnet50(tmp_path)


def test_row_finder_agreement_counts_extra_and_missed_rows():
    page = np.ones((400, 1240), np.float32)
    page[100:200, 96:99] = 0
    assert heldout.row_finder_agreement([page], [[(100, 200)]]) == 1.0
    assert heldout.row_finder_agreement([page], [[(100, 200), (300, 350)]]) == 0.5
    assert heldout.row_finder_agreement([page], [[]]) == 0.0


def test_held_out_pages_refuse_a_relative_folder(tmp_path, monkeypatch):
    """A relative folder would engrave into the working directory (once, the repo root)."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DlmusicError, match="absolute"):
        heldout.heldout_pages(Path("heldout"), 3, "quick")
    assert not any(tmp_path.iterdir())


def test_batch_norm_momentum_is_set_on_every_batch_norm_layer_and_weights_still_load(tmp_path):
    model = set_batch_norm_momentum(build_resnet50(5), 0.9)
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(norms) > 50 and {layer.momentum for layer in norms} == {0.9}
    assert {layer.momentum for layer in build_small_cnn(2).layers if "bn" in layer.name} == {0.9}
    model.save_weights(tmp_path / "m.weights.h5")
    build_resnet50(5).load_weights(tmp_path / "m.weights.h5")
    with pytest.raises(DlmusicError, match="momentum"):
        set_batch_norm_momentum(model, 1.0)
