"""Composer recognition on notation only: slicing, k-fold by work, the leak, the shortcut.

Usage::

    python benchmarks/composer.py                       # the README's numbers (hours on CPU)
    python benchmarks/composer.py --size quick --epochs 1 --resnet-epochs 1 --skip-variant

Stages (``benchmarks/results/composer.json`` is rewritten after each, so a
cut run keeps what it measured):

1. **Slicing**: every page of ``synthetic_scores`` (``full``, uniform
   engraving, and ``small`` engraved per composer) sliced with the reference
   row finder and compared with where verovio drew each system (stored in
   ``pages.csv`` at build time): a system is *found exactly* when one row
   covers its staff lines (2 px tolerance) and no other system's; a row is
   *merged* when it covers two or more systems.
2. **Shortcut variant**: the small CNN trained on the training works of the
   ``small`` build engraved per composer (:data:`BY_COMPOSER`), tested on the
   test works in the same styles and on the same test works engraved
   uniformly; and, as the control, trained and tested on uniform pages.
3. **k-fold by work**: the ``full`` build's works dealt to ``--folds`` folds
   per composer (:func:`dlmusic_instructor.references.composer.piece_folds`); in each fold a
   network is trained on the other folds' rows (split ``work``) and, with the
   same budget, on a random row split of the same sizes (split ``random``).
   Row accuracy on the test rows, and work accuracy by soft vote over each
   test work's rows. Fixed budget, the last epoch's weights: there is no dev
   split (Mozart has three works), so no epoch is chosen on test either.
4. **Leak control**: the ``small`` build with each *work* engraved in its own
   style (``engraving="by_work"``), k-fold by work vs random rows, small CNN
   (``--leak-control-only`` runs just this, into ``composer_leak_control.json``).
5. **Learning curve**: the small CNN, fold by fold, on 25 % and 50 % of the
   training rows (drawn at random from the training works).

The small CNN runs before ResNet50 (minutes against hours on a CPU).
Weights go to ``build/bench/``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import keras
import numpy as np

from dlmusic.composer.dataset import RowSet, load_rows, split_rows_at_random
from dlmusic.composer.model import build_small_cnn, set_batch_norm_momentum
from dlmusic.datasets.sheet_folder import load_score_folder
from dlmusic.datasets.summary import format_table
from dlmusic.datasets.synthetic_scores import (
    BY_COMPOSER,
    COMPOSERS,
    build_synthetic_scores,
    read_pages_csv,
)
from dlmusic_instructor.references.composer import (
    build_resnet50,
    compile_classifier,
    piece_folds,
    piece_vote,
    rows_from_page,
    split_by_piece,
)

RESULTS = Path(__file__).parent / "results" / "composer.json"
LEAK_CONTROL_RESULTS = RESULTS.with_name("composer_leak_control.json")
WEIGHTS_DIR = Path("build/bench")
TOLERANCE_PX = 2
BUILDERS = {"small_cnn": build_small_cnn, "resnet50": build_resnet50}
LEARNING_RATES = {"resnet50": 0.01, "small_cnn": 0.05}
CURVE_FRACTIONS = (0.25, 0.5)


def slicing_scores(root: Path) -> dict[str, float]:
    """Systems found exactly and rows merged, over every page of a build."""
    from dlmusic.composer.rows import as_gray_page, to_page_width

    counts = {"systems": 0, "exact": 0, "merged": 0, "pages": 0, "pages_exact": 0}
    for record in read_pages_csv(root):
        systems = json.loads(record["systems"])
        page = to_page_width(as_gray_page(root / record["path"]))
        found = rows_from_page(page).rows
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
    return {**counts, "exact_fraction": counts["exact"] / counts["systems"]}


def train(name: str, rows: RowSet, epochs: int, batch_size: int, seed: int) -> keras.Model:
    """Train network ``name`` on all of ``rows`` for ``epochs`` (SGD, decay every 5 epochs)."""
    keras.utils.set_random_seed(seed)
    model = set_batch_norm_momentum(BUILDERS[name](len(rows.composers)))
    steps = max(1, int(np.ceil(len(rows) / batch_size)))
    compile_classifier(model, learning_rate=LEARNING_RATES[name], decay_steps=5 * steps)
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    model.fit(
        rows.images,
        rows.labels,
        epochs=epochs,
        batch_size=batch_size,
        shuffle=True,
        verbose=0,
        callbacks=[
            keras.callbacks.TerminateOnNaN(),
            keras.callbacks.CSVLogger(str(WEIGHTS_DIR / f"{name}.log.csv")),
        ],
    )
    return model


def accuracies(model: keras.Model, rows: RowSet) -> dict[str, float]:
    """Row accuracy and work (soft-vote) accuracy on ``rows``."""
    probabilities = np.asarray(model.predict(rows.images, verbose=0, batch_size=32))
    names, predicted, _ = piece_vote(probabilities, rows.pieces)
    truth = np.array([rows.labels[rows.pieces == name][0] for name in names])
    return {
        "row_accuracy": float(np.mean(probabilities.argmax(axis=1) == rows.labels)),
        "work_accuracy": float(np.mean(predicted == truth)),
        "test_rows": len(rows),
        "test_works": len(names),
    }


def shortcut_variant(args: argparse.Namespace) -> dict[str, object]:
    """Small CNN on per-composer engraving vs uniform pages of the same works."""
    styled = _rows(build_synthetic_scores(size="small", engraving="by_composer", progress=False))
    uniform = _rows(build_synthetic_scores(size="small", progress=False))
    if list(styled.pieces) != list(uniform.pieces):
        same = np.isin(uniform.pieces, styled.pieces)
        uniform = uniform.subset(np.flatnonzero(same))
    splits = split_by_piece(styled.pieces, styled.labels, seed=0)
    train_works = set(styled.pieces[np.concatenate([splits["train"], splits["dev"]])])
    test_works = set(styled.pieces[splits["test"]])
    result: dict[str, object] = {"network": "small_cnn", "epochs": args.epochs}
    for name, source in (("by_composer", styled), ("uniform", uniform)):
        start = time.perf_counter()
        model = train(
            "small_cnn",
            source.subset(np.flatnonzero(np.isin(source.pieces, list(train_works)))),
            args.epochs,
            args.batch_size,
            seed=0,
        )
        for test_name, test_source in (("by_composer", styled), ("uniform", uniform)):
            test = test_source.subset(np.flatnonzero(np.isin(test_source.pieces, list(test_works))))
            result[f"train_{name}_test_{test_name}"] = accuracies(model, test)
        result[f"train_{name}_seconds"] = time.perf_counter() - start
    result["styles"] = BY_COMPOSER
    return result


def leak_control(args: argparse.Namespace) -> dict[str, object]:
    """The leak made visible: each work engraved in its own style (``by_work``).

    The ``small`` build, every work in one of the five styles drawn per work:
    a cue that the rows of a work share and a composer's works do not. The
    small CNN, k-fold by work, on the work split and on a random row split of
    the same sizes.
    """
    rows = _rows(build_synthetic_scores(size="small", engraving="by_work", progress=False))
    folds = piece_folds(rows.pieces, rows.labels, args.folds, seed=0)
    runs = fold_runs(rows, "small_cnn", folds, args)
    return {"build": "small, by_work", "folds": runs, "summary": summary(runs)}


def _rows(root: Path) -> RowSet:
    return load_rows(load_score_folder(root), rows_from_page, composers=COMPOSERS)


def fold_runs(
    rows: RowSet,
    network: str,
    folds: list[np.ndarray],
    args: argparse.Namespace,
    on_run: Callable[[list[dict]], None] | None = None,
    finished: Sequence[dict] = (),
) -> list[dict]:
    """One network, every fold, on the work split and the random row split of the same sizes.

    ``on_run(runs_so_far)`` is called after each run (to save partial results). Runs in
    ``finished`` (same network, split, fold and epochs) are kept instead of trained again."""
    epochs = args.resnet_epochs if network == "resnet50" else args.epochs
    kept = {
        (run["split"], run["fold"]): run
        for run in finished
        if run["network"] == network and run["epochs"] == epochs
    }
    runs = []
    for index, test in enumerate(folds):
        train_index = np.setdiff1d(np.arange(len(rows)), test)
        random = split_rows_at_random(
            {"train": len(train_index), "test": len(test)}, len(rows), seed=index
        )
        for split, (fit_on, test_on) in (
            ("work", (train_index, test)),
            ("random", (random["train"], random["test"])),
        ):
            if (split, index) in kept:
                runs.append(kept[(split, index)])
                continue
            start = time.perf_counter()
            model = train(network, rows.subset(fit_on), epochs, args.batch_size, seed=index)
            runs.append(
                {
                    "network": network,
                    "split": split,
                    "fold": index,
                    "train_rows": len(fit_on),
                    "epochs": epochs,
                    **accuracies(model, rows.subset(test_on)),
                    "seconds": time.perf_counter() - start,
                }
            )
            print(format_table([_shown(runs[-1])]), flush=True)
            if on_run is not None:
                on_run(runs)
    return runs


def learning_curve(rows: RowSet, folds: list[np.ndarray], args: argparse.Namespace) -> list[dict]:
    """Small CNN work-split accuracy on a fraction of each fold's training rows."""
    points = []
    for fraction in CURVE_FRACTIONS:
        for index, test in enumerate(folds):
            train_index = np.setdiff1d(np.arange(len(rows)), test)
            rng = np.random.default_rng(index)
            kept = np.sort(rng.choice(train_index, round(fraction * len(train_index)), False))
            model = train("small_cnn", rows.subset(kept), args.epochs, args.batch_size, index)
            points.append(
                {
                    "network": "small_cnn",
                    "fold": index,
                    "fraction": fraction,
                    "train_rows": len(kept),
                    **accuracies(model, rows.subset(test)),
                }
            )
            print(format_table([_shown(points[-1])]), flush=True)
    return points


