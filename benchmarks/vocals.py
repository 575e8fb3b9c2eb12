"""Vocal extraction quality: the LSTM mask networks next to every baseline.

Usage::

    python benchmarks/vocals.py --size full --epochs 60 --batches-per-epoch 50
    python benchmarks/vocals.py --size full --no-networks   # how hard are the songs?
    python benchmarks/vocals.py --size quick --epochs 1 --batches-per-epoch 2 \
        --validation-tracks 1   # smoke run

First the two trivial masks are fitted on the ``train`` tracks of
``synthetic_stems`` (:mod:`dlmusic.vocals.baselines`): the high-pass
mask whose cutoff has the best vocal signal-to-error ratio there, and the
ideal ratio mask averaged per frequency bin over every training frame. Then
the reference mask estimator (``dlmusic_instructor.references.vocals``, on
the data pipeline of ``dlmusic.vocals.data`` with the reference STFT,
masks and malformed-frame rules) is trained twice with the same budget and
seed on the ``train`` tracks (the last ``--validation-tracks`` of them held
out to pick the best epoch): once with ideal-ratio-mask targets, once with
ideal-binary-mask targets (batches of 16 sequences of 128 STFT frames, the
energy-weighted squared mask error, Adam); with ``--unweighted`` a third
network learns ratio masks with every cell weighted alike. ``--remix R``
makes that share of every batch's sequences new songs (one track's voice
over another's accompaniment; default 0.5, as in the notebook).

Every ``test`` track (``--eval-s`` seconds of it, default all) is separated
by each system and scored with BSS Eval v3 (``mir_eval``) on 4-second
segments (median per track, mean over tracks; museval's v4 on 1-s segments
gives other numbers): the mixture as estimate, the two trivial masks, the
untrained network, the oracle ideal binary and ratio masks (the ceiling),
and the trained networks. Prints the vocal SDR with its spread over tracks,
SIR, SAR, the improvement over the mixture, the gap to the oracle IRM, the
issue's targets as measured, and training wall time. A full-size run with
networks writes ``benchmarks/results/vocals.json`` (or ``--results``):
``{"systems": {NAME: {"vocal_sdr": ..., "vocal_sdr_per_track": [...], ...}}}``
with NAME in ``mixture``, ``best_fixed_mask``, ``mean_irm_mask``,
``untrained_network``, ``network_ratio``, ``network_binary``, ``oracle_ibm``,
``oracle_irm``; other runs write beside the weights in ``build/bench/``
(or ``--weights-dir``).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date
from functools import partial
from pathlib import Path

import keras
import numpy as np

from dlmusic.datasets.summary import format_table, write_results
from dlmusic.datasets.synthetic_stems import build_synthetic_stems, load_synthetic_stems
from dlmusic.vocals.baselines import choose_cutoff, high_pass_mask, mean_irm_mask
from dlmusic.vocals.data import FrameSequences, TrackCache, fixed_sequences, load_stems
from dlmusic.vocals.estimates import estimates_from_masks, oracle_estimates
from dlmusic.vocals.metrics import mean_scores, mixture_as_estimate, track_scores
from dlmusic.vocals.model import fit_mask_network
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
TRIVIAL = ("best_fixed_mask", "mean_irm_mask")
"""The masks that learn (almost) nothing; the issue's targets are relative to them."""
TRIVIAL_MAX_GAIN_DB = 3.0
NETWORK_MARGIN_DB = 5.0
IRM_GAP_DB = 4.0
DESCRIPTIONS = {
    "mixture": "the mixture as the estimate",
    "best_fixed_mask": "high_pass_mask at the cutoff choose_cutoff picked on the training songs",
    "mean_irm_mask": "ideal ratio mask averaged per bin over the training songs",
    "untrained_network": "the network before training (seed 0)",
    "oracle_ibm": "ideal binary mask (knows the stems)",
    "oracle_irm": "ideal ratio mask (knows the stems)",
    "network_ratio": "trained on ratio-mask targets",
    "network_binary": "trained on binary-mask targets",
    "network_ratio_unweighted": "trained on ratio-mask targets, unweighted loss",
}
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
    model = build_model(name=name)
    start = time.perf_counter()
    fit_mask_network(
        model,
        data,
        weights_file=args.weights_dir / f"{name}.weights.h5",
        validation_data=validation,
        epochs=args.epochs,
    )
    return model, time.perf_counter() - start


