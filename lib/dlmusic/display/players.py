"""Audio players for notebooks: one clip, or several side by side.

Audio follows :mod:`dlmusic.audio`: mono ``(n_samples,)`` or channels-first
``(n_channels, n_samples)`` floating point, sample rates in Hz.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping

import ipywidgets
import numpy as np
import soundfile as sf
from IPython.display import Audio

from dlmusic.audio import validate_audio
from dlmusic.errors import SampleRateError


def play(audio: np.ndarray, sr: int, *, normalize: bool = True) -> Audio:
    """An inline audio player for ``audio``.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,) or (n_channels, n_samples)
        Samples, channels first (as returned by :func:`dlmusic.audio.load_audio`).
    sr : int
        Sample rate in Hz.
    normalize : bool
        Scale the loudest sample to full scale. With ``False`` the samples
        must lie in [-1, 1], so quiet audio sounds quiet. Silence is never
        scaled.

    Returns
    -------
    IPython.display.Audio
        Shown by Jupyter when it is the last expression of a cell.

    Raises
    ------
    ChannelError, EmptyAudioError, NonFiniteAudioError, SampleRateError
        Audio or sample rate that cannot be played.
    ValueError
        Samples outside [-1, 1] with ``normalize=False``.
    """
    _validate_clip(audio, sr)
    peak = float(np.max(np.abs(audio)))
    if not normalize and peak > 1.0:
        raise ValueError(
            f"audio peaks at {peak:.3g}, outside [-1, 1]; pass normalize=True to rescale it"
        )
    return Audio(data=audio, rate=int(sr), normalize=normalize and peak > 0.0)


def compare_players(
    clips: Mapping[str, np.ndarray], sr: int, *, normalize: bool = True
) -> ipywidgets.Widget:
    """Labelled players side by side, e.g. reference / prediction / augmented.

    Parameters
    ----------
    clips : Mapping[str, np.ndarray]
        Title -> audio, each of shape ``(n_samples,)`` or
        ``(n_channels, n_samples)``; lengths may differ. Players appear in the
        mapping's order.
    sr : int
        Sample rate in Hz, shared by all clips.
    normalize : bool
        Peak-normalise each clip on its own (silence stays silent); with
        ``False`` samples outside [-1, 1] are clipped.

    Returns
    -------
    ipywidgets.HBox
        One ``VBox`` per clip holding an ``HTML`` title and an
        ``ipywidgets.Audio`` with 16-bit PCM WAV bytes.

    Raises
    ------
    ValueError
        ``clips`` is empty.
    ChannelError, EmptyAudioError, NonFiniteAudioError, SampleRateError
        A clip or the sample rate cannot be played; the message names the clip.
    """
    if len(clips) == 0:
        raise ValueError("compare_players needs at least one clip, got an empty mapping")
    columns = []
    for title, audio in clips.items():
        try:
            _validate_clip(audio, sr)
        except ValueError as err:
            raise type(err)(f"clip {title!r}: {err}") from err
        player = ipywidgets.Audio(
            value=_wav_bytes(audio, sr, normalize=normalize), format="wav", autoplay=False
        )
        label = ipywidgets.HTML(f"<b>{html.escape(str(title))}</b>")
        columns.append(ipywidgets.VBox([label, player]))
    return ipywidgets.HBox(columns)


def _validate_clip(audio: np.ndarray, sr: int) -> None:
    validate_audio(audio)
    if sr <= 0:
        raise SampleRateError(f"sample rate must be positive, got {sr}")


def _wav_bytes(audio: np.ndarray, sr: int, *, normalize: bool) -> bytes:
    """Encode ``audio`` as 16-bit PCM WAV bytes, peak-normalised on request."""
    peak = float(np.max(np.abs(audio)))
    if normalize and peak > 0.0:
        audio = audio / peak
    frames = np.clip(audio, -1.0, 1.0).T
    buffer = io.BytesIO()
    sf.write(buffer, frames, int(sr), format="WAV", subtype="PCM_16")
    return buffer.getvalue()
