"""Training runs: one updating progress line, and resuming after a disconnect."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from dlmusic.course import native_stderr_silenced

with native_stderr_silenced():
    import keras

from dlmusic.callbacks import (
    TIME_PROBE_ENV_VAR,
    TIME_PROBE_STEPS_ENV_VAR,
    ProgressLine,
    TimeProbe,
    run_callbacks,
    training_callbacks,
)
from dlmusic.errors import DlmusicError

EPOCHS = 4
BATCHES = 5


def tiny_model() -> keras.Model:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    return model


def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCHES * 4, 3)).astype("float32")
    return x, x.sum(axis=1, keepdims=True)


class Disconnect(keras.callbacks.Callback):
    """Stops training as a lost Colab runtime would, after ``epoch`` finished."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt("runtime disconnected")


class EpochsSeen(keras.callbacks.Callback):
    def __init__(self) -> None:
        super().__init__()
        self.epochs: list[int] = []

    def on_epoch_begin(self, epoch, logs=None):
        self.epochs.append(epoch)


def test_progress_is_one_line_rewritten_in_place_with_epoch_loss_and_time_left(capsys):
    x, y = data()
    tiny_model().fit(
        x, y, batch_size=4, epochs=EPOCHS, verbose=0, callbacks=[ProgressLine("net", interval_s=0)]
    )
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n")
    updates = out.rstrip("\n").split("\r")[1:]
    assert len(updates) == 1 + EPOCHS * (BATCHES + 1) + 1  # start, batches and epochs, end
    assert any(f"epoch 2/{EPOCHS}, batch 3/{BATCHES}, loss" in u and "left" in u for u in updates)
    assert updates[-1].startswith(f"net: epoch {EPOCHS}/{EPOCHS}, batch {BATCHES}/{BATCHES}")
    assert "done in" in updates[-1]


def test_progress_updates_at_most_once_per_interval(capsys):
    x, y = data()
    tiny_model().fit(
        x, y, batch_size=4, epochs=EPOCHS, verbose=0, callbacks=[ProgressLine("n", interval_s=60)]
    )
    updates = capsys.readouterr().out.split("\r")[1:]
    assert len(updates) == 1 + EPOCHS + 1  # start, each epoch's end, the end


def test_a_run_stopped_by_a_disconnect_resumes_at_the_next_epoch(tmp_path, capsys):
    x, y = data()
    first = tiny_model()
    with pytest.raises(KeyboardInterrupt):
        first.fit(
            x,
            y,
            batch_size=4,
            epochs=EPOCHS,
            verbose=0,
            callbacks=[*run_callbacks(tmp_path, "net"), Disconnect(epoch=1)],
        )
    assert (tmp_path / "net.backup").is_dir()
    seen = EpochsSeen()
    second = tiny_model()
    second.fit(
        x,
        y,
        batch_size=4,
        epochs=EPOCHS,
        verbose=0,
        callbacks=[*training_callbacks(tmp_path, "net"), *run_callbacks(tmp_path, "net"), seen],
    )
    assert seen.epochs == [2, 3]
    assert not (tmp_path / "net.backup").exists(), "the backup goes once training completes"
    assert f"epoch {EPOCHS}/{EPOCHS}" in capsys.readouterr().out


