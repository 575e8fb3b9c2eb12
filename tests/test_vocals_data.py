"""The vocals data pipeline: metadata CSV, LRU cache, malformed frames, frame sequences.

The pipeline is given code; the STFT, masks and malformed-frame rules it computes
with are the student's (here the instructor's references).
"""

from __future__ import annotations

import numpy as np
import pytest

from dlmusic.audio import SAMPLE_RATE_HZ, write_audio
from dlmusic.datasets.records import list_stem_tracks
from dlmusic.datasets.synthetic_stems import SIZES
from dlmusic.errors import AudioError, ChannelError, DatasetError
from dlmusic.vocals.data import (
    FrameSequences,
    TrackCache,
    TrackSpectra,
    TrackStems,
    check_stems,
    energy_weights,
    fixed_sequences,
    load_stems,
    read_track_metadata,
    remixed_sequence,
    track_metadata,
)
from dlmusic.vocals.stft import HOP_SAMPLES, N_BINS, n_frames
from dlmusic_instructor.references.vocals import (
    ideal_binary_mask,
    ideal_ratio_mask,
    malformed_frames,
    stft,
)

STUDENT = {"stft": stft, "malformed_frames": malformed_frames}
"""What the notebook passes to the pipeline: its own STFT and malformed-frame rules."""

SEQUENCE = 8


