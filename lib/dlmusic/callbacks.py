"""The Keras callbacks every graded training run uses, and loading the weights it saved.

Notebooks: ``solutions/transcription`` (part 5), ``solutions/composer`` (part 3),
``solutions/vocals`` (part 5). Each saves its best epoch with
:func:`training_callbacks`; the autograder rebuilds the network and reads the
file back with :func:`load_saved_weights`, which turns every way a submitted
file can be wrong into one clear error.

:func:`run_callbacks` adds what a long run on Colab needs: it resumes where it
stopped after a disconnect (:class:`keras.callbacks.BackupAndRestore`) and shows
one line that updates in place (:class:`ProgressLine`: epoch, batch, loss, time
left) instead of a line per epoch; fit with ``verbose=0`` beside it.

It also adds a :class:`TimeProbe` when ``$DLMUSIC_TIME_PROBE`` names a JSON file
(``benchmarks/notebook_times.py`` sets it): each run then stops after
``$DLMUSIC_TIME_PROBE_STEPS`` training steps and records how long a step takes,
so that full mode's training time can be extrapolated without running it.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings
from pathlib import Path

import keras

from dlmusic.errors import DlmusicError

PROGRESS_INTERVAL_S = 1.0
"""Least time between two updates of a :class:`ProgressLine` (the last always shows)."""
TIME_PROBE_ENV_VAR = "DLMUSIC_TIME_PROBE"
"""Path of the JSON file a :class:`TimeProbe` appends to; unset: no probe."""
TIME_PROBE_STEPS_ENV_VAR = "DLMUSIC_TIME_PROBE_STEPS"
"""Training steps after which a probed run stops (default :data:`TIME_PROBE_DEFAULT_STEPS`)."""
TIME_PROBE_DEFAULT_STEPS = 12
TIME_PROBE_WARMUP_STEPS = 2
"""Steps a :class:`TimeProbe` leaves out of the time per step (tracing and compiling)."""


def training_callbacks(
    out_dir: str | Path, name: str, *, monitor: str = "val_loss", mode: str = "auto"
) -> list[keras.callbacks.Callback]:
    """TerminateOnNaN, ModelCheckpoint (best weights by ``monitor``) and CSVLogger.

    Writes ``<out_dir>/<name>.weights.h5`` and ``<out_dir>/<name>.log.csv``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.ModelCheckpoint(
            out_dir / f"{name}.weights.h5",
            monitor=monitor,
            mode=mode,
            save_best_only=True,
            save_weights_only=True,
        ),
        keras.callbacks.CSVLogger(out_dir / f"{name}.log.csv"),
    ]


