"""Loading, validating, resampling and writing audio, and the errors bad audio raises."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from dlmusic.audio import (
    SAMPLE_RATE_HZ,
    audio_info,
    load_audio,
    require_sample_rate,
    resample,
    to_mono,
    validate_audio,
    write_audio,
)
from dlmusic.errors import (
    AudioError,
    ChannelError,
    CorruptAudioError,
    DlmusicError,
    EmptyAudioError,
    MissingFileError,
    NonFiniteAudioError,
    SampleRateError,
)

FILE_SR = 44100
QUANTISATION_ATOL = 1e-4  # 16-bit PCM steps are 3e-5


@pytest.fixture
def stereo_wav(tmp_path, tone):
    """1 s of 440 Hz at 44.1 kHz: left channel at amplitude 0.6, right at 0.2."""
    sine = tone(440.0, sr=FILE_SR, amplitude=1.0)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([0.6 * sine, 0.2 * sine], axis=1), FILE_SR)
    return path, sine


# --- positive behaviour -------------------------------------------------------------------


def test_load_audio_mixes_stereo_to_mono_at_requested_rate(stereo_wav, peak_hz):
    path, _ = stereo_wav
    audio = load_audio(path)
    assert audio.dtype == np.float32
    assert audio.ndim == 1
    assert abs(audio.size - SAMPLE_RATE_HZ) <= 1
    assert peak_hz(audio, SAMPLE_RATE_HZ) == pytest.approx(440.0, abs=1.0)
    # The mix is the channel mean (0.6 + 0.2) / 2 = 0.4, whose RMS is 0.4 / sqrt(2).
    steady = audio[1000:-1000]
    assert np.sqrt(np.mean(steady**2)) == pytest.approx(0.4 / np.sqrt(2), rel=0.01)


def test_load_audio_mono_is_channel_mean_at_file_rate(stereo_wav):
    path, sine = stereo_wav
    audio = load_audio(path, sr=None)
    np.testing.assert_allclose(audio, 0.4 * sine, atol=QUANTISATION_ATOL)


def test_load_audio_keeps_channels_first_when_not_mono(stereo_wav):
    path, sine = stereo_wav
    audio = load_audio(path, sr=None, mono=False)
    assert audio.shape == (2, FILE_SR)
    assert audio.dtype == np.float32
    np.testing.assert_allclose(audio[0], 0.6 * sine, atol=QUANTISATION_ATOL)
    np.testing.assert_allclose(audio[1], 0.2 * sine, atol=QUANTISATION_ATOL)


def test_load_audio_resamples_every_channel_when_not_mono(stereo_wav):
    path, _ = stereo_wav
    audio = load_audio(path, mono=False)
    assert audio.shape[0] == 2
    assert abs(audio.shape[1] - SAMPLE_RATE_HZ) <= 1


def test_load_audio_with_sr_none_keeps_file_rate(stereo_wav):
    path, _ = stereo_wav
    assert load_audio(path, sr=None).size == FILE_SR


def test_load_audio_reads_requested_excerpt(tmp_path):
    sr = 8000
    ramp = np.linspace(-0.9, 0.9, 2 * sr, dtype=np.float32)
    path = tmp_path / "ramp.wav"
    sf.write(path, ramp, sr)
    excerpt = load_audio(path, sr=None, offset_s=0.25, duration_s=0.5)
    np.testing.assert_allclose(excerpt, ramp[2000:6000], atol=QUANTISATION_ATOL)


def test_write_then_load_round_trips_within_16_bit_quantisation(tmp_path, tone):
    audio = np.stack([tone(440.0, amplitude=0.8), tone(660.0, amplitude=-0.3)])
    path = tmp_path / "new" / "nested" / "out.wav"
    written = write_audio(path, audio, SAMPLE_RATE_HZ)
    assert written == path
    assert path.is_file()
    loaded = load_audio(path, sr=None, mono=False)
    np.testing.assert_allclose(loaded, audio, atol=QUANTISATION_ATOL)


@pytest.mark.parametrize("target_sr", [16000, 22050, 48000])
def test_resample_keeps_sine_frequency(tone, peak_hz, target_sr):
    out = resample(tone(440.0, sr=FILE_SR), FILE_SR, target_sr)
    assert out.dtype == np.float32
    assert abs(out.size - target_sr) <= 1
    assert peak_hz(out, target_sr) == pytest.approx(440.0, abs=1.0)


def test_resample_to_same_rate_returns_float32_unchanged(tone):
    audio = tone().astype(np.float64)
    out = resample(audio, SAMPLE_RATE_HZ, SAMPLE_RATE_HZ)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, audio.astype(np.float32))


def test_to_mono_of_mono_is_identity(tone):
    audio = tone()
    assert to_mono(audio) is audio


def test_to_mono_averages_channels_and_keeps_dtype():
    audio = np.array([[1.0, 0.0, -1.0], [0.0, 0.5, 0.0]], dtype=np.float32)
    mono = to_mono(audio)
    assert mono.dtype == np.float32
    np.testing.assert_allclose(mono, [0.5, 0.25, -0.5])


def test_audio_info_reports_samplerate_channels_and_frames(stereo_wav):
    path, _ = stereo_wav
    info = audio_info(path)
    assert info.samplerate == FILE_SR
    assert info.channels == 2
    assert info.frames == FILE_SR


def test_validate_audio_accepts_good_mono_and_stereo(tone):
    validate_audio(tone(), mono=True)
    validate_audio(np.stack([tone(), tone()]), mono=False)


def test_require_sample_rate_accepts_matching_rate():
    require_sample_rate(SAMPLE_RATE_HZ, SAMPLE_RATE_HZ)


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("read", [load_audio, audio_info], ids=["load_audio", "audio_info"])
def test_missing_file_raises_missing_file_error(tmp_path, read):
    path = tmp_path / "absent.wav"
    with pytest.raises(MissingFileError, match=r"no audio file at .*absent\.wav") as info:
        read(path)
    assert isinstance(info.value, FileNotFoundError)


def _write_random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(1000))


def _write_truncated_header(path):
    sf.write(path, np.zeros(100, dtype=np.float32), SAMPLE_RATE_HZ)
    path.write_bytes(path.read_bytes()[:20])


def _write_zero_bytes(path):
    path.write_bytes(b"")


@pytest.mark.parametrize(
    "corrupt",
    [_write_random_bytes, _write_truncated_header, _write_zero_bytes],
    ids=["random-bytes", "truncated-header", "zero-bytes"],
)
def test_corrupt_wav_raises_corrupt_audio_error(tmp_path, corrupt):
    path = tmp_path / "x.wav"
    corrupt(path)
    with pytest.raises(CorruptAudioError, match=r"cannot read audio file .*x\.wav"):
        load_audio(path)


def test_wav_with_no_frames_raises_empty_audio_error(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), SAMPLE_RATE_HZ)
    with pytest.raises(EmptyAudioError, match="holds no samples"):
        load_audio(path)


def test_excerpt_past_end_of_file_raises_empty_audio_error(stereo_wav):
    path, _ = stereo_wav
    with pytest.raises(EmptyAudioError, match="holds no samples in the requested excerpt"):
        load_audio(path, offset_s=5.0)


def test_zero_length_array_raises_empty_audio_error():
    with pytest.raises(EmptyAudioError, match="0 samples per channel"):
        validate_audio(np.zeros(0, dtype=np.float32))


def test_too_short_audio_raises_empty_audio_error():
    with pytest.raises(EmptyAudioError, match="at least 10 are needed"):
        validate_audio(np.zeros(5, dtype=np.float32), min_samples=10)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_raise_non_finite_audio_error_in_validate(tone, bad):
    audio = tone()
    audio[100] = bad
    with pytest.raises(NonFiniteAudioError, match="1 NaN or infinite samples"):
        validate_audio(audio)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_samples_raise_non_finite_audio_error_in_write(tmp_path, tone, bad):
    audio = tone()
    audio[:3] = bad
    path = tmp_path / "bad.wav"
    with pytest.raises(NonFiniteAudioError, match="3 NaN or infinite samples"):
        write_audio(path, audio, SAMPLE_RATE_HZ)
    assert not path.exists()


def test_file_with_nan_samples_raises_non_finite_audio_error(tmp_path):
    path = tmp_path / "nan.wav"
    sf.write(path, np.array([0.0, np.nan, 0.5], dtype=np.float32), 8000, subtype="FLOAT")
    with pytest.raises(NonFiniteAudioError, match="NaN or infinite"):
        load_audio(path)


def test_wrong_sample_rate_raises_sample_rate_error_suggesting_resample():
    with pytest.raises(
        SampleRateError,
        match=r"44100 Hz where 22050 Hz is required.*resample\(audio, 44100, 22050\)",
    ):
        require_sample_rate(44100, SAMPLE_RATE_HZ)


@pytest.mark.parametrize("orig_sr, target_sr", [(0, 22050), (44100, -1)])
def test_resample_to_non_positive_rate_raises_sample_rate_error(tone, orig_sr, target_sr):
    with pytest.raises(SampleRateError, match="sample rates must be positive"):
        resample(tone(), orig_sr, target_sr)


def test_write_audio_with_non_positive_rate_raises_sample_rate_error(tmp_path, tone):
    with pytest.raises(SampleRateError, match="sample rate must be positive, got 0"):
        write_audio(tmp_path / "x.wav", tone(), 0)


def test_stereo_where_mono_is_required_raises_channel_error(tone):
    stereo = np.stack([tone(), tone()])
    with pytest.raises(ChannelError, match=r"mono audio .* got shape \(2, 22050\).*to_mono"):
        validate_audio(stereo, mono=True)


def test_mono_where_channels_are_required_raises_channel_error(tone):
    with pytest.raises(ChannelError, match=r"channels-first audio .* got shape \(22050,\)"):
        validate_audio(tone(), mono=False)


@pytest.mark.parametrize(
    "check",
    [validate_audio, to_mono, lambda audio: resample(audio, FILE_SR, SAMPLE_RATE_HZ)],
    ids=["validate_audio", "to_mono", "resample"],
)
def test_three_dimensional_audio_raises_channel_error(check):
    with pytest.raises(ChannelError, match=r"\(n_channels, n_samples\), got \(2, 3, 4\)"):
        check(np.zeros((2, 3, 4), dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.int16, np.int32])
def test_integer_audio_raises_type_error(dtype):
    with pytest.raises(TypeError, match=f"floating point, got dtype {np.dtype(dtype)}"):
        validate_audio(np.zeros(10, dtype=dtype))


def test_non_array_audio_raises_type_error():
    with pytest.raises(TypeError, match="numpy array, got list"):
        validate_audio([0.0, 0.1])


@pytest.mark.parametrize(
    "error",
    [CorruptAudioError, EmptyAudioError, NonFiniteAudioError, SampleRateError, ChannelError],
)
def test_audio_errors_are_catchable_as_value_and_dlmusic_errors(error):
    assert issubclass(error, AudioError)
    assert issubclass(error, ValueError)
    assert issubclass(error, DlmusicError)


@pytest.mark.parametrize(("offset_s", "duration_s"), [(-0.25, None), (0.0, -0.1), (0.0, 0.0)])
def test_load_audio_rejects_negative_offsets_and_durations(stereo_wav, offset_s, duration_s):
    with pytest.raises(ValueError, match="offset_s must be >= 0 and duration_s > 0"):
        load_audio(stereo_wav, offset_s=offset_s, duration_s=duration_s)


def test_write_audio_accepts_half_precision(tmp_path, tone):
    signal = tone()
    path = write_audio(tmp_path / "half.wav", signal.astype(np.float16), 22050)
    np.testing.assert_allclose(load_audio(path, sr=None), signal, atol=2e-3)
