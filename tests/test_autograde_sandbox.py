"""The grading sandbox stops runaway jobs and keeps student code off the network."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from dlmusic_instructor.sandbox import (
    SANDBOX_UID,
    bubblewrap_command,
    bubblewrap_path,
    check_bubblewrap,
    network_guard_dir,
    run_limited,
)

GIB = 2**30


def python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_a_job_within_its_limits_runs_to_the_end(tmp_path):
    result = run_limited(
        python("print('hello')"), cwd=tmp_path, wall_limit_s=60, memory_limit_bytes=2 * GIB
    )
    assert result.ok
    assert result.killed_reason is None
    assert "hello" in result.output_tail


def test_an_endless_job_is_killed_at_the_wall_clock_limit(tmp_path):
    result = run_limited(
        python("while True: pass"), cwd=tmp_path, wall_limit_s=2, memory_limit_bytes=2 * GIB
    )
    assert not result.ok
    assert "longer than the limit of 2 s" in result.killed_reason
    assert result.seconds < 30


def test_a_memory_hog_is_killed_with_its_children(tmp_path):
    hog = """
        import subprocess, sys
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
        print(child.pid, flush=True)
        hoard = []
        while True:
            hoard.append(bytearray(b"x" * 2**26))
    """
    result = run_limited(python(hog), cwd=tmp_path, wall_limit_s=120, memory_limit_bytes=GIB // 2)
    assert "memory" in result.killed_reason
    assert result.peak_memory_bytes > GIB // 2
    child_pid = int(result.output_tail.split()[0])
    with pytest.raises(ProcessLookupError):
        os.kill(child_pid, 0)  # signal 0 only asks whether the process exists


def test_output_is_kept_to_its_tail(tmp_path):
    result = run_limited(
        python("for i in range(200_000): print(i)"),
        cwd=tmp_path,
        wall_limit_s=60,
        memory_limit_bytes=2 * GIB,
        output_limit_bytes=1000,
    )
    assert len(result.output_tail) <= 1000
    assert result.output_tail.rstrip().endswith("199999")


def test_the_network_guard_refuses_other_hosts_and_allows_loopback(tmp_path):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepting = threading.Thread(target=server.accept, daemon=True)
    accepting.start()
    guard = network_guard_dir(tmp_path / "guard")
    code = f"""
        import socket
        socket.create_connection(("127.0.0.1", {port}), timeout=5).close()
        print("loopback ok")
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=5)
        except PermissionError as err:
            print("refused:", err)
    """
    result = run_limited(
        python(code),
        cwd=tmp_path,
        env={"PYTHONPATH": str(guard), "PATH": "/usr/bin:/bin"},
        wall_limit_s=60,
        memory_limit_bytes=2 * GIB,
    )
    server.close()
    assert "loopback ok" in result.output_tail
    assert "refused: network access is disabled while grading" in result.output_tail


needs_bubblewrap = pytest.mark.skipif(bubblewrap_path() is None, reason="bubblewrap not installed")


def sandboxed(code: str, scratch, *, readable=()) -> list[str]:
    """``python -c code`` inside bubblewrap, with ``scratch`` writable at /grading."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), *readable}
    prefix = bubblewrap_command(
        check_bubblewrap(),
        readable=sorted(paths),
        writable={"/grading": scratch},
        workdir="/grading",
        env={"PATH": "/usr/bin:/bin", "HOME": "/grading"},
    )
    return [*prefix, *python(code)]


@needs_bubblewrap
def test_the_sandbox_runs_as_another_user_and_sees_only_its_scratch_folder(tmp_path):
    secret = tmp_path / "gradebook.db"
    secret.write_text("grades")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    code = f"""
        import os
        print("uid", os.getuid())
        print("secret visible", os.path.exists({str(secret)!r}))
        print("repository visible", os.path.exists({str(Path(__file__).resolve())!r}))
        open("/grading/mine.txt", "w").write("ok")
        for target in ({sys.prefix!r} + "/pwned", "/usr/pwned"):
            try:
                open(target, "w")
                print("wrote", target)
            except OSError as err:
                print("refused", type(err).__name__)
    """
    result = run_limited(
        sandboxed(code, scratch), cwd=tmp_path, wall_limit_s=60, memory_limit_bytes=2 * GIB
    )
    assert result.ok, result.output_tail
    assert f"uid {SANDBOX_UID}" in result.output_tail
    assert "secret visible False" in result.output_tail
    assert "repository visible False" in result.output_tail
    assert "wrote" not in result.output_tail
    assert result.output_tail.count("refused") == 2
    assert (scratch / "mine.txt").read_text() == "ok"


@needs_bubblewrap
def test_the_sandbox_has_no_network_and_sees_no_process_of_the_grader(tmp_path):
    code = """
        import os, socket
        try:
            socket.create_connection(("192.0.2.1", 80), timeout=3)
            print("connected")
        except OSError as err:
            print("network:", err.errno)
        print("processes", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
        print("grader visible", os.path.exists(f"/proc/{PARENT}"))
    """.replace("PARENT", str(os.getpid()))
    result = run_limited(
        sandboxed(code, tmp_path), cwd=tmp_path, wall_limit_s=60, memory_limit_bytes=2 * GIB
    )
    assert "connected" not in result.output_tail
    assert "network:" in result.output_tail
    processes = eval(result.output_tail.split("processes ")[1].splitlines()[0])
    assert max(processes) < 10, "a new pid namespace numbers its processes from 1"


@needs_bubblewrap
def test_a_detached_process_dies_with_the_sandbox(tmp_path):
    code = """
        import subprocess
        subprocess.Popen(["sh", "-c", "sleep 4; echo late > /grading/late.txt"],
                         start_new_session=True)
        print("left it running")
    """
    result = run_limited(
        sandboxed(code, tmp_path), cwd=tmp_path, wall_limit_s=60, memory_limit_bytes=2 * GIB
    )
    assert "left it running" in result.output_tail
    time.sleep(6)
    assert not (tmp_path / "late.txt").exists()


@needs_bubblewrap
def test_a_hidden_folder_inside_a_readable_one_is_empty_in_the_sandbox(tmp_path):
    venv = tmp_path / "venv"
    (venv / "site-packages" / "dlmusic_instructor").mkdir(parents=True)
    (venv / "site-packages" / "dlmusic_instructor" / "references.py").write_text("ANSWER = 42")
    (venv / "site-packages" / "given.py").write_text("GIVEN = 1")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    code = f"""
        import os
        print("given", os.path.exists({str(venv / "site-packages" / "given.py")!r}))
        print("listing", os.listdir({str(venv / "site-packages" / "dlmusic_instructor")!r}))
    """
    paths = [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), venv]
    prefix = bubblewrap_command(
        check_bubblewrap(),
        readable=paths,
        writable={"/grading": scratch},
        workdir="/grading",
        env={"PATH": "/usr/bin:/bin"},
        hidden=[venv / "site-packages" / "dlmusic_instructor"],
    )
    result = run_limited(
        [*prefix, *python(code)], cwd=tmp_path, wall_limit_s=60, memory_limit_bytes=2 * GIB
    )
    assert "given True" in result.output_tail, result.output_tail
    assert "listing []" in result.output_tail
