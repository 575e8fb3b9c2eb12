"""Load, validate, resample and write audio.

Every notebook reads audio through :func:`load_audio` and writes it through
:func:`write_audio`, so bad input (a missing or corrupt file, empty or
non-finite audio, the wrong sample rate, stereo where mono is required) is
caught here, once, with an error that names the problem
(see :mod:`dlmusic.errors`).

Conventions: audio is ``float32``; mono audio has shape ``(n_samples,)``;
multichannel audio is channels-first, shape ``(n_channels, n_samples)``, as in
librosa. Sample rates are in Hz.
"""

from __future__ import annotations

from pathlib import Path

import librosa
import numpy as np
import soundfile as sf

from dlmusic.errors import (
    ChannelError,
    CorruptAudioError,
    EmptyAudioError,
    MissingFileError,
    NonFiniteAudioError,
    SampleRateError,
)

SAMPLE_RATE_HZ = 22050
"""The course's sample rate (Hz): Basic Pitch's, and every synthetic dataset's."""


def validate_audio(
    audio: np.ndarray,
    *,
    mono: bool | None = None,
    min_samples: int = 1,
) -> None:
    """Raise a clear error if ``audio`` cannot be used.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,) or (n_channels, n_samples)
        Audio samples (channels first).
    mono : bool or None
        ``True`` requires shape ``(n_samples,)``; ``False`` requires
        ``(n_channels, n_samples)``; ``None`` accepts either.
    min_samples : int
        The fewest samples (per channel) the caller can work with.

    Raises
    ------
    ChannelError
        Wrong number of dimensions for ``mono``.
    EmptyAudioError
        Fewer than ``min_samples`` samples.
    NonFiniteAudioError
        Any NaN or infinite sample.
    """
    if not isinstance(audio, np.ndarray):
        raise TypeError(f"audio must be a numpy array, got {type(audio).__name__}")
    if not np.issubdtype(audio.dtype, np.floating):
        raise TypeError(f"audio must be floating point, got dtype {audio.dtype}")
    if audio.ndim not in (1, 2):
        raise ChannelError(
            f"audio must have shape (n_samples,) or (n_channels, n_samples), got {audio.shape}"
        )
    if mono is True and audio.ndim != 1:
        raise ChannelError(
            f"mono audio of shape (n_samples,) is required, got shape {audio.shape} "
            "(stereo or multichannel); mix it down with dlmusic.audio.to_mono"
        )
    if mono is False and audio.ndim != 2:
        raise ChannelError(
            f"channels-first audio of shape (n_channels, n_samples) is required, "
            f"got shape {audio.shape}"
        )
    n_samples = audio.shape[-1]
    if n_samples < min_samples:
        raise EmptyAudioError(
            f"audio has {n_samples} samples per channel, at least {min_samples} are needed"
        )
    if not np.all(np.isfinite(audio)):
        n_bad = int(np.count_nonzero(~np.isfinite(audio)))
        raise NonFiniteAudioError(f"audio contains {n_bad} NaN or infinite samples")


def require_sample_rate(sr: int, expected_sr: int) -> None:
    """Raise :class:`SampleRateError` unless ``sr == expected_sr`` (both in Hz)."""
    if int(sr) != int(expected_sr):
        raise SampleRateError(
            f"audio at {sr} Hz where {expected_sr} Hz is required; "
            f"resample it with dlmusic.audio.resample(audio, {sr}, {expected_sr})"
        )


def to_mono(audio: np.ndarray) -> np.ndarray:
    """Average channels: ``(n_channels, n_samples)`` -> ``(n_samples,)``.

    Mono input is returned unchanged.
    """
    validate_audio(audio)
    if audio.ndim == 1:
        return audio
    return audio.mean(axis=0).astype(audio.dtype)


