"""Three CQTs of the same audio: the Keras layer, librosa and nnAudio, compared and timed.

Notebook: ``solutions/transcription``, part 1 (three CQTs of the same clip).
The Keras layer is built from the student's kernel function.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

import librosa
import numpy as np
from matplotlib.figure import Figure

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.datasets.summary import format_table
from dlmusic.display import plot_spectrogram
from dlmusic.transcription.constants import (
    BINS_PER_OCTAVE,
    FMIN_HZ,
    LIBROSA_CQT_SETTINGS,
    WINDOW_SAMPLES,
)
from dlmusic.transcription.cqt import CQT, KernelFunction, cqt_filter_lengths
from dlmusic.transcription.validation import librosa_cqt

KERAS_LAYER = "dlmusic CQT layer (Keras)"
LIBROSA = "librosa.cqt"
NNAUDIO = "nnAudio CQT2010v2 (PyTorch)"


def kernel_lengths_table(notes: tuple[str, ...] = ("A0", "A2", "A4", "A6", "C8")) -> str:
    """Each note's frequency and CQT kernel length (samples and milliseconds).

    Notebook: transcription, part 1 (why one window length cannot fit every bin).
    """
    lines = []
    for name in notes:
        freq = float(librosa.note_to_hz(name))
        length = cqt_filter_lengths(np.array([freq]), SAMPLE_RATE_HZ)[0]
        duration_ms = 1000 * length / SAMPLE_RATE_HZ
        lines.append(
            f"{name}: {freq:7.1f} Hz  kernel {length:8.0f} samples = {duration_ms:6.1f} ms"
        )
    return "\n".join(lines)


def nnaudio_cqt():
    """nnAudio's ``CQT2010v2`` (a PyTorch module) with the CQT layer's settings.

    Notebook: transcription, part 1 (three CQTs of the same clip); also
    ``benchmarks/cqt.py``.
    """
    from nnAudio.features import CQT2010v2

    return CQT2010v2(**LIBROSA_CQT_SETTINGS, verbose=False)


def three_cqts(audio: np.ndarray, kernel: KernelFunction) -> dict[str, np.ndarray]:
    """CQT magnitudes of ``audio`` by the Keras layer (with ``kernel``), librosa and nnAudio.

    Notebook: transcription, part 1.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,), float32
        Mono audio at 22050 Hz.
    kernel : callable
        The student's ``cqt_kernel``, which the Keras layer is built from.

    Returns
    -------
    dict of str to np.ndarray, each shape (309 bins, n_frames)
        By implementation name; the frame counts may differ by one.
    """
    import torch

    with torch.no_grad():
        nnaudio = nnaudio_cqt()(torch.from_numpy(audio))[0].numpy()
    return {
        KERAS_LAYER: np.asarray(CQT(kernel=kernel)(audio[np.newaxis]))[0].T,
        LIBROSA: librosa_cqt(audio).T,
        NNAUDIO: nnaudio,
    }


def plot_cqts(spectrograms: dict[str, np.ndarray]) -> Figure:
    """One panel per CQT (dB, note axis), stacked.

    Notebook: transcription, part 1.
    """
    figure = Figure(figsize=(10, 3.7 * len(spectrograms)), layout="constrained")
    axes = figure.subplots(len(spectrograms), 1)
    for ax, (title, spectrogram) in zip(axes, spectrograms.items(), strict=True):
        plot_spectrogram(
            spectrogram,
            y_axis="cqt_note",
            fmin_hz=FMIN_HZ,
            bins_per_octave=BINS_PER_OCTAVE,
            ax=ax,
            title=title,
        )
    return figure


def agreement(spectrograms: Mapping[str, np.ndarray], *, floor_db: float = 60.0) -> str:
    """Median and 90th-percentile relative error of the Keras layer's CQT against librosa's.

    Notebook: transcription, part 1. Only cells within ``floor_db`` of librosa's
    loudest cell count (quieter cells are mostly numerical noise).

    Parameters
    ----------
    spectrograms : mapping
        :func:`three_cqts`' result: magnitudes ``(n_bins, n_frames)`` by name; the
        longer of the two compared is cut to the shorter's frames.
    """
    ours, reference = spectrograms[KERAS_LAYER], spectrograms[LIBROSA]
    frames = min(ours.shape[1], reference.shape[1])
    ours, reference = ours[:, :frames], reference[:, :frames]
    loud = reference > reference.max() * 10 ** (-floor_db / 20)
    error = np.abs(ours[loud] - reference[loud]) / reference[loud]
    return (
        f"dlmusic vs librosa over {loud.sum()} cells within {floor_db:.0f} dB: median relative "
        f"error {np.median(error):.4f}, 90th percentile {np.percentile(error, 90):.4f}"
    )


def best_of(run: Callable[[], object], repeats: int = 3) -> float:
    """The shortest of ``repeats`` timed calls of ``run``, in seconds, after one warm-up call.

    Notebook: transcription, part 1 (timing the three CQTs).
    """
    run()  # warm-up: builds kernels, traces graphs
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def timing_table(kernel: KernelFunction, *, n_windows: int = 4) -> str:
    """Time each CQT on a batch of two-second windows of noise (best of three).

    Notebook: transcription, part 1. Everything runs where its framework puts
    it by default.
    """
    import torch

    batch = np.random.default_rng(0).standard_normal((n_windows, WINDOW_SAMPLES))
    batch = (0.1 * batch).astype(np.float32)
    batch_torch = torch.from_numpy(batch)
    layer, nnaudio = CQT(kernel=kernel), nnaudio_cqt()

    def run_nnaudio() -> None:
        with torch.no_grad():
            nnaudio(batch_torch)

    timings = {
        "dlmusic CQT layer (Keras, eager)": best_of(lambda: np.asarray(layer(batch))),
        "librosa.cqt (one window at a time)": best_of(
            lambda: [librosa_cqt(window) for window in batch]
        ),
        NNAUDIO: best_of(run_nnaudio),
    }
    rows = [{"implementation": k, "seconds": f"{v:.3f}"} for k, v in timings.items()]
    return format_table(rows, f"CQT of {n_windows} windows of 2 s")
