"""Transcription quality: the NMP model and its ablations next to pretrained Basic Pitch.

Usage::

    python benchmarks/transcription.py --size full --epochs 40 --batches-per-epoch 100

Trains the full model and both ablations (no harmonic stacking; no Yp
bottleneck) with the same budget on the ``train`` split of
``synthetic_piano`` (random 2-second windows, batch 16, Adam), then
transcribes every ``test`` piece whole and scores the notes with mir_eval
(onset tolerance 50 ms): ``f`` with offsets, ``fno`` without. Each model is
scored twice: with the default note-extraction thresholds (onset 0.5, frame
0.3; what grading uses) and with the pair that maximises Fno on the
validation clips (a grid; the test pieces never choose). Pretrained
Basic Pitch (its ONNX model, run with onnxruntime) transcribes the same
pieces. Reports training wall time and steps per second, and writes
``benchmarks/results/transcription.json`` after each system, merging with the
systems an earlier run measured (``--models`` picks which to run now), so a
long run that is cut off keeps what it finished. Weights go to ``build/bench/``.

Basic Pitch is optional; install it beside the course's packages with
``pip install --no-deps basic-pitch==0.4.0 resampy onnxruntime`` (its own
dependency pins predate TensorFlow 2.21). The networks, losses and targets are
the instructor's references (``dlmusic_instructor.references.transcription``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import time
from datetime import date
from pathlib import Path

import keras

from dlmusic.datasets.summary import format_table
from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.transcription.data import (
    PianoClip,
    WindowSequence,
    fixed_windows,
    load_clips,
    predict_posteriorgrams,
)
from dlmusic.transcription.notes import posteriorgram_to_notes
from dlmusic.transcription.saved import MODEL_CONFIGS, weights_file
from dlmusic.transcription.targets import notes_from_midi
from dlmusic.transcription.training import training_callbacks
from dlmusic_instructor.references.transcription import (
    build_model,
    compile_nmp,
    mean_scores,
    note_and_onset_targets,
)

RESULTS = Path(__file__).parent / "results" / "transcription.json"
WEIGHTS_DIR = Path("build/bench")
VALIDATION_CLIP_S = 30.0
"""Validation loss (for checkpointing) uses the first 30 s of each validation piece."""
DEFAULT_THRESHOLDS = (0.5, 0.3)
"""(onset, frame) thresholds of ``posteriorgram_to_notes``, as used by grading."""
THRESHOLD_GRID = [(onset, frame) for onset in (0.3, 0.4, 0.5, 0.6) for frame in (0.3, 0.4, 0.5)]


def train(
    name: str,
    train_clips: list[PianoClip],
    validation: tuple,
    *,
    epochs: int,
    batches_per_epoch: int,
    batch_size: int,
) -> tuple[keras.Model, float]:
    """Train one configuration; returns the best-validation model and wall seconds."""
    keras.utils.set_random_seed(0)
    config = MODEL_CONFIGS[name]
    model = compile_nmp(
        build_model(**config, name=f"nmp_{name}"),
        supervised_contour=config.get("supervised_contour", True),
    )
    windows = WindowSequence(
        train_clips,
        targets=note_and_onset_targets,
        batch_size=batch_size,
        batches_per_epoch=batches_per_epoch,
        seed=0,
    )
    start = time.perf_counter()
    model.fit(
        windows,
        validation_data=validation,
        epochs=epochs,
        verbose=2,
        callbacks=training_callbacks(WEIGHTS_DIR, f"nmp_{name}"),
    )
    seconds = time.perf_counter() - start
    model.load_weights(weights_file(name, WEIGHTS_DIR))
    return model, seconds


def scores_by_threshold(
    model: keras.Model, clips: list[PianoClip], thresholds: list[tuple[float, float]]
) -> dict[tuple[float, float], dict[str, float]]:
    """Mean note scores over ``clips`` for each (onset, frame) threshold pair."""
    posteriors = [predict_posteriorgrams(model, clip.audio) for clip in clips]
    table = {}
    for onset, frame in thresholds:
        pairs = [
            (
                clip.notes,
                posteriorgram_to_notes(
                    post["note"], post["onset"], onset_threshold=onset, frame_threshold=frame
                ),
            )
            for clip, post in zip(clips, posteriors, strict=True)
        ]
        table[(onset, frame)] = mean_scores(pairs)
    return table


def basic_pitch_scores(clips: list[PianoClip], audio_paths: list[Path]) -> dict[str, float] | None:
    """Mean scores of pretrained Basic Pitch (ONNX) on the same pieces, or None if absent."""
    try:
        from basic_pitch import FilenameSuffix, build_icassp_2022_model_path
        from basic_pitch.inference import Model, predict
    except ImportError:
        print("basic-pitch is not installed: skipping it (see this script's docstring)")
        return None
    model = Model(build_icassp_2022_model_path(FilenameSuffix.onnx))
    pairs = []
    for clip, path in zip(clips, audio_paths, strict=True):
        with contextlib.redirect_stdout(io.StringIO()):
            _, midi, _ = predict(str(path), model)
        pairs.append((clip.notes, notes_from_midi(midi)))
    return mean_scores(pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("quick", "full"), default="full")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batches-per-epoch", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--models", nargs="*", default=list(MODEL_CONFIGS))
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file to merge into")
    args = parser.parse_args()

    root = build_synthetic_piano(size=args.size, progress=False)
    train_clips = load_clips(load_synthetic_piano(root, split="train"))
    validation_clips = load_clips(
        load_synthetic_piano(root, split="validation"), max_duration_s=VALIDATION_CLIP_S
    )
    validation = fixed_windows(validation_clips, note_and_onset_targets)
    test_records = load_synthetic_piano(root, split="test")
    test_clips = load_clips(test_records)

    setup = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, CPU only",
        "dataset": f"synthetic_piano ({args.size}): {len(test_clips)} whole test pieces",
        "budget": f"{args.epochs} epochs x {args.batches_per_epoch} batches of {args.batch_size}",
    }
    results = _earlier_results(setup, args.results)
    results["date"] = date.today().isoformat()
    steps = args.epochs * args.batches_per_epoch
    for name in args.models:
        model, seconds = train(
            name,
            train_clips,
            validation,
            epochs=args.epochs,
            batches_per_epoch=args.batches_per_epoch,
            batch_size=args.batch_size,
        )
        on_validation = scores_by_threshold(model, validation_clips, THRESHOLD_GRID)
        tuned = max(on_validation, key=lambda pair: on_validation[pair]["fno"])
        on_test = scores_by_threshold(model, test_clips, sorted({DEFAULT_THRESHOLDS, tuned}))
        results[name] = {
            **on_test[DEFAULT_THRESHOLDS],
            "tuned_thresholds": {"onset": tuned[0], "frame": tuned[1]},
            "tuned": on_test[tuned],
            "seconds": seconds,
            "steps_per_second": steps / seconds,
        }
        _write(results, args.results)
    reference = basic_pitch_scores(test_clips, [r.audio_path for r in test_records])
    if reference is not None:
        results["basic_pitch"] = reference
        _write(results, args.results)

    title = f"Note F-measures on {setup['dataset']} ({results['date']})"
    print(format_table(_rows(results), title))
    print(f"wrote {args.results}")
    return 0


def _earlier_results(setup: dict[str, str], path: Path) -> dict:
    """Systems measured by an earlier run with the same data and budget, plus ``setup``."""
    if path.is_file():
        earlier = json.loads(path.read_text())
        if all(earlier.get(key) == value for key, value in setup.items()):
            return earlier
    return dict(setup)


def _write(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


def _rows(results: dict) -> list[dict[str, str]]:
    rows = []
    for name in MODEL_CONFIGS:
        if name not in results:
            continue
        scores, tuned = results[name], results[name]["tuned_thresholds"]
        seconds = f"{scores['seconds']:.0f}"
        onset, frame = DEFAULT_THRESHOLDS
        rows.append(
            {
                "system": f"{name} {onset:g}/{frame:g}",
                **_formatted(scores),
                "train_seconds": seconds,
            }
        )
        rows.append(
            {
                "system": f"{name} tuned {tuned['onset']:g}/{tuned['frame']:g}",
                **_formatted(scores["tuned"]),
                "train_seconds": seconds,
            }
        )
    if "basic_pitch" in results:
        rows.append(
            {
                "system": "basic_pitch (pretrained)",
                **_formatted(results["basic_pitch"]),
                "train_seconds": "-",
            }
        )
    return rows


def _formatted(scores: dict[str, float]) -> dict[str, str]:
    keys = ("fno", "f", "precision_no_offset", "recall_no_offset")
    return {key: f"{scores[key]:.3f}" for key in keys}


if __name__ == "__main__":
    raise SystemExit(main())