def resample(audio: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Resample along the last axis from ``orig_sr`` to ``target_sr`` Hz.

    Uses librosa's high-quality ``soxr_hq`` resampler; returns ``float32``.
    """
    validate_audio(audio)
    if orig_sr <= 0 or target_sr <= 0:
        raise SampleRateError(f"sample rates must be positive, got {orig_sr} -> {target_sr}")
    if orig_sr == target_sr:
        return audio.astype(np.float32, copy=False)
    out = librosa.resample(audio, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq")
    return out.astype(np.float32, copy=False)


def load_audio(
    path: str | Path,
    sr: int | None = SAMPLE_RATE_HZ,
    *,
    mono: bool = True,
    offset_s: float = 0.0,
    duration_s: float | None = None,
) -> np.ndarray:
    """Read an audio file as ``float32``, mixed to mono and resampled on request.

    Parameters
    ----------
    path : str or Path
        A file soundfile can decode (WAV, FLAC, OGG, MP3, ...).
    sr : int or None
        Target sample rate in Hz; ``None`` keeps the file's rate (then use
        :func:`audio_info` to learn it).
    mono : bool
        ``True`` returns shape ``(n_samples,)``; ``False`` returns
        ``(n_channels, n_samples)``.
    offset_s, duration_s : float
        Read only this excerpt, in seconds from the start of the file.

    Returns
    -------
    np.ndarray
        ``(n_samples,)`` or ``(n_channels, n_samples)``, ``float32``.

    Raises
    ------
    MissingFileError, CorruptAudioError, EmptyAudioError, NonFiniteAudioError
    """
    if offset_s < 0 or (duration_s is not None and duration_s <= 0):
        raise ValueError(
            f"offset_s must be >= 0 and duration_s > 0 (seconds from the start of the file), "
            f"got offset_s={offset_s}, duration_s={duration_s}"
        )
    path = Path(path)
    info = audio_info(path)
    start = round(offset_s * info.samplerate)
    stop = None if duration_s is None else start + round(duration_s * info.samplerate)
    try:
        frames, file_sr = sf.read(path, start=start, stop=stop, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as err:
        raise CorruptAudioError(f"cannot decode audio file {path}: {err}") from err
    audio = np.ascontiguousarray(frames.T)
    if audio.shape[1] == 0:
        raise EmptyAudioError(f"audio file {path} holds no samples in the requested excerpt")
    validate_audio(audio)
    if mono:
        audio = to_mono(audio)
    if sr is not None:
        audio = resample(audio, file_sr, sr)
    return audio


def audio_info(path: str | Path) -> sf._SoundFileInfo:
    """Header of an audio file (``samplerate``, ``channels``, ``frames``, ``duration``).

    Raises :class:`MissingFileError` or :class:`CorruptAudioError` where
    soundfile cannot read the header.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no audio file at {path}")
    try:
        return sf.info(path)
    except (sf.LibsndfileError, RuntimeError) as err:
        raise CorruptAudioError(f"cannot read audio file {path}: {err}") from err


def write_audio(
    path: str | Path,
    audio: np.ndarray,
    sr: int,
    *,
    subtype: str = "PCM_16",
) -> Path:
    """Write ``audio`` to ``path`` (format from the suffix, e.g. ``.wav``).

    Parameters
    ----------
    path : str or Path
        Destination; parent folders are created.
    audio : np.ndarray, shape (n_samples,) or (n_channels, n_samples)
        Samples in [-1, 1]; values outside are clipped by the 16-bit encoder.
    sr : int
        Sample rate in Hz.
    subtype : str
        soundfile subtype; ``"PCM_16"`` makes compact, byte-reproducible files.

    Returns
    -------
    Path
        The written file.
    """
    validate_audio(audio)
    if sr <= 0:
        raise SampleRateError(f"sample rate must be positive, got {sr}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = (audio.T if audio.ndim == 2 else audio).astype(np.float32, copy=False)
    sf.write(path, frames, int(sr), subtype=subtype)
    return path
