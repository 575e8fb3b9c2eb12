"""How the grader measures the transcription networks a student handed in (instructor only).

Each network the notebook trains has a fixed weights file
(``nmp_<name>.weights.h5``, :func:`dlmusic.transcription.saved.weights_file`). The
grader builds the network with the instructor's builder
(:func:`dlmusic_instructor.references.transcription.build_nmp`), loads the
student's weights, transcribes the held-out pieces and reports the mean note
F-measure without offsets (Fno).

The held-out pieces are ``synthetic_piano`` pieces of the ``heldout`` size
(chorales no notebook loads, drills drawn from the workspace's seed), rendered
under the grading workspace's held-out folder from that seed; nothing in the
student package knows the seed. :data:`HELDOUT_SIZES` says how much of them is
scored: ``"quick"`` (tests, CI) or ``"full"`` (a real class).
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.errors import DlmusicError
from dlmusic.transcription.data import PianoClip, load_clips, predict_posteriorgrams
from dlmusic.transcription.notes import posteriorgram_to_notes
from dlmusic.transcription.saved import MODEL_CONFIGS, weights_file
from dlmusic.transcription.targets import NoteList
from dlmusic_instructor.heldout import refuse_unfit_weights_file
from dlmusic_instructor.references.transcription import build_nmp, mean_scores

MAX_WEIGHTS_BYTES = 16 * 2**20
"""A weights file larger than this is not loaded (the networks' files are about 0.3 MB)."""


@dataclass(frozen=True)
class HeldoutSize:
    """How much of the held-out build is scored.

    Attributes
    ----------
    max_pieces : int or None
        The first pieces of the build (in its metadata order); None: all.
    max_clip_s : float or None
        Each piece cut to this many seconds; None: whole pieces.
    """

    max_pieces: int | None
    max_clip_s: float | None


HELDOUT_SIZES = {
    "quick": HeldoutSize(max_pieces=3, max_clip_s=8.0),
    "full": HeldoutSize(max_pieces=None, max_clip_s=None),
}


def heldout_root(heldout: Path, seed: int) -> Path:
    """Where the held-out pieces of ``seed`` are rendered: ``<heldout>/transcription/<seed>``."""
    return Path(heldout) / "transcription" / str(int(seed))


def heldout_clips(heldout: Path, seed: int, size: str = "full") -> list[PianoClip]:
    """The held-out pieces of ``seed`` (rendered on first use under ``heldout``).

    Each piece counts once, in the first piano it was rendered with (a training
    piece is rendered with several).

    Raises
    ------
    DlmusicError
        ``size`` is not a key of :data:`HELDOUT_SIZES`.
    """
    if size not in HELDOUT_SIZES:
        raise DlmusicError(f"unknown held-out size {size!r}; expected one of {list(HELDOUT_SIZES)}")
    return list(_read_clips(str(Path(heldout).resolve()), int(seed), size))


@functools.cache
def _read_clips(heldout: str, seed: int, size: str) -> tuple[PianoClip, ...]:
    root = build_synthetic_piano(
        heldout_root(Path(heldout), seed), size="heldout", seed=seed, progress=False
    )
    chosen = HELDOUT_SIZES[size]
    first_recording = {}
    for record in load_synthetic_piano(root):
        first_recording.setdefault(record.midi_path, record)
    records = list(first_recording.values())
    return tuple(load_clips(records[: chosen.max_pieces], max_duration_s=chosen.max_clip_s))


def load_submitted_model(name: str, folder: Path) -> keras.Model:
    """The instructor's network ``name`` with the weights the student handed in.

    Raises
    ------
    DlmusicError
        The file is missing, not a regular file, too large, or does not fit the network.
    """
    path = weights_file(name, folder)
    refuse_unfit_weights_file(path, MAX_WEIGHTS_BYTES)
    if not path.is_file():
        raise DlmusicError(f"no saved weights for the {name} network at {path}")
    model = build_nmp(**MODEL_CONFIGS[name], name=f"nmp_{name}")
    return load_weights_strictly(model, path, f"{name} network")


def load_weights_strictly(model: keras.Model, path: Path, description: str) -> keras.Model:
    """Load ``path`` into ``model``; a file that leaves any layer without its weights fails.

    Keras raises on most mismatches but only warns when a nested layer finds no
    weights in the file (and keeps its random ones); that counts as a mismatch here.

    Raises
    ------
    DlmusicError
        The file is unreadable or does not fit ``model`` (``description`` names it).
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(path)
        except (ValueError, OSError, KeyError) as err:
            raise DlmusicError(f"weights at {path} do not fit the {description}: {err}") from err
    skipped = [str(w.message) for w in caught if "no matching group" in str(w.message)]
    if skipped:
        raise DlmusicError(
            f"weights at {path} do not fit the {description}: some of its layers found no "
            "weights in the file"
        )
    return model


def model_scores(model: keras.Model, clips: list[PianoClip]) -> dict[str, float]:
    """Mean note scores (``f``, ``fno``, precision, recall) of ``model`` over ``clips``.

    A clip whose posteriorgrams hold NaN or infinity (weights that overflow)
    is transcribed as no notes.
    """
    pairs = []
    for clip in clips:
        posteriors = predict_posteriorgrams(model, clip.audio)
        note, onset = np.asarray(posteriors["note"]), np.asarray(posteriors["onset"])
        if np.all(np.isfinite(note)) and np.all(np.isfinite(onset)):
            estimate = posteriorgram_to_notes(note, onset)
        else:
            estimate = NoteList.empty()
        pairs.append((clip.notes, estimate))
    return mean_scores(pairs)


def heldout_fno(model: keras.Model, clips: list[PianoClip]) -> float:
    """Mean Fno of ``model`` on ``clips``, in [0, 1]."""
    return float(np.clip(model_scores(model, clips)["fno"], 0.0, 1.0))


def write_untrained_weights(folder: str | Path) -> list[Path]:
    """Freshly initialised weights of every network, where the notebook saves them.

    Files of the right shape for the grader's plumbing (tests, the grading
    benchmark); they transcribe nothing useful.
    """
    paths = []
    for name, config in MODEL_CONFIGS.items():
        path = weights_file(name, folder)
        path.parent.mkdir(parents=True, exist_ok=True)
        build_nmp(**config, name=f"nmp_{name}").save_weights(path)
        paths.append(path)
    return paths
