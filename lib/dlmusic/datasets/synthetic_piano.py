"""``synthetic_piano``: MAESTRO-style piano audio + MIDI, rendered offline.

The default corpus of the ``transcription`` notebook. Every piece of
:mod:`dlmusic.datasets.piano_material` is rendered with FluidSynth at
22050 Hz and stored as MAESTRO v3 is: a WAV and a MIDI per rendering, and a
metadata CSV whose ``split`` column assigns whole pieces to train, validation
or test. The same seed gives byte-identical files.

Several pianos: a *timbre* is a soundfont and a General MIDI piano program
(0-3: acoustic grand, bright, electric grand, honky-tonk), written
``"<soundfont>/<program>"`` in the CSV's ``timbre`` column. Training pieces
are rendered once with every installed :data:`TRAINING_SOUNDFONTS` font (so a
training window can draw its piano), validation pieces once with one of them,
and test pieces twice: with one training font and with
:data:`HELD_OUT_SOUNDFONT`, a piano no training or validation recording uses.
Programs are drawn per rendering from the seed.

Sizes (:data:`SIZES`): ``quick`` is a few minutes of audio built in seconds
(CI, smoke tests); ``full`` is over an hour; ``heldout`` is a separate set of
pieces for grading.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pretty_midi
from tqdm import tqdm

from dlmusic.audio import SAMPLE_RATE_HZ, write_audio
from dlmusic.datasets.build_cache import build_once, require_size, slugify
from dlmusic.datasets.paths import dataset_dir
from dlmusic.datasets.piano_material import piece_specs
from dlmusic.datasets.records import (
    PianoRecording,
    read_piano_metadata,
    write_piano_metadata,
)
from dlmusic.errors import DatasetError
from dlmusic.synth import SoundfontRenderer, find_soundfont, installed_soundfonts

NAME = "synthetic_piano"
METADATA_CSV = "synthetic_piano.csv"
RELEASE_TAIL_S = 1.0
"""Audio continues this long after the last note-off (the piano's release)."""
BUILD_YEAR = 2026
VALIDATION_FRACTION = 0.15
TEST_FRACTION = 0.15
TRAINING_SOUNDFONTS = ("FluidR3_GM", "FluidR3Mono_GM", "MuseScore_General_Lite", "GMbank")
"""Pianos of the training and validation recordings (those installed are used)."""
HELD_OUT_SOUNDFONT = "TimGM6mb"
"""The unseen piano: only test pieces are rendered with it (always installed: pretty_midi
ships it)."""
PIANO_PROGRAMS = (0, 1, 2, 3)
"""General MIDI pianos: acoustic grand, bright acoustic, electric grand, honky-tonk."""
TIMBRE_SETS = ("training", "held_out")


@dataclass(frozen=True)
class PianoSize:
    """How much material a build holds.

    Attributes
    ----------
    n_chorales, n_corpus, n_drill_rounds : int
        See :func:`dlmusic.datasets.piano_material.piece_specs`.
    max_piece_s : float
        Each piece is cut to this many seconds of notes.
    first_chorale : int
        Index of the first Bach chorale used (sorted order).
    """

    n_chorales: int
    n_corpus: int
    n_drill_rounds: int
    max_piece_s: float
    first_chorale: int = 0


SIZES = {
    "quick": PianoSize(n_chorales=4, n_corpus=2, n_drill_rounds=1, max_piece_s=15.0),
    "full": PianoSize(n_chorales=40, n_corpus=16, n_drill_rounds=2, max_piece_s=90.0),
    "heldout": PianoSize(
        n_chorales=6, n_corpus=0, n_drill_rounds=1, max_piece_s=20.0, first_chorale=300
    ),
}
"""``heldout`` is for grading: chorales no other size contains, and drills
drawn from the grader's seed; notebooks never load it."""


def synthetic_piano_dir(size: str = "quick") -> Path:
    """Where the ``size`` build lives: ``data_dir()/synthetic_piano/<size>``."""
    require_size(size, SIZES)
    return dataset_dir(NAME) / size


def build_synthetic_piano(
    root: str | Path | None = None,
    *,
    size: str = "quick",
    seed: int = 0,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Render the dataset (unless an identical build is already there).

    Parameters
    ----------
    root : path or None
        Destination folder; default :func:`synthetic_piano_dir`.
    size : {"quick", "full"}
        See :data:`SIZES`.
    seed : int
        Seeds tempo, dynamics, drills, the split and the timbres.
    force : bool
        Rebuild even if an identical build exists.
    progress : bool
        Show a progress bar.

    Returns
    -------
    Path
        The dataset folder, holding :data:`METADATA_CSV`.

    Raises
    ------
    DatasetError
        None of :data:`TRAINING_SOUNDFONTS` is installed.
    """
    require_size(size, SIZES)
    root = Path(root) if root is not None else synthetic_piano_dir(size)
    fonts = training_soundfonts()
    params = {
        "dataset": NAME,
        "size": asdict(SIZES[size]),
        "seed": seed,
        "training_soundfonts": [find_soundfont(font).name for font in fonts],
        "held_out_soundfont": find_soundfont(HELD_OUT_SOUNDFONT).name,
    }

    def build(folder: Path) -> None:
        _render_all(folder, SIZES[size], seed, fonts, progress)

    return build_once(root, params, build, force=force)


def training_soundfonts() -> list[str]:
    """The :data:`TRAINING_SOUNDFONTS` installed here, in that order.

    Raises
    ------
    DatasetError
        None is installed (the message names the Debian packages).
    """
    fonts = [font for font in TRAINING_SOUNDFONTS if font in installed_soundfonts()]
    if not fonts:
        raise DatasetError(
            f"no training piano soundfont installed (looked for {', '.join(TRAINING_SOUNDFONTS)}); "
            "install Debian's fluid-soundfont-gm (see .ci/install-system-deps.sh)"
        )
    return fonts


def is_held_out(record: PianoRecording) -> bool:
    """Whether ``record`` was rendered with the held-out piano (:data:`HELD_OUT_SOUNDFONT`)."""
    return record.timbre.split("/")[0] == HELD_OUT_SOUNDFONT


def _timbres(split: str, fonts: list[str], rng: np.random.Generator) -> list[tuple[str, int]]:
    """(soundfont, program) pairs a piece of ``split`` is rendered with."""
    if split == "train":
        chosen = list(fonts)
    else:
        chosen = [fonts[int(rng.integers(len(fonts)))]]
        if split == "test":
            chosen.append(HELD_OUT_SOUNDFONT)
    return [(font, int(rng.choice(PIANO_PROGRAMS))) for font in chosen]


def _render_all(folder: Path, size: PianoSize, seed: int, fonts: list[str], progress: bool) -> None:
    specs = piece_specs(size.n_chorales, size.n_corpus, size.n_drill_rounds, size.first_chorale)
    splits = assign_splits(len(specs), seed)
    pieces = [
        PieceSource(
            composer=spec.composer,
            title=spec.title,
            split=split,
            make_midi=functools.partial(spec.make_midi, max_duration_s=size.max_piece_s),
        )
        for spec, split in zip(specs, splits, strict=True)
    ]
    render_pieces(folder, pieces, seed=seed, fonts=fonts, progress=progress)


@dataclass(frozen=True)
class PieceSource:
    """A piece to render: its metadata and how to make its MIDI.

    Attributes
    ----------
    composer, title : str
        Written to the metadata CSV.
    split : {"train", "validation", "test"}
        Decides its timbres (see the module docstring).
    make_midi : callable
        ``make_midi(rng) -> pretty_midi.PrettyMIDI``; ``rng`` is the piece's own generator.
    """

    composer: str
    title: str
    split: str
    make_midi: Callable[[np.random.Generator], pretty_midi.PrettyMIDI]


def render_pieces(
    folder: Path,
    pieces: Sequence[PieceSource],
    *,
    seed: int,
    fonts: Sequence[str] | None = None,
    progress: bool = True,
) -> list[PianoRecording]:
    """Render pieces with the split's timbres into ``folder``, MAESTRO style.

    Writes ``pieces/<nnn>_<title>.mid`` and one
    ``pieces/<nnn>_<title>.<soundfont>.<program>.wav`` per timbre, and
    :data:`METADATA_CSV`. Piece ``i`` draws its MIDI and timbres from
    ``numpy.random.default_rng([seed, i])``, so the same input gives the same bytes.

    Parameters
    ----------
    folder : Path
        Destination (created).
    pieces : sequence of PieceSource
        What to render, in order.
    seed : int
        Seeds each piece's generator.
    fonts : sequence of str or None
        Training soundfonts; default :func:`training_soundfonts`.
    progress : bool
        Show a progress bar.

    Returns
    -------
    list of PianoRecording
        One per rendering, as written to the CSV.
    """
    fonts = list(fonts) if fonts is not None else training_soundfonts()
    renderers = {
        font: SoundfontRenderer(font, SAMPLE_RATE_HZ) for font in [*fonts, HELD_OUT_SOUNDFONT]
    }
    records = []
    try:
        for index, piece in enumerate(tqdm(pieces, desc=NAME, disable=not progress)):
            rng = np.random.default_rng([seed, index])
            midi = piece.make_midi(rng)
            stem = f"{index:03d}_{slugify(piece.title)}"
            midi_path = folder / "pieces" / f"{stem}.mid"
            midi_path.parent.mkdir(parents=True, exist_ok=True)
            midi.write(str(midi_path))
            duration_s = midi.get_end_time() + RELEASE_TAIL_S
            for font, program in _timbres(piece.split, fonts, rng):
                audio = renderers[font].render(midi, duration_s=duration_s, program=program)
                audio_path = write_audio(
                    folder / "pieces" / f"{stem}.{font}.{program}.wav", audio, SAMPLE_RATE_HZ
                )
                records.append(
                    PianoRecording(
                        composer=piece.composer,
                        title=piece.title,
                        split=piece.split,
                        year=BUILD_YEAR,
                        audio_path=audio_path,
                        midi_path=midi_path,
                        duration_s=audio.size / SAMPLE_RATE_HZ,
                        timbre=f"{font}/{program}",
                    )
                )
    finally:
        for renderer in renderers.values():
            renderer.close()
    write_piano_metadata(folder / METADATA_CSV, records)
    return records


def assign_splits(n_pieces: int, seed: int) -> list[str]:
    """Assign whole pieces to splits: about 70 % train, 15 % validation, 15 % test.

    Every split gets at least one piece when ``n_pieces >= 3``.
    """
    if n_pieces < 3:
        raise DatasetError(f"need at least 3 pieces to make three splits, got {n_pieces}")
    n_validation = max(1, round(VALIDATION_FRACTION * n_pieces))
    n_test = max(1, round(TEST_FRACTION * n_pieces))
    order = np.random.default_rng([seed, 1_000_003]).permutation(n_pieces)
    splits = ["train"] * n_pieces
    for rank, piece in enumerate(order):
        if rank < n_validation:
            splits[piece] = "validation"
        elif rank < n_validation + n_test:
            splits[piece] = "test"
    return splits


def load_synthetic_piano(
    root: str | Path | None = None,
    *,
    size: str = "quick",
    split: str | None = None,
    timbres: str | None = None,
) -> list[PianoRecording]:
    """Records of a built dataset, optionally of one split and one set of timbres.

    Parameters
    ----------
    root : path or None
        The dataset folder; default :func:`synthetic_piano_dir` of ``size``.
    size : str
        See :data:`SIZES` (only used when ``root`` is None).
    split : {"train", "validation", "test"} or None
        Keep one split; ``None`` keeps all.
    timbres : {"training", "held_out"} or None
        Keep the recordings made with the training pianos, or those made with
        :data:`HELD_OUT_SOUNDFONT` (test pieces only); ``None`` keeps all. Each
        test piece appears once in each set.

    Raises
    ------
    DatasetError
        The dataset has not been built (the message says how to build it), or
        ``timbres`` is not one of :data:`TIMBRE_SETS`.
    """
    if timbres is not None and timbres not in TIMBRE_SETS:
        raise DatasetError(f"timbres must be one of {TIMBRE_SETS} or None, got {timbres!r}")
    root = Path(root) if root is not None else synthetic_piano_dir(size)
    csv_path = root / METADATA_CSV
    if not csv_path.is_file():
        raise DatasetError(
            f"no {NAME} dataset at {root}; build it with "
            f"`python data_scripts/build_synthetic.py piano --size {size}` or "
            "dlmusic.datasets.synthetic_piano.build_synthetic_piano()"
        )
    records = read_piano_metadata(csv_path)
    wanted = {None: (False, True), "training": (False,), "held_out": (True,)}[timbres]
    return [r for r in records if split in (None, r.split) and is_held_out(r) in wanted]
