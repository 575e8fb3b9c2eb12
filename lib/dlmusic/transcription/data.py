"""Training examples: two-second windows of piano audio with their targets.

Notebook: ``solutions/transcription``, part 5 ("Loss and training").

A :class:`PianoClip` is a whole recording with its notes. Training reads
windows of :data:`~dlmusic.transcription.constants.WINDOW_SAMPLES` samples
from clips, either at random offsets, new ones every epoch
(:class:`WindowSequence`, "sliding windows"), or at fixed, non-overlapping
offsets (:func:`fixed_windows` and :class:`FixedExcerpts`, "fixed excerpts");
the notebook compares the two. :func:`predict_posteriorgrams` runs a trained
model over a whole recording window by window and stitches the outputs, and
:func:`transcribe` turns them into notes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ, load_audio, validate_audio
from dlmusic.datasets.records import PianoRecording
from dlmusic.transcription.constants import HOP_SAMPLES, N_KEYS, WINDOW_FRAMES, WINDOW_SAMPLES
from dlmusic.transcription.notes import TranscribedNotes, posteriorgram_to_notes
from dlmusic.transcription.targets import NoteList, contour_target, notes_from_midi

INFERENCE_OVERLAP_FRAMES = 30
"""Frames dropped at each inner window edge when stitching (edge frames see zero padding)."""

NoteOnsetTargets = Callable[[NoteList, int], tuple[np.ndarray, np.ndarray]]
"""``(notes, n_frames) -> (note, onset)``, each ``(n_frames, 88)``: the notebook's
``note_and_onset_targets``, which every training example is made with."""
Augmentation = Callable[[np.ndarray, NoteList, np.random.Generator], tuple[np.ndarray, NoteList]]
"""``(audio, notes, rng) -> (audio, notes)``, applied to a window before its targets are made."""


@dataclass(frozen=True)
class PianoClip:
    """A recording and its notes.

    Notebook: transcription, parts 1 to 9 (every clip the notebook loads).

    Attributes
    ----------
    name : str
        For messages and plots.
    audio : np.ndarray, shape (n_samples,), float32
        Mono audio at 22050 Hz.
    notes : NoteList
        The notes, times in seconds from the start of ``audio``.
    """

    name: str
    audio: np.ndarray
    notes: NoteList

    @property
    def duration_s(self) -> float:
        return self.audio.size / SAMPLE_RATE_HZ

    def window(self, start_sample: int) -> tuple[np.ndarray, NoteList]:
        """``WINDOW_SAMPLES`` samples from ``start_sample`` (zero-padded) and their notes."""
        audio = self.audio[start_sample : start_sample + WINDOW_SAMPLES]
        audio = np.pad(audio, (0, WINDOW_SAMPLES - audio.size))
        # Unclipped: a note already sounding at the window's start keeps its
        # (negative) onset, so its targets get frames but no false onset.
        notes = self.notes.window(
            start_sample / SAMPLE_RATE_HZ, WINDOW_SAMPLES / SAMPLE_RATE_HZ, clip=False
        )
        return audio, notes


def load_clips(
    records: Sequence[PianoRecording], *, max_duration_s: float | None = None
) -> list[PianoClip]:
    """Read recordings (MAESTRO-style records) into clips, optionally cut short.

    Notebook: transcription, parts 1 to 9 (the data every part uses).
    """
    clips = []
    for record in records:
        audio = load_audio(record.audio_path, SAMPLE_RATE_HZ, duration_s=max_duration_s)
        notes = notes_from_midi(record.midi_path)
        if max_duration_s is not None:
            notes = notes.window(0.0, max_duration_s)
        name = f"{record.title} ({record.timbre})" if record.timbre else record.title
        clips.append(PianoClip(name=name, audio=audio, notes=notes))
    return clips


def window_example(
    audio: np.ndarray, notes: NoteList, targets: NoteOnsetTargets
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One training example: the window's audio and its contour/note/onset targets.

    Notebook: transcription, parts 3 and 5 (targets of a training window).

    Parameters
    ----------
    audio : np.ndarray, shape (WINDOW_SAMPLES,)
        The window's audio.
    notes : NoteList
        The window's notes, times relative to its start.
    targets : callable
        ``targets(notes, n_frames) -> (note, onset)`` (see :data:`NoteOnsetTargets`);
        the contour target comes from :func:`~dlmusic.transcription.targets.contour_target`.

    Returns
    -------
    audio : np.ndarray, shape (WINDOW_SAMPLES,), float32
    targets : dict of str to np.ndarray, float32
        ``"contour"`` (172, 264), ``"note"`` and ``"onset"`` (172, 88).

    Raises
    ------
    ValueError
        ``targets`` returned arrays of another shape.
    """
    note, onset = targets(notes, WINDOW_FRAMES)
    for name, values in (("note", note), ("onset", onset)):
        if np.shape(values) != (WINDOW_FRAMES, N_KEYS):
            raise ValueError(
                f"the {name} target must have shape ({WINDOW_FRAMES}, {N_KEYS}), "
                f"got {np.shape(values)}"
            )
    return audio.astype(np.float32), {
        "contour": contour_target(notes, WINDOW_FRAMES),
        "note": np.asarray(note, np.float32),
        "onset": np.asarray(onset, np.float32),
    }


