"""The short-time Fourier transform every part of the ``vocals`` notebook shares.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 1 and 2. One set of
settings (:data:`N_FFT`, :data:`HOP_SAMPLES`, a Hann window, centred frames)
is used for the spectrogram pictures, the masks, the training data and the
inverse transform, so a mask computed on one is valid on the others.
Computed with librosa.
"""

from __future__ import annotations

import librosa
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ, validate_audio

N_FFT = 1024
"""Samples per STFT frame: 46 ms at 22050 Hz, bins 21.5 Hz apart."""
HOP_SAMPLES = 256
"""Samples between frames: 86.1 frames per second at 22050 Hz."""
N_BINS = N_FFT // 2 + 1
"""Frequency bins per frame (0 Hz to the Nyquist frequency): 513."""
WINDOW = "hann"
FRAMES_PER_SECOND = SAMPLE_RATE_HZ / HOP_SAMPLES


def n_frames(n_samples: int) -> int:
    """Frames :func:`stft` makes of ``n_samples`` samples (centred frames)."""
    return 1 + n_samples // HOP_SAMPLES


def stft(audio: np.ndarray) -> np.ndarray:
    """Complex STFT of mono audio with the course's settings.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio (22050 Hz in the course, though nothing here depends on it).

    Returns
    -------
    np.ndarray, shape (N_BINS, n_frames(n_samples)), complex64
        Bin ``k`` is at ``k * sr / N_FFT`` Hz; frame ``t`` is centred on sample
        ``t * HOP_SAMPLES``.

    Raises
    ------
    ChannelError, EmptyAudioError, NonFiniteAudioError
        Not mono, empty, or holding NaN / infinite samples.
    """
    validate_audio(audio, mono=True)
    return librosa.stft(
        audio.astype(np.float32, copy=False),
        n_fft=N_FFT,
        hop_length=HOP_SAMPLES,
        window=WINDOW,
        center=True,
    )


def istft(spectrogram: np.ndarray, n_samples: int) -> np.ndarray:
    """Inverse of :func:`stft`: overlap-add back to ``n_samples`` samples.

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
