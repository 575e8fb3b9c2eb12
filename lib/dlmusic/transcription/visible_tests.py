"""The visible tests of the transcription notebook's exercises.

Notebook: ``solutions/transcription``, the test cell after each exercise. Each
``check_<exercise>`` takes the student's function (or class), runs the examples
the notebook's markdown works through, and raises ``AssertionError`` with a
hint when one is wrong. Passing them is necessary, not sufficient: after the
notebook has run, the autograder calls the same functions on inputs of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import librosa
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.datasets.summary import format_table
from dlmusic.transcription.augment import TRANSPOSE_SEMITONES
from dlmusic.transcription.constants import (
    HARMONICS,
    N_CONTOUR_BINS,
    N_CQT_BINS,
    WINDOW_FRAMES,
    WINDOW_SAMPLES,
)
from dlmusic.transcription.cqt import cqt_filter_lengths
from dlmusic.transcription.model import (
    POST_STACK_TRAINABLE_PARAMETERS,
    PUBLISHED_TRAINABLE_PARAMETERS,
    count_trainable_parameters,
)
from dlmusic.transcription.saved import load_saved_model, weights_file
from dlmusic.transcription.targets import NoteList
from dlmusic.transcription.validation import librosa_cqt

SCORE_KEYS = {"precision", "recall", "f", "precision_no_offset", "recall_no_offset", "fno"}


def _librosa_kernel(freq_hz: float, sr: float, bins_per_octave: int = 36) -> np.ndarray:
    """librosa's kernel of one bin, with the bandwidth ``alpha`` passed explicitly.

    ``alpha`` comes from the CQT layer's kernel length, ``L = sr / (alpha * f)``.
    """
    alpha = sr / (freq_hz * cqt_filter_lengths(np.array([freq_hz]), sr, bins_per_octave)[0])
    kernels, _ = librosa.filters.wavelet(
        freqs=np.array([freq_hz]), sr=sr, norm=1, pad_fft=False, alpha=alpha, dtype=np.complex128
    )
    return kernels[0]


def check_cqt_kernel(cqt_kernel: Callable) -> None:
    """Exercise 1a: the kernel equals ``librosa.filters.wavelet``'s at 27.5, 440 and 3520 Hz.

    Notebook: transcription, part 1.
    """
    for freq in (27.5, 440.0, 3520.0):
        kernel = cqt_kernel(freq, SAMPLE_RATE_HZ)
        expected = _librosa_kernel(freq, SAMPLE_RATE_HZ)
        assert kernel.ndim == 1 and np.iscomplexobj(kernel), "return a 1-D complex array"
        assert abs(kernel.size - expected.size) <= 1, (
            f"{freq} Hz: kernel has {kernel.size} taps, librosa's {expected.size}"
        )
        assert np.isclose(np.abs(kernel).sum(), 1.0), "normalise to unit L1 norm"
        assert np.allclose(librosa.util.pad_center(kernel, size=expected.size), expected), (
            f"{freq} Hz: kernel differs from librosa.filters.wavelet"
        )
    print("cqt_kernel matches librosa at 27.5, 440 and 3520 Hz")


def check_log_cqt(log_cqt_layer: type) -> None:
    """Exercise 1b: an A4 sine is loudest in bin 144, as in librosa, and spans [0, 1].

    Notebook: transcription, part 1. ``log_cqt_layer`` is the student's ``LogCQT`` class.
    """
    time_s = np.arange(WINDOW_SAMPLES) / SAMPLE_RATE_HZ
    tone = (0.5 * np.sin(2 * np.pi * 440.0 * time_s)).astype(np.float32)
    ours = np.asarray(log_cqt_layer()(tone[np.newaxis]))
    assert ours.shape == (1, WINDOW_FRAMES, N_CQT_BINS), f"wrong output shape {ours.shape}"
    librosa_bin = int(librosa_cqt(tone).mean(axis=0).argmax())
    our_bin = int(ours[0].mean(axis=0).argmax())
    assert librosa_bin == 144, librosa_bin
    assert our_bin == librosa_bin, f"loudest bin {our_bin}, librosa's {librosa_bin}"
    assert np.isclose(ours.min(), 0.0, atol=1e-6), f"minimum {ours.min()} should be 0"
    assert np.isclose(ours.max(), 1.0, atol=1e-6), f"maximum {ours.max()} should be 1"
    print(f"A4 lands in bin {our_bin}; values span [{ours.min():.2f}, {ours.max():.2f}]")


def check_harmonic_stack(harmonic_stack: Callable) -> None:
    """Exercise 2: an ideal note at bin 60 lines up in every channel, in a batch too.

    Notebook: transcription, part 2.
    """
    shifts = [round(36 * math.log2(h)) for h in HARMONICS]
    assert shifts == [-36, 0, 36, 57, 72, 84, 93, 101], shifts
    spectrogram = np.zeros((4, N_CQT_BINS), dtype=np.float32)
    for shift in shifts:
        spectrogram[:, 60 + shift] = 1.0
    stacked = np.asarray(harmonic_stack(spectrogram))
    assert stacked.shape == (4, N_CONTOUR_BINS, len(HARMONICS)), f"shape {stacked.shape}"
    assert stacked.dtype == np.float32, "keep the input's dtype"
    assert np.all(stacked[:, 60, :] == 1.0), "every harmonic should line up at bin 60"
    for channel, shift in enumerate(shifts):
        expected_bins = sorted({60 + s - shift for s in shifts} & set(range(N_CONTOUR_BINS)))
        lit = np.flatnonzero(stacked[0, :, channel]).tolist()
        assert lit == expected_bins, f"channel {channel} (shift {shift}): bins {lit}"
    assert np.all(np.asarray(harmonic_stack(np.ones((2, N_CQT_BINS))))[:, :36, 0] == 0), (
        "bins below the spectrogram (sub-harmonic channel, k < 36) must be 0"
    )
    batch = np.asarray(harmonic_stack(np.stack([spectrogram, 2 * spectrogram])))
    assert batch.shape == (2, 4, N_CONTOUR_BINS, len(HARMONICS)), "keep a leading batch axis"
    assert np.array_equal(batch[1], 2 * stacked), "stack every example of a batch alike"
    print("all eight harmonics line up at the fundamental's bin, in a batch too")


def check_note_and_onset_targets(note_and_onset_targets: Callable) -> None:
    """Exercise 3: two notes (one started before the window), a short note, notes outside.

    Notebook: transcription, part 3.
    """
    notes = NoteList(intervals=[[0.10, 0.50], [-0.20, 0.30]], pitches=[69, 60], velocities=[80, 80])
    note, onset = note_and_onset_targets(notes, 50)
    assert note.shape == (50, 88) and onset.shape == (50, 88), "shapes must be (n_frames, 88)"
    assert note.dtype == np.float32 and onset.dtype == np.float32, "return float32 arrays"
    assert np.flatnonzero(note[:, 48]).tolist() == list(range(9, 43)), "A4 sounds in frames 9..42"
    assert np.flatnonzero(note[:, 39]).tolist() == list(range(0, 26)), "C4 sounds in frames 0..25"
    assert np.flatnonzero(onset[:, 48]).tolist() == [9], "A4 starts in frame 9"
    assert not onset[:, 39].any(), "C4 started before the window: no onset"
    assert note.sum() == 34 + 26 and onset.sum() == 1, "nothing else is set"
    short_note, _ = note_and_onset_targets(NoteList([[0.1, 0.101]], [21], [80]), 20)
    assert short_note[:, 0].sum() == 1, "a very short note still covers one frame"
    outside = NoteList([[-1.0, -0.5], [1.0, 1.5]], [50, 70], [80, 80])
    note, onset = note_and_onset_targets(outside, 50)
    assert not note.any() and not onset.any(), (
        "notes wholly before or after the window set nothing (a negative slice end wraps around)"
    )
    print("two-note example, short note and notes outside the window: correct")


def check_build_nmp(build_nmp: Callable) -> None:
    """Exercise 4: output shapes and the parameter count, printed beside the published model's.

    Notebook: transcription, part 4.
    """
    model = build_nmp()
    outputs = model(np.zeros((2, WINDOW_SAMPLES), np.float32), training=False)
    assert isinstance(outputs, dict) and set(outputs) == {"contour", "note", "onset"}, (
        "return a model whose outputs are a dict with keys contour, note, onset"
    )
    for key, bins in (("contour", 264), ("note", 88), ("onset", 88)):
        assert tuple(outputs[key].shape) == (2, WINDOW_FRAMES, bins), (
            f"{key}: shape {tuple(outputs[key].shape)}, expected (2, 172, {bins})"
        )
    expected = PUBLISHED_TRAINABLE_PARAMETERS + POST_STACK_TRAINABLE_PARAMETERS
    counted = count_trainable_parameters(model)
    rows = [
        ("published Basic Pitch (paper's code)", PUBLISHED_TRAINABLE_PARAMETERS),
        ("published + the post-stack layer", expected),
        ("your build_nmp()", counted),
    ]
    for option in ("harmonic_stacking", "supervised_contour"):
        network = build_nmp(**{option: False})
        rows.append((f"your build_nmp({option}=False)", count_trainable_parameters(network)))
    print(format_table([{"network": n, "trainable parameters": f"{p:,}"} for n, p in rows]))
    assert counted == expected, (
        f"your model has {counted:,} trainable parameters, expected {expected:,}"
    )


def check_build_nmp_ablations(build_nmp: Callable) -> None:
    """Exercise 4: the ablations build, and without the post-stack layer it is the released one.

    Notebook: transcription, part 4.
    """
    for options in ({"harmonic_stacking": False}, {"supervised_contour": False}):
        assert set(build_nmp(**options).output) == {"contour", "note", "onset"}, (
            "same three outputs"
        )
    released = count_trainable_parameters(build_nmp(post_stack_conv=False))
    assert released == PUBLISHED_TRAINABLE_PARAMETERS, (
        f"without the post-stack layer: {released:,} parameters, the released network has "
        f"{PUBLISHED_TRAINABLE_PARAMETERS:,}"
    )
    print("the ablations build; without the post-stack layer it is the released network")


_Y_TRUE = np.array([[[1.0, 0.0]]], np.float32)
_Y_PRED = np.array([[[0.9, 0.2]]], np.float32)


def _check_hand_values(
    loss_factory: Callable,
    expected: dict[tuple[float, float], float],
    *,
    shape: tuple[int, ...],
    shape_hint: str,
) -> None:
    """Assert that ``loss_factory(w, s)`` gives each hand-computed value on the one-cell batch."""
    for (w, s), value_expected in expected.items():
        value = np.asarray(loss_factory(w, s)(_Y_TRUE, _Y_PRED))
        assert value.shape == shape, f"{shape_hint}: shape {value.shape}"
        assert np.isclose(value.item(), value_expected, atol=1e-4), (
            f"w={w}, s={s}: loss {value.item():.5f}, expected {value_expected}"
        )


def check_weighted_bce(weighted_bce: Callable) -> None:
    """Exercise 5: the hand-computed values of the notebook's markdown, and clipping.

    Notebook: transcription, part 5.
    """
    _check_hand_values(
        weighted_bce,
        {(0.5, 0.0): 0.16425, (0.9, 0.0): 0.11714, (0.5, 0.2): 0.34343, (0.9, 0.2): 0.32875},
        shape=(1, 1),
        shape_hint="average over the last axis only",
    )
    extreme = np.asarray(weighted_bce(0.5)(_Y_TRUE, np.array([[[0.0, 1.0]]], np.float32)))
    assert np.all(np.isfinite(extreme)), "clip predictions before the logarithm"
    print("weighted_bce: hand-computed values reproduced")


def check_class_mean_bce(class_mean_bce: Callable) -> None:
    """Exercise 5: the hand-computed per-class means, and a batch without positives.

    Notebook: transcription, part 5.
    """
    _check_hand_values(
        class_mean_bce,
        {(0.5, 0.0): 0.16425, (0.95, 0.0): 0.11125, (0.95, 0.2): 0.32692},
        shape=(),
        shape_hint="one number for the whole batch",
    )
    four = np.asarray(
        class_mean_bce(0.95)(
            np.array([[[1.0, 0.0, 0.0, 0.0]]], np.float32),
            np.array([[[0.9, 0.2, 0.1, 0.4]]], np.float32),
        )
    )
    assert np.isclose(four, 0.11408, atol=1e-4), (
        f"{four:.5f}: average each class over its own cells"
    )
    no_positive = np.asarray(
        class_mean_bce(0.95)(np.zeros((1, 1, 3), np.float32), np.full((1, 1, 3), 0.3, np.float32))
    )
    assert np.isfinite(no_positive), "a batch without positive cells must give a finite loss"
    print("class_mean_bce: hand-computed values reproduced")


def check_balanced_weight(balanced_weight: Callable, positive_rate: float) -> None:
    """Exercise 5: equal classes, 1 % positives, and the measured onset rate tie.

    Notebook: transcription, part 5.
    """
    assert np.isclose(balanced_weight(0.5), 0.5), "equal classes need equal weights"
    assert np.isclose(balanced_weight(0.01), 0.99), "1 % positives: w = 0.99"
    if 0 < positive_rate < 1:
        w = balanced_weight(positive_rate)
        assert np.isclose(w * positive_rate, (1 - w) * (1 - positive_rate)), (
            "positives and negatives must tie"
        )
        print(f"onset positive rate {positive_rate:.4f}: balanced weight {w:.4f}")


def check_transcription_scores(transcription_scores: Callable) -> None:
    """Exercise 6: a perfect estimate, onsets 30 ms late, a semitone off, an empty estimate.

    Notebook: transcription, part 6.
    """
    reference = NoteList([[0.0, 0.5], [0.5, 1.0], [1.0, 2.0]], [60, 64, 67], [80, 80, 80])
    perfect = transcription_scores(reference, reference)
    assert set(perfect) == SCORE_KEYS, f"keys must be {sorted(SCORE_KEYS)}"
    assert all(np.isclose(v, 1.0) for v in perfect.values()), f"perfect estimate: {perfect}"
    late = NoteList(reference.intervals + np.array([0.03, 0.0]), [60, 64, 67], [80, 80, 80])
    assert np.isclose(transcription_scores(reference, late)["fno"], 1.0), (
        "onsets 30 ms late are within the 50 ms tolerance"
    )
    wrong = NoteList(reference.intervals, [61, 65, 68], [80, 80, 80])
    assert np.isclose(transcription_scores(reference, wrong)["fno"], 0.0), (
        "a semitone off is a different note (did you pass Hz to mir_eval?)"
    )
    assert transcription_scores(reference, NoteList.empty())["recall_no_offset"] == 0.0
    print("transcription_scores: perfect, late and wrong-pitch examples correct")


def check_augment_window(augment_window: Callable) -> None:
    """Exercise 7: a C major chord augmented with twenty seeds, and silent windows.

    Notebook: transcription, part 7. Notes stay or move together by an allowed
    interval, the input is not modified, and the same seed gives the same result.
    """
    time_s = np.arange(WINDOW_SAMPLES) / SAMPLE_RATE_HZ
    chord = sum(np.sin(2 * np.pi * librosa.midi_to_hz(p) * time_s) for p in (60, 64, 67))
    chord = (0.2 * chord).astype(np.float32)
    notes = NoteList([[0.1, 1.5], [0.1, 1.5], [0.6, 1.9]], [60, 64, 67], [90, 70, 50])
    original = chord.copy()
    changed, shifts = 0, set()
    for seed in range(20):
        audio, out = augment_window(chord, notes, np.random.default_rng(seed))
        assert np.array_equal(chord, original), "do not modify the input audio"
        assert audio.shape == chord.shape and audio.dtype == np.float32, (
            "return float32 audio of the input's length"
        )
        assert np.all(np.isfinite(audio)), "audio must stay finite"
        assert isinstance(out, NoteList) and len(out) == 3, "these notes stay on the keyboard"
        assert np.allclose(out.intervals, notes.intervals), "note times must not change"
        shift = set((out.pitches - notes.pitches).tolist())
        assert len(shift) == 1 and shift <= {0, *TRANSPOSE_SEMITONES}, f"pitch shifts {shift}"
        assert np.array_equal(out.velocities, notes.velocities), "keep the velocities"
        shifts |= shift
        changed += not np.allclose(audio, chord)
        again, _ = augment_window(chord, notes, np.random.default_rng(seed))
        assert np.array_equal(audio, again), "the same seed must give the same result"
    assert changed >= 10, f"only {changed} of 20 windows were changed"
    for seed in range(5):
        silent, _ = augment_window(
            np.zeros(WINDOW_SAMPLES, np.float32), NoteList.empty(), np.random.default_rng(seed)
        )
        assert silent.shape == (WINDOW_SAMPLES,), "silent windows must not fail"
    print(f"{changed} of 20 windows changed; pitch shifts seen: {sorted(shifts)}")


def check_note_hits(note_hits: Callable) -> None:
    """Exercise 9: one late, one wrong-pitch and one matching estimate; empty lists.

    Notebook: transcription, part 9.
    """
    reference = NoteList([[0.0, 0.5], [0.5, 1.0], [1.0, 2.0]], [60, 64, 67], [80, 80, 80])
    estimate = NoteList([[1.2, 2.0], [0.5, 1.0], [0.02, 0.4]], [67, 65, 60], [80, 80, 80])
    hits = note_hits(reference, estimate)
    assert hits.dtype == bool and hits.shape == (3,), "one bool per estimated note"
    assert hits.tolist() == [False, False, True], (
        f"got {hits.tolist()}: the 1st estimate starts 200 ms late, the 2nd has the wrong pitch, "
        "the 3rd matches the first reference note (mark estimate indices, not reference ones)"
    )
    assert note_hits(reference, NoteList.empty()).shape == (0,)
    assert not note_hits(NoteList.empty(), estimate).any()
    print("note_hits: example correct")


def check_saved_model(name: str, build_nmp: Callable, hint: str) -> None:
    """Part 8: network ``name``'s weights file exists and loads into ``build_nmp``'s network.

    Notebook: transcription, part 8 (the autograder scores the file itself).
    """
    path = weights_file(name)
    assert path.is_file(), f"no {path}: {hint} (and submit the file)"
    load_saved_model(name, build_nmp)
    print(f"{path} loads into your network; the autograder scores it")