def separate_songs(model: keras.Model, songs) -> list[dict[str, np.ndarray]]:
    """``separate_track`` of every song's mixture with ``model``."""
    return [separate_track(model, song.mixture) for song in songs]


def score(songs, estimates_per_song) -> tuple[dict, list[float]]:
    """Mean BSS Eval scores over ``songs`` and each song's vocal SDR."""
    per_track = track_scores(songs, estimates_per_song)
    return mean_scores(per_track), [scores["vocals"]["sdr"] for scores in per_track]


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
        "--no-networks",
        action="store_true",
        help="score the trivial masks and the oracles only (how hard are the songs?)",
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
    fit_tracks = train_tracks[: -args.validation_tracks]
    test_tracks = load_synthetic_stems(root, subset="test")

    # The trivial masks learn from the training songs only (all of them: nothing is tuned
    # on the validation songs but the networks' best epoch).
    training_songs = [load_stems(track) for track in train_tracks]
    cutoff_hz, cutoff_scores = choose_cutoff(training_songs, stft)
    average_irm = mean_irm_mask(training_songs, stft, ideal_ratio_mask)
    print(f"best fixed cutoff on the training songs: {cutoff_hz:.0f} Hz")

    models, seconds = {}, {}
    if not args.no_networks:
        cache = TrackCache(
            max_tracks=len(train_tracks), stft=stft, malformed_frames=malformed_frames
        )
        args.weights_dir.mkdir(parents=True, exist_ok=True)
        networks = {"ratio": ("ratio", "energy"), "binary": ("binary", "energy")}
        if args.unweighted:
            networks["ratio_unweighted"] = ("ratio", "uniform")
        for label, (target, weighting) in networks.items():
            models[label], seconds[label] = train(
                target, weighting, fit_tracks, validation_tracks, cache, args
            )
    keras.utils.set_random_seed(0)
    untrained = build_model()

    songs = [load_stems(track).excerpt(args.eval_s) for track in test_tracks]
    fixed_masks = {"best_fixed_mask": high_pass_mask(cutoff_hz, 1), "mean_irm_mask": average_irm}
    systems = {
        "mixture": lambda: [mixture_as_estimate(song.mixture) for song in songs],
        **{
            name: partial(estimates_from_masks, songs, [column] * len(songs), masked_estimate)
            for name, column in fixed_masks.items()
        },
        "untrained_network": lambda: [separate_track(untrained, song.mixture) for song in songs],
        "oracle_ibm": partial(oracle_estimates, songs, ideal_binary_mask, stft, masked_estimate),
        "oracle_irm": partial(oracle_estimates, songs, ideal_ratio_mask, stft, masked_estimate),
        **{f"network_{label}": partial(separate_songs, models[label], songs) for label in models},
    }
    scores, per_track = {}, {}
    for name, estimates in systems.items():
        start = time.perf_counter()
        scores[name], per_track[name] = score(songs, estimates())
        print(f"scored {name} in {time.perf_counter() - start:.0f} s", flush=True)

    mixture_sdr = scores["mixture"]["vocals"]["sdr"]
    irm_sdr = scores["oracle_irm"]["vocals"]["sdr"]
    rows = []
    for name, result in scores.items():
        row = {"system": name, "description": DESCRIPTIONS[name]}
        row["vocal SDR"] = f"{result['vocals']['sdr']:.2f}"
        row["+- (tracks)"] = f"{np.std(per_track[name]):.2f}"
        row["min..max"] = f"{min(per_track[name]):.1f}..{max(per_track[name]):.1f}"
        row["voc SIR"] = f"{result['vocals']['sir']:.2f}"
        row["voc SAR"] = f"{result['vocals']['sar']:.2f}"
        row["acc SDR"] = f"{result['accompaniment']['sdr']:.2f}"
        row["gain"] = f"{result['vocals']['sdr'] - mixture_sdr:+.2f}"
        row["gap to IRM"] = f"{irm_sdr - result['vocals']['sdr']:.2f}"
        rows.append(row)
    steps = args.epochs * args.batches_per_epoch
    print(
        format_table(
            rows,
            f"synthetic_stems ({args.size}), {len(songs)} test tracks, dB "
            f"(BSS Eval v3 via mir_eval on 4 s segments, median per track, mean over tracks; "
            f"+-: standard deviation over tracks)",
        )
    )
    for label, wall in seconds.items():
        print(
            f"{NETWORK_NAMES[label]}: {steps} steps of {args.batch_size} x 128 frames "
            f"in {wall:.0f} s" + (f", {args.remix:.0%} of them remixed" if args.remix else "")
        )
    gains = {name: result["vocals"]["sdr"] - mixture_sdr for name, result in scores.items()}
    targets = target_report(
        gains, irm_sdr - scores.get("network_ratio", {}).get("vocals", {}).get("sdr", np.nan)
    )
    for line in targets["lines"]:
        print(line)

    results = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "command": "python benchmarks/vocals.py " + " ".join(sys.argv[1:]),
        "dataset": f"synthetic_stems/{args.size}",
        "train_tracks": len(fit_tracks),
        "validation_tracks": len(validation_tracks),
        "test_tracks": len(songs),
        "eval_seconds_per_track": args.eval_s,
        "metric": "vocal SDR, dB: BSS Eval v3 (mir_eval.separation.bss_eval_sources) on 4 s "
        "segments, median per track, mean over tracks (not museval's BSS Eval v4 on 1 s)",
        "baselines": {
            "high_pass_mask_cutoff_hz": cutoff_hz,
            "cutoff_signal_to_error_db_on_training_songs": {
                f"{cutoff:.0f}": value for cutoff, value in cutoff_scores.items()
            },
            "mean_irm_mask_per_bin": "mean over every frame of the training songs",
        },
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
                "description": DESCRIPTIONS[name],
                "vocal_sdr": result["vocals"]["sdr"],
                "vocal_sdr_per_track": per_track[name],
                "vocal_sdr_std_over_tracks": float(np.std(per_track[name])),
                "vocal_sdr_improvement": gains[name],
                "vocal_sdr_gap_to_irm": irm_sdr - result["vocals"]["sdr"],
                **{
                    f"{source}_{metric}": result[source][metric]
                    for source in ("vocals", "accompaniment")
                    for metric in ("sdr", "sir", "sar")
                },
            }
            for name, result in scores.items()
        },
        "targets": targets["met"],
        "seconds": {f"train_{label}": wall for label, wall in seconds.items()},
    }
    # Only a full-size run with networks is a result; other runs go beside the weights.
    complete = args.size == "full" and not args.no_networks
    suffix = "_no_networks" if args.no_networks else ""
    out = args.results if complete else args.weights_dir / f"vocals_{args.size}{suffix}.json"
    print(f"wrote {write_results(results, out)}")
    return 0


