"""The given helpers the vocals notebook calls: estimates, the results table, the
training data, the songs, the pictures and the network helpers.

Each takes the student's functions as parameters; here the instructor's references
stand in for them.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from matplotlib.figure import Figure

from dlmusic.audio import SAMPLE_RATE_HZ, write_audio
from dlmusic.datasets.records import list_stem_tracks
from dlmusic.errors import DatasetError, DlmusicError
from dlmusic.vocals import figures
from dlmusic.vocals.baselines import naive_vocal_mask
from dlmusic.vocals.data import FrameSequences, TrackStems
from dlmusic.vocals.estimates import estimate_from_mask, estimates_from_masks, oracle_estimates
from dlmusic.vocals.metrics import references, track_scores
from dlmusic.vocals.model import (
    compile_mask_estimator,
    fit_mask_network,
    same_masks_after_reload,
    untrained_stand_in,
    weighted_mask_loss,
)
from dlmusic.vocals.pipeline import mask_datasets, time_one_epoch
from dlmusic.vocals.results import BASELINE, ResultsTable
from dlmusic.vocals.songs import notebook_tracks
from dlmusic.vocals.stft import N_BINS, N_FFT, n_frames, parseval_ratio
from dlmusic_instructor.references.vocals import (
    build_model,
    ideal_binary_mask,
    ideal_ratio_mask,
    malformed_frames,
    masked_estimate,
    spectrogram,
    stft,
)

SEGMENT = 4 * SAMPLE_RATE_HZ
"""One BSS Eval segment (4 s): the shortest song that can be scored."""


def noise_song(seed: int, n_samples: int = SEGMENT) -> TrackStems:
    """A tone over noise: a 'voice' the masks can find."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / SAMPLE_RATE_HZ
    vocals = (0.3 * np.sin(2 * np.pi * rng.uniform(300, 900) * t)).astype(np.float32)
    accompaniment = (0.05 * rng.standard_normal(n_samples)).astype(np.float32)
    return TrackStems(f"song {seed}", vocals + accompaniment, vocals, accompaniment)


@pytest.fixture(scope="module")
def songs() -> list[TrackStems]:
    return [noise_song(0), noise_song(1)]


# ------------------------------------------------------------------------- estimates


def test_a_mask_of_ones_keeps_the_mixture_as_vocals_and_leaves_silence(songs):
    song = songs[0]
    ones = np.ones((N_BINS, n_frames(song.mixture.size)), np.float32)
    estimate = estimate_from_mask(song.mixture, ones, masked_estimate)
    np.testing.assert_allclose(estimate["vocals"], song.mixture, atol=1e-4)
    np.testing.assert_allclose(estimate["accompaniment"], 0.0, atol=1e-4)


def test_a_mask_column_is_used_in_every_frame(songs):
    song = songs[0]
    column = np.linspace(0, 1, N_BINS, dtype=np.float32)[:, np.newaxis]
    full = np.repeat(column, n_frames(song.mixture.size), axis=1)
    by_column = estimate_from_mask(song.mixture, column, masked_estimate)
    by_full = estimate_from_mask(song.mixture, full, masked_estimate)
    np.testing.assert_allclose(by_column["vocals"], by_full["vocals"])


def test_a_mask_of_the_wrong_shape_is_refused(songs):
    with pytest.raises(ValueError, match="mask must have shape"):
        estimate_from_mask(songs[0].mixture, np.ones((N_BINS, 3)), masked_estimate)


def test_one_mask_per_song_is_required(songs):
    with pytest.raises(ValueError, match="one mask per song"):
        estimates_from_masks(songs, [np.ones((N_BINS, 1))], masked_estimate)


