"""Runs one hidden check's probe in the student's kernel and saves what it returned.

Copied, alone, into the sandbox (it imports nothing of the instructor package and
holds no answer). The grader appends one cell per check to the student's
notebook::

    import dlmusic_probe; dlmusic_probe.run_probe(globals(), "<spec folder>", "<out folder>", 120)

The spec folder (read-only in the sandbox) holds ``probe.py`` (the check's
source), ``inputs.npz`` and ``forbidden.json``. :func:`run_probe` executes the
source in a copy of the notebook's globals with ``inputs`` and ``probe_dir``
(the out folder) bound, records calls of forbidden functions with a profile
hook, and writes ``outputs.npz`` and ``status.json`` into the out folder.
Everything it writes is judged in the grader's own process, so a student who
tampers with this module can only make their own answers unreadable.
"""

from __future__ import annotations

import importlib
import json
import signal
import sys
import threading
import time
import traceback
from pathlib import Path

import numpy as np

TRACER_CONTROLS = ("setprofile", "settrace")


def run_probe(namespace: dict, spec: str, out: str, timeout_s: float = 120.0) -> None:
    """Execute ``<spec>/probe.py`` against ``namespace``; write outputs and status to ``out``."""
    spec_path, folder_path = Path(spec), Path(out)
    folder_path.mkdir(parents=True, exist_ok=True)
    status: dict = {"ran": True, "error": "", "forbidden": [], "tampered": ""}
    with np.load(spec_path / "inputs.npz", allow_pickle=False) as archive:
        inputs = {name: archive[name] for name in archive.files}
    forbidden = _resolve(json.loads((spec_path / "forbidden.json").read_text()))
    scope = dict(namespace)
    scope.update(inputs=inputs, probe_dir=folder_path, outputs=None)
    code = compile((spec_path / "probe.py").read_text(), "<grader probe>", "exec")
    tracer = _CallTracer(forbidden)
    start = time.monotonic()
    previous = signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        tracer.install()
        exec(code, scope)
    except _ProbeTimeout:
        status["error"] = f"your code ran longer than {timeout_s:.0f} s on the grader's inputs"
    except BaseException as err:
        status["error"] = _summary(err)
    finally:
        tracer.uninstall()
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    status["seconds"] = round(time.monotonic() - start, 3)
    status["forbidden"] = sorted(tracer.seen)
    status["tampered"] = tracer.tampered
    outputs = scope.get("outputs")
    if not status["error"] and not isinstance(outputs, dict):
        status["error"] = "the grader's probe produced no outputs"
    if not status["error"]:
        try:
            arrays = {str(name): _plain(name, value) for name, value in outputs.items()}
            np.savez(folder_path / "outputs.npz", **arrays)
        except (TypeError, ValueError) as err:
            status["error"] = f"an answer is not a plain number, string or array: {err}"
    (folder_path / "status.json").write_text(json.dumps(status))


class _ProbeTimeout(Exception):
    pass


def _timeout(signum, frame):
    raise _ProbeTimeout


def _plain(name: str, value) -> np.ndarray:
    """``value`` as an array the grader can load with ``allow_pickle=False``."""
    if value is None:
        raise TypeError(f"{name} is None: the answer is missing")
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"{name} holds Python objects ({type(value).__name__})")
    return array


def _summary(err: BaseException) -> str:
    """The error and the innermost line of the student's code that raised it."""
    frames = traceback.extract_tb(err.__traceback__)
    where = ""
    for frame in reversed(frames):
        if frame.filename != "<grader probe>" and "dlmusic_probe" not in frame.filename:
            where = f" (in {frame.name}, line {frame.lineno})"
            break
    message = f"{type(err).__name__}: {err}".strip()
    return f"your code raised {message[:300]}{where} on the grader's inputs"


def _resolve(names: list[str]) -> dict[object, str]:
    """Map each forbidden dotted name's function (or its code object) to the name."""
    targets: dict[object, str] = {}
    for dotted in names:
        module_name, _, attribute = dotted.rpartition(".")
        try:
            target = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError):
            continue
        targets[id(target)] = dotted
        inner = getattr(target, "__wrapped__", None) or getattr(target, "__func__", None)
        for candidate in (target, inner):
            code = getattr(candidate, "__code__", None)
            if code is not None:
                targets[id(code)] = dotted
    return targets


class _CallTracer:
    """A profile hook that records calls of forbidden functions and of the hook controls."""

    def __init__(self, forbidden: dict[object, str]) -> None:
        self.forbidden = forbidden
        self.seen: set[str] = set()
        self.tampered = ""
        self._active = False
        self._hook = self._profile

    def install(self) -> None:
        if not self.forbidden:
            return
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)
        self._active = True

    def uninstall(self) -> None:
        if not self.forbidden:
            return
        if sys.getprofile() is not self._hook and not self.tampered:
            self.tampered = "the call tracer was removed while your code ran"
        self._active = False
        sys.setprofile(None)
        threading.setprofile(None)

    def _profile(self, frame, event, arg) -> None:
        if not self._active:
            return
        if event == "call":
            name = self.forbidden.get(id(frame.f_code))
            if name is not None:
                self.seen.add(name)
        elif event == "c_call":
            name = self.forbidden.get(id(arg))
            if name is not None:
                self.seen.add(name)
            elif getattr(arg, "__name__", "") in TRACER_CONTROLS and getattr(
                arg, "__module__", None
            ) in ("sys", "threading", None):
                self.tampered = f"your code called {arg.__name__} while the grader traced it"