def target_report(gains: dict[str, float], ratio_gap_to_irm: float) -> dict:
    """The issue's targets, each as measured: trivial masks <= 3 dB, network >= 5 dB above them."""
    best_trivial = max(gains[name] for name in TRIVIAL)
    met = {name: bool(gains[name] <= TRIVIAL_MAX_GAIN_DB) for name in TRIVIAL}
    lines = [
        f"{name} gains {gains[name]:+.2f} dB over the mixture "
        f"(target: at most {TRIVIAL_MAX_GAIN_DB:+.1f})"
        for name in TRIVIAL
    ]
    if "network_ratio" in gains:
        margin = gains["network_ratio"] - best_trivial
        met["network_ratio_above_trivial"] = bool(margin >= NETWORK_MARGIN_DB)
        met["network_ratio_near_irm"] = bool(ratio_gap_to_irm <= IRM_GAP_DB)
        lines.append(
            f"network_ratio is {margin:+.2f} dB above the best trivial mask "
            f"(target: at least {NETWORK_MARGIN_DB:+.1f}) and {ratio_gap_to_irm:.2f} dB "
            f"below the oracle IRM (target: at most {IRM_GAP_DB:.1f})"
        )
    return {"met": met, "lines": lines}


if __name__ == "__main__":
    raise SystemExit(main())
