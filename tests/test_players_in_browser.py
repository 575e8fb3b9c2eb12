"""Players still play in a saved notebook opened with no kernel (headless Chromium).

A small notebook that calls :func:`dlmusic.display.play` and
:func:`dlmusic.display.compare_players` the way the assignments do is executed,
saved, and rendered to HTML with nbconvert (what nbgrader's feedback page and a
grader's copy are). Chromium then opens that page with no kernel anywhere, in a
window 600 px wide: every player must hold audio with a duration, every label
must show, the row of players must wrap instead of running off the screen, and
nothing may say "model not found" (what a widget shows once its kernel is gone), and no
output may be a widget view (JupyterLab shows that message for it in the reopened notebook).

The same notebook is then reopened in JupyterLab (a fresh server, the browser as
a student or grader would use it). JupyterLab strips embedded audio from the HTML
of a notebook it does not trust (by design, for IPython's own ``Audio`` too): the
labels must show and nothing may say "model not found"; once trusted (a student's
own notebook, or ``jupyter trust`` for a grader) every player must play.

Needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/install-system-deps.sh``)
and ``selenium`` (dev extra); skipped, saying so, where they are missing. Set
``DLMUSIC_BROWSER_NOTEBOOKS`` to executed notebooks (``os.pathsep``-separated) to
check those too, e.g. the solution notebooks after a quick-mode run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_notebook

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
WINDOW_WIDTH_PX = 600
NOTEBOOKS_ENV_VAR = "DLMUSIC_BROWSER_NOTEBOOKS"
WIDGET_ERRORS = ("model not found", "Error displaying widget")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
"""An output only a live kernel (or saved widget state) can draw: JupyterLab then shows
"Error displaying widget: model not found" in the reopened notebook."""

webdriver = pytest.importorskip(
    "selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')"
)
if CHROMIUM is None or CHROMEDRIVER is None:
    pytest.skip(
        "Chromium or its driver is not installed: run .ci/install-system-deps.sh "
        "(Debian packages chromium and chromium-driver)",
        allow_module_level=True,
    )

PLAYERS_NOTEBOOK = [
    "import numpy as np\nfrom dlmusic.display import compare_players, play\n"
    "SR = 22050\nt = np.arange(SR) / SR\n"
    "tones = {f'{f} Hz, a long title that has to fit': 0.5 * np.sin(2 * np.pi * f * t) "
    "for f in (220, 330, 440)}",
    "compare_players({**tones, 'silence': np.zeros(SR // 2)}, SR)",
    "play(tones['220 Hz, a long title that has to fit'], SR)",
]


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={WINDOW_WIDTH_PX},900")
    service = webdriver.ChromeService(executable_path=CHROMEDRIVER)
    driver = webdriver.Chrome(options=options, service=service)
    yield driver
    driver.quit()


def saved_page(notebook: nbformat.NotebookNode, folder: Path) -> Path:
    """The notebook rendered to a standalone HTML page (as nbgrader's feedback is)."""
    body, _ = HTMLExporter().from_notebook_node(notebook)
    page = folder / "notebook.html"
    page.write_text(body, encoding="utf-8")
    return page


def audio_report(driver, page: Path) -> dict:
    """Each player's duration, label and right edge once its metadata has loaded."""
    driver.get(page.as_uri())
    driver.set_script_timeout(30)
    return driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const players = Array.from(document.querySelectorAll('audio'));
        Promise.all(players.map(a => a.readyState >= 1 ? null : new Promise(ok => {
            a.addEventListener('loadedmetadata', ok); a.addEventListener('error', ok); a.load();
        }))).then(() => done({
            durations: players.map(a => a.duration),
            labels: Array.from(document.querySelectorAll('.dlmusic-player figcaption'))
                .map(c => c.innerText),
            rights: Array.from(document.querySelectorAll('.dlmusic-player'))
                .map(f => f.getBoundingClientRect().right),
            width: document.documentElement.clientWidth,
            text: document.body.innerText,
        }));
        """
    )


def widget_outputs(notebook: nbformat.NotebookNode) -> list[str]:
    """The first line of every cell whose outputs need a live widget model."""
    return [
        cell.source.splitlines()[0] if cell.source else "(empty cell)"
        for cell in notebook.cells
        if cell.cell_type == "code"
        and any(WIDGET_VIEW in output.get("data", {}) for output in cell.get("outputs", []))
    ]


def executed_players_notebook(folder: Path) -> nbformat.NotebookNode:
    notebook = new_notebook(cells=[new_code_cell(source) for source in PLAYERS_NOTEBOOK])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    NotebookClient(notebook, timeout=120, resources={"metadata": {"path": str(folder)}}).execute()
    path = folder / "players.ipynb"
    nbformat.write(notebook, path)
    return nbformat.read(path, as_version=4)  # reopened: no kernel, no widget state


def test_saved_players_play_with_no_kernel_and_wrap_on_a_narrow_screen(browser, tmp_path):
    notebook = executed_players_notebook(tmp_path)
    report = audio_report(browser, saved_page(notebook, tmp_path))
    assert len(report["durations"]) == 5  # four compared clips and one play()
    assert all(duration and duration > 0 for duration in report["durations"]), report
    assert report["labels"][0].startswith("220 Hz, a long title")
    assert report["labels"][3] == "silence (0.5 s)"
    assert max(report["rights"]) <= report["width"], "the players run off a narrow screen"
    assert not any(error in report["text"] for error in WIDGET_ERRORS)
    assert widget_outputs(notebook) == []


@pytest.mark.skipif(
    not os.environ.get(NOTEBOOKS_ENV_VAR), reason=f"set ${NOTEBOOKS_ENV_VAR} to check more"
)
def test_executed_notebooks_players_play_with_no_kernel(browser, tmp_path):
    for path in os.environ[NOTEBOOKS_ENV_VAR].split(os.pathsep):
        notebook = nbformat.read(path, as_version=4)
        report = audio_report(browser, saved_page(notebook, tmp_path))
        assert all(duration and duration > 0 for duration in report["durations"]), path
        assert not any(error in report["text"] for error in WIDGET_ERRORS), path
        assert widget_outputs(notebook) == [], f"{path}: widgets lost once the kernel is gone"


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """A JupyterLab server (no token) serving a folder; every cell rendered, not windowed."""
    pytest.importorskip("jupyterlab", reason="JupyterLab is not installed (extra 'local')")
    root = tmp_path_factory.mktemp("lab")
    settings = tmp_path_factory.mktemp("lab-settings") / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={root}",
        ],
        env={**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings.parents[1])},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("JupyterLab did not start within 60 s")
                time.sleep(0.5)
        yield url, root
    finally:
        server.terminate()
        server.wait(timeout=30)


def lab_report(driver, url: str, name: str, players: int) -> dict:
    """Open ``name`` in JupyterLab, wait for ``players`` audio elements, report on them."""
    driver.get(f"{url}/lab/tree/{name}")
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        found = driver.execute_script(
            "return document.querySelectorAll('.jp-OutputArea audio').length"
        )
        if found >= players:
            break
        time.sleep(1)
    driver.set_script_timeout(30)
    return driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const players = Array.from(document.querySelectorAll('.jp-OutputArea audio'));
        Promise.all(players.map(a => a.readyState >= 1 ? null : new Promise(ok => {
            a.addEventListener('loadedmetadata', ok); a.addEventListener('error', ok);
            a.load(); setTimeout(ok, 5000);
        }))).then(() => done({
            durations: players.map(a => a.duration),
            labels: Array.from(document.querySelectorAll('.jp-OutputArea figcaption'))
                .map(c => c.innerText),
            text: document.body.innerText,
        }));
        """
    )


def test_in_jupyterlab_reopened_players_show_and_play_once_the_notebook_is_trusted(
    browser, jupyterlab, tmp_path
):
    """JupyterLab strips the audio of an untrusted notebook's HTML (any audio, IPython's too):
    the labels stay and nothing says "model not found"; trusted (the student's own notebook,
    or ``jupyter trust``), every player plays."""
    url, root = jupyterlab
    notebook = executed_players_notebook(tmp_path)
    nbformat.write(notebook, root / "untrusted.ipynb")
    nbformat.write(notebook, root / "trusted.ipynb")
    subprocess.run(
        [sys.executable, "-m", "jupyter", "trust", str(root / "trusted.ipynb")],
        check=True,
        capture_output=True,
    )
    untrusted = lab_report(browser, url, "untrusted.ipynb", players=5)
    assert len(untrusted["durations"]) == 5 and len(untrusted["labels"]) == 4
    assert not any(error in untrusted["text"] for error in WIDGET_ERRORS)
    trusted = lab_report(browser, url, "trusted.ipynb", players=5)
    assert len(trusted["durations"]) >= 5
    assert all(duration and duration > 0 for duration in trusted["durations"]), trusted
