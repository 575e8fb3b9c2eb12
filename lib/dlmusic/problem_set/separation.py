"""Listening to and scoring a harmonic-percussive split of the example piece.

Notebook: problem_set, part 1.5 (harmonic-percussive separation). The
students write the separation itself; these functions turn its two parts back
into audio, compare them with the true stems and draw them.
"""

from __future__ import annotations

from collections.abc import Mapping

import librosa
import numpy as np
from matplotlib.figure import Figure

from dlmusic.datasets.summary import format_table
from dlmusic.display import plot_spectrogram

N_FFT = 1024
"""STFT frame length in samples."""
HOP = 256
"""STFT hop in samples."""


def magnitude(audio: np.ndarray) -> np.ndarray:
    """``|STFT|`` of ``audio`` with :data:`N_FFT` and :data:`HOP`, shape (513, n_frames).

    Notebook: problem_set, part 1.5 (harmonic-percussive separation).
    """
    return np.abs(librosa.stft(audio, n_fft=N_FFT, hop_length=HOP))


def parts_as_audio(audio: np.ndarray, parts: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each part's magnitude as audio: its share of the mixture's STFT, inverted.

    Notebook: problem_set, part 1.5.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        The mixture.
    parts : mapping of str to np.ndarray, each shape (513, n_frames)
        Magnitudes that add up to the mixture's (e.g. harmonic and percussive).

    Returns
    -------
    dict of str to np.ndarray, each shape (n_samples,)
        ``istft(STFT * part / |STFT|)``: the mixture's phase, the part's share.
    """
    stft = librosa.stft(audio, n_fft=N_FFT, hop_length=HOP)
    safe = np.maximum(np.abs(stft), np.finfo(np.float32).tiny)
    return {
        name: librosa.istft(stft * (part / safe), hop_length=HOP, length=audio.size)
        for name, part in parts.items()
    }


def relative_error(estimate: np.ndarray, reference: np.ndarray) -> float:
    """``||estimate - reference|| / ||reference||`` (Frobenius norms).

    Notebook: problem_set, part 1.5.

    Examples
    --------
    >>> relative_error(np.array([1.0, 1.0]), np.array([1.0, 0.0]))
    1.0
    """
    return float(np.linalg.norm(estimate - reference) / np.linalg.norm(reference))


def separation_table(
    mixture: np.ndarray, estimates: Mapping[str, np.ndarray], stems: Mapping[str, np.ndarray]
) -> str:
    """Relative magnitude error of each estimate against its stem, and of the mixture.

    Notebook: problem_set, part 1.5.

    Parameters
    ----------
    mixture : np.ndarray, shape (513, n_frames)
        The mixture's magnitude (the do-nothing estimate).
    estimates, stems : mapping of str to np.ndarray, each shape (513, n_frames)
        The estimate and the true magnitude of each stem, by stem name.
    """
    table = [
        {
            "target": f"{name} stem",
            "mixture as the estimate": f"{relative_error(mixture, stems[name]):.3f}",
            "median-filter estimate": f"{relative_error(estimate, stems[name]):.3f}",
        }
        for name, estimate in estimates.items()
    ]
    return format_table(table, "relative magnitude error ||estimate - stem|| / ||stem||")


def plot_parts(spectrograms: Mapping[str, np.ndarray], sr: int) -> Figure:
    """Magnitude spectrograms two by two (e.g. true piano, H, true drums, P), log frequency.

    Notebook: problem_set, part 1.5.
    """
    figure = Figure(figsize=(12, 3.5 * ((len(spectrograms) + 1) // 2)), layout="constrained")
    axes = np.atleast_1d(figure.subplots((len(spectrograms) + 1) // 2, 2)).ravel()
    for ax, (title, spectrogram) in zip(axes, spectrograms.items(), strict=False):
        plot_spectrogram(spectrogram, sr=sr, hop_samples=HOP, y_axis="log", ax=ax, title=title)
    return figure
