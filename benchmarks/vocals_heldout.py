"""What the vocals grader gives the benchmark's trained networks: the slack's evidence.

Usage::

    python benchmarks/vocals.py --size full --epochs 180 --batches-per-epoch 50 \
        --weights-dir build/bench_C
    python benchmarks/vocals_heldout.py --weights-dir build/bench_C --seeds 31 7 1234

The networks that ``benchmarks/vocals.py`` trained (the reference, with the
notebook's full-mode budget) are handed in as a student would hand them in
and measured as the grader's held-out judge measures them
(:func:`dlmusic_instructor.assignments.vocals.heldout_measurement`, credit
by :func:`dlmusic_instructor.checks.partial_credit`) on the held-out songs of
each grading seed, full size (4 songs of 15 s). Prints,
per seed and network, the vocal SDR gain, the floor (the larger of
``FLOOR_DB`` and the high-pass mask's gain on those songs), the reference's
margin over that floor, and the credit the grader gives; writes
``benchmarks/results/vocals_heldout.json``. ``TARGET_SLACK_DB`` is set from
it: the largest shortfall of a held-out margin below the benchmark's margin,
so that the reference earns full marks on every seed measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from datetime import date
from pathlib import Path

from dlmusic.datasets.summary import format_table, write_results
from dlmusic.vocals.model import weights_file
from dlmusic_instructor.assignments import vocals as grading
from dlmusic_instructor.checks import Context, partial_credit

RESULTS = Path(__file__).parent / "results" / "vocals_heldout.json"
BENCHMARK = Path(__file__).parent / "results" / "vocals.json"
TARGETS = ("ratio", "binary")


def benchmark_margins() -> dict[str, float]:
    """Each network's gain over the best trivial mask on the benchmark's test songs (dB)."""
    systems = json.loads(BENCHMARK.read_text())["systems"]
    best_trivial = max(
        systems[name]["vocal_sdr_improvement"] for name in ("best_fixed_mask", "mean_irm_mask")
    )
    return {
        target: systems[f"network_{target}"]["vocal_sdr_improvement"] - best_trivial
        for target in TARGETS
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights-dir", type=Path, required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[31, 7, 1234])
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    submission = Path(tempfile.mkdtemp(prefix="vocals-submission-"))
    for target in TARGETS:
        shutil.copy(
            args.weights_dir / f"vocals_{target}_mask.weights.h5", weights_file(target, submission)
        )
    heldout = Path(tempfile.mkdtemp(prefix="vocals-heldout-"))
    margins = benchmark_margins()
    rows = []
    for seed in args.seeds:
        context = Context("reference", "vocals", submission, heldout, seed, "full")
        for target in TARGETS:
            gain, floor, goal = grading.heldout_measurement(context, target)
            rows.append(
                {
                    "seed": seed,
                    "network": target,
                    "gain_db": gain,
                    "floor_db": floor,
                    "margin_db": gain - floor,
                    "shortfall_db": margins[target] - (gain - floor),
                    "credit": partial_credit(gain, floor=floor, target=goal),
                }
            )
            print(f"seed {seed}, {target}: {gain:+.2f} dB", flush=True)
    print(
        format_table(
            [
                {
                    key: f"{value:.2f}" if isinstance(value, float) else value
                    for key, value in row.items()
                }
                for row in rows
            ],
            "the benchmark's networks graded on held-out songs (full size), dB",
        )
    )
    worst = max(row["shortfall_db"] for row in rows)
    print(f"largest shortfall below the benchmark margin: {worst:.2f} dB")
    print(f"TARGET_SLACK_DB is {grading.TARGET_SLACK_DB} dB")
    results = {
        "date": date.today().isoformat(),
        "command": "python benchmarks/vocals_heldout.py --weights-dir "
        f"{args.weights_dir} --seeds {' '.join(map(str, args.seeds))}",
        "benchmark_margins_db": margins,
        "runs": rows,
        "largest_shortfall_db": worst,
    }
    print(f"wrote {write_results(results, args.results)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
