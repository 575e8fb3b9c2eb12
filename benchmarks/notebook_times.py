"""How long each solution notebook takes: quick mode measured, full mode measured and extrapolated.

Usage::

    python benchmarks/notebook_times.py                       # all four, quick then full
    python benchmarks/notebook_times.py --notebooks transcription --modes full
    python benchmarks/notebook_times.py --notebooks problem_set --modes quick
    python benchmarks/notebook_times.py --markdown            # README table from the JSON

Each notebook is snapshotted (its folder copied to a temporary folder, so the
notebook and what it writes stay outside the repository) and executed with
nbclient, with ``$DLMUSIC_DATA`` at ``--data`` (default ``build/data``; a dataset
already built there is loaded, not rebuilt: the JSON says which were cached):

- **quick** mode runs as CI runs it: total wall time and each cell's time
  (``shell.execute_reply`` minus ``iopub.execute_input`` in the execution
  metadata nbclient records);
- **full** mode runs every cell for real (full-size data, full evaluation)
  except training: ``$DLMUSIC_TIME_PROBE`` makes every run started through
  ``dlmusic.callbacks.run_callbacks`` stop after ``--probe-steps`` steps and
  record its seconds per step (:class:`dlmusic.callbacks.TimeProbe`). A cell's
  full-mode time is its measured time plus the extrapolated time of the steps
  and epoch ends its runs did not run (``(planned_steps - steps_run) x
  seconds_per_step + (planned_epochs - epochs_run) x epoch_end_seconds``).
  Training that does not go through ``run_callbacks`` runs in full and is part
  of the measured time.

The Colab GPU figure is an estimate, not a measurement: the full-mode training
seconds divided by :data:`GPU_SPEEDUPS` (see its note), plus the non-training
seconds as measured here (Colab's two CPU cores do that part).

``--solutions`` runs the notebooks of another folder (a snapshot of
``solutions/`` taken while the notebooks are being edited). Prints a table per
notebook and merges its results into ``benchmarks/results/notebook_times.json``
(``--results``), one entry per notebook and mode, so notebooks can be run one
at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from dlmusic.callbacks import TIME_PROBE_ENV_VAR, TIME_PROBE_STEPS_ENV_VAR
from dlmusic.datasets.summary import format_table

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ("transcription", "vocals", "composer", "problem_set")
DATASETS = {
    "transcription": "synthetic_piano",
    "vocals": "synthetic_stems",
    "composer": "synthetic_scores",
    "problem_set": None,
}
"""The dataset folder each notebook builds under ``$DLMUSIC_DATA`` (None: none)."""
LONG_CELL_S = 60.0
"""A cell is long when its full-mode time (measured plus extrapolated) is over this."""
GPU_SPEEDUPS = (5.0, 20.0)
GPU_SPEEDUP_NOTE = (
    "Not measured on a GPU. Full-mode training seconds on this CPU divided by 5 (slow end) "
    "to 20 (fast end) for a Colab T4: the T4's peak FP32 rate (8.1 TFLOPS, NVIDIA's data "
    "sheet) is about 40 times this 2-core AVX-512 CPU's peak (about 2 cores x 32 FP32 "
    "FLOPs per cycle x ~3 GHz = ~0.2 TFLOPS); these small convolutional and LSTM networks "
    "with batches of 16 use a fraction of a T4's peak, and the CPU figures were taken under "
    "load (inflated). The non-training part (dataset rendering, feature extraction, "
    "evaluation) is taken as measured here: Colab's runtime has two CPU cores too."
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="+", choices=NOTEBOOKS, default=list(NOTEBOOKS))
    parser.add_argument("--modes", nargs="+", choices=("quick", "full"), default=["quick", "full"])
    parser.add_argument("--data", type=Path, default=ROOT / "build" / "data")
    parser.add_argument(
        "--solutions",
        type=Path,
        default=ROOT / "solutions",
        help="folder holding <notebook>/<notebook>.ipynb (e.g. a snapshot of solutions/)",
    )
    parser.add_argument("--probe-steps", type=int, default=12)
    parser.add_argument("--cell-timeout", type=int, default=4 * 3600, help="seconds per cell")
    parser.add_argument(
        "--results", type=Path, default=ROOT / "benchmarks" / "results" / "notebook_times.json"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="print the README table from --results; run nothing"
    )
    args = parser.parse_args()

    if args.markdown:
        print(markdown_table(json.loads(args.results.read_text())))
        return
    for name in args.notebooks:
        for run_mode in args.modes:
            result = execute(name, run_mode, args)
            merge(args.results, name, run_mode, result)
            print(report(name, run_mode, result), flush=True)


def execute(name: str, run_mode: str, args: argparse.Namespace) -> dict:
    """Execute a snapshot of notebook ``name`` in ``run_mode``; its times (see the module)."""
    dataset = DATASETS[name]
    cached = dataset is not None and (args.data / dataset / run_mode).is_dir()
    with tempfile.TemporaryDirectory(prefix=f"notebook-times-{name}-") as tmp:
        workdir = Path(tmp) / name
        shutil.copytree(args.solutions / name, workdir)
        probe_file = Path(tmp) / "probe.json"
        env = {"DLMUSIC_MODE": run_mode, "DLMUSIC_DATA": str(args.data.resolve())}
        if run_mode == "full":
            env |= {
                TIME_PROBE_ENV_VAR: str(probe_file),
                TIME_PROBE_STEPS_ENV_VAR: str(args.probe_steps),
            }
        notebook = nbformat.read(workdir / f"{name}.ipynb", as_version=4)
        runs_by_cell: dict[int, list[dict]] = {}

        def attribute_runs(cell, cell_index, execute_reply) -> None:
            seen = sum(len(runs) for runs in runs_by_cell.values())
            runs = json.loads(probe_file.read_text()) if probe_file.is_file() else []
            if len(runs) > seen:
                runs_by_cell[cell_index] = runs[seen:]

        client = NotebookClient(
            notebook,
            timeout=args.cell_timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(workdir)}},
            on_cell_executed=attribute_runs,
        )
        saved_env = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        load_before = os.getloadavg()
        start = time.perf_counter()
        error = None
        try:
            client.execute()
        except (CellExecutionError, CellTimeoutError) as err:
            error = str(err).strip().splitlines()[-1][:500]
        finally:
            for key, value in saved_env.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        seconds = time.perf_counter() - start
    cells = cell_times(notebook, runs_by_cell)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "notebook": str(args.solutions / name / f"{name}.ipynb"),
        "seconds": seconds,
        "completed": error is None,
        "error": error,
        "dataset": dataset,
        "dataset_cached": cached,
        "load_average_1min": {"start": load_before[0], "end": os.getloadavg()[0]},
        "cells": cells,
    }
    if run_mode == "full":
        result |= full_mode_summary(seconds, cells, args.probe_steps)
    return result


def cell_times(notebook: nbformat.NotebookNode, runs_by_cell: dict[int, list[dict]]) -> list[dict]:
    """Each executed code cell: index, first source line, grade_id, seconds, probed runs."""
    cells = []
    for index, cell in enumerate(notebook.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or "shell.execute_reply" not in timing:
            continue
        seconds = (
            datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        ).total_seconds()
        runs = runs_by_cell.get(index, [])
        cells.append(
            {
                "index": index,
                "first_line": next((line for line in cell.source.splitlines() if line.strip()), ""),
                "grade_id": cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"),
                "seconds": seconds,
                "extrapolated_seconds": sum(run["extrapolated_seconds"] or 0.0 for run in runs),
                "runs": runs,
            }
        )
    return cells


def full_mode_summary(seconds: float, cells: list[dict], probe_steps: int) -> dict:
    """Measured and extrapolated parts, the share of training run, long cells, Colab estimate."""
    runs = [run for cell in cells for run in cell["runs"]]
    extrapolated = sum(cell["extrapolated_seconds"] for cell in cells)
    planned = sum(run["planned_steps"] or 0 for run in runs)
    run_steps = sum(run["steps_run"] for run in runs)
    training_measured = sum(run["seconds"] for run in runs)
    training_full = training_measured + extrapolated
    non_training = seconds - training_measured
    for cell in cells:
        cell["full_seconds"] = cell["seconds"] + cell["extrapolated_seconds"]
    long_cells = [
        {key: cell[key] for key in ("index", "first_line", "grade_id", "seconds")}
        | {
            "extrapolated_seconds": cell["extrapolated_seconds"],
            "full_seconds": cell["full_seconds"],
            "runs": [run["name"] for run in cell["runs"]],
        }
        for cell in cells
        if cell["full_seconds"] > LONG_CELL_S
    ]
    slow, fast = GPU_SPEEDUPS
    return {
        "probe_steps": probe_steps,
        "measured_seconds": seconds,
        "extrapolated_seconds": extrapolated,
        "full_seconds": seconds + extrapolated,
        "training": {
            "runs": len(runs),
            "planned_steps": planned,
            "steps_run": run_steps,
            "fraction_of_steps_run": run_steps / planned if planned else None,
            "measured_seconds": training_measured,
            "full_seconds": training_full,
        },
        "non_training_seconds": non_training,
        "long_cells": long_cells,
        "colab_gpu": {
            "estimate": True,
            "seconds_range": [
                non_training + training_full / fast,
                non_training + training_full / slow,
            ],
            "how": GPU_SPEEDUP_NOTE,
        },
    }


def merge(path: Path, name: str, run_mode: str, result: dict, command: str | None = None) -> None:
    """Write ``result`` as ``notebooks[name][run_mode]`` in the JSON at ``path``.

    A result it replaces is kept, summarised, in the new one's ``earlier_runs``;
    ``command`` defaults to this process's command line.
    """
    data = json.loads(path.read_text()) if path.is_file() else {}
    data |= {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.platform()}",
        "python": sys.version.split()[0],
        "under_load": (
            "taken on a CPU shared with other jobs (four other sessions and a benchmark on "
            "2 cores): times are longer than on an idle machine; load_average_1min per run"
        ),
        "long_cell_s": LONG_CELL_S,
    }
    command = command or "python benchmarks/notebook_times.py " + " ".join(sys.argv[1:])
    runs = data.setdefault("notebooks", {}).setdefault(name, {})
    earlier = runs.get(run_mode)
    earlier_runs = [summary(earlier), *earlier.get("earlier_runs", [])] if earlier else []
    runs[run_mode] = result | {"command": command, "earlier_runs": earlier_runs}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1) + "\n")


def summary(result: dict) -> dict:
    """A run's totals, without its cells."""
    kept = (
        "date",
        "command",
        "seconds",
        "completed",
        "load_average_1min",
        "probe_steps",
        "measured_seconds",
        "extrapolated_seconds",
        "full_seconds",
        "training",
    )
    return {key: result[key] for key in kept if key in result}