def test_oracle_masks_beat_the_mixture_and_the_ratio_mask_gives_back_the_mixture(songs):
    irm = oracle_estimates(songs, ideal_ratio_mask, stft, masked_estimate)
    ibm = oracle_estimates(songs, ideal_binary_mask, stft, masked_estimate)
    for song, estimate in zip(songs, irm, strict=True):
        np.testing.assert_allclose(
            estimate["vocals"] + estimate["accompaniment"], song.mixture, atol=1e-4
        )
    table = ResultsTable(songs).update({"oracle IBM": ibm, "oracle IRM": irm})
    mixture_sdr = table.scores[BASELINE]["vocals"]["sdr"]
    assert table.scores["oracle IRM"]["vocals"]["sdr"] > mixture_sdr + 10
    assert table.scores["oracle IBM"]["vocals"]["sdr"] > mixture_sdr + 10


def test_the_naive_mask_keeps_loud_vocal_cells_whatever_the_accompaniment():
    vocals = np.array([[1.0, 0.5, 1e-3]])
    assert naive_vocal_mask(vocals).tolist() == [[1, 1, 0]]
    assert naive_vocal_mask(vocals, range_db=3.0).tolist() == [[1, 0, 0]]


# ------------------------------------------------------------------------- results


def test_the_table_starts_with_the_mixture_and_reports_improvements_over_it(songs):
    table = ResultsTable(songs)
    assert list(table.scores) == [BASELINE]
    truth = [references(song) for song in songs]
    table.add("the truth", truth)
    text = str(table)
    assert text.splitlines()[0] == "dB, mean over 2 test songs"
    assert "voca SDR" in text and "the truth" in text
    lines = table.improvements().splitlines()
    assert lines[0].endswith("vocal SDR improvement +0.0 dB")
    assert float(lines[1].split()[-2]) > 50, "the true stems are far better than the mixture"


def test_a_row_is_the_mean_over_songs_of_each_songs_scores(songs):
    estimates = oracle_estimates(songs, ideal_ratio_mask, stft, masked_estimate)
    per_song = track_scores(songs, estimates)
    table = ResultsTable(songs).add("oracle IRM", estimates)
    expected = np.mean([scores["vocals"]["sdr"] for scores in per_song])
    assert table.scores["oracle IRM"]["vocals"]["sdr"] == pytest.approx(expected)


def test_scores_need_one_estimate_per_song(songs):
    with pytest.raises(ValueError, match="2 songs but 1 estimates"):
        track_scores(songs, [references(songs[0])])
    with pytest.raises(ValueError, match="at least one test song"):
        ResultsTable([])


# ------------------------------------------------------------------------- pipeline


@pytest.fixture
def stem_tracks(tmp_path):
    for subset, seeds in (("train", (0, 1, 2)), ("test", (3,))):
        for seed in seeds:
            song = noise_song(seed, SAMPLE_RATE_HZ)
            for stem in ("mixture", "vocals", "accompaniment"):
                write_audio(
                    tmp_path / subset / song.name / f"{stem}.wav",
                    getattr(song, stem),
                    SAMPLE_RATE_HZ,
                )
    return list_stem_tracks(tmp_path)


def test_each_target_gets_batches_and_validation_of_its_own_mask(stem_tracks):
    tracks = {"train": stem_tracks[:2], "validation": stem_tracks[2:3]}
    masks = {"ratio": ideal_ratio_mask, "binary": ideal_binary_mask}
    pipeline, validation = mask_datasets(
        tracks,
        masks,
        stft=stft,
        malformed_frames=malformed_frames,
        batch_size=2,
        batches_per_epoch=3,
        sequence_frames=16,
        remix=0.0,
        seed=0,
    )
    assert set(pipeline) == set(validation) == set(masks)
    assert isinstance(pipeline["binary"], FrameSequences)
    x, y, w = pipeline["binary"][0]
    assert x.shape == y.shape == w.shape == (2, 16, N_BINS)
    assert set(np.unique(y)) <= {0.0, 1.0}, "binary targets"
    assert pipeline["ratio"].cache is pipeline["binary"].cache, "one cache decodes each song once"
    vx, vy, _ = validation["ratio"]
    assert vx.shape[1:] == (16, N_BINS) and not set(np.unique(vy)) <= {0.0, 1.0}
    line = time_one_epoch(pipeline["ratio"])
    assert line.startswith("one epoch of 3 batches of (2, 16, 513) frames")
    assert "hits" in line and "misses" in line