def summary(runs: list[dict]) -> list[dict]:
    """Mean and standard deviation over folds, per network and split."""
    table = []
    for network in dict.fromkeys(run["network"] for run in runs):
        for split in ("work", "random"):
            chosen = [r for r in runs if r["network"] == network and r["split"] == split]
            if not chosen:
                continue
            row = {"network": network, "split": split, "folds": len(chosen)}
            for key in ("row_accuracy", "work_accuracy"):
                values = np.array([r[key] for r in chosen])
                row[f"{key}_mean"] = float(values.mean())
                row[f"{key}_std"] = float(values.std())
            table.append(row)
    return table


def _shown(row: dict) -> dict:
    return {k: f"{v:.3f}" if isinstance(v, float) else v for k, v in row.items()}


def _write(results: dict) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("quick", "full"), default="full")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30, help="small CNN epochs")
    parser.add_argument("--resnet-epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--networks", nargs="*", default=list(BUILDERS))
    parser.add_argument("--skip-variant", action="store_true")
    parser.add_argument("--skip-curve", action="store_true")
    parser.add_argument(
        "--resume",
        action="store_true",
        help=f"keep the fold runs, slicing and variants already in {RESULTS.name}; run the rest",
    )
    parser.add_argument(
        "--leak-control-only",
        action="store_true",
        help=f"run only the by-work engraving control; writes {LEAK_CONTROL_RESULTS.name}",
    )
    args = parser.parse_args()
    if args.leak_control_only:
        control = {"date": date.today().isoformat(), **leak_control(args)}
        LEAK_CONTROL_RESULTS.write_text(json.dumps(control, indent=2) + "\n")
        print(format_table([_shown(row) for row in control["summary"]], "leak control"))
        return 0

    root = build_synthetic_scores(size=args.size, progress=False)
    previous = json.loads(RESULTS.read_text()) if args.resume and RESULTS.exists() else {}
    results: dict[str, object] = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {keras.backend.backend()}, CPU only (shared)",
        "dataset": f"synthetic_scores ({args.size}, uniform engraving)",
        "command": f"python benchmarks/composer.py --size {args.size} "
        + f"--folds {args.folds} --epochs {args.epochs} --resnet-epochs {args.resnet_epochs}",
        "budget": f"small CNN {args.epochs} epochs, ResNet50 {args.resnet_epochs} epochs, "
        f"batch {args.batch_size}, SGD momentum 0.9, rate halved every 5 epochs, last epoch kept, "
        "batch-norm momentum 0.9",
    }
    results["slicing"] = previous.get("slicing") or slicing_scores(root)
    print(format_table([_shown(results["slicing"])], "row slicing"), flush=True)
    results["variants"] = previous.get("variants", {})
    if not args.skip_variant and "shortcut" not in results["variants"]:
        styled_root = build_synthetic_scores(size="small", engraving="by_composer", progress=False)
        results["variants"]["by_composer_slicing"] = slicing_scores(styled_root)
        results["variants"]["shortcut"] = shortcut_variant(args)
        _write(results)
        results["variants"]["leak_control"] = leak_control(args)
        _write(results)
        print(json.dumps(results["variants"]["shortcut"], indent=1), flush=True)

    rows = _rows(root)
    folds = piece_folds(rows.pieces, rows.labels, args.folds, seed=0)
    results["rows"] = len(rows)
    results["works"] = len(set(rows.pieces))
    results["folds"] = []
    for network in args.networks:
        done = list(results["folds"])

        def save(runs: list[dict], done: list[dict] = done) -> None:
            results["folds"] = done + runs
            results["summary"] = summary(results["folds"])
            _write(results)

        save(fold_runs(rows, network, folds, args, on_run=save, finished=previous.get("folds", [])))
        curve_done = "learning_curve" in results["variants"]
        if network == "small_cnn" and not args.skip_curve and not curve_done:
            results["variants"]["learning_curve"] = learning_curve(rows, folds, args)
            _write(results)
    print(format_table([_shown(row) for row in results["summary"]], "mean over folds"))
    print(f"wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
