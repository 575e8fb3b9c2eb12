"""Masks that learn (almost) nothing: the floor a mask network has to clear.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 4 and 6, and
``benchmarks/vocals.py``. Two trivial masks, each fitted on the *training*
songs only and then applied to every frame of a test song alike:

- :func:`high_pass_mask`: keep every STFT bin above a cutoff frequency. If
  the voice sat above the accompaniment this alone would separate it; the
  cutoff is the one of :data:`CUTOFFS_HZ` with the best mean vocal
  signal-to-error ratio on the training songs (:func:`choose_cutoff`);
- :func:`mean_irm_mask`: the ideal ratio mask averaged over every frame
  of the training songs, one value per frequency bin: the voice's average
  share of each bin.

A network whose SDR is not clearly above these has learned a frequency
response, not the voice. Part 2 also shows a wrong target,
:func:`naive_vocal_mask`: the cells where the voice alone is loud.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import librosa
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.vocals.data import TrackStems
from dlmusic.vocals.stft import N_BINS, N_FFT

CUTOFFS_HZ = (0.0, 100.0, 150.0, 200.0, 300.0, 400.0, 600.0, 800.0, 1200.0, 2000.0, 3000.0)
"""The high-pass cutoffs :func:`choose_cutoff` tries, in Hz (0: keep everything)."""

NAIVE_RANGE_DB = 40.0
""":func:`naive_vocal_mask` keeps the cells within this many dB of the loudest vocal cell."""

STFT = Callable[[np.ndarray], np.ndarray]
MaskFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]


def high_pass_mask(cutoff_hz: float, n_frames: int) -> np.ndarray:
    """1 for every bin at or above ``cutoff_hz``, 0 below, in every frame.

    Notebook: vocals, part 4 (the best fixed frequency mask).

    Parameters
    ----------
    cutoff_hz : float
        In Hz, from 0 to the Nyquist frequency (11025 Hz).
    n_frames : int
        STFT frames of the mixture the mask is for.

    Returns
    -------
    np.ndarray, shape (N_BINS, n_frames), float32

    Examples
    --------
    >>> high_pass_mask(600.0, 2)[27:30, 0]  # bins 21.5 Hz apart: bin 28 is 603 Hz
    array([0., 1., 1.], dtype=float32)
    """
    if not 0.0 <= cutoff_hz <= SAMPLE_RATE_HZ / 2:
        raise ValueError(f"cutoff_hz must be in [0, {SAMPLE_RATE_HZ / 2:.0f}] Hz, got {cutoff_hz}")
    bins_hz = librosa.fft_frequencies(sr=SAMPLE_RATE_HZ, n_fft=N_FFT)
    column = (bins_hz >= cutoff_hz).astype(np.float32)
    return np.repeat(column[:, np.newaxis], n_frames, axis=1)


def signal_to_error_db(vocals: np.ndarray, estimate: np.ndarray) -> float:
    """``10 log10(sum |V|^2 / sum |V - estimate|^2)``: a quick SDR without BSS Eval's filter.

    Notebook: vocals, part 4 (how :func:`choose_cutoff` ranks the cutoffs).

    Parameters
    ----------
    vocals, estimate : np.ndarray, shape (N_BINS, n_frames)
        STFTs (complex) of the true vocals and of an estimate.
    """
    error = float(np.sum(np.abs(vocals - estimate) ** 2))
    energy = float(np.sum(np.abs(vocals) ** 2))
    return 10.0 * np.log10(max(energy, 1e-20) / max(error, 1e-20))


def choose_cutoff(
    songs: Sequence[TrackStems], stft: STFT, cutoffs_hz: Sequence[float] = CUTOFFS_HZ
) -> tuple[float, dict[float, float]]:
    """The high-pass cutoff with the best mean vocal signal-to-error ratio on ``songs``.

    Notebook: vocals, part 4.

    Parameters
    ----------
    songs : sequence of TrackStems
        Training songs (never the test songs).
    stft : callable
        ``audio (n_samples,) -> (N_BINS, n_frames)`` complex STFT.
    cutoffs_hz : sequence of float
        Candidates, Hz.

    Returns
    -------
    cutoff_hz : float
        The best candidate.
    scores : dict
        Mean :func:`signal_to_error_db` (dB) of every candidate.
    """
    if not songs:
        raise ValueError("choose_cutoff needs at least one training song")
    spectra = [(stft(song.mixture), stft(song.vocals)) for song in songs]
    scores = {}
    for cutoff in cutoffs_hz:
        scores[float(cutoff)] = float(
            np.mean(
                [
                    signal_to_error_db(vocals, high_pass_mask(cutoff, mixture.shape[1]) * mixture)
                    for mixture, vocals in spectra
                ]
            )
        )
    return max(scores, key=scores.get), scores


def mean_irm_mask(songs: Sequence[TrackStems], stft: STFT, mask: MaskFunction) -> np.ndarray:
    """The ``mask`` (an ideal ratio mask) averaged over every frame of ``songs``, per bin.

    Notebook: vocals, part 4.

    Parameters
    ----------
    songs : sequence of TrackStems
        Training songs (never the test songs).
    stft : callable
        ``audio (n_samples,) -> (N_BINS, n_frames)`` complex STFT.
    mask : callable
        ``mask(vocals_stft, accompaniment_stft) -> (N_BINS, n_frames)`` in [0, 1].

    Returns
    -------
    np.ndarray, shape (N_BINS, 1), float32
        Broadcasts against a mixture's STFT of any length.
    """
    if not songs:
        raise ValueError("mean_irm_mask needs at least one training song")
    total, frames = np.zeros(N_BINS), 0
    for song in songs:
        values = np.asarray(mask(stft(song.vocals), stft(song.accompaniment)), dtype=np.float64)
        total += values.sum(axis=1)
        frames += values.shape[1]
    return (total / frames).astype(np.float32)[:, np.newaxis]


def naive_vocal_mask(vocals_stft: np.ndarray, range_db: float = NAIVE_RANGE_DB) -> np.ndarray:
    """1 where the voice is loud, within ``range_db`` of its loudest cell: the wrong target.

    Notebook: vocals, part 2 (the naive mask, heard and scored next to the IBM).

    It asks whether the voice is loud, not whether it is louder than the
    accompaniment in that cell, so applied to the mixture it keeps the
    accompaniment wherever the voice has energy.

    Parameters
    ----------
    vocals_stft : np.ndarray, shape (N_BINS, n_frames)
        STFT (complex) or magnitudes of the vocals alone.
    range_db : float
        Cells quieter than the loudest by more than this are 0.

    Returns
    -------
    np.ndarray, shape (N_BINS, n_frames), float32
        0 or 1.

    Examples
    --------
    >>> naive_vocal_mask(np.array([[1.0, 0.1, 0.001]]), range_db=40.0)
    array([[1., 1., 0.]], dtype=float32)
    """
    magnitude = np.abs(np.asarray(vocals_stft))
    return (magnitude > magnitude.max() * 10 ** (-range_db / 20)).astype(np.float32)
