"""Reference answers of the ``transcription`` notebook (instructor only).

Each function is named like the student's function it is the answer to, with
the same signature (some take extra keyword arguments the grader or the
benchmarks use):

- part 1: :func:`cqt_kernel`, :class:`LogCQT`;
- part 2: :func:`harmonic_stack` (and :func:`harmonic_shifts`);
- part 3: :func:`note_and_onset_targets` (and :func:`note_targets`, all three targets);
- part 4: :func:`build_nmp`;
- part 5: :func:`weighted_bce`, :func:`class_mean_bce`, :func:`balanced_weight`
  (``dlmusic.transcription.training.compile_nmp(model, weighted_bce)`` compiles with them);
- part 6: :func:`transcription_scores` (and :func:`mean_scores`);
- part 9: :func:`note_hits`.

The given code of the student package (``dlmusic.transcription``) takes these
where it needs them: the CQT layer its kernel function, the training windows
their target function.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import keras
import mir_eval
import numpy as np
import scipy.signal
from keras import layers, ops

from dlmusic.transcription.constants import (
    BINS_PER_OCTAVE,
    FRAMES_PER_SECOND,
    HARMONICS,
    LOWEST_MIDI,
    N_CONTOUR_BINS,
    N_CQT_BINS,
    N_KEYS,
    WINDOW_SAMPLES,
)
from dlmusic.transcription.cqt import CQT, KernelFunction
from dlmusic.transcription.harmonics import HarmonicStacking
from dlmusic.transcription.metrics import (
    OFFSET_MIN_TOLERANCE_S,
    OFFSET_RATIO,
    ONSET_TOLERANCE_S,
    SCORE_KEYS,
)
from dlmusic.transcription.model import conv2d
from dlmusic.transcription.notes import TranscribedNotes
from dlmusic.transcription.targets import NoteList, contour_target

# Part 1 ---------------------------------------------------------------------------------


def cqt_kernel(freq_hz: float, sr: float, bins_per_octave: int = BINS_PER_OCTAVE) -> np.ndarray:
    """One CQT bin's kernel: a Hann-windowed complex sinusoid of unit L1 norm.

    Parameters
    ----------
    freq_hz : float
        Centre frequency in Hz, below ``sr / 2``.
    sr : float
        Sample rate in Hz.
    bins_per_octave : int
        Sets the relative bandwidth ``alpha = (r**2 - 1) / (r**2 + 1)``, ``r = 2**(1/B)``.

    Returns
    -------
    np.ndarray, shape (len(np.arange(-L // 2, L // 2)),), complex128
        With ``L = sr / (alpha * freq_hz)``; matches ``librosa.filters.wavelet(norm=1)``.

    Examples
    --------
    >>> kernel = cqt_kernel(440.0, 22050)
    >>> kernel.dtype, kernel.size, round(float(np.abs(kernel).sum()), 6)
    (dtype('complex128'), 2603, 1.0)
    """
    ratio_squared = 2.0 ** (2.0 / bins_per_octave)
    alpha = (ratio_squared - 1.0) / (ratio_squared + 1.0)
    length = sr / (alpha * freq_hz)
    offsets = np.arange(-length // 2, length // 2)
    kernel = np.exp(2j * np.pi * freq_hz * offsets / sr)
    kernel *= scipy.signal.get_window("hann", len(offsets), fftbins=True)
    return kernel / np.abs(kernel).sum()


def normalized_log_power(magnitude):
    """Log power in dB, rescaled to [0, 1] per example.

    ``(batch, frames, bins)`` magnitudes in, the same shape out: each example's
    quietest cell is 0 and its loudest 1 (all zeros when every cell is equal).

    Examples
    --------
    >>> magnitude = np.array([[[1.0, 10.0], [100.0, 1.0]]], np.float32)
    >>> np.asarray(normalized_log_power(magnitude)).round(2).tolist()
    [[[0.0, 0.5], [1.0, 0.0]]]
    """
    log_power = 10.0 * ops.log10(ops.square(magnitude) + 1e-10)
    shifted = log_power - ops.min(log_power, axis=(1, 2), keepdims=True)
    highest = ops.max(shifted, axis=(1, 2), keepdims=True)
    return shifted / ops.maximum(highest, 1e-10)


class LogCQT(keras.layers.Layer):
    """CQT magnitude -> log power in dB -> rescaled to [0, 1] per example.

    Input ``(batch, n_samples)`` audio at 22050 Hz; output
    ``(batch, 1 + n_samples // 256, 309)``, float32. ``kernel`` is the CQT's
    kernel function (default :func:`cqt_kernel`).

    Examples
    --------
    >>> tuple(LogCQT()(np.zeros((2, WINDOW_SAMPLES), np.float32)).shape)
    (2, 172, 309)
    """

    def __init__(self, kernel: KernelFunction = cqt_kernel, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cqt = CQT(kernel=kernel)

    def call(self, audio):
        return normalized_log_power(self.cqt(audio))


# Part 2 ---------------------------------------------------------------------------------


def harmonic_shifts(
    harmonics: Sequence[float] = HARMONICS, bins_per_octave: int = BINS_PER_OCTAVE
) -> list[int]:
    """Bins between a fundamental and each harmonic: ``round(bins_per_octave * log2(h))``.

    Examples
    --------
    >>> harmonic_shifts()
    [-36, 0, 36, 57, 72, 84, 93, 101]
    """
    return [round(bins_per_octave * math.log2(h)) for h in harmonics]


def harmonic_stack(
    spectrogram,
    harmonics: Sequence[float] = HARMONICS,
    n_output_bins: int = N_CONTOUR_BINS,
    bins_per_octave: int = BINS_PER_OCTAVE,
):
    """Harmonic stacking with ``keras.ops``: a NumPy array or a batch of tensors.

    Parameters
    ----------
    spectrogram : array or tensor, shape (..., frames, bins)
        Log-frequency spectrogram(s), ``bins_per_octave`` bins per octave.

    Returns
    -------
    tensor, shape (..., frames, n_output_bins, len(harmonics)), the input's dtype
        Channel ``c``, bin ``k`` holds input bin ``k + round(B * log2(h_c))``
        (zero where that falls outside the input).

    Examples
    --------
    >>> spectrogram = np.zeros((1, N_CQT_BINS), np.float32)
    >>> spectrogram[0, [60, 96]] = 1.0  # a fundamental at bin 60 and its octave
    >>> stacked = np.asarray(harmonic_stack(spectrogram))
    >>> stacked.shape, stacked[0, 60, :3].tolist()  # h = 1/2 (bin 24), 1 (bin 60), 2 (bin 96)
    ((1, 264, 8), [0.0, 1.0, 1.0])
    """
    n_bins = spectrogram.shape[-1]
    leading = [(0, 0)] * (len(spectrogram.shape) - 1)
    channels = []
    for shift in harmonic_shifts(harmonics, bins_per_octave):
        low = min(max(0, -shift), n_output_bins)
        high = max(low, min(n_output_bins, n_bins - shift))
        kept = spectrogram[..., low + shift : high + shift] if high > low else spectrogram[..., :0]
        channels.append(ops.pad(kept, [*leading, (low, n_output_bins - high)]))
    return ops.stack(channels, axis=-1)


# Part 3 ---------------------------------------------------------------------------------


def note_and_onset_targets(notes: NoteList, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame-wise note (Yn) and onset (Yo) targets, each ``(n_frames, 88)`` float32.

    A note covers frames ``round(onset * fps)`` to ``max(round(offset * fps), start + 1) - 1``,
    clipped to the window; its onset is set only when its first frame lies in it.
    Raises ``ValueError`` for a non-positive ``n_frames`` or a pitch off the piano.

    Examples
    --------
    >>> note, onset = note_and_onset_targets(NoteList([[0.1, 0.5]], [69], [80]), 50)
    >>> column = 69 - LOWEST_MIDI
    >>> int(note[:, column].sum()), np.flatnonzero(onset[:, column]).tolist()
    (34, [9])
    """
    if int(n_frames) != n_frames or n_frames < 1:
        raise ValueError(f"n_frames must be a positive whole number of frames, got {n_frames}")
    n_frames = int(n_frames)
    note = np.zeros((n_frames, N_KEYS), np.float32)
    onset = np.zeros((n_frames, N_KEYS), np.float32)
    for (onset_s, offset_s), pitch in zip(notes.intervals, notes.pitches, strict=True):
        key = int(pitch) - LOWEST_MIDI
        if not 0 <= key < N_KEYS:
            raise ValueError(f"MIDI pitch {pitch} is not a piano key")
        start = round(onset_s * FRAMES_PER_SECOND)
        stop = max(round(offset_s * FRAMES_PER_SECOND), start + 1)
        if 0 <= start < n_frames:
            onset[start, key] = 1.0
        start, stop = max(start, 0), min(stop, n_frames)
        if start < stop:
            note[start:stop, key] = 1.0
    return note, onset


def note_targets(notes: NoteList, n_frames: int) -> dict[str, np.ndarray]:
    """All three targets: ``{"contour": (n_frames, 264), "note", "onset": (n_frames, 88)}``.

    Examples
    --------
    >>> targets = note_targets(NoteList([[0.1, 0.5]], [69], [80]), 50)
    >>> {head: target.shape for head, target in targets.items()}
    {'contour': (50, 264), 'note': (50, 88), 'onset': (50, 88)}
    """
    note, onset = note_and_onset_targets(notes, n_frames)
    return {"contour": contour_target(notes, n_frames), "note": note, "onset": onset}


# Part 4 ---------------------------------------------------------------------------------


def build_nmp(
    harmonic_stacking: bool = True,
    supervised_contour: bool = True,
    *,
    post_stack_conv: bool = True,
    n_filters_post_stack: int = 8,
    n_filters_note: int = 32,
    n_filters_onset: int = 32,
    window_samples: int = WINDOW_SAMPLES,
    kernel: KernelFunction = cqt_kernel,
    name: str = "nmp",
) -> keras.Model:
    """The NMP network with the paper's post-stack layer and the ablation switches.

    Parameters
    ----------
    harmonic_stacking : bool
        ``False`` is the first ablation: one CQT channel instead of eight.
    supervised_contour : bool
        ``False`` is the second ablation: Yn is computed from the contour
        features; the ``contour`` output still exists (trained with loss weight 0).
    post_stack_conv : bool
        Include the 5x5 conv + batch norm + ReLU after harmonic stacking;
        ``False`` gives Basic Pitch's published network (16,782 trainable parameters).
    n_filters_post_stack, n_filters_note, n_filters_onset : int
        Widths of the post-stack, note and onset convolutions.
    window_samples : int
        Input length in samples.
    kernel : callable
        The CQT's kernel function (the grader passes a student's to compare
        networks built on the same CQT).
    name : str
        The model's name.

    Returns
    -------
    keras.Model
        Input ``(batch, window_samples)`` audio at 22050 Hz; outputs a dict with
        ``contour`` ``(batch, frames, 264)``, ``note`` and ``onset``
        ``(batch, frames, 88)``, all in [0, 1].

    Examples
    --------
    >>> from dlmusic.transcription.model import count_trainable_parameters
    >>> count_trainable_parameters(build_nmp(post_stack_conv=False))
    16782
    >>> {head: tuple(output.shape) for head, output in build_nmp().output.items()}
    {'contour': (None, 172, 264), 'note': (None, 172, 88), 'onset': (None, 172, 88)}
    """
    audio = keras.Input(shape=(window_samples,), name="audio")
    cqt = LogCQT(kernel=kernel, name="log_cqt")(audio)
    cqt = layers.Reshape((-1, N_CQT_BINS, 1))(cqt)
    cqt = layers.BatchNormalization(name="cqt_norm")(cqt)
    harmonics = HARMONICS if harmonic_stacking else (1,)
    features = HarmonicStacking(harmonic_stack, harmonics, name="harmonic_stack")(cqt)

    contour_features = features
    if post_stack_conv:
        contour_features = conv2d(n_filters_post_stack, (5, 5), name="post_stack_conv")(features)
        contour_features = layers.BatchNormalization(name="post_stack_norm")(contour_features)
        contour_features = layers.ReLU(name="post_stack_relu")(contour_features)
    contour_features = conv2d(8, (3, 3 * 13), name="contour_conv")(contour_features)
    contour_features = layers.BatchNormalization(name="contour_norm")(contour_features)
    contour_features = layers.ReLU(name="contour_relu")(contour_features)
    contour_map = conv2d(1, (5, 5), activation="sigmoid", name="contour_head")(contour_features)
    contour = layers.Reshape((-1, N_CONTOUR_BINS), name="contour")(contour_map)

    note_input = contour_map if supervised_contour else contour_features
    note_features = conv2d(n_filters_note, (7, 7), strides=(1, 3), name="note_conv")(note_input)
    note_features = layers.ReLU(name="note_relu")(note_features)
    note_map = conv2d(1, (7, 3), activation="sigmoid", name="note_head")(note_features)
    note = layers.Reshape((-1, N_KEYS), name="note")(note_map)

    onset_features = conv2d(n_filters_onset, (5, 5), strides=(1, 3), name="onset_conv")(features)
    onset_features = layers.BatchNormalization(name="onset_norm")(onset_features)
    onset_features = layers.ReLU(name="onset_relu")(onset_features)
    onset_features = layers.Concatenate(axis=-1, name="onset_concat")([note_map, onset_features])
    onset_map = conv2d(1, (3, 3), activation="sigmoid", name="onset_head")(onset_features)
    onset = layers.Reshape((-1, N_KEYS), name="onset")(onset_map)

    return keras.Model(audio, {"contour": contour, "note": note, "onset": onset}, name=name)


# Part 5 ---------------------------------------------------------------------------------


def weighted_bce(positive_weight: float = 0.5, label_smoothing: float = 0.0):
    """A Keras loss: class-weighted binary cross-entropy with label smoothing.

    Each cell is weighted by its class, decided by the original target: ``w``
    where ``y > 0`` and ``1 - w`` where ``y == 0``. The cross-entropy uses the
    smoothed target ``y_s = y * (1 - s) + s / 2``::

        loss = -2 * mean(c * (y_s * log(p) + (1 - y_s) * log(1 - p)), axis=-1)

    with predictions clipped to ``[1e-7, 1 - 1e-7]``. ``w = 0.5`` is plain BCE.

    Examples
    --------
    >>> y_true = np.array([[[1.0, 0.0]]], np.float32)
    >>> y_pred = np.array([[[0.9, 0.2]]], np.float32)
    >>> loss = np.asarray(weighted_bce(0.9)(y_true, y_pred))  # one value per frame
    >>> loss.shape, round(float(loss[0, 0]), 5)
    ((1, 1), 0.11714)
    """
    if not 0.0 < positive_weight < 1.0:
        raise ValueError(f"positive_weight must be in (0, 1), got {positive_weight}")

    def loss(y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        class_weight = ops.where(y_true > 0, positive_weight, 1.0 - positive_weight)
        smoothed = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        cross_entropy = smoothed * ops.log(y_pred) + (1.0 - smoothed) * ops.log(1.0 - y_pred)
        return -2.0 * ops.mean(class_weight * cross_entropy, axis=-1)

    loss.__name__ = f"weighted_bce_{positive_weight:g}"
    return loss


def class_mean_bce(positive_weight: float = 0.5, label_smoothing: float = 0.0):
    """A Keras loss: Basic Pitch's ``weighted_transcription_loss``, per-class means.

    The cross-entropy (smoothed target ``y_s``, predictions clipped to
    ``[1e-7, 1 - 1e-7]``) is averaged over the cells whose original target is
    positive and, separately, over those where it is 0; the loss is
    ``w * positive_mean + (1 - w) * negative_mean``, one number per batch. An
    empty class's mean counts as 0 (Basic Pitch's gives NaN there).

    Examples
    --------
    >>> y_true = np.array([[[1.0, 0.0, 0.0, 0.0]]], np.float32)
    >>> y_pred = np.array([[[0.9, 0.2, 0.1, 0.4]]], np.float32)
    >>> round(float(class_mean_bce(0.95)(y_true, y_pred)), 5)
    0.11408
    """
    if not 0.0 < positive_weight < 1.0:
        raise ValueError(f"positive_weight must be in (0, 1), got {positive_weight}")

    def loss(y_true, y_pred):
        y_true = ops.cast(y_true, y_pred.dtype)
        positive = ops.cast(y_true > 0, y_pred.dtype)
        smoothed = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
        y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
        cross_entropy = -(smoothed * ops.log(y_pred) + (1.0 - smoothed) * ops.log(1.0 - y_pred))
        means = [
            ops.sum(mask * cross_entropy) / ops.maximum(ops.sum(mask), 1.0)
            for mask in (positive, 1.0 - positive)
        ]
        return positive_weight * means[0] + (1.0 - positive_weight) * means[1]

    loss.__name__ = f"class_mean_bce_{positive_weight:g}"
    return loss


def balanced_weight(positive_rate: float) -> float:
    """``w = 1 - p``: solves ``w * p = (1 - w) * (1 - p)``; ``ValueError`` outside (0, 1).

    Examples
    --------
    >>> round(balanced_weight(0.01), 6)
    0.99
    """
    if not 0.0 < positive_rate < 1.0:
        raise ValueError(f"positive_rate must be in (0, 1), got {positive_rate}")
    return 1.0 - positive_rate


# Part 6 ---------------------------------------------------------------------------------


def transcription_scores(
    reference: NoteList,
    estimate: NoteList | TranscribedNotes,
    *,
    onset_tolerance_s: float = ONSET_TOLERANCE_S,
) -> dict[str, float]:
    """Precision, recall and F-measure of ``estimate``, with and without offsets.

    Returns the keys of ``SCORE_KEYS``, each in [0, 1]. When either list is
    empty every score is 0.0, except that an empty estimate of an empty
    reference scores 1.0 (``mir_eval`` is not called then).

    Examples
    --------
    >>> reference = NoteList([[0.0, 0.5], [0.5, 1.0]], [60, 64], [80, 80])
    >>> transcription_scores(reference, reference)["fno"]
    1.0
    >>> late = NoteList([[0.03, 0.5]], [60], [80])  # one of two notes, 30 ms late
    >>> scores = transcription_scores(reference, late)
    >>> scores["precision_no_offset"], scores["recall_no_offset"], round(scores["fno"], 4)
    (1.0, 0.5, 0.6667)
    """
    if not onset_tolerance_s > 0:
        raise ValueError(f"onset_tolerance_s must be positive (seconds), got {onset_tolerance_s}")
    if len(reference) == 0 or len(estimate) == 0:
        value = 1.0 if len(reference) == len(estimate) else 0.0
        return dict.fromkeys(SCORE_KEYS, value)
    values = []
    for offset_ratio in (OFFSET_RATIO, None):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            precision, recall, f, _ = mir_eval.transcription.precision_recall_f1_overlap(
                *_mir_eval_notes(reference, estimate),
                onset_tolerance=onset_tolerance_s,
                offset_ratio=offset_ratio,
                offset_min_tolerance=OFFSET_MIN_TOLERANCE_S,
            )
        values += [float(precision), float(recall), float(f)]
    return dict(zip(SCORE_KEYS, values, strict=True))


def mean_scores(
    pairs: Iterable[tuple[NoteList, NoteList | TranscribedNotes]],
) -> dict[str, float]:
    """Each score of :func:`transcription_scores` averaged over clips (each weighs the same).

    Raises ``ValueError`` when ``pairs`` is empty.

    Examples
    --------
    >>> reference = NoteList([[0.0, 0.5]], [60], [80])
    >>> mean_scores([(reference, reference), (reference, NoteList.empty())])["fno"]
    0.5
    """
    scores = [transcription_scores(reference, estimate) for reference, estimate in pairs]
    if not scores:
        raise ValueError("mean_scores needs at least one (reference, estimate) pair")
    return {key: float(np.mean([score[key] for score in scores])) for key in SCORE_KEYS}


# Part 9 ---------------------------------------------------------------------------------


def note_hits(reference: NoteList, estimate: NoteList | TranscribedNotes) -> np.ndarray:
    """Which estimated notes ``mir_eval`` matches (onset within 50 ms, same pitch), shape (n,).

    Examples
    --------
    >>> reference = NoteList([[0.0, 0.5], [0.5, 1.0]], [60, 64], [80, 80])
    >>> estimate = NoteList([[0.5, 1.0], [0.02, 0.4]], [65, 60], [80, 80])
    >>> note_hits(reference, estimate).tolist()  # a semitone off, then a match
    [False, True]
    """
    hits = np.zeros(len(estimate), dtype=bool)
    for _, index in note_matches(reference, estimate):
        hits[index] = True
    return hits


def note_matches(
    reference: NoteList, estimate: NoteList | TranscribedNotes
) -> list[tuple[int, int]]:
    """``mir_eval``'s (reference index, estimate index) pairs behind :func:`note_hits`.

    Examples
    --------
    >>> reference = NoteList([[0.0, 0.5], [0.5, 1.0]], [60, 64], [80, 80])
    >>> note_matches(reference, NoteList([[0.52, 0.9]], [64], [80]))
    [(1, 0)]
    """
    if len(reference) == 0 or len(estimate) == 0:
        return []
    matches = mir_eval.transcription.match_notes(
        *_mir_eval_notes(reference, estimate),
        onset_tolerance=ONSET_TOLERANCE_S,
        offset_ratio=None,
    )
    return [(int(reference_index), int(index)) for reference_index, index in matches]


def _mir_eval_notes(
    reference: NoteList, estimate: NoteList | TranscribedNotes
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``mir_eval``'s first four note arguments: each side's intervals (s) and pitches (Hz)."""
    return (
        reference.intervals,
        mir_eval.util.midi_to_hz(reference.pitches),
        estimate.intervals,
        mir_eval.util.midi_to_hz(estimate.pitches),
    )