def stack_examples(
    examples: Sequence[tuple[np.ndarray, dict[str, np.ndarray]]],
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Batch examples: audio ``(batch, samples)``, each target ``(batch, frames, bins)``.

    Notebook: transcription, part 5 (training batches).
    """
    audio = np.stack([example[0] for example in examples])
    targets = {key: np.stack([example[1][key] for example in examples]) for key in examples[0][1]}
    return audio, targets


def fixed_windows(
    clips: Sequence[PianoClip], targets: NoteOnsetTargets
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every clip cut into consecutive, non-overlapping windows ("fixed excerpts").

    Notebook: transcription, part 5 (fixed excerpts, and the validation windows).

    ``targets`` makes each window's note and onset targets (see :func:`window_example`).
    """
    examples = [
        window_example(*clip.window(start), targets)
        for clip in clips
        for start in range(0, max(1, clip.audio.size - WINDOW_SAMPLES // 2), WINDOW_SAMPLES)
    ]
    return stack_examples(examples)


class _EpochBatches(keras.utils.PyDataset):
    """``batches_per_epoch`` batches of ``batch_size`` windows, batch ``i`` of epoch ``e``
    drawn from ``np.random.default_rng([seed, e, i])`` (:meth:`rng`)."""

    def __init__(self, *, batch_size: int, batches_per_epoch: int, seed: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.batch_size = batch_size
        self.batches_per_epoch = batches_per_epoch
        self.seed = seed
        self.epoch = 0

    def rng(self, index: int) -> np.random.Generator:
        """The generator of batch ``index`` in the current epoch."""
        return np.random.default_rng([self.seed, self.epoch, index])

    def __len__(self) -> int:
        return self.batches_per_epoch

    def on_epoch_end(self) -> None:
        self.epoch += 1


class WindowSequence(_EpochBatches):
    """Batches of windows at random offsets, drawn afresh every epoch ("sliding windows").

    Notebook: transcription, part 5 (sliding windows).

    Parameters
    ----------
    clips : sequence of PianoClip
        Where windows come from; a clip is chosen with probability
        proportional to its length. A piece rendered with several pianos
        (``synthetic_piano``'s training split) is one clip per piano, so each
        window draws its piano too.
    targets : callable
        Makes each window's note and onset targets (see :func:`window_example`).
    batch_size : int
        Windows per batch.
    batches_per_epoch : int
        Length of an epoch.
    seed : int
        Seeds the offsets (and augmentation) so that runs repeat.
    augment : callable or None
        Applied to each window's audio and notes before targets are made.
    """

    def __init__(
        self,
        clips: Sequence[PianoClip],
        *,
        targets: NoteOnsetTargets,
        batch_size: int = 16,
        batches_per_epoch: int = 100,
        seed: int = 0,
        augment: Augmentation | None = None,
        **kwargs,
    ) -> None:
        super().__init__(
            batch_size=batch_size, batches_per_epoch=batches_per_epoch, seed=seed, **kwargs
        )
        if not clips:
            raise ValueError("WindowSequence needs at least one clip")
        self.clips = list(clips)
        self.targets = targets
        self.augment = augment
        lengths = np.array([clip.audio.size for clip in self.clips], dtype=float)
        self.clip_probabilities = lengths / lengths.sum()

    def __getitem__(self, index: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        rng = self.rng(index)
        examples = []
        for _ in range(self.batch_size):
            clip = self.clips[rng.choice(len(self.clips), p=self.clip_probabilities)]
            start = int(rng.integers(0, max(1, clip.audio.size - WINDOW_SAMPLES)))
            audio, notes = clip.window(start)
            if self.augment is not None:
                audio, notes = self.augment(audio, notes, rng)
            examples.append(window_example(audio, notes, self.targets))
        return stack_examples(examples)


class FixedExcerpts(_EpochBatches):
    """Batches drawn from one fixed set of windows, shuffled every epoch ("fixed excerpts").

    Notebook: transcription, part 5 (sliding windows or fixed excerpts?). The
    windows are :func:`fixed_windows` of the clips, cut once; each batch draws
    ``batch_size`` of them, so the same excerpts come back every epoch.

    Parameters
    ----------
    clips : sequence of PianoClip
        Cut into consecutive windows once.
    targets : callable
        Makes each window's note and onset targets (see :func:`window_example`).
    batch_size : int
        Windows per batch (drawn with replacement only when there are fewer windows).
    batches_per_epoch : int
        Length of an epoch.
    seed : int
        Seeds the draws so that runs repeat.
    """

    def __init__(
        self,
        clips: Sequence[PianoClip],
        *,
        targets: NoteOnsetTargets,
        batch_size: int = 16,
        batches_per_epoch: int = 100,
        seed: int = 0,
        **kwargs,
    ) -> None:
        super().__init__(
            batch_size=batch_size, batches_per_epoch=batches_per_epoch, seed=seed, **kwargs
        )
        self.windows, self.targets = fixed_windows(clips, targets)

    def __getitem__(self, index: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        rng = self.rng(index)
        replace = len(self.windows) < self.batch_size
        chosen = rng.choice(len(self.windows), self.batch_size, replace=replace)
        return self.windows[chosen], {key: value[chosen] for key, value in self.targets.items()}


def predict_posteriorgrams(
    model: keras.Model, audio: np.ndarray, *, batch_size: int = 8
) -> dict[str, np.ndarray]:
    """Run ``model`` over a whole recording and stitch the windows.

    Notebook: transcription, part 6 (transcribing whole recordings).

    Windows overlap by ``2 * INFERENCE_OVERLAP_FRAMES`` frames; each keeps
    only its middle, where the CQT saw real audio on both sides.

    Parameters
    ----------
    model : keras.Model
        A transcription network: ``(batch, WINDOW_SAMPLES)`` audio in, a dict of
        ``contour``, ``note`` and ``onset`` posteriorgrams out.
    audio : np.ndarray, shape (n_samples,)
        Mono audio at 22050 Hz.

    Returns
    -------
    dict
        ``contour`` ``(n_frames, 264)``, ``note`` and ``onset`` ``(n_frames, 88)``,
        with ``n_frames = 1 + n_samples // HOP_SAMPLES``.
    """
    validate_audio(audio, mono=True)
    n_frames = 1 + audio.size // HOP_SAMPLES
    kept = WINDOW_FRAMES - 2 * INFERENCE_OVERLAP_FRAMES
    pad = INFERENCE_OVERLAP_FRAMES * HOP_SAMPLES
    padded = np.pad(audio.astype(np.float32), (pad, pad + WINDOW_SAMPLES))
    starts = range(0, n_frames * HOP_SAMPLES, kept * HOP_SAMPLES)
    windows = np.stack([padded[start : start + WINDOW_SAMPLES] for start in starts])
    outputs = model.predict(windows, batch_size=batch_size, verbose=0)
    middle = slice(INFERENCE_OVERLAP_FRAMES, INFERENCE_OVERLAP_FRAMES + kept)
    return {
        key: np.concatenate(list(np.asarray(value)[:, middle]))[:n_frames]
        for key, value in outputs.items()
    }


def transcribe(model: keras.Model, audio: np.ndarray, **settings: float) -> TranscribedNotes:
    """The notes (with confidences) ``model`` finds in a whole recording.

    Notebook: transcription, parts 6 to 9 (every transcription the notebook scores).
    :func:`predict_posteriorgrams`, then
    :func:`~dlmusic.transcription.notes.posteriorgram_to_notes` with ``settings``
    (e.g. ``onset_threshold``, ``frame_threshold``).

    Parameters
    ----------
    model : keras.Model
        A transcription network (see :func:`predict_posteriorgrams`).
    audio : np.ndarray, shape (n_samples,)
        Mono audio at 22050 Hz.

    Returns
    -------
    TranscribedNotes
        Onsets and offsets in seconds from the start of ``audio``.
    """
    posteriors = predict_posteriorgrams(model, audio)
    return posteriorgram_to_notes(posteriors["note"], posteriors["onset"], **settings)
