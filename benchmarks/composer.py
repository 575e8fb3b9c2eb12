"""Composer recognition: row slicing against verovio, ResNet50 vs a small CNN vs a leaky split.

Usage::

    python benchmarks/composer.py --size full            # the README's numbers
    python benchmarks/composer.py --size quick --epochs 1 --skip-leaky   # smoke run

1. Row slicing: every piece of ``synthetic_scores`` is engraved again
   (:func:`dlmusic.datasets.synthetic_scores.engrave_pages_with_systems`),
   each page sliced with the reference row finder
   (:func:`dlmusic_instructor.references.composer.rows_from_page`), and
   each system that verovio drew is
   *found exactly* when one row covers its staff lines (2 px tolerance) and no
   other system's; *merged* when a row covers two or more systems.
2. Classification: rows split by piece (:func:`split_by_piece`, 2 test and 1
   dev piece per composer in full size); ResNet50 and the small CNN trained
   with SGD and exponential decay, best dev epoch kept; row accuracy and
   piece accuracy (soft vote) on the test pieces, and training wall time.
   Then ResNet50 again on a random row split of the same sizes (the leak).

Writes ``benchmarks/results/composer.json``; weights go to ``build/bench/``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import date
from pathlib import Path

import keras
import numpy as np

from dlmusic.composer.dataset import RowSet, load_rows, split_rows_at_random
from dlmusic.composer.model import build_small_cnn
from dlmusic.composer.rows import as_gray_page, to_page_width
from dlmusic.datasets.sheet_folder import load_score_folder
from dlmusic.datasets.summary import format_table
from dlmusic.datasets.synthetic_scores import (
    COMPOSERS,
    SIZES,
    build_synthetic_scores,
    engrave_pages_with_systems,
    opening_measures,
    read_pages_csv,
)
from dlmusic_instructor.references.composer import (
    build_resnet50,
    compile_classifier,
    make_callbacks,
    piece_vote,
    rows_from_page,
    split_by_piece,
)

RESULTS = Path(__file__).parent / "results" / "composer.json"
WEIGHTS_DIR = Path("build/bench")
TOLERANCE_PX = 2
BUILDERS = {"resnet50": build_resnet50, "small_cnn": build_small_cnn}
LEARNING_RATES = {"resnet50": 0.01, "small_cnn": 0.05}


def slicing_scores(root: Path, size: str) -> dict[str, float]:
    """Systems found exactly / merged, over every piece of a build, engraved again.

    Each piece is engraved once more with the build's settings, and the rows
    are found on those pages, so that pages and verovio's system positions come
    from one layout (see :func:`piece_systems` for why).
    """
    options = SIZES[size]
    counts = {"systems": 0, "exact": 0, "merged": 0, "pages": 0, "pages_exact": 0}
    for source in dict.fromkeys(record["source"] for record in read_pages_csv(root)):
        score = opening_measures(source, options.max_measures)
        pages, systems_per_page = engrave_pages_with_systems(score, options.max_pages)
        for page, systems in zip(pages, systems_per_page, strict=True):
            found = rows_from_page(to_page_width(as_gray_page(page))).rows
            covering = [
                [
                    i
                    for i, (top, bottom) in enumerate(found)
                    if top <= t + TOLERANCE_PX and b <= bottom + TOLERANCE_PX
                ]
                for t, b in systems
            ]
            rows_used = [sum(i in cover for cover in covering) for i in range(len(found))]
            exact = [len(cover) == 1 and rows_used[cover[0]] == 1 for cover in covering]
            counts["systems"] += len(systems)
            counts["exact"] += sum(exact)
            counts["merged"] += sum(used > 1 for used in rows_used)
            counts["pages"] += 1
            counts["pages_exact"] += int(all(exact) and len(found) == len(systems))
    return {
        **counts,
        "exact_fraction": counts["exact"] / counts["systems"],
        "pages_exact_fraction": counts["pages_exact"] / counts["pages"],
    }


def train(name: str, rows: RowSet, splits: dict, *, epochs: int, batch_size: int, tag: str):
    """Train one network; returns the best-dev model and the wall seconds."""
    keras.utils.set_random_seed(0)
    model = BUILDERS[name](len(rows.composers))
    steps = max(1, int(np.ceil(len(splits["train"]) / batch_size)))
    compile_classifier(model, learning_rate=LEARNING_RATES[name], decay_steps=10 * steps)
    train_rows, dev_rows = rows.subset(splits["train"]), rows.subset(splits["dev"])
    start = time.perf_counter()
    model.fit(
        train_rows.images,
        train_rows.labels,
        validation_data=(dev_rows.images, dev_rows.labels),
        epochs=epochs,
        batch_size=batch_size,
        verbose=2,
        callbacks=make_callbacks(WEIGHTS_DIR, f"{tag}_{name}"),
    )
    seconds = time.perf_counter() - start
    best = WEIGHTS_DIR / f"{tag}_{name}.weights.h5"
    if best.is_file():
        model.load_weights(best)
    return model, seconds


def accuracies(model: keras.Model, rows: RowSet) -> dict[str, float]:
    """Row accuracy and piece (soft-vote) accuracy."""
    probabilities = np.asarray(model.predict(rows.images, verbose=0, batch_size=32))
    names, predicted, _ = piece_vote(probabilities, rows.pieces)
    truth = np.array([rows.labels[rows.pieces == name][0] for name in names])
    return {
        "accuracy": float(np.mean(probabilities.argmax(axis=1) == rows.labels)),
        "piece_accuracy": float(np.mean(predicted == truth)),
        "rows": len(rows),
        "pieces": len(names),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("quick", "full"), default="full")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--models", nargs="*", default=list(BUILDERS))
    parser.add_argument("--skip-leaky", action="store_true")
    args = parser.parse_args()

    root = build_synthetic_scores(size=args.size, progress=False)
    results = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {keras.backend.backend()}, CPU only",
        "dataset": f"synthetic_scores ({args.size})",
        "budget": f"{args.epochs} epochs, batch {args.batch_size}, SGD with exponential decay",
    }
    start = time.perf_counter()
    results["slicing"] = slicing_scores(root, args.size)
    results["slicing"]["seconds"] = time.perf_counter() - start
    print(
        format_table(
            [{k: f"{v:.4g}" if isinstance(v, float) else v for k, v in results["slicing"].items()}],
            "row slicing vs verovio's systems",
        )
    )

    rows = load_rows(load_score_folder(root), rows_from_page, composers=COMPOSERS)
    splits = split_by_piece(rows.pieces, rows.labels, seed=0)
    if len(splits["dev"]) == 0:
        splits["dev"] = splits["test"]
    table = []
    for name in args.models:
        model, seconds = train(
            name, rows, splits, epochs=args.epochs, batch_size=args.batch_size, tag="piece"
        )
        results[name] = {
            **accuracies(model, rows.subset(splits["test"])),
            "seconds": seconds,
            "split": "piece",
        }
        table.append({"network": name, "split": "piece", **results[name]})
    if not args.skip_leaky:
        reused_dev = splits["dev"] is splits["test"]
        sizes = {name: len(index) for name, index in splits.items()}
        if reused_dev:
            del sizes["dev"]
        leaky_splits = split_rows_at_random(sizes, len(rows), seed=0)
        if reused_dev:
            leaky_splits["dev"] = leaky_splits["test"]
        model, seconds = train(
            "resnet50",
            rows,
            leaky_splits,
            epochs=args.epochs,
            batch_size=args.batch_size,
            tag="random",
        )
        results["resnet50_random_split"] = {
            **accuracies(model, rows.subset(leaky_splits["test"])),
            "seconds": seconds,
            "split": "random rows",
        }
        table.append({"network": "resnet50", **results["resnet50_random_split"]})
    print(
        format_table(
            [
                {k: f"{v:.3f}" if isinstance(v, float) else v for k, v in row.items()}
                for row in table
            ],
            "test accuracy",
        )
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
