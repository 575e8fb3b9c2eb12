"""Where a trained transcription network loses notes: Fno per test piece and piano.

Usage::

    python benchmarks/transcription_pieces.py --size full --system full

Reads the weights that ``benchmarks/transcription.py`` saved for one system
(``build/bench/nmp_<system>.weights.h5``) and the note thresholds it chose on
the validation pieces (``benchmarks/results/transcription_timbre.json``), and
scores every test piece under each of that benchmark's conditions, and the
validation pieces on their first 30 s (what checkpointing and the thresholds
saw) and whole. Nothing is trained or tuned here: it breaks the benchmark's
means down by piece, so that a shortfall can be traced to pieces or to pianos.
Writes ``benchmarks/results/transcription_pieces.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

import numpy as np
import transcription as timbre_benchmark

from dlmusic.datasets.records import PianoRecording
from dlmusic.datasets.summary import format_table, write_results
from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.transcription.data import PianoClip, load_clips
from dlmusic.transcription.evaluation import clip_posteriorgrams, mean_scores_at
from dlmusic_instructor.references.transcription import build_nmp, transcription_scores

RESULTS = Path(__file__).parent / "results" / "transcription_pieces.json"
SCORE_KEYS = ("fno", "precision_no_offset", "recall_no_offset")


def piece_scores(
    model, records: list[PianoRecording], clips: list[PianoClip], thresholds: dict[str, float]
) -> list[dict]:
    """Each clip's title, piano, note count and scores at the chosen thresholds."""
    posteriors = clip_posteriorgrams(model, clips)
    rows = []
    for record, clip, posterior in zip(records, clips, posteriors, strict=True):
        scores = mean_scores_at(
            [clip], [posterior], transcription_scores, thresholds["onset"], thresholds["frame"]
        )
        rows.append(
            {
                "title": record.title,
                "timbre": record.timbre,
                "notes": len(clip.notes),
                **{key: scores[key] for key in SCORE_KEYS},
            }
        )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("quick", "full"), default="full")
    parser.add_argument("--system", choices=list(timbre_benchmark.SYSTEMS), default="full")
    parser.add_argument("--benchmark-results", type=Path, default=timbre_benchmark.RESULTS)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()

    benchmark = json.loads(args.benchmark_results.read_text())
    if args.system not in benchmark.get("thresholds", {}):
        print(f"{args.benchmark_results} has no thresholds for {args.system}", file=sys.stderr)
        return 1
    thresholds = benchmark["thresholds"][args.system]
    weights = timbre_benchmark.WEIGHTS_DIR / f"nmp_{args.system}.weights.h5"
    if not weights.is_file():
        print(f"no weights at {weights}: run benchmarks/transcription.py first", file=sys.stderr)
        return 1
    model = build_nmp(**timbre_benchmark.SYSTEMS[args.system], name=f"nmp_{args.system}")
    model.load_weights(weights)

    root = build_synthetic_piano(size=args.size, progress=False)
    conditions = timbre_benchmark.test_conditions(root, timbre_benchmark.WEIGHTS_DIR / "degraded")
    records = timbre_benchmark.test_records(root)
    validation = load_synthetic_piano(root, split="validation")
    pieces = {
        name: piece_scores(model, records[timbre_benchmark.CONDITIONS[name]], clips, thresholds)
        for name, (clips, _) in conditions.items()
    }
    first_seconds = load_clips(validation, max_duration_s=timbre_benchmark.VALIDATION_CLIP_S)
    pieces["validation_first_30_s"] = piece_scores(model, validation, first_seconds, thresholds)
    pieces["validation_whole"] = piece_scores(model, validation, load_clips(validation), thresholds)
    results = {
        "date": date.today().isoformat(),
        "command": "python benchmarks/transcription_pieces.py " + " ".join(sys.argv[1:]),
        "system": args.system,
        "weights": str(weights),
        "benchmark": {key: benchmark.get(key) for key in ("budget", "steps", "date")},
        "thresholds": thresholds,
        "mean_fno": {
            name: float(np.mean([r["fno"] for r in rows])) for name, rows in pieces.items()
        },
        "pieces": pieces,
    }
    write_results(results, args.results)
    table = [
        {"set": name, **row, **{key: f"{row[key]:.3f}" for key in SCORE_KEYS}}
        for name, rows in pieces.items()
        for row in rows
    ]
    print(format_table(table, f"{args.system}: note scores per piece ({results['date']})"))
    for name, mean in results["mean_fno"].items():
        print(f"mean fno {name}: {mean:.3f}")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
