"""CQT layer: accuracy against librosa, and speed next to librosa and nnAudio.

Usage::

    python benchmarks/cqt.py [--size quick|full] [--repeats 5]

Accuracy: relative error ``|ours - librosa| / librosa`` over the CQT cells of
the ``synthetic_piano`` test pieces that lie within 60 dB (and within 40 dB)
of each piece's loudest cell, against ``librosa.cqt`` with its defaults.
Speed: seconds to transform a batch of 16 two-second windows (CPU), best of
``--repeats`` runs after one warm-up, for our Keras layer (TensorFlow, in a
``tf.function`` graph as in training and ``model.predict``, and eagerly),
``librosa.cqt`` (one call per window) and nnAudio's ``CQT2010v2`` (torch,
eager, as it is normally used).
Writes ``benchmarks/results/cqt.json``.
"""

from __future__ import annotations

import argparse
import platform
from datetime import date
from pathlib import Path

import numpy as np

from dlmusic.audio import load_audio
from dlmusic.datasets.summary import format_table, write_results
from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.transcription.constants import (
    WINDOW_SAMPLES,
)
from dlmusic.transcription.cqt import CQT
from dlmusic.transcription.cqt_comparison import best_of, nnaudio_cqt
from dlmusic.transcription.validation import librosa_cqt
from dlmusic_instructor.references.transcription import cqt_kernel

BATCH_WINDOWS = 16
RESULTS = Path(__file__).parent / "results" / "cqt.json"


def relative_errors(size: str) -> dict[str, float]:
    """Median / 90th-percentile relative error over the test pieces' loud cells."""
    layer = CQT(cqt_kernel)
    within_60, within_40 = [], []
    for record in load_synthetic_piano(size=size, split="test"):
        audio = load_audio(record.audio_path)
        ours = np.asarray(layer(audio[np.newaxis]))[0]
        reference = librosa_cqt(audio)
        error = np.abs(ours - reference) / np.maximum(reference, 1e-12)
        within_60.append(error[reference > reference.max() * 1e-3])
        within_40.append(error[reference > reference.max() * 1e-2])
    loud, louder = np.concatenate(within_60), np.concatenate(within_40)
    return {
        "median_relative_error_60db": float(np.median(loud)),
        "p90_relative_error_60db": float(np.percentile(loud, 90)),
        "median_relative_error_40db": float(np.median(louder)),
        "cells_60db": int(loud.size),
    }


def timings(repeats: int, rng: np.random.Generator) -> dict[str, float]:
    """Seconds per batch of 16 two-second windows for the three implementations."""
    import tensorflow as tf
    import torch

    batch = (0.1 * rng.standard_normal((BATCH_WINDOWS, WINDOW_SAMPLES))).astype(np.float32)
    layer = CQT(cqt_kernel)
    nnaudio = nnaudio_cqt()
    batch_torch = torch.from_numpy(batch)
    layer_graph = tf.function(layer.call)

    def run_nnaudio():
        with torch.no_grad():
            nnaudio(batch_torch)

    return {
        "dlmusic_seconds": best_of(lambda: np.asarray(layer_graph(batch)), repeats),
        "dlmusic_eager_seconds": best_of(lambda: np.asarray(layer(batch)), repeats),
        "librosa_seconds": best_of(lambda: [librosa_cqt(x) for x in batch], repeats),
        "nnaudio_seconds": best_of(run_nnaudio, repeats),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("quick", "full"), default="quick")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    build_synthetic_piano(size=args.size, progress=False)
    results = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, CPU only",
        "dataset": f"synthetic_piano ({args.size}) test pieces",
        "batch": f"{BATCH_WINDOWS} windows x {WINDOW_SAMPLES} samples",
        **relative_errors(args.size),
        **timings(args.repeats, np.random.default_rng(0)),
    }
    rows = [
        {"system": "dlmusic CQT layer (TF graph)", "seconds": f"{results['dlmusic_seconds']:.3f}"},
        {
            "system": "dlmusic CQT layer (TF eager)",
            "seconds": f"{results['dlmusic_eager_seconds']:.3f}",
        },
        {"system": "librosa.cqt", "seconds": f"{results['librosa_seconds']:.3f}"},
        {"system": "nnAudio CQT2010v2 (torch)", "seconds": f"{results['nnaudio_seconds']:.3f}"},
    ]
    print(format_table(rows, f"CQT of a batch of {results['batch']} ({results['date']})"))
    print()
    print(
        f"relative error vs librosa.cqt on {results['dataset']}: "
        f"median {results['median_relative_error_60db']:.4f} (cells within 60 dB), "
        f"{results['median_relative_error_40db']:.4f} (within 40 dB); "
        f"90th percentile {results['p90_relative_error_60db']:.4f}"
    )
    print(f"wrote {write_results(results, RESULTS)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
