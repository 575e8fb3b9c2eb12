"""Time-frequency masks: the oracle ideal binary and ratio masks, and applying a mask.

Notebook: ``solutions/vocals/vocals.ipynb``, part 2 (students write the two
ideal masks themselves; these are the references the hidden tests compare
against). A mask holds one number in [0, 1] per STFT cell: the share of the
mixture's cell that belongs to the voice. Multiplying the mixture's complex
STFT by it and inverting gives the vocal estimate; ``1 - mask`` gives the
accompaniment. The *ideal* masks are computed from the true stems, so they
are the ceiling a mask-estimating network can reach.

Both masks are computed by ``librosa.util.softmask``.
"""

from __future__ import annotations

import librosa
import numpy as np

from dlmusic.separation.stft import istft, stft


def _magnitudes(vocals: np.ndarray, accompaniment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check two spectrograms against each other and return their magnitudes (float64)."""
    vocals, accompaniment = np.abs(np.asarray(vocals)), np.abs(np.asarray(accompaniment))
    if vocals.shape != accompaniment.shape:
        raise ValueError(
            f"vocal and accompaniment spectrograms differ in shape: {vocals.shape} vs "
            f"{accompaniment.shape} (were the stems of different lengths?)"
        )
    for name, values in (("vocal", vocals), ("accompaniment", accompaniment)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"the {name} spectrogram contains NaN or infinite values")
    return vocals.astype(np.float64), accompaniment.astype(np.float64)


def ideal_binary_mask(
    vocals: np.ndarray, accompaniment: np.ndarray, threshold_db: float = 0.0
) -> np.ndarray:
    """1 where the voice is louder than the accompaniment by more than ``threshold_db``.

    Parameters
    ----------
    vocals, accompaniment : np.ndarray, shape (n_bins, n_frames)
        STFTs (complex) or magnitudes of the two stems.
    threshold_db : float
        A cell is vocal when ``20 log10(|V| / |A|) > threshold_db``; 0 dB
        keeps the cells where the voice is the louder source.

    Returns
    -------
    np.ndarray, shape (n_bins, n_frames), float32
        0 or 1. A cell where both stems are silent is 0; where only the
        accompaniment is silent, 1.
    """
    vocals, accompaniment = _magnitudes(vocals, accompaniment)
    reference = accompaniment * 10.0 ** (threshold_db / 20.0)
    return librosa.util.softmask(vocals, reference, power=np.inf).astype(np.float32)


def ideal_ratio_mask(
    vocals: np.ndarray, accompaniment: np.ndarray, power: float = 1.0
) -> np.ndarray:
    """The voice's share of each cell: ``|V|^p / (|V|^p + |A|^p)``.

    Parameters
    ----------
    vocals, accompaniment : np.ndarray, shape (n_bins, n_frames)
        STFTs (complex) or magnitudes of the two stems.
    power : float
        ``p``: 1 shares magnitudes, 2 shares power (a Wiener-like mask).

    Returns
    -------
    np.ndarray, shape (n_bins, n_frames), float32
        In [0, 1]; 0 where both stems are silent.
    """
    if not power > 0:
        raise ValueError(f"power must be positive, got {power}")
    vocals, accompaniment = _magnitudes(vocals, accompaniment)
    return librosa.util.softmask(vocals, accompaniment, power=power).astype(np.float32)


def apply_mask(mask: np.ndarray, mixture_stft: np.ndarray) -> np.ndarray:
    """The masked spectrogram ``mask * mixture_stft`` (phase of the mixture kept).

    Parameters
    ----------
    mask : np.ndarray, shape (n_bins, n_frames)
        Values in [0, 1].
    mixture_stft : np.ndarray, shape (n_bins, n_frames), complex

    Returns
    -------
    np.ndarray, shape (n_bins, n_frames), complex64
    """
    mask = np.asarray(mask)
    if mask.shape != np.shape(mixture_stft):
        raise ValueError(
            f"mask shape {mask.shape} differs from the STFT's {np.shape(mixture_stft)}"
        )
    if not np.all(np.isfinite(mask)) or mask.min(initial=0.0) < 0 or mask.max(initial=0.0) > 1:
        raise ValueError("a mask must hold finite values in [0, 1]")
    return (mask * mixture_stft).astype(np.complex64)


def separate_with_mask(mixture: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Vocals and accompaniment estimated from ``mixture`` with a vocal ``mask``.

    Parameters
    ----------
    mixture : np.ndarray, shape (n_samples,)
        Mono mixture audio.
    mask : np.ndarray, shape (N_BINS, n_frames(n_samples))
        Vocal mask; the accompaniment gets ``1 - mask``.

    Returns
    -------
    dict
        ``"vocals"`` and ``"accompaniment"``, each ``(n_samples,)`` float32.
    """
    mixture_stft = stft(mixture)
    return {
        "vocals": istft(apply_mask(mask, mixture_stft), mixture.size),
        "accompaniment": istft(apply_mask(1.0 - np.asarray(mask), mixture_stft), mixture.size),
    }