class ProgressLine(keras.callbacks.Callback):
    """One line per training run, updated in place: epoch, batch, loss, time left.

    The loss shown is Keras's total ``loss`` (and ``val_loss`` once an epoch has
    been validated), not each output head's.

    In Jupyter the line is one display output updated in place (so a saved
    notebook holds the last state, one line); elsewhere it is rewritten with a
    carriage return on stdout. The time left is extrapolated from the batches
    run so far in this session (a resumed run counts from where it resumed).

    Parameters
    ----------
    name : str
        What is trained, shown first on the line.
    interval_s : float
        Least seconds between two updates.
    """

    def __init__(self, name: str, *, interval_s: float = PROGRESS_INTERVAL_S) -> None:
        super().__init__()
        self.name = name
        self.interval_s = interval_s
        self._handle = None
        self._text = ""

    def on_train_begin(self, logs=None) -> None:
        self._start = time.perf_counter()
        self._shown_at = -float("inf")
        self._steps_done = 0
        self._epoch = 0
        self._logs: dict = {}
        self._handle = _display_handle()
        self._show(f"{self.name}: starting", force=True)

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._steps_done += 1
        self._logs = {**self._logs, **(logs or {})}
        self._show(self.line(batch + 1))

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        self._logs = {**self._logs, **(logs or {})}
        self._show(self.line(self.params.get("steps")), force=True)

    def on_train_end(self, logs=None) -> None:
        elapsed = time.perf_counter() - self._start
        self._show(f"{self._text.split(', ~')[0]}; done in {_clock(elapsed)}", force=True)
        if self._handle is None:
            sys.stdout.write("\n")
            sys.stdout.flush()

    def line(self, batch: int | None) -> str:
        """The progress line after ``batch`` batches of the current epoch."""
        epochs, steps = self.params.get("epochs") or 0, self.params.get("steps")
        elapsed = time.perf_counter() - self._start
        parts = [f"{self.name}: epoch {self._epoch + 1}/{epochs}"]
        if steps:
            parts.append(f"batch {batch or 0}/{steps}")
        totals = [key for key in ("loss", "val_loss") if key in self._logs]
        shown = totals or [key for key in self._logs if "loss" in key]  # per-head losses: too many
        parts += [f"{key} {self._logs[key]:.4g}" for key in shown]
        parts.append(f"{_clock(elapsed)} elapsed")
        if steps and self._steps_done:
            remaining = (epochs - self._epoch - 1) * steps + (steps - (batch or 0))
            parts.append(f"~{_clock(elapsed / self._steps_done * remaining)} left")
        return ", ".join(parts)

    def _show(self, text: str, *, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._shown_at < self.interval_s:
            return
        self._shown_at, self._text = now, text
        if self._handle is not None:
            from IPython.display import Pretty

            self._handle.update(Pretty(text))
        else:
            sys.stdout.write("\r" + text)
            sys.stdout.flush()


class TimeProbe(keras.callbacks.Callback):
    """Stop a run after ``max_steps`` training steps and append its timing to a JSON file.

    The file holds a JSON list with one object per probed run:

    - ``name``: the run's name;
    - ``planned_epochs``, ``steps_per_epoch``, ``planned_steps``: what ``fit``
      would have run (``planned_steps`` is epochs x steps per epoch, ``None``
      when the data has no length; a run resumed by ``BackupAndRestore`` still
      counts every epoch);
    - ``steps_run``, ``epochs_run``: what it ran before the probe stopped it;
    - ``seconds``: the run's wall time, ``fit``'s start to its end;
    - ``warmup_seconds``: from the start to the end of step ``warmup_steps``
      (the first steps trace and compile the training function);
    - ``seconds_per_step``: the mean time of the later steps of the first
      epoch, ``(end of the last step - end of step warmup_steps) /
      (steps - warmup_steps)``; ``None`` when no step came after the warm-up;
    - ``epoch_end_seconds``: from the end of the first epoch's last step to
      this callback's ``on_epoch_end`` (validation and the callbacks listed
      before this one, such as checkpoints); the first epoch's, so it includes
      tracing the evaluation function;
    - ``extrapolated_seconds``: the time of what was not run,
      ``(planned_steps - steps_run) x seconds_per_step + (planned_epochs -
      epochs_run) x epoch_end_seconds``.

    Parameters
    ----------
    name : str
        The run's name.
    path : str or Path
        JSON file to append to (created when missing).
    max_steps : int
        Training steps after which the run stops (at least ``warmup_steps + 1``).
    warmup_steps : int
        First steps left out of ``seconds_per_step``.
    """

    def __init__(
        self,
        name: str,
        path: str | Path,
        *,
        max_steps: int = TIME_PROBE_DEFAULT_STEPS,
        warmup_steps: int = TIME_PROBE_WARMUP_STEPS,
    ) -> None:
        super().__init__()
        if warmup_steps < 0 or max_steps <= warmup_steps:
            raise DlmusicError(
                f"a time probe needs more steps ({max_steps}) than warm-up steps ({warmup_steps})"
            )
        self.name, self.path = name, Path(path)
        self.max_steps, self.warmup_steps = max_steps, warmup_steps

    def on_train_begin(self, logs=None) -> None:
        self._start = time.perf_counter()
        self._step_ends: list[float] = []
        self._epochs_run = 0
        self._epoch_end_seconds: float | None = None
        self._first_epoch_steps: int | None = None

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        self._step_ends.append(time.perf_counter())
        if len(self._step_ends) >= self.max_steps:
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if self._epochs_run == 0 and self._step_ends:
            self._first_epoch_steps = len(self._step_ends)
            self._epoch_end_seconds = time.perf_counter() - self._step_ends[-1]
        self._epochs_run += 1

    def on_train_end(self, logs=None) -> None:
        self.record(time.perf_counter() - self._start)

    def record(self, seconds: float) -> dict:
        """Append this run's timing (see the class) to the file and return it."""
        epochs, steps_per_epoch = self.params.get("epochs"), self.params.get("steps")
        planned = epochs * steps_per_epoch if epochs and steps_per_epoch else None
        first = self._step_ends[: self._first_epoch_steps]
        warm = self.warmup_steps
        per_step = (
            (first[-1] - first[warm - 1]) / (len(first) - warm) if len(first) > warm else None
        )
        warmup_end = self._step_ends[min(warm, len(self._step_ends)) - 1] if self._step_ends else 0
        entry = {
            "name": self.name,
            "planned_epochs": epochs,
            "steps_per_epoch": steps_per_epoch,
            "planned_steps": planned,
            "steps_run": len(self._step_ends),
            "epochs_run": self._epochs_run,
            "seconds": seconds,
            "warmup_steps": warm,
            "warmup_seconds": warmup_end - self._start if warm else 0.0,
            "seconds_per_step": per_step,
            "epoch_end_seconds": self._epoch_end_seconds,
            "extrapolated_seconds": _extrapolated(
                planned,
                len(self._step_ends),
                per_step,
                epochs,
                self._epochs_run,
                self._epoch_end_seconds,
            ),
        }
        entries = json.loads(self.path.read_text()) if self.path.is_file() else []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps([*entries, entry], indent=1))
        return entry