def song(seed: int, n_samples: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = np.arange(n_samples) / SAMPLE_RATE_HZ
    vocals = (0.2 * np.sin(2 * np.pi * rng.uniform(200, 800) * t)).astype(np.float32)
    accompaniment = (0.05 * rng.standard_normal(n_samples)).astype(np.float32)
    return {"vocals": vocals, "accompaniment": accompaniment, "mixture": vocals + accompaniment}


@pytest.fixture
def tracks(tmp_path):
    for index, n_samples in enumerate((SAMPLE_RATE_HZ // 2, SAMPLE_RATE_HZ)):
        folder = tmp_path / "train" / f"song {index}"
        for stem, audio in song(index, n_samples).items():
            write_audio(folder / f"{stem}.wav", audio, SAMPLE_RATE_HZ)
    return list_stem_tracks(tmp_path)


def test_metadata_csv_is_written_once_and_then_read_back(tracks, tmp_path):
    csv_path = tmp_path / "meta.csv"
    infos = track_metadata(tracks, csv_path)
    assert [info.n_frames for info in infos] == [
        n_frames(SAMPLE_RATE_HZ // 2),
        n_frames(SAMPLE_RATE_HZ),
    ]
    assert infos[1].duration_s == 1.0 and infos[1].sample_rate_hz == SAMPLE_RATE_HZ
    assert read_track_metadata(csv_path) == infos
    csv_path.write_text(csv_path.read_text().replace(",1.0,", ",9.0,"))
    assert track_metadata(tracks, csv_path)[1].duration_s == 9.0, "the cached CSV is reused"
    assert len(track_metadata(tracks[:1], csv_path)) == 1, "a different track list rewrites it"


def test_a_metadata_csv_missing_columns_is_reported(tmp_path):
    (tmp_path / "meta.csv").write_text("name,subset\nx,train\n")
    with pytest.raises(DatasetError, match="lacks the columns"):
        read_track_metadata(tmp_path / "meta.csv")


def test_stems_must_be_mono_and_of_one_length():
    stems = song(0, 4096)
    check_stems(stems["mixture"], stems["vocals"], stems["accompaniment"])
    with pytest.raises(AudioError, match="differ in length"):
        check_stems(stems["mixture"], stems["vocals"][:-10], stems["accompaniment"])
    with pytest.raises(ChannelError, match="mono"):
        check_stems(np.stack([stems["mixture"]] * 2), stems["vocals"], stems["accompaniment"])
    with pytest.raises(ChannelError, match="mono"):
        check_stems(
            stems["mixture"], np.stack([stems["vocals"]] * 2, axis=1), stems["accompaniment"]
        )


def test_malformed_frames_are_found_and_named():
    stems = song(1, 20 * HOP_SAMPLES)
    mixture, vocals, accompaniment = (
        stft(stems[s]) for s in ("mixture", "vocals", "accompaniment")
    )
    mixture[:, 2] = np.nan
    mixture[:, 5] = vocals[:, 5] = accompaniment[:, 5] = 0
    mixture[:, 9] *= 2
    problems = malformed_frames(mixture, vocals, accompaniment)
    assert {name: np.flatnonzero(flags).tolist() for name, flags in problems.items()} == {
        "non_finite": [2],
        "silent": [5],
        "stems_do_not_sum": [9],
    }


def test_a_nan_sample_drops_only_the_frames_that_cover_it():
    # Frame t covers samples [t * 256 - 512, t * 256 + 512): sample 5120 is in frames 19-22.
    stems = song(2, 40 * HOP_SAMPLES)
    stems["vocals"][20 * HOP_SAMPLES] = np.nan
    spectra = TrackSpectra.from_stems(TrackStems("nan", **stems), **STUDENT)
    assert spectra.problems == {"non_finite": 4, "silent": 0, "stems_do_not_sum": 0}
    assert np.flatnonzero(~spectra.usable).tolist() == [19, 20, 21, 22]
    assert np.all(np.isfinite(spectra.mixture)) and spectra.mixture.shape == (41, N_BINS)
    starts = spectra.sequence_starts(SEQUENCE)
    assert all(spectra.usable[s : s + SEQUENCE].all() for s in starts)
    assert starts.size == (19 - SEQUENCE + 1) + (41 - 23 - SEQUENCE + 1)


def test_silent_vocals_give_an_all_zero_target_not_nan():
    stems = song(3, 30 * HOP_SAMPLES)
    stems["vocals"][:] = 0
    stems["mixture"] = stems["accompaniment"].copy()
    spectra = TrackSpectra.from_stems(TrackStems("instrumental", **stems), **STUDENT)
    for mask in (ideal_binary_mask, ideal_ratio_mask):
        assert not spectra.mask(mask).any()


def test_the_student_functions_answers_are_checked():
    stems = TrackStems("song", **song(4, 30 * HOP_SAMPLES))
    with pytest.raises(ValueError, match="shape"):
        TrackSpectra.from_stems(
            stems, stft=lambda audio: stft(audio)[:, 1:], malformed_frames=malformed_frames
        )

    def forgetful(mixture, vocals, accompaniment):
        return {"non_finite": np.zeros(mixture.shape[1], bool)}

    with pytest.raises(ValueError, match="silent"):
        TrackSpectra.from_stems(stems, stft=stft, malformed_frames=forgetful)
    spectra = TrackSpectra.from_stems(stems, **STUDENT)
    with pytest.raises(ValueError, match="mask has shape"):
        spectra.mask(lambda vocals, accompaniment: np.ones((2, 2)))


def test_the_cache_keeps_the_most_recently_used_tracks(tracks):
    loaded = []

    def loader(track):
        loaded.append(track.name)
        return load_stems(track)

    cache = TrackCache(max_tracks=1, loader=loader, **STUDENT)
    cache.get(tracks[0])
    cache.get(tracks[0])
    cache.get(tracks[1])
    cache.get(tracks[0])
    assert loaded == ["song 0", "song 1", "song 0"]
    assert (cache.hits, cache.misses, len(cache)) == (1, 3, 1)
    with pytest.raises(ValueError):
        TrackCache(max_tracks=0, **STUDENT)


def test_frame_sequences_are_mixture_magnitudes_and_masks(tracks):
    data = FrameSequences(
        tracks,
        cache=TrackCache(**STUDENT),
        mask=ideal_binary_mask,
        batch_size=3,
        batches_per_epoch=2,
        sequence_frames=SEQUENCE,
        progress=False,
    )
    x, y, w = data[0]
    assert x.shape == y.shape == w.shape == (3, SEQUENCE, N_BINS)
    assert x.dtype == y.dtype == w.dtype == np.float32 and x.min() >= 0
    assert set(np.unique(y)) <= {0.0, 1.0}
    np.testing.assert_allclose(w, x**2, rtol=1e-6)
    np.testing.assert_array_equal(data[0][0], x)
    data.on_epoch_end()
    assert not np.array_equal(data[0][0], x), "a new epoch draws new sequences"
    assert "2 tracks" in data.report() and "dropped 0 malformed frames" in data.report()


def test_frame_sequences_report_dropped_frames(tracks):
    def loader(track):
        stems = load_stems(track)
        vocals = stems.vocals.copy()
        vocals[1000] = np.nan
        return TrackStems(stems.name, stems.mixture, vocals, stems.accompaniment)

    data = FrameSequences(
        tracks,
        cache=TrackCache(loader=loader, **STUDENT),
        mask=ideal_ratio_mask,
        sequence_frames=SEQUENCE,
        progress=False,
    )
    assert "dropped 8 malformed frames (8 non finite" in data.report(), "4 frames per track"


def test_sequences_longer_than_every_track_are_refused(tracks):
    cache = TrackCache(**STUDENT)
    with pytest.raises(DatasetError, match="consecutive usable frames"):
        FrameSequences(
            tracks, cache=cache, mask=ideal_ratio_mask, sequence_frames=1000, progress=False
        )
    with pytest.raises(TypeError, match="mask must be a function"):
        FrameSequences(tracks, cache=cache, mask="soft", progress=False)
    with pytest.raises(ValueError, match="weighting"):
        FrameSequences(tracks, cache=cache, mask=ideal_ratio_mask, weighting="loud", progress=False)


def test_a_remixed_sequence_is_the_sum_of_the_two_waveforms():
    voice, backing = song(7, 40 * HOP_SAMPLES)["vocals"], song(8, 40 * HOP_SAMPLES)["accompaniment"]
    gain = 10 ** (-4.5 / 20)
    mixture, mask = remixed_sequence(stft(voice).T, stft(backing).T, -4.5, ideal_binary_mask)
    np.testing.assert_allclose(mixture, np.abs(stft(gain * voice + backing)).T, atol=1e-3)
    np.testing.assert_array_equal(
        mask, ideal_binary_mask(gain * np.abs(stft(voice)), np.abs(stft(backing))).T
    )
    assert mixture.dtype == mask.dtype == np.float32


def test_remixing_puts_the_voice_of_one_track_over_the_accompaniment_of_another(tracks):
    def loader(track):
        # Song 0 keeps only its voice, song 1 only its accompaniment: any mask between
        # 0 and 1 must come from a voice laid over another track's accompaniment.
        stems = load_stems(track)
        keep = "vocals" if track.name == "song 0" else "accompaniment"
        kept = getattr(stems, keep)
        silent = np.zeros_like(kept)
        parts = {"vocals": silent, "accompaniment": silent, keep: kept}
        return TrackStems(stems.name, kept, **parts)

    def mixed_rows(remix):
        data = FrameSequences(
            tracks,
            cache=TrackCache(loader=loader, **STUDENT),
            mask=ideal_ratio_mask,
            remix=remix,
            batch_size=64,
            sequence_frames=SEQUENCE,
            progress=False,
        )
        x, y, w = data[0]
        np.testing.assert_allclose(w, x**2, rtol=1e-6)
        return sum(bool(np.any((mask > 0.05) & (mask < 0.95))) for mask in y)

    assert mixed_rows(0.0) == 0
    # Tracks are drawn by usable sequences (37 and 80): 22 % of the pairs are (voice 0, backing 1).
    assert mixed_rows(1.0) >= 6
    with pytest.raises(ValueError, match="remix"):
        FrameSequences(
            tracks, cache=TrackCache(**STUDENT), mask=ideal_ratio_mask, remix=1.5, progress=False
        )


def test_fixed_sequences_cut_each_track_without_overlap(tracks):
    x, y, w = fixed_sequences(
        tracks,
        cache=TrackCache(**STUDENT),
        mask=ideal_ratio_mask,
        weighting="uniform",
        sequence_frames=SEQUENCE,
    )
    expected = sum(n_frames(n) // SEQUENCE for n in (SAMPLE_RATE_HZ // 2, SAMPLE_RATE_HZ))
    assert x.shape == y.shape == w.shape == (expected, SEQUENCE, N_BINS)
    assert 0 <= y.min() and y.max() <= 1
    assert np.all(w == 1.0)


def test_energy_weighted_mask_error_is_the_error_of_the_masked_magnitudes():
    rng = np.random.default_rng(5)
    magnitude = rng.uniform(0, 30, (2, 4, N_BINS)).astype(np.float32)
    ideal, predicted = rng.uniform(0, 1, (2, 2, 4, N_BINS)).astype(np.float32)
    weighted = energy_weights(magnitude) * (predicted - ideal) ** 2
    np.testing.assert_allclose(
        weighted, (predicted * magnitude - ideal * magnitude) ** 2, rtol=1e-4, atol=1e-6
    )
    assert np.all(energy_weights(magnitude, "uniform") == 1.0)
    with pytest.raises(ValueError, match="weighting"):
        energy_weights(magnitude, "loud")


def test_heldout_stems_are_test_tracks_only():
    assert SIZES["heldout"].n_test == SIZES["heldout"].n_tracks
