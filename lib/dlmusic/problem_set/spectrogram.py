"""The example piece's constant-Q spectrogram as an image in [0, 1].

Notebook: problem_set, part 1.3 (salt and pepper on a spectrogram) and part
2.4 (onsets). The resolution is the transcription assignment's: three bins per
semitone from A0, :data:`dlmusic.transcription.constants.HOP_SAMPLES` per frame.
"""

from __future__ import annotations

import librosa
import numpy as np

from dlmusic.transcription.constants import FMIN_HZ, HOP_SAMPLES

BINS_PER_SEMITONE = 3
"""CQT bins per semitone (the centre bin of each key is every third bin)."""
N_KEYS = 88
"""Piano keys, A0 to C8."""
TOP_DB = 60.0
"""Levels more than this below the loudest bin are clipped."""


def log_cqt_image(audio: np.ndarray, sr: int) -> np.ndarray:
    """Log-magnitude CQT of ``audio`` rescaled to [0, 1] (0 = 60 dB below the peak).

    Notebook: problem_set, part 1.3 (the ``clean`` image).

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio.
    sr : int
        Its sample rate in Hz.

    Returns
    -------
    np.ndarray, shape (264, n_frames), float
        Row ``3 * (midi - 21)`` is the centre bin of key ``midi``; row 0 is A0.
    """
    magnitude = np.abs(
        librosa.cqt(
            audio,
            sr=sr,
            hop_length=HOP_SAMPLES,
            fmin=FMIN_HZ,
            n_bins=N_KEYS * BINS_PER_SEMITONE,
            bins_per_octave=12 * BINS_PER_SEMITONE,
        )
    )
    level = librosa.amplitude_to_db(magnitude, ref=np.max, top_db=TOP_DB)
    return (level - level.min()) / (level.max() - level.min())
