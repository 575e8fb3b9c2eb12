"""Vocal extraction quality: the LSTM mask networks next to every baseline.

Usage::

    python benchmarks/vocals.py --size full --epochs 180 --batches-per-epoch 50
    python benchmarks/vocals.py --size quick --epochs 1 --batches-per-epoch 2 \
        --validation-tracks 1   # smoke run

Trains the reference mask estimator (``dlmusic_instructor.references.vocals``,
on the data pipeline of ``dlmusic.separation.data`` with the reference STFT,
masks and malformed-frame rules) twice with
the same budget and seed on the ``train`` tracks of ``synthetic_stems`` (the
last ``--validation-tracks`` of them held out to pick the best epoch): once
with ideal-ratio-mask targets, once with ideal-binary-mask targets (batches
of 16 sequences of 128 STFT frames, the energy-weighted squared mask error,
Adam); with ``--unweighted`` a third network learns ratio masks with every
cell weighted alike, to show what the weighting buys. ``--remix R`` makes
that share of every batch's sequences new songs (one track's voice over
another's accompaniment, ``FrameSequences(remix=R)``; default 0.5, as in
the notebook). Then every
``test`` track (``--eval-s`` seconds of it, default all) is separated by each
system and scored with ``mir_eval``'s BSS Eval on 4-second segments (median
per track, mean over tracks): the mixture as estimate, the untrained
network, the oracle ideal binary and ratio masks (the ceiling), and the two
trained networks. Prints SDR / SIR / SAR for vocals and accompaniment side
by side, the vocal SDR improvement over the mixture, the gap to the oracle
IRM, and training wall time; a full-size run writes
``benchmarks/results/vocals.json`` or ``--results`` (other sizes
``build/bench/vocals_<size>.json``).
Weights go to ``build/bench/`` or ``--weights-dir``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from datetime import date
from functools import partial
from pathlib import Path

import keras
import numpy as np

from dlmusic.datasets.summary import format_table
from dlmusic.datasets.synthetic_stems import build_synthetic_stems, load_synthetic_stems
from dlmusic.separation.data import FrameSequences, TrackCache, fixed_sequences, load_stems
from dlmusic.separation.metrics import mean_scores, mixture_as_estimate, separation_scores
from dlmusic.separation.model import compile_mask_estimator
from dlmusic.transcription.training import training_callbacks
from dlmusic_instructor.references.vocals import (
    build_model,
    ideal_binary_mask,
    ideal_ratio_mask,
    malformed_frames,
    masked_estimate,
    separate_track,
    stft,
)

RESULTS = Path(__file__).parent / "results" / "vocals.json"
WEIGHTS_DIR = Path("build/bench")
MASKS = {"ratio": ideal_ratio_mask, "binary": ideal_binary_mask}
NETWORK_NAMES = {
    "ratio": "ratio-mask targets",
    "binary": "binary-mask targets",
    "ratio_unweighted": "ratio-mask targets, unweighted loss",
}


def train(
    target: str, weighting: str, tracks, validation_tracks, cache: TrackCache, args
) -> tuple[keras.Model, float]:
    """Train the reference network on ``target`` masks; returns it (best epoch) and wall seconds."""
    keras.utils.set_random_seed(0)
    data = FrameSequences(
        tracks,
        cache=cache,
        mask=MASKS[target],
        weighting=weighting,
        remix=args.remix,
        batch_size=args.batch_size,
        batches_per_epoch=args.batches_per_epoch,
        progress=False,
    )
    print(data.report())
    validation = fixed_sequences(
        validation_tracks, cache=cache, mask=MASKS[target], weighting=weighting
    )
    name = f"vocals_{target}_mask" + ("" if weighting == "energy" else f"_{weighting}")
    model = compile_mask_estimator(build_model(name=name))
    start = time.perf_counter()
    model.fit(
        data,
        validation_data=validation,
        epochs=args.epochs,
        callbacks=training_callbacks(args.weights_dir, name),
        verbose=2,
    )
    seconds = time.perf_counter() - start
    best = args.weights_dir / f"{name}.weights.h5"
    if best.is_file():
        model.load_weights(best)
    return model, seconds


def separate_with(model: keras.Model, song) -> dict[str, np.ndarray]:
    return separate_track(model, song.mixture)


def oracle(song, kind: str) -> dict[str, np.ndarray]:
    vocals, accompaniment = stft(song.vocals), stft(song.accompaniment)
    mask = (ideal_binary_mask if kind == "ibm" else ideal_ratio_mask)(vocals, accompaniment)
    return {
        "vocals": masked_estimate(song.mixture, mask),
        "accompaniment": masked_estimate(song.mixture, 1.0 - mask),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("quick", "full"), default="full")
    parser.add_argument("--epochs", type=int, default=180)
    parser.add_argument("--batches-per-epoch", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--eval-s", type=float, default=None, help="seconds of each test track")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="JSON file of a full-size run"
    )
    parser.add_argument(
        "--unweighted",
        action="store_true",
        help="also train a ratio-mask network with every cell weighted alike",
    )
    parser.add_argument(
        "--remix",
        type=float,
        default=0.5,
        help="share of training sequences remixed from two tracks (0 to 1; 0: none)",
    )
    parser.add_argument(
        "--weights-dir",
        type=Path,
        default=WEIGHTS_DIR,
        help="where the networks' checkpoints go (one folder per concurrent run)",
    )
    parser.add_argument(
        "--validation-tracks", type=int, default=3, help="train tracks held out for validation"
    )
    args = parser.parse_args()

    root = build_synthetic_stems(size=args.size, progress=False)
    train_tracks = load_synthetic_stems(root, subset="train")
    if not 0 < args.validation_tracks < len(train_tracks):
        parser.error(f"--validation-tracks must be between 1 and {len(train_tracks) - 1}")
    validation_tracks = train_tracks[-args.validation_tracks :]
    train_tracks = train_tracks[: -args.validation_tracks]
    test_tracks = load_synthetic_stems(root, subset="test")
    cache = TrackCache(
        max_tracks=len(train_tracks) + len(validation_tracks),
        stft=stft,
        malformed_frames=malformed_frames,
    )
    args.weights_dir.mkdir(parents=True, exist_ok=True)

    networks = {"ratio": ("ratio", "energy"), "binary": ("binary", "energy")}
    if args.unweighted:
        networks["ratio_unweighted"] = ("ratio", "uniform")
    models, seconds = {}, {}
    for label, (target, weighting) in networks.items():
        models[label], seconds[label] = train(
            target, weighting, train_tracks, validation_tracks, cache, args
        )
    keras.utils.set_random_seed(0)
    untrained = build_model()

    songs = [load_stems(track).excerpt(args.eval_s) for track in test_tracks]
    systems = {
        "mixture as estimate": lambda song: mixture_as_estimate(song.mixture),
        "untrained network": lambda song: separate_track(untrained, song.mixture),
        "oracle IBM": lambda song: oracle(song, "ibm"),
        "oracle IRM": lambda song: oracle(song, "irm"),
        **{
            f"trained, {NETWORK_NAMES[label]}": partial(separate_with, models[label])
            for label in models
        },
    }
    scores = {}
    for name, estimate in systems.items():
        start = time.perf_counter()
        scores[name] = mean_scores(
            [
                separation_scores(
                    {"vocals": song.vocals, "accompaniment": song.accompaniment}, estimate(song)
                )
                for song in songs
            ]
        )
        print(f"scored {name} in {time.perf_counter() - start:.0f} s", flush=True)

    mixture_sdr = scores["mixture as estimate"]["vocals"]["sdr"]
    irm_sdr = scores["oracle IRM"]["vocals"]["sdr"]
    rows = []
    for name, result in scores.items():
        row = {"estimate": name}
        for source in ("vocals", "accompaniment"):
            for metric in ("sdr", "sir", "sar"):
                row[f"{source[:4]} {metric.upper()}"] = f"{result[source][metric]:.2f}"
        row["vocal SDR gain"] = f"{result['vocals']['sdr'] - mixture_sdr:+.2f}"
        row["gap to IRM"] = f"{irm_sdr - result['vocals']['sdr']:.2f}"
        rows.append(row)
    steps = args.epochs * args.batches_per_epoch
    print(
        format_table(
            rows,
            f"synthetic_stems ({args.size}), {len(songs)} test tracks, dB "
            f"(BSS Eval on 4 s segments, median per track, mean over tracks)",
        )
    )
    for label, wall in seconds.items():
        print(
            f"{NETWORK_NAMES[label]}: {steps} steps of {args.batch_size} x 128 frames "
            f"in {wall:.0f} s" + (f", {args.remix:.0%} of them remixed" if args.remix else "")
        )

    results = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "dataset": f"synthetic_stems/{args.size}",
        "train_tracks": len(train_tracks),
        "validation_tracks": len(validation_tracks),
        "test_tracks": len(songs),
        "eval_seconds_per_track": args.eval_s,
        "training": {
            "epochs": args.epochs,
            "batches_per_epoch": args.batches_per_epoch,
            "batch_size": args.batch_size,
            "sequence_frames": 128,
            "steps": steps,
            "remix": args.remix,
            "loss": "squared mask error weighted by the mixture energy |X|^2 "
            "(unweighted: every cell weighs 1)",
        },
        "systems": {
            name: {
                **{
                    f"{source}_{metric}": result[source][metric]
                    for source in ("vocals", "accompaniment")
                    for metric in ("sdr", "sir", "sar")
                },
                "vocals_sdr_improvement": result["vocals"]["sdr"] - mixture_sdr,
                "vocals_sdr_gap_to_irm": irm_sdr - result["vocals"]["sdr"],
            }
            for name, result in scores.items()
        },
        "seconds": {f"train_{label}": wall for label, wall in seconds.items()},
    }
    # Only a full-size run is a result; smoke runs go beside the weights.
    out = args.results if args.size == "full" else args.weights_dir / f"vocals_{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
