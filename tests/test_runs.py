"""dlmusic.runs: a training run keeps its best epoch; grading mode loads instead of training."""

from __future__ import annotations

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from dlmusic.errors import DlmusicError  # noqa: E402
from dlmusic.runs import count_trainable_parameters, fit_keeping_best, train_or_load  # noqa: E402


def tiny_model() -> keras.Model:
    """Linear regression from 4 features to 1 output (5 weights)."""
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])


def regression_data(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 4)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5], [3.0]], dtype="float32")


class WeightsPerEpoch(keras.callbacks.Callback):
    """Copies of the model's weights at the end of each epoch."""

    def on_train_begin(self, logs=None) -> None:
        self.epochs: list[list[np.ndarray]] = []

    def on_epoch_end(self, epoch, logs=None) -> None:
        self.epochs.append([w.copy() for w in self.model.get_weights()])


def same_weights(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return all(np.array_equal(u, v) for u, v in zip(a, b, strict=True))


@pytest.fixture
def training_mode(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("DLMUSIC_MODE", "quick")


@pytest.fixture
def grading_mode(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")


def test_fit_keeping_best_restores_the_best_epoch_not_the_last(tmp_path, training_mode):
    model = tiny_model()
    # A step size far past stability: the validation loss grows every epoch after the first.
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.2), loss="mse")
    x, y = regression_data()
    seen = WeightsPerEpoch()
    path = tmp_path / "runs" / "net.weights.h5"
    history = fit_keeping_best(
        model, (x, y), weights_file=path, callbacks=[seen], validation_data=(x, y), epochs=4
    )
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert best != len(val_loss) - 1, f"the setup must make the last epoch worse: {val_loss}"
    assert same_weights(model.get_weights(), seen.epochs[best])
    assert not same_weights(model.get_weights(), seen.epochs[-1])
    assert path.is_file() and (tmp_path / "runs" / "net.log.csv").is_file()


def test_fit_keeping_best_saves_the_last_epoch_when_no_checkpoint_was_written(
    tmp_path, training_mode
):
    path = tmp_path / "net.weights.h5"
    stale = tiny_model()
    stale.set_weights([np.full_like(w, 7.0) for w in stale.get_weights()])
    stale.save_weights(path)  # an earlier run's file must not be restored
    model = tiny_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="val_loss"):  # nothing to monitor without validation
        fit_keeping_best(model, regression_data(), weights_file=path, epochs=2)
    reloaded = tiny_model()
    reloaded.load_weights(path)
    assert same_weights(reloaded.get_weights(), model.get_weights())
    assert not np.any(model.get_weights()[0] == 7.0)


def test_fit_keeping_best_refuses_a_file_name_keras_cannot_write(tmp_path):
    model = tiny_model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(DlmusicError, match=r"\.weights\.h5"):
        fit_keeping_best(model, regression_data(), weights_file=tmp_path / "net.h5", epochs=1)


def test_fit_keeping_best_reads_a_tuple_as_x_and_y_only(tmp_path):
    model = tiny_model()
    model.compile(optimizer="sgd", loss="mse")
    x, y = regression_data()
    with pytest.raises(DlmusicError, match=r"\(x, y\); got 3 items"):
        fit_keeping_best(model, (x, y, y), weights_file=tmp_path / "net.weights.h5", epochs=1)


def train_for(path, epochs: int = 1):
    def train(model: keras.Model) -> None:
        model.compile(optimizer="sgd", loss="mse")
        x, y = regression_data()
        fit_keeping_best(model, (x, y), weights_file=path, validation_data=(x, y), epochs=epochs)

    return train


def test_train_or_load_trains_then_grading_mode_loads_the_same_weights(tmp_path, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("DLMUSIC_MODE", "quick")
    path = tmp_path / "net.weights.h5"
    trained = train_or_load(path, tiny_model, train_for(path), label="tiny network", seed=1)
    assert path.is_file()

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")

    def must_not_train(model):
        raise AssertionError("grading mode trained the network")

    loaded = train_or_load(path, tiny_model, must_not_train, label="tiny network")
    assert same_weights(loaded.get_weights(), trained.get_weights())
    assert not same_weights(loaded.get_weights(), tiny_model().get_weights())


def test_train_or_load_in_grading_mode_says_which_weights_are_missing(tmp_path, grading_mode):
    path = tmp_path / "net.weights.h5"
    with pytest.raises(DlmusicError, match=r"no saved weights for the tiny network at .*net"):
        train_or_load(path, tiny_model, train_for(path), label="tiny network")
    assert not path.exists()


def test_train_or_load_in_grading_mode_rejects_weights_of_another_network(tmp_path, grading_mode):
    path = tmp_path / "net.weights.h5"
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    other.save_weights(path)
    with pytest.raises(DlmusicError, match="do not fit the tiny network"):
        train_or_load(path, tiny_model, train_for(path), label="tiny network")


def test_train_or_load_says_when_training_saved_nothing(tmp_path, training_mode):
    with pytest.raises(DlmusicError, match="saved no weights"):
        train_or_load(tmp_path / "net.weights.h5", tiny_model, lambda m: None, label="tiny network")


def test_train_or_load_seed_fixes_the_initial_weights(tmp_path, training_mode):
    def build():
        return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])

    initial = []

    def keep_initial(model):
        initial.append([w.copy() for w in model.get_weights()])
        model.save_weights(tmp_path / "net.weights.h5")

    for _ in range(2):
        keras.utils.set_random_seed(len(initial) + 100)  # what ran before differs
        train_or_load(tmp_path / "net.weights.h5", build, keep_initial, label="net", seed=3)
    assert same_weights(initial[0], initial[1])


def test_count_trainable_parameters_leaves_out_frozen_weights():
    model = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()]
    )
    # Dense: 4 * 3 + 3; BatchNormalization: gamma and beta trainable, the moving statistics not.
    assert count_trainable_parameters(model) == 15 + 2 * 3
    model.layers[0].trainable = False
    assert count_trainable_parameters(model) == 2 * 3