def report(name: str, run_mode: str, result: dict) -> str:
    """A table of the run's cells over 10 s, with a one-line summary as title."""
    status = "completed" if result["completed"] else f"STOPPED: {result['error']}"
    if run_mode == "quick":
        title = f"{name}, quick mode: {result['seconds']:.0f} s measured ({status})"
    else:
        training = result["training"]
        low, high = result["colab_gpu"]["seconds_range"]
        title = (
            f"{name}, full mode: {result['full_seconds']:.0f} s = "
            f"{result['measured_seconds']:.0f} s measured + "
            f"{result['extrapolated_seconds']:.0f} s extrapolated "
            f"({training['steps_run']}/{training['planned_steps']} training steps run); "
            f"Colab GPU estimate {low:.0f}-{high:.0f} s ({status})"
        )
    rows = [
        {
            "cell": cell["index"],
            "grade_id": cell["grade_id"] or "",
            "first line": cell["first_line"][:50],
            "measured s": f"{cell['seconds']:.1f}",
            "extrapolated s": f"{cell['extrapolated_seconds']:.0f}",
        }
        for cell in result["cells"]
        if cell["seconds"] + cell["extrapolated_seconds"] > 10
    ]
    return format_table(rows, title) if rows else title


def markdown_table(data: dict) -> str:
    """The README's table: quick and full mode per notebook, the Colab GPU estimate."""
    lines = [
        "| notebook | quick mode (measured) | full mode, this CPU: measured + extrapolated "
        "= total | training steps run in full mode | Colab GPU (**estimate**) |",
        "|---|---|---|---|---|",
    ]
    for name in NOTEBOOKS:
        runs = data.get("notebooks", {}).get(name, {})
        quick, full = runs.get("quick"), runs.get("full")
        quick_text = clock(quick["seconds"]) if quick and quick["completed"] else "not measured"
        if full and full["completed"]:
            training = full["training"]
            share = training["fraction_of_steps_run"]
            low, high = full["colab_gpu"]["seconds_range"]
            full_text = (
                f"{clock(full['measured_seconds'])} + {clock(full['extrapolated_seconds'])} "
                f"= **{clock(full['full_seconds'])}**"
            )
            steps_text = (
                f"{training['steps_run']:,} of {training['planned_steps']:,} ({share:.1%})"
                if share is not None
                else "no training"
            )
            colab_text = (
                clock(low) if round(low) == round(high) else f"{clock(low)} - {clock(high)}"
            )
        else:
            full_text = steps_text = colab_text = "not measured"
        lines.append(f"| {name} | {quick_text} | {full_text} | {steps_text} | {colab_text} |")
    return "\n".join(lines)


def clock(seconds: float) -> str:
    """``42 s``, ``4 min 02 s``, ``12 min`` or ``3 h 05 min``."""
    whole = round(seconds)
    if whole < 100:
        return f"{whole} s"
    if whole < 600:
        return f"{whole // 60} min {whole % 60:02d} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


if __name__ == "__main__":
    main()
