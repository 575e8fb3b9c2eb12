"""Execute one notebook with nbclient and save it with its outputs: the sandbox's only job.

Copied, alone, into a submission's scratch folder and run there (inside the
bubblewrap sandbox when there is one)::

    python sandbox_runner.py <notebook.ipynb> <executed.ipynb> <cell timeout s>

Every cell runs, errors included (``allow_errors``), so the grader's probe cells
at the end run even when a student's cell failed. The notebook is read before
the kernel starts and written where the grader says (its folder made again if the
student's code deleted it). A cell running past the
timeout is interrupted and shows a ``CellTimeoutError``. The kernel's death ends
the run; what executed so far is still written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

MAX_OUTPUT_LINES = 1000


def main(source: str, target: str, cell_timeout_s: str) -> int:
    notebook = nbformat.read(source, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=int(cell_timeout_s),
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        record_timing=False,
        resources={"metadata": {"path": "."}},
    )
    status = 0
    try:
        client.execute()
    except DeadKernelError:
        notebook.metadata["dlmusic_kernel_died"] = True
        status = 3
    except CellTimeoutError:
        status = 4
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = _limited(cell.get("outputs", []))
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    return status


def _limited(outputs: list) -> list:
    """At most MAX_OUTPUT_LINES lines of stream text per cell, and the note that there was more."""
    kept, lines = [], 0
    for output in outputs:
        if output.get("output_type") == "stream":
            text = output.get("text", "")
            room = MAX_OUTPUT_LINES - lines
            if room <= 0:
                continue
            parts = text.splitlines(keepends=True)
            lines += len(parts)
            if len(parts) > room:
                output["text"] = "".join(parts[:room]) + "... (output truncated by the grader)\n"
        kept.append(output)
    return kept


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:4]))
