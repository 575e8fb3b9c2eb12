"""The STFT settings every part of the ``vocals`` notebook shares, and the inverse STFT.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 1 and 2. One set of
settings (:data:`N_FFT`, :data:`HOP_SAMPLES`, a Hann window, centred frames)
is used for the spectrogram pictures, the masks, the training data and the
inverse transform, so a mask computed on one is valid on the others. The
forward STFT is the student's (part 1); the given code that needs it
(:mod:`dlmusic.vocals.data`) takes it as a parameter. The inverse,
:func:`istft`, is given. Computed with librosa.
"""

from __future__ import annotations

import librosa
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ

N_FFT = 1024
"""Samples per STFT frame: 46 ms at 22050 Hz, bins 21.5 Hz apart."""
HOP_SAMPLES = 256
"""Samples between frames: 86.1 frames per second at 22050 Hz."""
N_BINS = N_FFT // 2 + 1
"""Frequency bins per frame (0 Hz to the Nyquist frequency): 513."""
WINDOW = "hann"
FRAMES_PER_SECOND = SAMPLE_RATE_HZ / HOP_SAMPLES


def n_frames(n_samples: int) -> int:
    """Frames an STFT with these settings makes of ``n_samples`` samples (centred frames).

    Notebook: vocals, parts 2 and 4 (the frames of a mixture's STFT).
    """
    return 1 + n_samples // HOP_SAMPLES


def istft(spectrogram: np.ndarray, n_samples: int) -> np.ndarray:
    """Inverse STFT with the course's settings: overlap-add back to ``n_samples`` samples.

    Notebook: vocals, parts 1 and 2 (the given inverse of your ``stft``).

    Parameters
    ----------
    spectrogram : np.ndarray, shape (N_BINS, n_frames), complex
        An STFT with the course's settings (for example a masked mixture).
    n_samples : int
        Length of the audio to return (the original signal's length).

    Returns
    -------
    np.ndarray, shape (n_samples,), float32
    """
    spectrogram = np.asarray(spectrogram)
    if spectrogram.ndim != 2 or spectrogram.shape[0] != N_BINS:
        raise ValueError(
            f"spectrogram must have shape ({N_BINS}, n_frames), got {spectrogram.shape}"
        )
    if not np.all(np.isfinite(spectrogram)):
        raise ValueError("spectrogram contains NaN or infinite values")
    audio = librosa.istft(
        spectrogram,
        hop_length=HOP_SAMPLES,
        n_fft=N_FFT,
        window=WINDOW,
        center=True,
        length=n_samples,
    )
    return audio.astype(np.float32, copy=False)


def parseval_ratio(magnitude: np.ndarray, audio: np.ndarray) -> float:
    """Energy of all STFT frames over ``1.5 N_FFT`` times the signal's: 1 for a right magnitude.

    Notebook: vocals, part 1 (the test of ``spectrogram``).

    Parseval's theorem: each frame's DFT holds ``N_FFT`` times the energy of the
    windowed frame (bins 1 to ``N_FFT / 2 - 1`` count twice in a one-sided
    spectrum), and Hann windows ``HOP_SAMPLES = N_FFT / 4`` apart add up,
    squared, to 1.5 at every sample. This holds where every sample is covered
    by four whole frames, so ``audio`` must be silent for ``N_FFT`` samples at
    both ends.

    Parameters
    ----------
    magnitude : np.ndarray, shape (N_BINS, n_frames)
        ``|STFT|`` of ``audio`` with these settings.
    audio : np.ndarray, shape (n_samples,)
        The signal, silent at both ends.

    Returns
    -------
    float
        The ratio; far from 1 when ``magnitude`` is not this STFT's.

    Examples
    --------
    >>> audio = np.zeros(8192, np.float32)
    >>> audio[N_FFT:-N_FFT] = np.sin(np.arange(8192 - 2 * N_FFT) / 5)
    >>> magnitude = np.abs(librosa.stft(audio, n_fft=N_FFT, hop_length=HOP_SAMPLES))
    >>> round(parseval_ratio(magnitude, audio), 3)
    1.0
    """
    weights = np.full((N_BINS, 1), 2.0)
    weights[[0, -1]] = 1.0
    frames = np.sum(weights * np.asarray(magnitude, dtype=np.float64) ** 2)
    signal = np.sum(np.asarray(audio, dtype=np.float64) ** 2)
    if signal == 0:
        raise ValueError("the signal is silent: its energy ratio is undefined")
    return float(frames / (1.5 * N_FFT * signal))
