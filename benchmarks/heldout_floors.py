"""What the composer grader gives a ResNet50 that learned nothing: the floor's evidence.

Usage::

    python benchmarks/heldout_floors.py                    # seeds 0-4, 3 untrained networks
    python benchmarks/heldout_floors.py --seeds 0 --untrained 1 --skip-quick-network
    DLMUSIC_MODE=full python benchmarks/heldout_floors.py --reference   # the targets' evidence

For each grading seed, the held-out works that seed draws
(:mod:`dlmusic_instructor.heldout.composer`, both grading sizes: ``quick``
reads the first page of each work, ``full`` all of them) are scored exactly as
the grader scores a handed-in network (:func:`heldout_accuracy`: rows, and
works by soft vote), for three predictors that learned nothing from the
composers' music:

* **constant**: always the same composer; the best of the five per seed (an
  oracle's choice, so an upper bound on any constant answer, majority class
  included);
* **untrained**: the instructor's ResNet50 with its initial weights (keras
  seeds ``0 .. --untrained - 1``), what a notebook that never trained saves;
* **quick**: ResNet50 after the notebook's quick-mode budget (one epoch on
  the ``quick`` build, batch 16, the notebook's SGD), what a student who
  hands in a quick-mode run saves.

With ``--reference`` it measures instead what the reference reaches with the
notebook's full-mode budget (:func:`dlmusic.composer.training.budgets`:
ResNet50 30 epochs, the small CNN 40): both networks built, compiled, trained
and checkpointed exactly as the notebook's training cells do, with the
reference answers in place of the student's, on the ``full`` build's rows
split by work (seed 0, the notebook's), then scored on the same held-out works.

Prints a table and writes ``benchmarks/results/heldout_floors.json`` (the
baselines under ``runs``, the reference under ``reference``: each run leaves
the other's results in place); the composer grading floors and targets
(:mod:`dlmusic_instructor.assignments.composer`) are set from it.
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

from dlmusic.composer.dataset import load_rows
from dlmusic.composer.model import build_small_cnn, set_batch_norm_momentum
from dlmusic.composer.training import budgets, train_classifier
from dlmusic.course import mode
from dlmusic.datasets.sheet_folder import load_score_folder
from dlmusic.datasets.summary import format_table, write_results
from dlmusic.datasets.synthetic_scores import COMPOSERS, build_synthetic_scores
from dlmusic_instructor.heldout.composer import (
    HELDOUT_PAGES_PER_PIECE,
    heldout_accuracy,
    heldout_rows,
)
from dlmusic_instructor.references.composer import (
    build_resnet50,
    compile_classifier,
    make_callbacks,
    rows_from_page,
    split_by_piece,
)

RESULTS = Path(__file__).parent / "results" / "heldout_floors.json"
HELDOUT = Path("build/bench/heldout").resolve()
WEIGHTS = Path("build/bench/heldout_reference")


class Constant:
    """A "network" that gives every row the same one-hot probabilities."""

    def __init__(self, label: int, n_classes: int) -> None:
        self.probabilities = np.eye(n_classes)[label]

    def predict(self, images: np.ndarray, **_: object) -> np.ndarray:
        return np.tile(self.probabilities, (len(images), 1))


def quick_network(seed: int) -> keras.Model:
    """ResNet50 after the notebook's quick budget: one epoch on the quick build's rows."""
    rows = load_rows(
        load_score_folder(build_synthetic_scores(size="quick", progress=False)),
        rows_from_page,
        composers=COMPOSERS,
        max_rows_per_page=2,
    )
    keras.utils.set_random_seed(seed)
    model = set_batch_norm_momentum(build_resnet50(len(COMPOSERS)))
    compile_classifier(model, learning_rate=0.01, decay_steps=10 * int(np.ceil(len(rows) / 16)))
    model.fit(rows.images, rows.labels, epochs=1, batch_size=16, verbose=0)
    return model


def reference_networks(seed: int = 0) -> dict[str, tuple[keras.Model, float]]:
    """Both networks trained as the notebook's full mode trains them, with the reference answers.

    Returns
    -------
    dict of str to (keras.Model, float)
        Network name to the trained network and its training time in seconds.
    """
    if mode() != "full":
        raise SystemExit("--reference measures the full-mode budget: set DLMUSIC_MODE=full")
    rows = load_rows(
        load_score_folder(build_synthetic_scores(size="full", progress=False)),
        rows_from_page,
        composers=COMPOSERS,
    )
    splits = split_by_piece(rows.pieces, rows.labels, seed=seed)
    trained = {}
    for name, builder in (("small_cnn", build_small_cnn), ("resnet50", build_resnet50)):
        started = time.perf_counter()
        model = train_classifier(
            name,
            builder,
            rows,
            splits,
            WEIGHTS / f"reference_{name}.weights.h5",
            compile_classifier=compile_classifier,
            make_callbacks=make_callbacks,
            seed=seed,
        )
        trained[name] = (model, time.perf_counter() - started)
    return trained


def reference_scores(args: argparse.Namespace) -> dict:
    """:func:`reference_networks` scored on every seed's held-out works, both sizes."""
    trained = reference_networks()
    runs = []
    for seed in args.seeds:
        for size in HELDOUT_PAGES_PER_PIECE:
            rows = heldout_rows(HELDOUT, seed, size)
            for name, (model, _) in trained.items():
                score = heldout_accuracy(model, rows)
                runs.append(
                    {
                        "seed": seed,
                        "size": size,
                        "network": name,
                        "row_accuracy": score["row"],
                        "work_accuracy": score["piece"],
                    }
                )
    print(format_table(runs, "reference, notebook's full budget"))
    return {
        "budget": {name: str(budget) for name, budget in budgets().items()},
        "seconds": {name: seconds for name, (_, seconds) in trained.items()},
        "runs": runs,
        "mean_over_seeds": [
            {
                "size": size,
                "network": name,
                "row_accuracy": float(
                    np.mean(
                        [
                            r["row_accuracy"]
                            for r in runs
                            if (r["size"], r["network"]) == (size, name)
                        ]
                    )
                ),
                "work_accuracy": float(
                    np.mean(
                        [
                            r["work_accuracy"]
                            for r in runs
                            if (r["size"], r["network"]) == (size, name)
                        ]
                    )
                ),
            }
            for size in HELDOUT_PAGES_PER_PIECE
            for name in trained
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--untrained", type=int, default=3, help="untrained networks per seed")
    parser.add_argument("--skip-quick-network", action="store_true")
    parser.add_argument(
        "--reference", action="store_true", help="measure the reference's full budget instead"
    )
    args = parser.parse_args()
    previous = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    if args.reference:
        started = time.perf_counter()
        reference = reference_scores(args)
        reference["date"] = date.today().isoformat()
        reference["command"] = (
            "DLMUSIC_MODE=full python benchmarks/heldout_floors.py --reference "
            f"--seeds {' '.join(map(str, args.seeds))}"
        )
        reference["seconds_total"] = time.perf_counter() - started
        write_results(previous | {"reference": reference}, RESULTS)
        print(format_table(reference["mean_over_seeds"], "mean over seeds"))
        return 0

    networks = {}
    for init in range(args.untrained):
        keras.utils.set_random_seed(init)
        networks[f"untrained (init {init})"] = build_resnet50(len(COMPOSERS))
    if not args.skip_quick_network:
        networks["quick mode (1 epoch)"] = quick_network(0)
    started = time.perf_counter()
    runs = []
    for seed in args.seeds:
        for size in HELDOUT_PAGES_PER_PIECE:
            rows = heldout_rows(HELDOUT, seed, size)
            n_works = len(set(rows.pieces.tolist()))
            constant = [
                heldout_accuracy(Constant(label, len(COMPOSERS)), rows)
                for label in range(len(COMPOSERS))
            ]
            scored = {"best constant": max(constant, key=lambda score: score["row"])}
            scored["best constant"]["piece"] = max(score["piece"] for score in constant)
            scored |= {name: heldout_accuracy(model, rows) for name, model in networks.items()}
            for predictor, score in scored.items():
                runs.append(
                    {
                        "seed": seed,
                        "size": size,
                        "predictor": predictor,
                        "rows": len(rows),
                        "works": n_works,
                        "row_accuracy": score["row"],
                        "work_accuracy": score["piece"],
                    }
                )
            print(format_table([r for r in runs if r["seed"] == seed and r["size"] == size]))
    results = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {keras.backend.backend()}, CPU only (shared)",
        "command": "python benchmarks/heldout_floors.py "
        + " ".join(
            [f"--seeds {' '.join(map(str, args.seeds))}", f"--untrained {args.untrained}"]
            + (["--skip-quick-network"] if args.skip_quick_network else [])
        ),
        "seconds": time.perf_counter() - started,
        "runs": runs,
        "max_over_seeds": [
            {
                "size": size,
                "predictor": kind,
                "row_accuracy": max(
                    r["row_accuracy"]
                    for r in runs
                    if r["size"] == size and r["predictor"].startswith(kind)
                ),
                "work_accuracy": max(
                    r["work_accuracy"]
                    for r in runs
                    if r["size"] == size and r["predictor"].startswith(kind)
                ),
            }
            for size in HELDOUT_PAGES_PER_PIECE
            for kind in ("best constant", "untrained", "quick mode")
            if any(r["predictor"].startswith(kind) for r in runs)
        ],
    }
    if "reference" in previous:
        results["reference"] = previous["reference"]
    write_results(results, RESULTS)
    print(format_table(results["max_over_seeds"], "highest over seeds"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
