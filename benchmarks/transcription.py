"""Transcription off the training piano: our networks and pretrained Basic Pitch, per timbre.

Usage::

    python benchmarks/transcription.py --size full --epochs 20 --batches-per-epoch 50 \\
        --batch-size 8

Trains the full model and every ablation (:data:`SYSTEMS`: no harmonic
stacking, no contour supervision, no post-stack 5x5 conv) with the same
budget on the ``train`` split of ``synthetic_piano``, whose pieces are
rendered with several training pianos. Every training window draws its piano
(one clip per rendering) and a random augmentation (:func:`augment_window`:
EQ, room, noise, a drum loop mixed in). Then it transcribes every ``test``
piece whole under each of :data:`CONDITIONS`:

- ``training_timbres``: the test pieces rendered with a training piano;
- ``held_out_timbre``: the same pieces rendered with the held-out piano
  (``synthetic_piano.HELD_OUT_SOUNDFONT``), which no training or validation
  recording uses;
- ``held_out_reverb_noise``: those renderings in a room (RT60 0.8 s, 40 % wet)
  with white noise at 15 dB SNR.

Notes are scored with mir_eval (onset tolerance 50 ms): ``fno`` without
offsets, ``f`` with. Our networks use the note-extraction thresholds that
maximise Fno on the validation pieces (training pianos; the test pieces never
choose). Pretrained Basic Pitch (ICASSP 2022 ONNX model, its default
thresholds) transcribes the same audio. Writes
``benchmarks/results/transcription_timbre.json`` after each system, merging
with the systems an earlier run with the same data and budget measured
(``--systems`` picks which to run now), so a run that is cut off keeps what
it finished. Each network trained also appends a row (commit, date, budget,
CQT smoke test, validation Fno / F, held-out-piano Fno) to the run log
``benchmarks/results/transcription_runs.csv``, the log the notebook keeps
(:mod:`dlmusic.transcription.validation`). Weights go to ``build/bench/``.

Basic Pitch is optional: ``make bench-deps`` installs it beside the course's
packages. The networks, losses and targets are the instructor's references
(``dlmusic_instructor.references.transcription``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import keras
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ, write_audio
from dlmusic.datasets.records import PianoRecording
from dlmusic.datasets.summary import format_table, write_results
from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.problem_set.example_piece import render_piece
from dlmusic.transcription.augment import (
    EQ_PROBABILITY,
    NOISE_PROBABILITY,
    REVERB_PROBABILITY,
    RT60_RANGE_S,
    SNR_RANGE_DB,
    add_reverb,
    add_white_noise,
    mix_in,
    random_equalizer,
)
from dlmusic.transcription.data import (
    PianoClip,
    WindowSequence,
    fixed_windows,
    load_clips,
)
from dlmusic.transcription.evaluation import clip_posteriorgrams, degraded_clips, mean_scores_at
from dlmusic.transcription.saved import MODEL_CONFIGS
from dlmusic.transcription.targets import NoteList, notes_from_midi
from dlmusic.transcription.training import compile_nmp, training_callbacks
from dlmusic.transcription.validation import append_run, cqt_smoke_test, current_commit
from dlmusic_instructor.references.transcription import (
    build_nmp,
    cqt_kernel,
    mean_scores,
    note_and_onset_targets,
    transcription_scores,
    weighted_bce,
)

RESULTS = Path(__file__).parent / "results" / "transcription_timbre.json"
RUN_LOG = Path(__file__).parent / "results" / "transcription_runs.csv"
"""The run log (``dlmusic.transcription.validation``): one row per network trained."""
WEIGHTS_DIR = Path("build/bench")
SYSTEMS: dict[str, dict[str, bool]] = {
    **MODEL_CONFIGS,
    "no_post_stack_conv": {"post_stack_conv": False},
}
"""Our networks: ``build_nmp`` keyword arguments (``supervised_contour`` also sets the
contour loss weight to 0)."""
DEFAULT_ORDER = (
    "basic_pitch",
    "full",
    "no_post_stack_conv",
    "no_harmonic_stacking",
    "no_contour_supervision",
)
"""What a run measures, cheapest and most important first (a cut-off run keeps those)."""
CONDITIONS = {
    "training_timbres": False,
    "held_out_timbre": True,
    "held_out_reverb_noise": True,
}
"""Test conditions and whether each uses the held-out piano."""
VALIDATION_CLIP_S = 30.0
"""Validation (checkpointing and threshold choice) uses the first 30 s of each piece."""
THRESHOLD_GRID = [(onset, frame) for onset in (0.3, 0.4, 0.5, 0.6) for frame in (0.3, 0.4, 0.5)]
"""(onset, frame) threshold pairs of ``posteriorgram_to_notes`` tried on validation."""
MIX_IN_PROBABILITY = 0.2
MIX_IN_SNR_RANGE_DB = (5.0, 20.0)


class WindowAugmenter:
    """Per-window augmentation for training: EQ, room, noise and a drum loop, each at random.

    Parameters
    ----------
    interference : np.ndarray, shape (n_samples,)
        Unlabelled, unpitched audio mixed in at random (a drum loop).
    """

    def __init__(self, interference: np.ndarray) -> None:
        self.interference = interference

    def __call__(
        self, audio: np.ndarray, notes: NoteList, rng: np.random.Generator
    ) -> tuple[np.ndarray, NoteList]:
        """Augment one window; the notes are unchanged (no augmentation here moves them)."""
        audio = np.array(audio, dtype=np.float32)
        if rng.random() < EQ_PROBABILITY:
            audio = random_equalizer(audio, SAMPLE_RATE_HZ, rng)
        if rng.random() < REVERB_PROBABILITY:
            audio = add_reverb(audio, SAMPLE_RATE_HZ, rng, rt60_s=rng.uniform(*RT60_RANGE_S))
        sounding = bool(np.any(audio))
        if rng.random() < MIX_IN_PROBABILITY and sounding:
            audio = mix_in(audio, self.interference, rng.uniform(*MIX_IN_SNR_RANGE_DB), rng)
        if rng.random() < NOISE_PROBABILITY and sounding:
            audio = add_white_noise(audio, rng.uniform(*SNR_RANGE_DB), rng)
        return audio, notes


def train(
    name: str,
    train_clips: list[PianoClip],
    validation: tuple,
    augment: WindowAugmenter,
    *,
    epochs: int,
    batches_per_epoch: int,
    batch_size: int,
) -> tuple[keras.Model, float]:
    """Train one system; returns the best-validation model and wall seconds."""
    keras.utils.set_random_seed(0)
    config = SYSTEMS[name]
    model = compile_nmp(
        build_nmp(**config, name=f"nmp_{name}"),
        weighted_bce,
        supervised_contour=config.get("supervised_contour", True),
    )
    windows = WindowSequence(
        train_clips,
        targets=note_and_onset_targets,
        batch_size=batch_size,
        batches_per_epoch=batches_per_epoch,
        seed=0,
        augment=augment,
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
    model.load_weights(WEIGHTS_DIR / f"nmp_{name}.weights.h5")
    return model, seconds


def scores_by_threshold(
    model: keras.Model, clips: Sequence[PianoClip], thresholds: list[tuple[float, float]]
) -> dict[tuple[float, float], dict[str, float]]:
    """Mean note scores over ``clips`` for each (onset, frame) threshold pair."""
    posteriors = clip_posteriorgrams(model, clips)
    return {
        (onset, frame): mean_scores_at(clips, posteriors, transcription_scores, onset, frame)
        for onset, frame in thresholds
    }


def basic_pitch_scores(clips: Sequence[PianoClip], audio_paths: Sequence[Path]) -> dict | None:
    """Mean scores of pretrained Basic Pitch (ONNX) on the same audio, or None if absent."""
    try:
        from basic_pitch import FilenameSuffix, build_icassp_2022_model_path
        from basic_pitch.inference import Model, predict
    except ImportError:
        print("basic-pitch is not installed (`make bench-deps`): skipping it", file=sys.stderr)
        return None
    model = Model(build_icassp_2022_model_path(FilenameSuffix.onnx))
    pairs = []
    for clip, path in zip(clips, audio_paths, strict=True):
        with contextlib.redirect_stdout(io.StringIO()):
            _, midi, _ = predict(str(path), model)
        pairs.append((clip.notes, notes_from_midi(midi)))
    return mean_scores(pairs)


def test_conditions(root: Path, folder: Path) -> dict[str, tuple[list[PianoClip], list[Path]]]:
    """Each condition's test clips and the audio files they were read from (or written to).

    The degraded audio is written under ``folder`` so that Basic Pitch reads the same samples.
    """
    by_timbre = test_records(root)
    conditions = {}
    for name, held_out in CONDITIONS.items():
        records = by_timbre[held_out]
        clips = load_clips(records)
        paths = [record.audio_path for record in records]
        if name == "held_out_reverb_noise":
            clips, paths = _degraded(clips, folder / name)
        conditions[name] = (clips, paths)
    return conditions


def test_records(root: Path) -> dict[bool, list[PianoRecording]]:
    """The test recordings by title, keyed by whether they use the held-out piano.

    The order is the order of :func:`test_conditions`' clips.
    """
    return {
        held_out: sorted(
            load_synthetic_piano(root, split="test", timbres=timbres),
            key=lambda record: record.title,
        )
        for held_out, timbres in ((False, "training"), (True, "held_out"))
    }


def _degraded(clips: list[PianoClip], folder: Path) -> tuple[list[PianoClip], list[Path]]:
    """The clips in a room with noise (``degraded_clips``), saved as WAV for Basic Pitch."""
    degraded = degraded_clips(clips)
    paths = [
        write_audio(folder / f"{index:02d}.wav", clip.audio, SAMPLE_RATE_HZ)
        for index, clip in enumerate(degraded)
    ]
    return degraded, paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("quick", "full"), default="full")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batches-per-epoch", type=int, default=50)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--systems",
        nargs="*",
        default=list(DEFAULT_ORDER),
        choices=["basic_pitch", *SYSTEMS],
        help="systems to run now, in order (default: Basic Pitch, then every network)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file to merge into")
    parser.add_argument(
        "--run-log", type=Path, default=RUN_LOG, help="CSV run log to append each network to"
    )
    args = parser.parse_args()

    commit = current_commit(Path(__file__).parent)
    root = build_synthetic_piano(size=args.size, progress=False)
    train_clips = load_clips(load_synthetic_piano(root, split="train"))
    validation_clips = load_clips(
        load_synthetic_piano(root, split="validation"), max_duration_s=VALIDATION_CLIP_S
    )
    validation = fixed_windows(validation_clips, note_and_onset_targets)
    conditions = test_conditions(root, WEIGHTS_DIR / "degraded")
    augment = WindowAugmenter(render_piece(SAMPLE_RATE_HZ, soundfont="FluidR3_GM").drums)

    steps = args.epochs * args.batches_per_epoch
    n_test = len(conditions["training_timbres"][0])
    setup = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, CPU only",
        "dataset": f"synthetic_piano ({args.size}): {n_test} whole test pieces per condition",
        "budget": f"{args.epochs} epochs x {args.batches_per_epoch} batches of {args.batch_size}",
        "steps": steps,
    }
    results = _earlier_results(setup, args.results)
    results["date"] = date.today().isoformat()
    results["command"] = "python benchmarks/transcription.py " + " ".join(sys.argv[1:])
    for name in args.systems:
        if name == "basic_pitch":
            for condition, (clips, paths) in conditions.items():
                scores = basic_pitch_scores(clips, paths)
                if scores is not None:
                    _record(results, condition, name, scores)
            write_results(results, args.results)
            continue
        model, seconds = train(
            name,
            train_clips,
            validation,
            augment,
            epochs=args.epochs,
            batches_per_epoch=args.batches_per_epoch,
            batch_size=args.batch_size,
        )
        on_validation = scores_by_threshold(model, validation_clips, THRESHOLD_GRID)
        tuned = max(on_validation, key=lambda pair: on_validation[pair]["fno"])
        for condition, (clips, _) in conditions.items():
            _record(results, condition, name, scores_by_threshold(model, clips, [tuned])[tuned])
        results["thresholds"][name] = {"onset": tuned[0], "frame": tuned[1]}
        results["train_seconds_by_system"][name] = seconds
        if name == "full":
            results["train_seconds"] = seconds
        write_results(results, args.results)
        append_run(
            args.run_log,
            name=name,
            steps=steps,
            batch_size=args.batch_size,
            train_seconds=seconds,
            smoke=cqt_smoke_test(cqt_kernel),
            commit=commit,
            system={
                "validation_fno": on_validation[tuned]["fno"],
                "validation_f": on_validation[tuned]["f"],
                "held_out_fno": results["conditions"]["held_out_timbre"]["systems"][name]["fno"],
            },
        )

    print(format_table(_rows(results), f"Note scores on {setup['dataset']} ({results['date']})"))
    print(f"wrote {args.results}")
    return 0


def _earlier_results(setup: dict, path: Path) -> dict:
    """What an earlier run with the same data and budget measured, plus ``setup``."""
    if path.is_file():
        earlier = json.loads(path.read_text())
        if all(earlier.get(key) == value for key, value in setup.items()):
            return earlier
    return {
        **setup,
        "conditions": {
            name: {"held_out_timbre": held_out, "systems": {}}
            for name, held_out in CONDITIONS.items()
        },
        "thresholds": {},
        "train_seconds_by_system": {},
        "train_seconds": None,
    }


def _record(results: dict, condition: str, system: str, scores: dict[str, float]) -> None:
    keys = ("fno", "f", "precision_no_offset", "recall_no_offset")
    results["conditions"][condition]["systems"][system] = {key: scores[key] for key in keys}


def _rows(results: dict) -> list[dict[str, str]]:
    rows = []
    for condition, entry in results["conditions"].items():
        for system in ["basic_pitch", *SYSTEMS]:
            scores = entry["systems"].get(system)
            if scores is None:
                continue
            seconds = results["train_seconds_by_system"].get(system)
            rows.append(
                {
                    "condition": condition,
                    "system": system,
                    **{key: f"{value:.3f}" for key, value in scores.items()},
                    "train_seconds": "-" if seconds is None else f"{seconds:.0f}",
                }
            )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