def test_notebook_tracks_refuses_an_unknown_dataset():
    with pytest.raises(DatasetError, match="unknown dataset 'musdb'"):
        notebook_tracks("musdb", train=2, test=1, validation=1)


# ------------------------------------------------------------------------- model helpers


def test_the_stand_in_masks_about_half_of_everything():
    model = untrained_stand_in(seed=0)
    mask = np.asarray(model(np.ones((1, 5, N_BINS), np.float32), training=False))
    assert mask.shape == (1, 5, N_BINS)
    assert abs(float(mask.mean()) - 0.5) < 0.05


def test_reloading_copies_the_weights_into_the_second_network():
    keras.utils.set_random_seed(0)
    model, other = build_model(), build_model()
    assert not all(
        np.array_equal(a, b) for a, b in zip(model.get_weights(), other.get_weights(), strict=True)
    ), "two builds start from different weights"
    assert same_masks_after_reload(model, other)
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_weighted_mask_loss_is_the_energy_weighted_squared_error():
    x = np.ones((1, 2, N_BINS), np.float32)
    y = np.zeros_like(x)
    w = np.full_like(x, 4.0)
    constant = untrained_stand_in(seed=0)
    prediction = np.asarray(constant(x, training=True), dtype=np.float64)
    assert weighted_mask_loss(constant, x, y, w) == pytest.approx(np.mean(4.0 * prediction**2))


def test_fit_mask_network_compiles_trains_and_saves_the_weights(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 2, (4, 8, N_BINS)).astype(np.float32)
    y = (x > 1).astype(np.float32)
    model = build_model()
    weights = tmp_path / "vocals_ratio_mask.weights.h5"
    history = fit_mask_network(
        model, (x, y), weights_file=weights, validation_data=(x, y, x**2), epochs=2
    )
    assert weights.is_file() and len(history.history["loss"]) == 2
    assert model.optimizer is not None and model.loss.__name__ == "cellwise_squared_error"
    with pytest.raises(DlmusicError, match=r"weights\.h5"):
        fit_mask_network(
            compile_mask_estimator(build_model()),
            (x, y),
            weights_file=tmp_path / "wrong.h5",
            validation_data=(x, y, x**2),
            epochs=1,
        )


# ------------------------------------------------------------------------- stft, figures


def test_parseval_holds_for_the_stft_magnitude_and_not_for_its_square():
    audio = np.zeros(4 * N_FFT, np.float32)
    audio[N_FFT:-N_FFT] = 0.5 * np.sin(np.arange(2 * N_FFT) / 3)
    assert parseval_ratio(spectrogram(audio), audio) == pytest.approx(1.0, abs=1e-3)
    assert abs(parseval_ratio(spectrogram(audio) ** 2, audio) - 1.0) > 0.1
    with pytest.raises(ValueError, match="silent"):
        parseval_ratio(spectrogram(audio), np.zeros_like(audio))


def test_the_pictures_have_one_panel_per_input(songs):
    song = songs[0]
    panels = {"mixture": spectrogram(song.mixture), "vocals": spectrogram(song.vocals)}
    beside = figures.spectrogram_panels(panels, side_by_side=True)
    with_mask = figures.spectrogram_panels(panels, mask=np.full_like(panels["mixture"], 0.5))
    waves = figures.waveform_panels({"mixture": song.mixture})
    losses = figures.loss_per_step([1.0, 0.5, 0.25], title="one batch")
    # every spectrogram brings its colourbar axes
    assert [len(f.axes) for f in (beside, with_mask, waves, losses)] == [4, 6, 1, 1]
    assert all(isinstance(f, Figure) for f in (beside, with_mask, waves, losses))
    with pytest.raises(ValueError):
        figures.spectrogram_panels({})
    with pytest.raises(ValueError):
        figures.loss_per_step([], title="nothing")


def test_estimates_are_heard_between_the_mixture_and_the_true_vocals(songs):
    song = songs[0]
    players = figures.against_the_truth(song, {"estimate": song.vocals})
    assert [clip.title for clip in players.clips] == ["mixture", "estimate", "true vocals"]
