"""How good is a separation? SDR, SIR and SAR with ``mir_eval``'s BSS Eval, segment by segment.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 2, 4 and 6. The
signal-to-distortion ratio (SDR) measures everything wrong with an estimate;
the signal-to-interference ratio (SIR) only the other source leaking in; the
signal-to-artefacts ratio (SAR) only what the separation itself added
(musical noise, smearing). All three are in dB; higher is better.

As in the SiSEC / MUSDB18 evaluations (museval), a track is scored on short
segments (:data:`SEGMENT_S`, longer than museval's 1 s) with
``mir_eval.separation.bss_eval_sources``
(distortion filters of 512 taps, no permutation search: the estimates are
named), and the per-segment values are summarised by their median. Segments
where a true stem is silent cannot be scored (BSS Eval divides by the
stem's energy) and are skipped, as museval skips them; a segment where an
estimate is exactly silent has SDR ``-inf``.

``mir_eval.separation`` is deprecated since mir_eval 0.8 and leaves in 0.9,
so the project requires ``mir_eval<0.9`` (museval also computes these v3 measures).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import mir_eval
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ, validate_audio
from dlmusic.errors import AudioError

if TYPE_CHECKING:  # the data module loads Keras; scoring needs only the stems
    from dlmusic.vocals.data import TrackStems

SOURCES = ("vocals", "accompaniment")
"""The two sources every score is computed for, in this order."""
SEGMENT_S = 4.0
"""Length of the segments a track is scored on, in seconds. museval uses 1 s; one
BSS Eval call costs about the same for 1 s as for 4 s (it solves a 1024 x 1024
system per source), so longer segments keep scoring fast on a CPU."""
SILENT_RMS = 1e-4
"""A reference segment quieter than this RMS (-80 dBFS) is silent and skipped."""
METRICS = ("sdr", "sir", "sar")


def _check_sources(sources: Mapping[str, np.ndarray], what: str) -> np.ndarray:
    """``sources`` as an array of shape ``(2, n_samples)`` in :data:`SOURCES` order."""
    missing = [name for name in SOURCES if name not in sources]
    if missing:
        raise KeyError(f"{what} lack {', '.join(missing)}; expected keys {SOURCES}")
    for name in SOURCES:
        try:
            validate_audio(np.asarray(sources[name]), mono=True)
        except (AudioError, TypeError) as err:
            raise type(err)(f"{what} {name!r}: {err}") from err
    lengths = {name: np.asarray(sources[name]).size for name in SOURCES}
    if len(set(lengths.values())) != 1:
        raise AudioError(f"{what} differ in length (samples): {lengths}; trim or pad them first")
    return np.stack([np.asarray(sources[name], dtype=np.float64) for name in SOURCES])


def segment_scores(
    references: Mapping[str, np.ndarray],
    estimates: Mapping[str, np.ndarray],
    *,
    sr: int = SAMPLE_RATE_HZ,
    segment_s: float = SEGMENT_S,
) -> dict[str, dict[str, np.ndarray]]:
    """SDR, SIR and SAR of every scorable segment.

    Notebook: vocals, part 2 (BSS Eval on 4-second segments).

    Parameters
    ----------
    references, estimates : mapping
        ``"vocals"`` and ``"accompaniment"``, each mono ``(n_samples,)``, all
        of one length.
    sr : int
        Sample rate in Hz.
    segment_s : float
        Segment length in seconds; a shorter tail is dropped.

    Returns
    -------
    dict
        ``{source: {"sdr": array, "sir": array, "sar": array, "start_s": array}}``,
        one value per scored segment (dB; start times in seconds).

    Raises
    ------
    KeyError
        A source is missing.
    ChannelError, EmptyAudioError, NonFiniteAudioError, AudioError
        A source is not mono, is empty or non-finite, or the lengths differ.
    """
    reference = _check_sources(references, "references")
    estimate = _check_sources(estimates, "estimates")
    if reference.shape != estimate.shape:
        raise AudioError(
            f"references have {reference.shape[1]} samples, estimates {estimate.shape[1]}"
        )
    segment = round(segment_s * sr)
    if segment < 1:
        raise ValueError(f"segment_s={segment_s} is shorter than one sample")
    rows = []
    for start in range(0, reference.shape[1] - segment + 1, segment):
        ref, est = reference[:, start : start + segment], estimate[:, start : start + segment]
        if np.sqrt(np.mean(ref**2, axis=1)).min() < SILENT_RMS:
            continue
        rows.append((start / sr, *_bss_eval(ref, est)))
    values = np.array(rows, dtype=np.float64).reshape(-1, 1 + 3 * len(SOURCES))
    return {
        source: {
            "start_s": values[:, 0],
            **{metric: values[:, 1 + k * len(SOURCES) + index] for k, metric in enumerate(METRICS)},
        }
        for index, source in enumerate(SOURCES)
    }


def _bss_eval(reference: np.ndarray, estimate: np.ndarray) -> list[float]:
    """SDRs, SIRs and SARs (in that order, one per source) of one segment."""
    silent = ~np.any(estimate, axis=1)
    if silent.any():
        # BSS Eval cannot decompose an all-zero estimate: its SDR is -inf and the
        # split into interference and artefacts is undefined (NaN).
        estimate = estimate.copy()
        estimate[silent] = 1e-12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sdr, sir, sar, _ = mir_eval.separation.bss_eval_sources(
            reference, estimate, compute_permutation=False
        )
    sdr, sir, sar = sdr.copy(), sir.copy(), sar.copy()
    sdr[silent], sir[silent], sar[silent] = -np.inf, np.nan, np.nan
    return [*sdr, *sir, *sar]


def separation_scores(
    references: Mapping[str, np.ndarray],
    estimates: Mapping[str, np.ndarray],
    *,
    sr: int = SAMPLE_RATE_HZ,
    segment_s: float = SEGMENT_S,
) -> dict[str, dict[str, float]]:
    """Median SDR, SIR and SAR (dB) over a track's segments, per source.

    Notebook: vocals, parts 2, 4 and 6 (each song's SDR, SIR and SAR).

    Parameters are those of :func:`segment_scores`.

    Returns
    -------
    dict
        ``{"vocals": {"sdr", "sir", "sar", "segments"}, "accompaniment": {...}}``;
        the metrics are NaN when no segment could be scored (a stem silent
        throughout).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> eight_s = 8 * SAMPLE_RATE_HZ  # two 4-s segments
    >>> stems = {s: rng.standard_normal(eight_s).astype("float32") for s in SOURCES}
    >>> scores = separation_scores(stems, stems)["vocals"]
    >>> scores["segments"], scores["sdr"] > 100
    (2, True)
    """
    per_segment = segment_scores(references, estimates, sr=sr, segment_s=segment_s)
    summary = {}
    for source, values in per_segment.items():
        n_segments = len(values["start_s"])
        summary[source] = {
            metric: _median(values[metric]) if n_segments else float("nan") for metric in METRICS
        }
        summary[source]["segments"] = n_segments
    return summary


def _median(values: np.ndarray) -> float:
    """Median ignoring NaN; NaN if every value is NaN."""
    finite_or_inf = values[~np.isnan(values)]
    return float(np.median(finite_or_inf)) if finite_or_inf.size else float("nan")


def mixture_as_estimate(mixture: np.ndarray) -> dict[str, np.ndarray]:
    """The do-nothing baseline: the mixture as the estimate of both sources.

    Notebook: vocals, part 2 (the first row of the results table).
    """
    return {source: mixture for source in SOURCES}


def references(song: TrackStems) -> dict[str, np.ndarray]:
    """The true stems of ``song``, the ``references`` of :func:`separation_scores`.

    Notebook: vocals, parts 2, 4 and 6 (every score of the results table).
    """
    return {"vocals": song.vocals, "accompaniment": song.accompaniment}


def track_scores(
    songs: Sequence[TrackStems], estimates_per_song: Sequence[Mapping[str, np.ndarray]]
) -> list[dict[str, dict[str, float]]]:
    """:func:`separation_scores` of each song's estimate against its true stems.

    Notebook: vocals, parts 2, 4 and 6 (through :class:`dlmusic.vocals.results.ResultsTable`).

    Parameters
    ----------
    songs : sequence of TrackStems
        The test songs.
    estimates_per_song : sequence of mapping
        One ``{"vocals", "accompaniment"}`` estimate per song, in the same order.

    Raises
    ------
    ValueError
        The two sequences differ in length.
    """
    if len(songs) != len(estimates_per_song):
        raise ValueError(f"{len(songs)} songs but {len(estimates_per_song)} estimates")
    return [
        separation_scores(references(song), estimate)
        for song, estimate in zip(songs, estimates_per_song, strict=True)
    ]


def mean_scores(track_scores: Sequence[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Mean over tracks of :func:`separation_scores` (NaN tracks are left out).

    Notebook: vocals, parts 2, 4 and 6 (each row of the results table).
    """
    if not track_scores:
        raise ValueError("mean_scores needs the scores of at least one track")
    summary = {}
    for source in SOURCES:
        summary[source] = {}
        for metric in METRICS:
            values = np.array([scores[source][metric] for scores in track_scores], dtype=float)
            values = values[~np.isnan(values)]
            summary[source][metric] = float(values.mean()) if values.size else float("nan")
        summary[source]["segments"] = sum(scores[source]["segments"] for scores in track_scores)
    return summary
