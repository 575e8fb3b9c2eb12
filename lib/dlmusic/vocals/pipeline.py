"""The training and validation data of the two mask networks, and what one epoch costs.

Notebook: ``solutions/vocals/vocals.ipynb``, part 3 (the data pipeline, timed
before any training) and part 5 (what the networks train on). One
:class:`~dlmusic.vocals.data.TrackCache` decodes each song once with the
student's STFT and malformed-frame rules; each mask target (the student's
ideal binary or ratio mask) gets its own batches and validation sequences.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from dlmusic.datasets.records import StemTrack
from dlmusic.vocals.data import (
    STFT,
    FrameFilter,
    FrameSequences,
    MaskFunction,
    TrackCache,
    fixed_sequences,
)

Validation = tuple[np.ndarray, np.ndarray, np.ndarray]


def mask_datasets(
    tracks: Mapping[str, Sequence[StemTrack]],
    masks: Mapping[str, MaskFunction],
    *,
    stft: STFT,
    malformed_frames: FrameFilter,
    batch_size: int,
    batches_per_epoch: int,
    sequence_frames: int,
    remix: float,
    seed: int,
) -> tuple[dict[str, FrameSequences], dict[str, Validation]]:
    """Training batches and validation sequences for each mask target, over one cache.

    Notebook: vocals, part 3 (``pipeline`` and ``validation``).

    Parameters
    ----------
    tracks : mapping
        ``"train"``: the songs the networks learn from; ``"validation"``: those
        that pick the best epoch (other keys are ignored).
    masks : mapping
        ``{target: mask(vocals_stft, accompaniment_stft)}``, e.g. ``{"ratio":
        ideal_ratio_mask, "binary": ideal_binary_mask}`` (the student's).
    stft, malformed_frames : callable
        The student's STFT (part 1) and malformed-frame rules (part 3), which
        the shared :class:`~dlmusic.vocals.data.TrackCache` applies.
    batch_size, batches_per_epoch, sequence_frames : int
        Of each :class:`~dlmusic.vocals.data.FrameSequences`.
    remix : float
        Share of the training sequences that are remixes, in [0, 1].
    seed : int
        Seeds the batches (the same for every target).

    Returns
    -------
    pipeline : dict of FrameSequences
        Per target: batches ``(x, y, w)``, each ``(batch_size, sequence_frames, 513)``;
        the first shows a progress bar while the songs are decoded.
    validation : dict of tuple
        Per target: ``(x, y, w)`` of :func:`~dlmusic.vocals.data.fixed_sequences`.
    """
    train_tracks, validation_tracks = tracks["train"], tracks["validation"]
    cache = TrackCache(
        max_tracks=len(train_tracks) + len(validation_tracks),
        stft=stft,
        malformed_frames=malformed_frames,
    )
    pipeline = {
        target: FrameSequences(
            train_tracks,
            cache=cache,
            mask=mask,
            batch_size=batch_size,
            batches_per_epoch=batches_per_epoch,
            sequence_frames=sequence_frames,
            remix=remix,
            seed=seed,
            progress=index == 0,
        )
        for index, (target, mask) in enumerate(masks.items())
    }
    validation = {
        target: fixed_sequences(
            validation_tracks, cache=cache, mask=mask, sequence_frames=sequence_frames
        )
        for target, mask in masks.items()
    }
    return pipeline, validation


def time_one_epoch(sequences: FrameSequences) -> str:
    """Draw every batch of one epoch and say how long it took, and how the cache fared.

    Notebook: vocals, part 3 (time the pipeline alone, before any training).

    Parameters
    ----------
    sequences : FrameSequences
        The batches to time.

    Returns
    -------
    str
        One line: batches, their shape, seconds per epoch and per batch, cache
        hits and misses.
    """
    start = time.perf_counter()
    for index in range(len(sequences)):
        x, _, _ = sequences[index]
    seconds = time.perf_counter() - start
    cache = sequences.cache
    return (
        f"one epoch of {len(sequences)} batches of {x.shape} frames: {seconds:.2f} s "
        f"({1000 * seconds / len(sequences):.0f} ms per batch); "
        f"cache: {cache.hits} hits, {cache.misses} misses"
    )
