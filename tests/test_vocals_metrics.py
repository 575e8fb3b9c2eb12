"""SDR / SIR / SAR on segments: known answers, silence, and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from dlmusic.errors import AudioError, ChannelError, NonFiniteAudioError
from dlmusic.vocals.metrics import (
    mean_scores,
    mixture_as_estimate,
    segment_scores,
    separation_scores,
)

SR = 8000


@pytest.fixture
def stems() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "vocals": rng.standard_normal(2 * SR).astype(np.float32),
        "accompaniment": rng.standard_normal(2 * SR).astype(np.float32),
    }


def scores(references, estimates):
    return separation_scores(references, estimates, sr=SR, segment_s=1.0)


def test_leaking_accompaniment_at_minus_20_db_gives_20_db_sir(stems):
    estimate = {
        "vocals": stems["vocals"] + 0.1 * stems["accompaniment"],
        "accompaniment": stems["accompaniment"] + 0.1 * stems["vocals"],
    }
    result = scores(stems, estimate)
    assert result["vocals"]["segments"] == 2
    assert result["vocals"]["sir"] == pytest.approx(20.0, abs=0.5)
    assert result["vocals"]["sdr"] == pytest.approx(20.0, abs=0.5)
    assert result["vocals"]["sar"] > 40, "nothing but interference was added"


def test_mixture_of_equal_power_sources_scores_about_0_db(stems):
    result = scores(stems, mixture_as_estimate(stems["vocals"] + stems["accompaniment"]))
    for source in ("vocals", "accompaniment"):
        assert result[source]["sdr"] == pytest.approx(0.0, abs=1.0)


def test_segments_with_silent_vocals_are_skipped(stems):
    references = dict(stems, vocals=stems["vocals"].copy())
    references["vocals"][:SR] = 0.0
    per_segment = segment_scores(references, references, sr=SR, segment_s=1.0)
    assert per_segment["vocals"]["start_s"].tolist() == [1.0]


def test_silent_vocals_throughout_give_nan_not_an_error(stems):
    references = dict(stems, vocals=np.zeros_like(stems["vocals"]))
    result = scores(references, mixture_as_estimate(stems["accompaniment"]))
    assert result["vocals"]["segments"] == 0 and np.isnan(result["vocals"]["sdr"])


def test_an_all_zero_estimate_has_minus_infinite_sdr(stems):
    estimate = {"vocals": np.zeros_like(stems["vocals"]), "accompaniment": stems["accompaniment"]}
    result = scores(stems, estimate)
    assert result["vocals"]["sdr"] == -np.inf
    assert np.isnan(result["vocals"]["sir"])


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda s: dict(s, vocals=s["vocals"][:-1]), AudioError),
        (lambda s: dict(s, vocals=np.stack([s["vocals"]] * 2)), ChannelError),
        (
            lambda s: dict(
                s, vocals=np.where(np.arange(s["vocals"].size) == 5, np.nan, s["vocals"])
            ),
            NonFiniteAudioError,
        ),
        (lambda s: {"vocals": s["vocals"]}, KeyError),
    ],
    ids=["mismatched lengths", "stereo", "NaN", "missing source"],
)
def test_bad_estimates_raise_clear_errors(stems, change, error):
    with pytest.raises(error):
        scores(stems, change(stems))


def test_mean_scores_average_tracks_and_skip_nan():
    track = {"vocals": {"sdr": 4.0, "sir": 8.0, "sar": 6.0, "segments": 3}}
    track["accompaniment"] = dict(track["vocals"])
    silent = {
        source: {"sdr": np.nan, "sir": np.nan, "sar": np.nan, "segments": 0} for source in track
    }
    other = {source: dict(values, sdr=8.0) for source, values in track.items()}
    result = mean_scores([track, silent, other])
    assert result["vocals"]["sdr"] == 6.0 and result["vocals"]["segments"] == 6
    with pytest.raises(ValueError):
        mean_scores([])
