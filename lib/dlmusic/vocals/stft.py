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
    """Frames an STFT with these settings makes of ``n_samples`` samples (centred frames)."""
    return 1 + n_samples // HOP_SAMPLES


def istft(spectrogram: np.ndarray, n_samples: int) -> np.ndarray:
    """Inverse STFT with the course's settings: overlap-add back to ``n_samples`` samples.

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
