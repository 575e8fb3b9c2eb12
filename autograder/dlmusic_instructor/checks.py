"""Hidden checks: the grader's verdict on every autograded cell, reached outside student code.

A student's code computes; the grader judges. Each autograded test cell of an
assignment has one :class:`Check` in ``dlmusic_instructor.assignments.<assignment>``
(its ``CHECKS`` tuple), which works in three steps:

1. **inputs** (grader's process): :attr:`Check.make_inputs` draws the arrays the
   student's functions will be called on, from a generator seeded by the
   workspace's held-out seed, the student and the cell (:meth:`Context.rng`).
2. **probe** (the student's kernel, in the sandbox, after the notebook ran):
   :attr:`Check.probe` is Python source executed in a copy of the notebook's
   globals with ``inputs`` bound to those arrays; it calls the student's
   functions and binds ``outputs``, a dict of plain values (numbers, strings,
   numeric or boolean arrays). It holds no answer: only calls. While it runs,
   every call of a function named in :attr:`Check.forbidden_calls` is recorded
   (a student who calls ``scipy.ndimage.median_filter`` under any alias is seen).
   A probe may also save a file (e.g. a model's weights) under ``probe_dir``.
3. **judge** (grader's process): :attr:`Check.judge` receives a :class:`ProbeRun`
   (inputs, outputs loaded with ``allow_pickle=False``, files, the context) and
   compares with the instructor's references. It returns ``None`` for full
   marks, a fraction in ``[0, 1]`` (or ``(fraction, reason)``) for partial credit, or raises
   :class:`CheckFailed` / ``AssertionError`` with the reason a student may read.

A check without a probe (``probe=""``) judges files the student handed in, such as
saved weights, with the instructor's own builders: the held-out model scores.

Nothing here runs in the student's process except the probe source and
:mod:`dlmusic_instructor.probe_runtime`, which hold no references.
"""

from __future__ import annotations

import hashlib
import importlib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dlmusic.errors import DlmusicError


class CheckFailed(AssertionError):
    """A hidden check found the answer wrong; the message is shown to the student."""


@dataclass(frozen=True)
class Context:
    """What a judge may use besides the probe's outputs.

    Attributes
    ----------
    student : str
        The student id.
    assignment : str
        The assignment id.
    submission : Path
        The grader's copy of what the student handed in (notebooks, weights files);
        never visible to the student's code.
    heldout : Path
        The grading workspace's held-out data folder (only the grader sees it).
    seed : int
        The workspace's held-out seed, drawn by ``prepare``.
    size : str
        Size of the held-out material: ``"quick"`` (tests and the demo) or ``"full"``.
    """

    student: str
    assignment: str
    submission: Path
    heldout: Path
    seed: int
    size: str = "full"

    def rng(self, grade_id: str) -> np.random.Generator:
        """A generator fixed by (seed, student, cell): regrading draws the same inputs."""
        digest = hashlib.sha256(f"{self.seed}/{self.student}/{grade_id}".encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))


