"""Grading throughput: seconds per submission, serial against parallel.

Usage::

    python benchmarks/grading.py                       # both assignments, 1 and 2 workers
    python benchmarks/grading.py --assignments problem_set --workers 1 2

For each assignment, writes the example class (:mod:`dlmusic_instructor.example_class`)
and grades it from scratch with ``dlmusic-grade``'s pipeline once per worker count,
timing the whole ``autograde`` step. ``problem_set`` is graded as the whole class
(20 submissions, the adversarial ones included, so the time limits count);
``transcription`` as six students (perfect, empty, half done, mangled by Colab,
weights missing, weights swapped between networks), handing in untrained weights of
the right shape for the three networks (grading time does not depend on the
weights' values: grading mode loads them and measures Fno on the held-out pieces
either way). Prints a table and
writes ``benchmarks/results/grading.json`` (``seconds`` for the whole class,
``seconds_per_submission``).
"""

from __future__ import annotations

import argparse
import platform
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from dlmusic.datasets.summary import format_table, write_results
from dlmusic_instructor.autograde import Limits, autograde_assignment
from dlmusic_instructor.collect import collect_folder
from dlmusic_instructor.example_class import example_students, write_example_class
from dlmusic_instructor.heldout.transcription import write_untrained_weights
from dlmusic_instructor.workspace import COURSE_ROOT, Workspace

RESULTS = Path(__file__).parent / "results" / "grading.json"
CLASSES = {
    "problem_set": None,  # every example student
    "transcription": (
        *("perfect", "empty", "partial", "colab_mangled"),
        *("missing_weights", "wrong_weights"),
    ),
}
LIMITS = {
    "problem_set": Limits(cell_timeout_s=60, notebook_timeout_s=180, memory_bytes=3 * 2**30),
    "transcription": Limits(cell_timeout_s=300, notebook_timeout_s=900, memory_bytes=6 * 2**30),
}


def grade_class(assignment: str, students, workers: int, scratch: Path) -> dict[str, float]:
    """Write, collect and autograde the class from scratch; returns the timings."""
    notebook = f"{assignment}.ipynb"
    extra = write_untrained_weights(scratch / "weights") if assignment == "transcription" else None
    submissions = scratch / f"{assignment}-class"
    written = write_example_class(
        COURSE_ROOT / "assignments" / assignment / notebook,
        COURSE_ROOT / "solutions" / assignment / notebook,
        submissions,
        extra_files=extra,
        students=students,
    )
    workspace = Workspace(scratch / f"{assignment}-{workers}")
    shutil.rmtree(workspace.root, ignore_errors=True)
    workspace.prepare(assignment, heldout_size="quick")
    collect_folder(submissions, workspace, assignment)
    start = time.perf_counter()
    outcomes = autograde_assignment(
        workspace, assignment, workers=workers, limits=LIMITS[assignment]
    )
    seconds = time.perf_counter() - start
    return {
        "submissions": len(written),
        "workers": workers,
        "seconds": seconds,
        "seconds_per_submission": seconds / len(written),
        "not_gradable": sum(not outcome.graded for outcome in outcomes),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", nargs="*", default=list(CLASSES))
    parser.add_argument("--workers", nargs="*", type=int, default=[1, 2])
    args = parser.parse_args()
    results = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, CPU only",
        "limits": {
            name: {"cell_s": limits.cell_timeout_s, "notebook_s": limits.notebook_timeout_s}
            for name, limits in LIMITS.items()
        },
        "example_students": [s.student for s in example_students()],
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="dlmusic-grading-bench-") as scratch:
        for assignment in args.assignments:
            for workers in args.workers:
                timing = grade_class(assignment, CLASSES[assignment], workers, Path(scratch))
                results.setdefault(assignment, {})[f"workers_{workers}"] = timing
                rows.append(
                    {
                        "assignment": assignment,
                        "workers": str(workers),
                        "submissions": str(timing["submissions"]),
                        "seconds": f"{timing['seconds']:.0f}",
                        "seconds_per_submission": f"{timing['seconds_per_submission']:.1f}",
                        "not_gradable": str(timing["not_gradable"]),
                    }
                )
                print(rows[-1], flush=True)
    print(format_table(rows, f"Grading throughput ({results['date']}, {results['machine']})"))
    print(f"wrote {write_results(results, RESULTS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
