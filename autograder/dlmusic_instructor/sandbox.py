"""Run one student's grading job with a wall-clock limit, a memory limit and no network.

Used by :mod:`dlmusic_instructor.autograde`: each submission is graded by its
own ``nbgrader autograde`` process; the kernel that runs the student's code is
a child of it, so the limits below apply to the whole process tree.

- **Wall clock**: the tree is killed when the job runs longer than
  ``wall_limit_s`` (nbgrader's own per-cell timeout interrupts single cells
  earlier; this catches everything else, such as a kernel that ignores
  interrupts).
- **Memory**: a watchdog sums the resident memory of the tree twice a second
  and kills it above ``memory_limit_bytes`` (an address-space rlimit would
  break TensorFlow, which reserves far more virtual memory than it uses).
- **Network**: :func:`network_guard_dir` writes a ``sitecustomize`` module
  that every Python process started with it on ``PYTHONPATH`` imports first;
  it refuses socket connections to anything but the loopback interface (the
  kernel talks to nbgrader over loopback). It is a guard against accidents and
  casual downloads, not a security boundary: run the grader in a container or
  a VM without a network route for that.
- **Output**: the job's own stdout and stderr are kept to their last
  ``output_limit_bytes`` bytes, so a notebook printing megabytes cannot fill
  the disk or the report.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

WATCHDOG_INTERVAL_S = 0.5
OUTPUT_LIMIT_BYTES = 64 * 1024

NETWORK_GUARD = Path(__file__).with_name("network_guard") / "sitecustomize.py"
"""Copied as ``sitecustomize.py`` onto the grading job's ``PYTHONPATH``."""


@dataclass(frozen=True)
class JobResult:
    """How a sandboxed job ended.

    Attributes
    ----------
    returncode : int
        The process's exit status (negative: killed by that signal).
    seconds : float
        Wall-clock seconds from start to end.
    killed_reason : str or None
        Why the sandbox killed the job (wall clock or memory), else None.
    output_tail : str
        The last :data:`OUTPUT_LIMIT_BYTES` bytes of stdout and stderr.
    peak_memory_bytes : int
        The largest resident memory of the process tree the watchdog saw.
    """

    returncode: int
    seconds: float
    killed_reason: str | None
    output_tail: str
    peak_memory_bytes: int

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.killed_reason is None


def network_guard_dir(folder: str | Path | None = None) -> Path:
    """Copy the loopback-only ``sitecustomize.py`` into ``folder`` (default: a new temp folder).

    Put the folder first on ``PYTHONPATH`` of the grading process; kernels it
    starts inherit the variable and import the guard before any student code.
    """
    folder = Path(folder) if folder is not None else Path(tempfile.mkdtemp(prefix="dlmusic-guard-"))
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(NETWORK_GUARD, folder / "sitecustomize.py")
    return folder


def run_limited(
    command: Sequence[str],
    *,
    cwd: str | Path,
    env: Mapping[str, str] | None = None,
    wall_limit_s: float,
    memory_limit_bytes: int,
    output_limit_bytes: int = OUTPUT_LIMIT_BYTES,
) -> JobResult:
    """Run ``command`` in its own session and kill its whole tree at either limit.

    Parameters
    ----------
    command : sequence of str
        The program and its arguments.
    cwd : path
        Working directory of the job.
    env : mapping, optional
        Its environment (default: this process's).
    wall_limit_s : float
        Seconds before the tree is killed.
    memory_limit_bytes : int
        Resident memory of the whole tree (bytes) above which it is killed.
    output_limit_bytes : int
        How much of the end of the combined stdout/stderr to keep.
    """
    with tempfile.TemporaryFile() as output:
        start = time.monotonic()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        watchdog = _Watchdog(process.pid, wall_limit_s, memory_limit_bytes)
        watcher = threading.Thread(target=watchdog.watch, daemon=True)
        watcher.start()
        returncode = process.wait()
        watchdog.stop()
        watcher.join()
        _kill(watchdog.seen)  # kernels or grandchildren left behind
        seconds = time.monotonic() - start
        output.seek(max(0, output.seek(0, os.SEEK_END) - output_limit_bytes))
        tail = output.read().decode(errors="replace")
    return JobResult(returncode, seconds, watchdog.killed_reason, tail, watchdog.peak_memory_bytes)


class _Watchdog:
    """Polls a process tree; kills it past the wall-clock or memory limit."""

    def __init__(self, pid: int, wall_limit_s: float, memory_limit_bytes: int) -> None:
        self.pid = pid
        self.deadline = time.monotonic() + wall_limit_s
        self.wall_limit_s = wall_limit_s
        self.memory_limit_bytes = memory_limit_bytes
        self.killed_reason: str | None = None
        self.peak_memory_bytes = 0
        self.seen: set[psutil.Process] = set()
        """Every process of the tree seen so far (they may outlive their parent)."""
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def watch(self) -> None:
        while not self._stopped.wait(WATCHDOG_INTERVAL_S):
            tree = _tree(self.pid)
            self.seen.update(tree)
            memory = _memory_bytes(tree)
            self.peak_memory_bytes = max(self.peak_memory_bytes, memory)
            if memory > self.memory_limit_bytes:
                self.killed_reason = (
                    f"used {memory / 2**30:.2f} GiB of memory, over the limit of "
                    f"{self.memory_limit_bytes / 2**30:.2f} GiB"
                )
            elif time.monotonic() > self.deadline:
                self.killed_reason = f"ran longer than the limit of {self.wall_limit_s:.0f} s"
            if self.killed_reason is not None:
                _kill(self.seen)
                return


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _memory_bytes(processes: list[psutil.Process]) -> int:
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


def _kill(processes: set[psutil.Process]) -> None:
    """SIGKILL every process still alive in ``processes``."""
    alive = [process for process in processes if process.is_running()]
    for process in alive:
        try:
            process.kill()
        except psutil.Error:
            continue
    psutil.wait_procs(alive, timeout=5)
