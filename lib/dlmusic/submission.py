"""Hand in: one zip with the notebook and the weights files the grader scores.

Notebooks: every graded notebook ends with ``course.save_submission()``
(:meth:`dlmusic.course.NotebookContext.save_submission`), which calls
:func:`save_submission` here. The zip is written to Google Drive when it is
mounted (it survives a Colab disconnect), else next to the notebook, with a
download link. The instructor's collector takes the zip as it is.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

from dlmusic.errors import DlmusicError

SUBMISSION_FILES: Mapping[str, tuple[str, ...]] = {
    "transcription": (
        "nmp_full.weights.h5",
        "nmp_no_harmonic_stacking.weights.h5",
        "nmp_no_contour_supervision.weights.h5",
    ),
    "composer": ("composer_resnet50.weights.h5",),
    "vocals": ("vocals_ratio_mask.weights.h5", "vocals_binary_mask.weights.h5"),
    "problem_set": (),
}
"""The weights files the grader scores, per assignment (the names ``weights_file`` gives)."""
DRIVE_MOUNT = Path("/content/drive")
DRIVE_FOLDER = DRIVE_MOUNT / "MyDrive" / "dlmusic"
"""Where the course keeps a student's files on Google Drive (survives a Colab disconnect)."""
SESSION_NOTEBOOK_ENV_VAR = "JPY_SESSION_NAME"
"""Jupyter Server sets this to the path of the notebook a kernel runs."""


def submission_name(assignment: str) -> str:
    """``<assignment>-submission.zip``."""
    return f"{assignment}-submission.zip"


def drive_folder() -> Path | None:
    """The course folder on Google Drive when Drive is mounted (created), else None."""
    if not (DRIVE_MOUNT / "MyDrive").is_dir():
        return None
    DRIVE_FOLDER.mkdir(parents=True, exist_ok=True)
    return DRIVE_FOLDER


def colab_notebook_json() -> dict | None:
    """The notebook open in Colab, as its front end holds it now (outputs included).

    None outside Colab. Colab keeps the notebook in the browser (and in Drive),
    not in the runtime's file system, so it is asked for it.
    """
    try:
        from google.colab import _message  # Colab only
    except ImportError:
        return None
    reply = _message.blocking_request("get_ipynb", request="", timeout_sec=60)
    return reply.get("ipynb") if isinstance(reply, dict) else None


def notebook_path(assignment: str, folder: Path) -> Path:
    """The saved notebook of a local Jupyter session.

    ``$JPY_SESSION_NAME`` (set by Jupyter Server) when it names an existing
    ``.ipynb``, else ``<folder>/<assignment>.ipynb``.

    Raises
    ------
    DlmusicError
        Neither exists.
    """
    session = os.environ.get(SESSION_NOTEBOOK_ENV_VAR, "")
    if session.endswith(".ipynb") and Path(session).is_file():
        return Path(session)
    candidate = folder / f"{assignment}.ipynb"
    if candidate.is_file():
        return candidate
    raise DlmusicError(
        f"cannot find the notebook {candidate}; save it, or pass save_submission(notebook=path)"
    )


def write_submission_zip(
    destination: Path,
    assignment: str,
    notebook: bytes,
    folder: Path,
) -> tuple[Path, list[str]]:
    """Write ``<assignment>.ipynb`` and the weights files found in ``folder`` into one zip.

    The zip is written beside ``destination`` and moved into place, so a
    disconnect never leaves half a zip under the final name.

    Parameters
    ----------
    destination : Path
        The zip to write.
    assignment : str
        A key of :data:`SUBMISSION_FILES`.
    notebook : bytes
        The notebook file's content.
    folder : Path
        Where the notebook saved its weights.

    Returns
    -------
    (Path, list of str)
        The zip, and the expected weights files that were missing.

    Raises
    ------
    DlmusicError
        Unknown assignment, or ``notebook`` is not a notebook's JSON.
    """
    if assignment not in SUBMISSION_FILES:
        raise DlmusicError(
            f"unknown assignment {assignment!r}; expected one of {', '.join(SUBMISSION_FILES)}"
        )
    try:
        cells = json.loads(notebook)["cells"]
    except (ValueError, KeyError, TypeError) as err:
        raise DlmusicError(f"the notebook to hand in is not a notebook file: {err}") from err
    if not isinstance(cells, list):
        raise DlmusicError("the notebook to hand in has no list of cells")
    missing = [name for name in SUBMISSION_FILES[assignment] if not (folder / name).is_file()]
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=destination.parent, suffix=".partial")
    os.close(handle)
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{assignment}.ipynb", notebook)
            for name in SUBMISSION_FILES[assignment]:
                if name not in missing:
                    archive.write(folder / name, arcname=name)
        os.replace(partial, destination)
    finally:
        Path(partial).unlink(missing_ok=True)
    return destination, missing


def save_submission(
    assignment: str,
    folder: Path,
    *,
    notebook: str | Path | None = None,
    show: Callable[[Path, bool], None] | None = None,
) -> Path:
    """Write the hand-in zip: to Drive when mounted, else into ``folder`` with a download link.

    Parameters
    ----------
    assignment : str
        The assignment id.
    folder : Path
        Where the notebook saved its weights (the notebook's working folder).
    notebook : str or Path, optional
        The notebook file; by default Colab's open notebook, or the session's saved file.
    show : callable, optional
        ``show(path, on_drive)`` offers the zip to the student; by default a
        browser download on Colab without Drive, a link in Jupyter.

    Returns
    -------
    Path
        The zip written.
    """
    folder = Path(folder)
    content = None if notebook is not None else colab_notebook_json()
    if content is not None:
        data = json.dumps(content, ensure_ascii=False).encode()
    else:
        data = Path(notebook or notebook_path(assignment, folder)).read_bytes()
    drive = drive_folder()
    target = (drive or folder) / submission_name(assignment)
    path, missing = write_submission_zip(target, assignment, data, folder)
    size_mib = path.stat().st_size / 2**20
    print(f"wrote {path} ({size_mib:.1f} MiB): {assignment}.ipynb", end="")
    print("".join(f", {n}" for n in SUBMISSION_FILES[assignment] if n not in missing))
    for name in missing:
        print(f"missing {name}: run the cells that train and save it, then save again")
    (show or _offer)(path, drive is not None)
    return path


def _offer(path: Path, on_drive: bool) -> None:
    """A browser download on Colab without Drive; a link in Jupyter; nothing on Drive."""
    if on_drive:
        print("It is on your Google Drive; hand in this one zip as your course asks.")
        return
    try:
        from google.colab import files  # Colab only
    except ImportError:
        from IPython.display import FileLink, display

        display(FileLink(os.path.relpath(path), result_html_prefix="Download and hand in: "))
        return
    files.download(str(path))
