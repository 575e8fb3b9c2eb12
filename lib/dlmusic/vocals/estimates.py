"""From a mask to the two estimated stems of a song.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 2, 4 and 6, and
``benchmarks/vocals.py``. A mask ``M`` estimates the vocals as ``M * X`` and
the accompaniment as ``(1 - M) * X``, where ``X`` is the mixture's STFT; the
inverse STFT turns each back into audio. The function that does this for one
mask, ``masked_estimate(mixture, mask)``, is the student's (exercise 2c), so
every function here takes it as a parameter, as :mod:`dlmusic.vocals.data`
takes the student's STFT; the benchmark and the grader pass the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from dlmusic.vocals.data import STFT, MaskFunction, TrackStems
from dlmusic.vocals.stft import N_BINS, n_frames

MaskedEstimate = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``masked_estimate(mixture (n_samples,), mask (N_BINS, n_frames)) -> audio (n_samples,)``."""


def estimate_from_mask(
    mixture: np.ndarray, mask: np.ndarray, masked_estimate: MaskedEstimate
) -> dict[str, np.ndarray]:
    """The vocals (``mask``) and the accompaniment (``1 - mask``) of ``mixture``.

    Notebook: vocals, parts 2 and 4 (the oracle, naive and fixed masks).

    Parameters
    ----------
    mixture : np.ndarray, shape (n_samples,)
        Mono mixture.
    mask : np.ndarray, shape (N_BINS, n_frames) or (N_BINS, 1)
        Values in [0, 1]; a single column is used in every frame.
    masked_estimate : callable
        The student's ``masked_estimate(mixture, mask)`` (exercise 2c).

    Returns
    -------
    dict
        ``"vocals"`` and ``"accompaniment"``, each ``(n_samples,)``.

    Raises
    ------
    ValueError
        ``mask`` has neither of the two shapes.
    """
    shape = (N_BINS, n_frames(np.size(mixture)))
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.shape[0] != N_BINS or mask.shape[1] not in (1, shape[1]):
        raise ValueError(f"mask must have shape {shape} or ({N_BINS}, 1), got {mask.shape}")
    shares = {"vocals": np.broadcast_to(mask, shape)}
    shares["accompaniment"] = 1.0 - shares["vocals"]
    return {source: masked_estimate(mixture, share) for source, share in shares.items()}


def estimates_from_masks(
    songs: Sequence[TrackStems], masks: Sequence[np.ndarray], masked_estimate: MaskedEstimate
) -> list[dict[str, np.ndarray]]:
    """Each song separated with its own mask: :func:`estimate_from_mask`, song by song.

    Notebook: vocals, parts 2 and 4 (the naive mask, the fixed masks).

    Parameters
    ----------
    songs : sequence of TrackStems
        Songs with their stems.
    masks : sequence of np.ndarray
        One mask per song, ``(N_BINS, n_frames)`` or a column ``(N_BINS, 1)``.
    masked_estimate : callable
        The student's ``masked_estimate(mixture, mask)`` (exercise 2c).

    Returns
    -------
    list of dict
        ``{"vocals", "accompaniment"}`` per song.

    Raises
    ------
    ValueError
        Not one mask per song.
    """
    if len(masks) != len(songs):
        raise ValueError(f"{len(masks)} masks for {len(songs)} songs: one mask per song")
    return [
        estimate_from_mask(song.mixture, mask, masked_estimate)
        for song, mask in zip(songs, masks, strict=True)
    ]


def oracle_estimates(
    songs: Sequence[TrackStems], mask: MaskFunction, stft: STFT, masked_estimate: MaskedEstimate
) -> list[dict[str, np.ndarray]]:
    """Each song separated with its ideal ``mask``, computed from the true stems.

    Notebook: vocals, part 2 (the oracle ceiling).

    Parameters
    ----------
    songs : sequence of TrackStems
        Songs with their stems.
    mask : callable
        ``mask(vocals_stft, accompaniment_stft) -> (N_BINS, n_frames)``: the
        student's ``ideal_binary_mask`` or ``ideal_ratio_mask``.
    stft : callable
        The student's complex ``stft(audio)`` (exercise 1).
    masked_estimate : callable
        The student's ``masked_estimate(mixture, mask)`` (exercise 2c).

    Returns
    -------
    list of dict
        One :func:`estimate_from_mask` per song.
    """
    masks = [mask(stft(song.vocals), stft(song.accompaniment)) for song in songs]
    return estimates_from_masks(songs, masks, masked_estimate)
