"""``make demo``: build the offline datasets, summarise them, and plot one example of each.

Run as ``python -m dlmusic_instructor.demo --size quick --out build/demo``. Writes
``synthetic_piano.png`` (CQT over the piano roll of a test piece),
``synthetic_scores.png`` (an engraved page) and ``synthetic_stems.png``
(mixture and vocal spectrograms of a test track) to ``--out``.

Then it runs the instructor pipeline on an example class of
``problem_set`` submissions (:mod:`dlmusic_instructor.example_class`: a
perfect one, an empty one, a half-done one, one mangled by Colab and a few
that break things on purpose): the assignment is generated again with
nbgrader into ``--out/grading/release``, the class is collected, repaired,
graded in parallel, exported and given feedback, and the grade table printed.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import librosa
import numpy as np
from matplotlib.figure import Figure

from dlmusic.audio import SAMPLE_RATE_HZ, load_audio
from dlmusic.datasets.cli import CORPORA, build, summary
from dlmusic.datasets.sheet_folder import load_page_image, load_score_folder
from dlmusic.datasets.synthetic_piano import load_synthetic_piano
from dlmusic.datasets.synthetic_scores import synthetic_scores_dir
from dlmusic.datasets.synthetic_stems import load_synthetic_stems
from dlmusic.display import plot_piano_roll, plot_spectrogram
from dlmusic.synth import load_midi
from dlmusic.transcription import constants as cqt_constants
from dlmusic.transcription.validation import librosa_cqt
from dlmusic.vocals import stft
from dlmusic_instructor import COURSE_ROOT
from dlmusic_instructor import cli as grading_cli
from dlmusic_instructor.example_class import write_example_class

EXAMPLE_ASSIGNMENT = "problem_set"
EXAMPLE_STUDENTS = (
    "perfect",
    "empty",
    "partial",
    "colab_mangled",
    "invalid_json",
    "kernel_killed",
    "aliased_scipy",
    "tampered_test",
)


def plot_piano_example(size: str) -> Figure:
    """The first test piece's CQT (the transcription network's settings) above its piano roll."""
    record = load_synthetic_piano(size=size, split="test")[0]
    cqt = librosa_cqt(load_audio(record.audio_path, SAMPLE_RATE_HZ)).T
    notes = [n for inst in load_midi(record.midi_path).instruments for n in inst.notes]
    intervals = np.array([[n.start, n.end] for n in notes]).reshape(-1, 2)
    pitches = np.array([n.pitch for n in notes], dtype=float)
    figure = Figure(figsize=(10, 7), layout="constrained")
    top, bottom = figure.subplots(2, 1)
    plot_spectrogram(
        cqt,
        sr=SAMPLE_RATE_HZ,
        hop_samples=cqt_constants.HOP_SAMPLES,
        y_axis="cqt_note",
        bins_per_octave=cqt_constants.BINS_PER_OCTAVE,
        fmin_hz=cqt_constants.FMIN_HZ,
        ax=top,
        title=f"CQT: {record.composer}, {record.title} ({record.split})",
    )
    plot_piano_roll((intervals, pitches), ax=bottom, title="MIDI notes (the training targets)")
    bottom.set_xlim(top.get_xlim())
    return figure


def plot_score_example(size: str) -> Figure:
    """The first engraved page, read the way a folder of real scans is read."""
    page = load_score_folder(synthetic_scores_dir(size))[0]
    figure = Figure(figsize=(6, 8.5), layout="constrained")
    ax = figure.subplots()
    ax.imshow(load_page_image(page), cmap="gray", vmin=0, vmax=255)
    ax.set_title(f"{page.composer}: {page.piece}, page {page.page}")
    ax.set_axis_off()
    return figure


def plot_stems_example(size: str) -> Figure:
    """The first test track's mixture and vocals, with the vocals network's STFT settings."""
    track = load_synthetic_stems(size=size, subset="test")[0]
    figure = Figure(figsize=(10, 7), layout="constrained")
    axes = figure.subplots(2, 1, sharex=True)
    for ax, stem in zip(axes, ("mixture", "vocals"), strict=True):
        audio = track.load(stem, SAMPLE_RATE_HZ)
        spec = np.abs(librosa.stft(audio, n_fft=stft.N_FFT, hop_length=stft.HOP_SAMPLES))
        plot_spectrogram(
            spec,
            sr=SAMPLE_RATE_HZ,
            hop_samples=stft.HOP_SAMPLES,
            y_axis="log",
            ax=ax,
            title=f"{track.name}: {stem}",
        )
    return figure


def main(argv: Sequence[str] | None = None) -> int:
    """Build, summarise and plot; returns the exit status."""
    parser = argparse.ArgumentParser(description="Build the offline datasets and show them.")
    parser.add_argument("--size", choices=("quick", "full"), default="quick")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("build/demo"))
    parser.add_argument(
        "--skip-grading", action="store_true", help="datasets only, no example class graded"
    )
    args = parser.parse_args(argv)
    build(CORPORA, size=args.size, seed=args.seed, force=False, progress=True)
    print()
    print(summary(args.size))
    args.out.mkdir(parents=True, exist_ok=True)
    plots = {
        "synthetic_piano": plot_piano_example,
        "synthetic_scores": plot_score_example,
        "synthetic_stems": plot_stems_example,
    }
    print()
    for name, plot in plots.items():
        path = args.out / f"{name}.png"
        plot(args.size).savefig(path, dpi=100)
        print(f"wrote {path}")
    if args.skip_grading:
        return 0
    print()
    return grade_example_class(args.out)


def grade_example_class(out: Path) -> int:
    """Write an example class of ``problem_set`` and run ``dlmusic-grade all`` on it."""
    notebook = f"{EXAMPLE_ASSIGNMENT}.ipynb"
    write_example_class(
        COURSE_ROOT / "assignments" / EXAMPLE_ASSIGNMENT / notebook,
        COURSE_ROOT / "solutions" / EXAMPLE_ASSIGNMENT / notebook,
        out / "example_class",
        students=EXAMPLE_STUDENTS,
    )
    grading = out / "grading"
    return grading_cli.main(
        [
            "--workdir",
            str(grading),
            "all",
            str(out / "example_class"),
            "--assignment",
            EXAMPLE_ASSIGNMENT,
            "--workers",
            "2",
            "--cell-timeout",
            "120",
            "--notebook-timeout",
            "600",
            "--heldout-size",
            "quick",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
