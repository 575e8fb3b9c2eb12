"""Training the notebook's networks from the student's code, on one budget.

Notebook: ``solutions/transcription``, parts 5 to 8. The network is the
student's ``build_nmp``, its losses the student's ``weighted_bce``, its
training examples the student's ``note_and_onset_targets``: :class:`Experiments` holds these
functions with the data and the seed, so each notebook cell is one call
(:mod:`dlmusic.transcription.evaluation` scores the networks with the
student's ``transcription_scores``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import keras

from dlmusic.course import by_mode
from dlmusic.datasets.summary import format_table
from dlmusic.runs import fit_keeping_best, run_name, train_or_load
from dlmusic.transcription.data import (
    Augmentation,
    FixedExcerpts,
    NoteOnsetTargets,
    PianoClip,
    WindowSequence,
    fixed_windows,
)
from dlmusic.transcription.saved import MODEL_CONFIGS, weights_file
from dlmusic.transcription.training import LossFactory, compile_nmp


@dataclass(frozen=True)
class Budget:
    """How long a network trains.

    Notebook: transcription, part 5 (the graded networks and the shorter comparisons).

    Attributes
    ----------
    epochs : int
        Passes of ``batches_per_epoch`` batches.
    batches_per_epoch : int
        Optimiser steps per epoch.
    batch_size : int
        Two-second windows per step.
    """

    epochs: int
    batches_per_epoch: int
    batch_size: int

    @property
    def steps(self) -> int:
        """Optimiser steps in all."""
        return self.epochs * self.batches_per_epoch

    def __str__(self) -> str:
        return (
            f"{self.epochs} epochs x {self.batches_per_epoch} batches x {self.batch_size} windows"
        )


def graded_budget() -> Budget:
    """The budget of each of the three graded networks, by run mode.

    Notebook: transcription, parts 5 and 8.
    """
    return by_mode(quick=Budget(2, 3, 4), full=Budget(60, 100, 16))


def comparison_budget() -> Budget:
    """The budget of the shorter experiments (data, onset loss, augmentation, post-stack).

    Notebook: transcription, parts 5 to 8.
    """
    return by_mode(quick=Budget(1, 3, 4), full=Budget(20, 50, 16))


class Experiments:
    """The notebook's training and scoring, built from the student's functions.

    Notebook: transcription, parts 5 to 8.

    Parameters
    ----------
    splits : mapping
        ``"train"`` and ``"validation"`` lists of :class:`PianoClip`.
    build_nmp : callable
        The student's ``build_nmp(**options) -> keras.Model``.
    weighted_bce : callable
        The student's ``weighted_bce(positive_weight, label_smoothing)``.
    targets : callable
        The student's ``note_and_onset_targets(notes, n_frames)``.
    seed : int
        Seeds every network's initial weights and every window draw.
    graded, comparison : Budget, optional
        Of each graded network (``budget``) and of each comparison
        (``comparison_budget``); by default :func:`graded_budget` and
        :func:`comparison_budget` (by run mode).
    runs_dir : path
        Where the comparison networks' weights and logs go (the graded ones
        go next to the notebook, :func:`~dlmusic.transcription.saved.weights_file`).
    """

    def __init__(
        self,
        splits: Mapping[str, Sequence[PianoClip]],
        build_nmp: Callable[..., keras.Model],
        weighted_bce: LossFactory,
        targets: NoteOnsetTargets,
        *,
        seed: int = 0,
        graded: Budget | None = None,
        comparison: Budget | None = None,
        runs_dir: str | Path = "runs",
    ) -> None:
        self.train_clips = list(splits["train"])
        self.validation_clips = list(splits["validation"])
        self.build_nmp = build_nmp
        self.weighted_bce = weighted_bce
        self.targets = targets
        self.seed = seed
        self.budget = graded or graded_budget()
        self.comparison_budget = comparison or comparison_budget()
        self.runs_dir = Path(runs_dir)
        self.validation_data = fixed_windows(self.validation_clips, targets)
        self.histories: dict[str, dict[str, list[float]]] = {}
        self.seconds: dict[str, float] = {}

    def sliding_windows(
        self, budget: Budget, *, augment: Augmentation | None = None
    ) -> WindowSequence:
        """Training batches at random offsets, new every epoch (part 5)."""
        return WindowSequence(self.train_clips, augment=augment, **self._batching(budget))

    def fixed_excerpts(self, budget: Budget) -> FixedExcerpts:
        """Training batches from one fixed set of windows (part 5)."""
        return FixedExcerpts(self.train_clips, **self._batching(budget))

    def _batching(self, budget: Budget) -> dict[str, object]:
        """The keyword arguments both kinds of training batches take."""
        return {
            "targets": self.targets,
            "batch_size": budget.batch_size,
            "batches_per_epoch": budget.batches_per_epoch,
            "seed": self.seed,
        }

    def fit(
        self,
        model: keras.Model,
        path: str | Path,
        data: keras.utils.PyDataset,
        budget: Budget,
        *,
        supervised_contour: bool = True,
        onset_loss: Callable | None = None,
    ) -> keras.callbacks.History:
        """Compile with the student's losses and fit, keeping the best epoch at ``path``."""
        compile_nmp(
            model, self.weighted_bce, supervised_contour=supervised_contour, onset_loss=onset_loss
        )
        return fit_keeping_best(
            model,
            data,
            weights_file=path,
            validation_data=self.validation_data,
            epochs=budget.epochs,
        )

    def train(
        self,
        name: str,
        budget: Budget | None = None,
        *,
        windows: str = "sliding",
        augment: Augmentation | None = None,
        onset_loss: Callable | None = None,
        **options: bool,
    ) -> keras.Model:
        """A fresh, seeded ``build_nmp(**options)`` trained for one of the comparisons.

        Parameters
        ----------
        name : str
            The run's name: weights and log go to ``<runs_dir>/<name>.weights.h5``
            and ``<name>.log.csv``, and its losses to ``histories[name]``.
        budget : Budget, optional
            How long it trains; by default ``comparison_budget``.
        windows : str
            ``"sliding"`` (:meth:`sliding_windows`, with ``augment``) or ``"fixed"``
            (:meth:`fixed_excerpts`).
        augment : callable, optional
            The student's ``augment_window``.
        onset_loss : callable, optional
            A Keras loss for the onset head instead of the per-cell weighted one.
        **options
            Passed to ``build_nmp`` (e.g. ``post_stack_conv=False``).
        """
        if windows not in ("sliding", "fixed"):
            raise ValueError(f"windows must be 'sliding' or 'fixed', got {windows!r}")
        budget = budget or self.comparison_budget
        if windows == "fixed":
            data = self.fixed_excerpts(budget)
        else:
            data = self.sliding_windows(budget, augment=augment)
        keras.utils.set_random_seed(self.seed)
        model = self.build_nmp(**options)
        history = self.fit(
            model,
            self.runs_dir / f"{name}.weights.h5",
            data,
            budget,
            supervised_contour=options.get("supervised_contour", True),
            onset_loss=onset_loss,
        )
        self.histories[name] = history.history
        return model

    def train_or_load(self, name: str, budget: Budget | None = None) -> keras.Model:
        """Graded network ``name`` (a key of ``MODEL_CONFIGS``): trained, or loaded when grading.

        Trained for ``budget`` (by default the graded ``budget``); the time it
        took is kept in ``seconds[name]``.
        """
        budget = budget or self.budget
        options = MODEL_CONFIGS[name]
        path = weights_file(name)

        def train(model: keras.Model) -> None:
            supervised_contour = options.get("supervised_contour", True)
            data = self.sliding_windows(budget)
            self.fit(model, path, data, budget, supervised_contour=supervised_contour)

        start = time.perf_counter()
        model = train_or_load(
            path, lambda: self.build_nmp(**options), train, label=f"{name} model", seed=self.seed
        )
        self.seconds[name] = time.perf_counter() - start
        return model

    def log_file(self, name: str) -> Path:
        """The training log (CSV, one row per epoch) of graded network ``name``."""
        path = weights_file(name)
        return path.with_name(f"{run_name(path)}.log.csv")

    def loss_table(self, *names: str) -> str:
        """Final training and validation loss and the best validation loss of runs ``names``.

        Notebook: transcription, part 5 (sliding windows or fixed excerpts?).
        """
        rows = [
            {
                "run": name,
                "final train loss": f"{self.histories[name]['loss'][-1]:.4f}",
                "final val loss": f"{self.histories[name]['val_loss'][-1]:.4f}",
                "best val loss": f"{min(self.histories[name]['val_loss']):.4f}",
            }
            for name in names
        ]
        return format_table(rows)
