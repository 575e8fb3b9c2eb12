"""Fixtures shared by the test modules: synthetic tones, their spectral peak, a data cache,
and a local HTTP file server."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def tone() -> Callable[..., np.ndarray]:
    """Factory of float32 sines: ``tone(freq_hz, sr, duration_s, amplitude)``."""

    def make(
        freq_hz: float = 440.0,
        sr: int = 22050,
        duration_s: float = 1.0,
        amplitude: float = 0.5,
    ) -> np.ndarray:
        t = np.arange(round(duration_s * sr)) / sr
        return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)

    return make


@pytest.fixture
def peak_hz() -> Callable[[np.ndarray, int], float]:
    """Function giving the frequency (Hz) of the strongest bin of a Hann-windowed spectrum."""

    def find(audio: np.ndarray, sr: int) -> float:
        spectrum = np.abs(np.fft.rfft(audio * np.hanning(audio.size)))
        return float(np.fft.rfftfreq(audio.size, d=1 / sr)[np.argmax(spectrum)])

    return find


@pytest.fixture(scope="session")
def quick_data_dir(tmp_path_factory) -> Path:
    """One dataset cache for the tests that execute notebooks (built on first use)."""
    return tmp_path_factory.mktemp("dlmusic-data")


@pytest.fixture(scope="session")
def composer_heldout_dir(tmp_path_factory) -> Path:
    """One held-out folder for the composer grading tests, which all grade with seed 11.

    Its pages are engraved once, by the first test that needs them (about 90 s).
    """
    return tmp_path_factory.mktemp("composer-heldout")


@dataclass
class FileServer:
    """What the local server serves and how; its handler reads this, tests set it.

    ``mode``: ``"range"`` honours ``Range: bytes=a-`` and ``bytes=a-b`` (206, or 416
    past the end); ``"ignore-range"`` always sends the whole file (200);
    ``"truncate"`` announces the whole file and sends half of it.
    """

    files: dict[str, bytes] = field(default_factory=dict)
    mode: str = "range"
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """``(path, Range header)`` of every request, in order."""
    port: int = 0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    @property
    def ranges(self) -> list[str | None]:
        """The ``Range`` header of every request, in order."""
        return [asked for _, asked in self.requests]


class _FileHandler(BaseHTTPRequestHandler):
    state: FileServer

    def do_GET(self) -> None:
        state = self.state
        asked = self.headers.get("Range")
        state.requests.append((self.path, asked))
        body = state.files.get(self.path.lstrip("/"))
        if body is None:
            self.send_error(404)
            return
        match = re.fullmatch(r"bytes=(\d+)-(\d*)", asked or "")
        if match and state.mode == "range":
            start = int(match.group(1))
            if start >= len(body):
                self._send(416, b"", {"Content-Range": f"bytes */{len(body)}"})
                return
            stop = min(int(match.group(2) or len(body) - 1), len(body) - 1)
            self._send(
                206, body[start : stop + 1], {"Content-Range": f"bytes {start}-{stop}/{len(body)}"}
            )
        elif state.mode == "truncate":
            self._send(200, body[: len(body) // 2], {}, length=len(body))
        else:
            self._send(200, body, {})

    def _send(
        self, status: int, body: bytes, headers: dict[str, str], *, length: int | None = None
    ) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def file_server() -> Iterator[FileServer]:
    """A local HTTP server (127.0.0.1, in a thread) serving :attr:`FileServer.files`."""
    state = FileServer()
    handler = type("Handler", (_FileHandler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def grade_by_check() -> Callable[..., dict]:
    """Grade a notebook as the grader does, outside a workspace, with the files of a folder.

    ``grade(notebook, assignment, folder, **options)`` runs
    :func:`dlmusic_instructor.executor.grade_locally` with the handed-in files in
    ``folder / "submission"``, the held-out data in ``folder / "heldout"`` and held-out seed 5
    (``options`` go to it, e.g. ``cell_timeout_s``), checks that every check of the assignment
    answered, in notebook order, and returns the verdicts by grade id.
    """
    from dlmusic_instructor.checks import checks_for
    from dlmusic_instructor.executor import grade_locally

    def grade(notebook: Path, assignment: str, folder: Path, **options) -> dict:
        verdicts = grade_locally(
            notebook,
            assignment,
            submission=folder / "submission",
            heldout=folder / "heldout",
            seed=5,
            **options,
        )
        expected = [check.grade_id for check in checks_for(assignment)]
        assert [verdict.grade_id for verdict in verdicts] == expected
        return {verdict.grade_id: verdict for verdict in verdicts}

    return grade