def test_in_a_notebook_the_saved_output_is_the_last_state_of_one_line(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    from nbclient import NotebookClient
    from nbformat.v4 import new_code_cell, new_notebook

    notebook = new_notebook(
        cells=[
            new_code_cell(
                "import numpy as np, keras\n"
                "from dlmusic.callbacks import ProgressLine\n"
                "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
                "model.compile(optimizer='sgd', loss='mse')\n"
                "x = np.ones((20, 3), 'float32')\n"
                "model.fit(x, x[:, :1], batch_size=4, epochs=3, verbose=0,\n"
                "          callbacks=[ProgressLine('net', interval_s=0)])\n"
                "None"
            )
        ]
    )
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()
    saved = nbformat.reads(nbformat.writes(notebook), as_version=4)
    shown = [o for o in saved.cells[0].outputs if o.output_type == "display_data"]
    assert len(shown) == 1
    text = shown[0].data["text/plain"]
    assert text.startswith("net: epoch 3/3, batch 5/5") and "done in" in text
    assert not [o for o in saved.cells[0].outputs if o.output_type == "stream"]


def test_a_network_with_several_heads_shows_its_total_loss_only(capsys):
    inputs = keras.Input((3,))
    model = keras.Model(
        inputs, {"note": keras.layers.Dense(1)(inputs), "onset": keras.layers.Dense(1)(inputs)}
    )
    model.compile(optimizer="sgd", loss={"note": "mse", "onset": "mse"})
    x, y = data()
    model.fit(
        x,
        {"note": y, "onset": y},
        validation_data=(x, {"note": y, "onset": y}),
        batch_size=4,
        epochs=2,
        verbose=0,
        callbacks=[ProgressLine("heads", interval_s=0)],
    )
    last = capsys.readouterr().out.rstrip("\n").split("\r")[-1]
    assert ", loss " in last and ", val_loss " in last
    assert "note_loss" not in last and "onset_loss" not in last


class SlowSteps(keras.callbacks.Callback):
    """Sleeps after each training step: ``first_s`` after the first, ``later_s`` after others."""

    def __init__(self, first_s: float, later_s: float) -> None:
        super().__init__()
        self.first_s, self.later_s = first_s, later_s

    def on_train_batch_end(self, batch, logs=None):
        time.sleep(self.first_s)
        self.first_s = self.later_s


def probed_fit(tmp_path, name: str, *extra: keras.callbacks.Callback) -> EpochsSeen:
    x, y = data()
    seen = EpochsSeen()
    tiny_model().fit(
        x,
        y,
        validation_data=(x, y),
        batch_size=4,
        epochs=EPOCHS,
        verbose=0,
        callbacks=[seen, *extra, *run_callbacks(tmp_path, name)],
    )
    return seen


def test_without_the_probe_variable_runs_are_not_cut_short(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(TIME_PROBE_ENV_VAR, raising=False)
    assert not [c for c in run_callbacks(tmp_path, "net") if isinstance(c, TimeProbe)]
    assert probed_fit(tmp_path, "net").epochs == list(range(EPOCHS))
    assert list(tmp_path.iterdir()) == []


def test_the_probe_stops_each_run_and_appends_its_planned_and_run_steps(
    tmp_path, monkeypatch, capsys
):
    probe_file = tmp_path / "probe.json"
    monkeypatch.setenv(TIME_PROBE_ENV_VAR, str(probe_file))
    monkeypatch.setenv(TIME_PROBE_STEPS_ENV_VAR, "4")
    assert probed_fit(tmp_path, "first").epochs == [0]
    probed_fit(tmp_path, "second")
    first, second = json.loads(probe_file.read_text())
    assert [first["name"], second["name"]] == ["first", "second"]
    assert first["planned_epochs"] == EPOCHS and first["steps_per_epoch"] == BATCHES
    assert first["planned_steps"] == EPOCHS * BATCHES
    assert (first["steps_run"], first["epochs_run"]) == (4, 1)
    assert first["seconds_per_step"] > 0 and first["epoch_end_seconds"] > 0
    expected = (EPOCHS * BATCHES - 4) * first["seconds_per_step"]
    expected += (EPOCHS - 1) * first["epoch_end_seconds"]
    assert first["extrapolated_seconds"] == pytest.approx(expected)


def test_the_time_per_step_leaves_out_the_warm_up_steps(tmp_path, monkeypatch, capsys):
    probe_file = tmp_path / "probe.json"
    monkeypatch.setenv(TIME_PROBE_ENV_VAR, str(probe_file))
    monkeypatch.setenv(TIME_PROBE_STEPS_ENV_VAR, str(BATCHES))
    probed_fit(tmp_path, "slow start", SlowSteps(first_s=1.0, later_s=0.05))
    (entry,) = json.loads(probe_file.read_text())
    assert entry["warmup_seconds"] >= 1.0
    assert 0.05 <= entry["seconds_per_step"] < 0.2, "all steps' mean would be over 0.24 s"


def test_a_cap_beyond_one_epoch_times_steps_within_the_first_epoch(tmp_path, monkeypatch, capsys):
    probe_file = tmp_path / "probe.json"
    monkeypatch.setenv(TIME_PROBE_ENV_VAR, str(probe_file))
    monkeypatch.setenv(TIME_PROBE_STEPS_ENV_VAR, str(BATCHES + 2))
    assert probed_fit(tmp_path, "net", SlowSteps(first_s=0.0, later_s=0.05)).epochs == [0, 1]
    (entry,) = json.loads(probe_file.read_text())
    assert (entry["steps_run"], entry["epochs_run"]) == (BATCHES + 2, 2)
    assert 0.05 <= entry["seconds_per_step"] < 0.5


@pytest.mark.parametrize("steps", ["ten", "2"])
def test_a_probe_step_count_that_cannot_work_is_refused(tmp_path, monkeypatch, steps):
    monkeypatch.setenv(TIME_PROBE_ENV_VAR, str(tmp_path / "probe.json"))
    monkeypatch.setenv(TIME_PROBE_STEPS_ENV_VAR, steps)
    with pytest.raises(DlmusicError, match=r"steps|whole number"):
        run_callbacks(tmp_path, "net")