@dataclass(frozen=True)
class ProbeRun:
    """What one probe produced, loaded in the grader's process.

    Attributes
    ----------
    inputs : dict of str to np.ndarray
        What :attr:`Check.make_inputs` drew (empty when it has none).
    outputs : dict of str to np.ndarray
        What the probe bound to ``outputs`` (0-d arrays for numbers and strings).
    files : Path
        The probe's folder: files it saved (e.g. ``weights.h5``).
    context : Context
        The submission's context.
    """

    inputs: Mapping[str, np.ndarray]
    outputs: Mapping[str, np.ndarray]
    files: Path
    context: Context

    def output(self, name: str) -> np.ndarray:
        """The output ``name``; :class:`CheckFailed` when the probe did not produce it."""
        if name not in self.outputs:
            raise CheckFailed(f"no value for {name!r}: the cell's names must stay as given")
        return self.outputs[name]

    def number(self, name: str) -> float:
        """The output ``name`` as one finite or non-finite float."""
        value = np.asarray(self.output(name))
        if value.size != 1 or not np.issubdtype(value.dtype, np.number):
            raise CheckFailed(f"{name} must be one number, got {_describe(value)}")
        return float(value.reshape(()))

    def array(self, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """The output ``name`` as a float64 array, optionally of an exact ``shape``."""
        value = np.asarray(self.output(name))
        if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
            raise CheckFailed(f"{name} must be numeric, got {_describe(value)}")
        if shape is not None and value.shape != shape:
            raise CheckFailed(f"{name} has shape {value.shape}, expected {shape}")
        return value.astype(np.float64)

    def text(self, name: str) -> str:
        """The output ``name`` as a string (e.g. the name of an exception raised)."""
        return str(np.asarray(self.output(name)).reshape(()))


Judge = Callable[[ProbeRun], "float | tuple[float, str] | None"]
InputMaker = Callable[[Context], dict[str, np.ndarray]]


@dataclass(frozen=True)
class Check:
    """The grader's judgement of one autograded cell.

    Attributes
    ----------
    grade_id : str
        The nbgrader ``grade_id`` of the test cell it scores.
    judge : callable
        ``judge(run) -> None | float | (float, reason)``; see the module docstring.
    probe : str
        Source run in the student's kernel (``""``: no probe).
    make_inputs : callable, optional
        ``make_inputs(context) -> dict`` of arrays for the probe.
    forbidden_calls : tuple of str
        Dotted names (``"scipy.ndimage.median_filter"``) the student's code must
        not call while the probe runs; a call scores 0 with that reason.
    timeout_s : float
        Seconds the probe may run before it is interrupted.
    """

    grade_id: str
    judge: Judge
    probe: str = ""
    make_inputs: InputMaker | None = None
    forbidden_calls: tuple[str, ...] = ()
    timeout_s: float = 120.0


@dataclass(frozen=True)
class Verdict:
    """The grader's decision on one cell: a fraction of its points and why."""

    grade_id: str
    fraction: float
    reason: str = ""

    @property
    def full_marks(self) -> bool:
        return self.fraction >= 1.0


@dataclass(frozen=True)
class ProbeStatus:
    """How a probe ended in the sandbox (read from its ``status.json``)."""

    ran: bool = False
    error: str = ""
    forbidden: tuple[str, ...] = ()
    tampered: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def checks_for(assignment: str) -> tuple[Check, ...]:
    """The ``CHECKS`` of ``dlmusic_instructor.assignments.<assignment>``.

    Raises
    ------
    DlmusicError
        No such module, or it holds no checks.
    """
    try:
        module = importlib.import_module(f"dlmusic_instructor.assignments.{assignment}")
    except ModuleNotFoundError as err:
        raise DlmusicError(f"no hidden checks for assignment {assignment!r}") from err
    checks = tuple(getattr(module, "CHECKS", ()))
    if not checks:
        raise DlmusicError(f"dlmusic_instructor.assignments.{assignment} defines no CHECKS")
    return checks


def judge(check: Check, run: ProbeRun, status: ProbeStatus) -> Verdict:
    """Apply ``check`` to what its probe produced; never raises for a student's fault."""
    if check.probe:
        if status.tampered:
            return Verdict(
                check.grade_id, 0.0, f"the grader's probe was tampered with: {status.tampered}"
            )
        if status.forbidden:
            names = ", ".join(sorted(set(status.forbidden)))
            return Verdict(
                check.grade_id,
                0.0,
                f"called {names}, which this exercise asks you to write yourself",
            )
        if not status.ran:
            return Verdict(
                check.grade_id,
                0.0,
                "the grader's probe did not run (an earlier cell stopped the kernel)",
            )
        if status.error:
            return Verdict(check.grade_id, 0.0, status.error)
    try:
        result = check.judge(run)
    except AssertionError as err:
        return Verdict(check.grade_id, 0.0, str(err) or "a hidden check failed")
    except DlmusicError as err:
        return Verdict(check.grade_id, 0.0, str(err))
    except (ValueError, TypeError, IndexError, KeyError, ArithmeticError) as err:
        return Verdict(
            check.grade_id, 0.0, f"the answer could not be checked: {type(err).__name__}: {err}"
        )
    except Exception as err:  # a fault of the check itself must not stop the batch
        return Verdict(
            check.grade_id, 0.0, f"the grader's check failed (tell your instructor): {err!r}"[:300]
        )
    if result is None:
        return Verdict(check.grade_id, 1.0, "")
    fraction, reason = result if isinstance(result, tuple) else (result, "partial credit")
    fraction = float(fraction)
    if math.isnan(fraction):
        fraction = 0.0
    fraction = min(1.0, max(0.0, fraction))
    return Verdict(check.grade_id, fraction, reason if fraction < 1.0 else "")


def partial_credit(value: float, *, floor: float, target: float) -> float:
    """Fraction of credit in [0, 1]: 0 at or below ``floor``, 1 at or above ``target``.

    A NaN measurement (a model that produced nothing usable) earns 0.

    Examples
    --------
    >>> partial_credit(0.75, floor=0.5, target=1.0)
    0.5
    """
    if not floor < target:
        raise ValueError(f"floor ({floor}) must be below target ({target})")
    if math.isnan(value):
        return 0.0
    return float(min(1.0, max(0.0, (value - floor) / (target - floor))))


def credit_with_reason(
    value: float, *, floor: float, target: float, reason: str
) -> tuple[float, str] | None:
    """A judge's verdict from a measurement: ``None`` (full credit) at or above ``target``,
    else :func:`partial_credit`'s fraction with ``reason`` for the student.

    Examples
    --------
    >>> credit_with_reason(0.9, floor=0.2, target=0.8, reason="90 %") is None
    True
    >>> credit_with_reason(0.25, floor=0.0, target=1.0, reason="25 %")
    (0.25, '25 %')
    """
    fraction = partial_credit(value, floor=floor, target=target)
    return None if fraction >= 1.0 else (fraction, reason)


def _describe(value: np.ndarray) -> str:
    return f"dtype {value.dtype}, shape {value.shape}"


def files_of(run: ProbeRun, name: str) -> Path:
    """A file the probe saved under its folder; :class:`CheckFailed` when it is missing."""
    path = run.files / name
    if not path.is_file() or path.is_symlink():
        raise CheckFailed(f"the probe saved no {name}")
    return path