def _extrapolated(
    planned_steps: int | None,
    steps_run: int,
    seconds_per_step: float | None,
    planned_epochs: int | None,
    epochs_run: int,
    epoch_end_seconds: float | None,
) -> float | None:
    """Seconds the steps and epoch ends not run would have taken (None: cannot tell)."""
    if planned_steps is None or (seconds_per_step is None and planned_steps > steps_run):
        return None
    extra = (planned_steps - steps_run) * (seconds_per_step or 0.0)
    return extra + (planned_epochs - epochs_run) * (epoch_end_seconds or 0.0)


def time_probe(name: str) -> TimeProbe | None:
    """The :class:`TimeProbe` that ``$DLMUSIC_TIME_PROBE`` asks for, else None.

    Raises
    ------
    DlmusicError
        ``$DLMUSIC_TIME_PROBE_STEPS`` is not a whole number above the warm-up steps.
    """
    path = os.environ.get(TIME_PROBE_ENV_VAR)
    if not path:
        return None
    raw = os.environ.get(TIME_PROBE_STEPS_ENV_VAR) or str(TIME_PROBE_DEFAULT_STEPS)
    try:
        steps = int(raw)
    except ValueError:
        raise DlmusicError(f"${TIME_PROBE_STEPS_ENV_VAR}={raw!r} is not a whole number") from None
    return TimeProbe(name, path, max_steps=steps)


def run_callbacks(out_dir: str | Path, name: str) -> list[keras.callbacks.Callback]:
    """Resume after a disconnect, and one updating progress line; use with ``verbose=0``.

    ``BackupAndRestore`` keeps the last finished epoch (weights, optimizer, epoch)
    in ``<out_dir>/<name>.backup/`` and deletes it when training completes; the
    same ``fit`` call run again after a disconnect carries on from there. Keep
    ``out_dir`` on Google Drive on Colab (``setup_notebook`` makes the working
    folder a Drive folder), since ``/content`` does not survive a disconnect.

    When ``$DLMUSIC_TIME_PROBE`` is set, a :class:`TimeProbe` comes last (see
    :func:`time_probe`): the run stops early and its timing is recorded.
    """
    probe = time_probe(name)
    return [
        keras.callbacks.BackupAndRestore(str(Path(out_dir) / f"{name}.backup")),
        ProgressLine(name),
        *([probe] if probe else []),
    ]


def _display_handle():
    """An IPython display handle when running in a Jupyter kernel, else None."""
    try:
        from IPython import get_ipython
        from IPython.display import Pretty, display
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None or not hasattr(shell, "kernel"):
        return None
    return display(Pretty(""), display_id=True)


def _clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def require_saved_weights(path: str | Path, description: str) -> Path:
    """``path`` as a Path if a weights file is there; ``description`` names the network.

    Raises
    ------
    DlmusicError
        No file at ``path``.
    """
    path = Path(path)
    if not path.is_file():
        raise DlmusicError(f"no saved weights for the {description} at {path}; run the notebook")
    return path


def load_saved_weights(model: keras.Model, path: str | Path, description: str) -> keras.Model:
    """Load the weights file at ``path`` into the freshly built ``model``.

    Raises
    ------
    DlmusicError
        The file is missing, or does not fit the network (another architecture,
        a corrupt or truncated file); ``description`` names the network.
    """
    path = require_saved_weights(path, description)
    try:
        with warnings.catch_warnings():
            # Keras warns about each mismatched layer before raising; the error says it all.
            warnings.simplefilter("ignore")
            model.load_weights(path)
    except (ValueError, OSError, KeyError) as err:
        raise DlmusicError(f"weights at {path} do not fit the {description}: {err}") from err
    return model
