"""Run one student's grading job in a bubblewrap sandbox, with time and memory limits.

Used by :mod:`dlmusic_instructor.executor`: the student's notebook executes in
its own process tree, and everything below applies to the whole tree.

- **Isolation** (:func:`bubblewrap_command`): Debian's ``bubblewrap`` starts the
  job as uid 65534 in new user, pid, network, IPC and UTS namespaces, in a new
  session, dying with the grader. It sees the system (``/usr`` and a few files
  of ``/etc``), the Python installation, the virtual environment and the
  student package, all read-only, plus the grader's probe files (read-only),
  the submission's own scratch folder and an empty ``/tmp`` (the only writable
  places), and the public dataset cache read-only. It sees nothing else: not
  the grading folder, the gradebook, other students, the repository, the
  solutions, the instructor package or the held-out data. The network
  namespace has only loopback; the pid namespace ends every process the
  notebook leaves behind when the job ends.
- **Wall clock**: the tree is killed when the job runs longer than
  ``wall_limit_s`` (nbclient's per-cell timeout interrupts single cells earlier).
- **Memory**: a watchdog sums the resident memory of the tree twice a second
  and kills it above ``memory_limit_bytes`` (an address-space rlimit would
  break TensorFlow, which reserves far more virtual memory than it uses).
- **Output**: the job's own stdout and stderr are kept to their last
  ``output_limit_bytes`` bytes.
- **Without bubblewrap** (``--unsandboxed``, refused unless asked for): the
  job runs as the grader's user with only the limits above and
  :func:`network_guard_dir`'s ``sitecustomize``, which refuses connections to
  anything but loopback; every report says so.

Limits of the sandbox: outside the user namespace the job's files belong to
the user who runs the grader (run the grader as an unprivileged user), and the
kernel is shared (a kernel exploit is out of scope).
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
"""Copied as ``sitecustomize.py`` onto the grading job's ``PYTHONPATH`` (unsandboxed runs)."""

SANDBOX_UID = 65534
ETC_FILES = (
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/localtime",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/fonts",
    "/etc/alternatives",
    "/etc/mime.types",
)
"""What of ``/etc`` the job sees: name lookups, the dynamic loader, fonts; no secrets."""


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


def bubblewrap_path() -> str | None:
    """The ``bwrap`` program, or None when it is not installed."""
    return shutil.which("bwrap")


def check_bubblewrap() -> str:
    """The ``bwrap`` path, after proving it can start a sandbox here.

    Raises
    ------
    SandboxUnavailable
        ``bwrap`` is missing, or it cannot create the namespaces (e.g. inside a
        container that forbids user namespaces).
    """
    program = bubblewrap_path()
    if program is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed (apt-get install bubblewrap); grade with "
            "--unsandboxed only if you accept running student code unconfined"
        )
    probe = subprocess.run(
        [*bubblewrap_command(program, readable=[], writable={}, workdir="/"), "/bin/true"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap cannot start a sandbox here: {probe.stderr.strip()}")
    return program


def bubblewrap_command(
    program: str,
    *,
    readable: Sequence[str | Path],
    writable: Mapping[str, str | Path],
    workdir: str,
    env: Mapping[str, str] | None = None,
    read_only_over: Mapping[str, str | Path] | None = None,
    hidden: Sequence[str | Path] = (),
) -> list[str]:
    """The ``bwrap`` arguments that confine a job (the command follows them).

    Parameters
    ----------
    program : str
        The ``bwrap`` executable.
    readable : sequence of path
        Folders or files visible read-only at their own path (Python, the venv,
        the student package, the public dataset cache, the probe files).
    writable : mapping of str to path
        ``inside path -> outside folder`` bound read-write (the scratch folder).
    workdir : str
        The job's working directory, as seen inside.
    env : mapping, optional
        The job's whole environment (nothing of the grader's is inherited).
    read_only_over : mapping of str to path, optional
        ``inside path -> outside folder`` bound read-only on top of a writable
        folder (the grader's probe files inside the scratch folder).
    hidden : sequence of path
        Folders or files inside ``readable`` ones, shown empty (the instructor
        package, its metadata and an editable install's hooks in the venv the job reads).
    """
    args = [
        program,
        "--unshare-all",
        "--unshare-user",
        "--uid",
        str(SANDBOX_UID),
        "--gid",
        str(SANDBOX_UID),
        "--die-with-parent",
        "--new-session",
        "--ro-bind",
        "/usr",
        "/usr",
        "--symlink",
        "usr/lib",
        "/lib",
        "--symlink",
        "usr/lib64",
        "/lib64",
        "--symlink",
        "usr/bin",
        "/bin",
        "--symlink",
        "usr/sbin",
        "/sbin",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--tmpfs",
        "/tmp",
    ]
    for path in ETC_FILES:
        if Path(path).exists():
            args += ["--ro-bind", path, path]
    for path in readable:
        args += ["--ro-bind", str(path), str(path)]
    for inside, outside in writable.items():
        args += ["--bind", str(outside), inside]
    for inside, outside in (read_only_over or {}).items():
        args += ["--ro-bind", str(outside), inside]
    for path in hidden:
        if Path(path).is_dir():
            args += ["--tmpfs", str(path), "--remount-ro", str(path)]
        else:
            args += ["--ro-bind", "/dev/null", str(path)]
    args += ["--chdir", workdir, "--clearenv"]
    for name, value in (env or {}).items():
        args += ["--setenv", name, value]
    return args


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
