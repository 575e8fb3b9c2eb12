"""Audio players for notebooks: one clip, or several side by side.

Audio follows :mod:`dlmusic.audio`: mono ``(n_samples,)`` or channels-first
``(n_channels, n_samples)`` floating point, sample rates in Hz.

Every player is static HTML with the audio embedded as WAV (``data:`` URLs), not
a widget: it is saved in the notebook's outputs, so it still plays after the
notebook is reopened without a kernel, in a grader's copy and in nbgrader's
feedback page. Side-by-side players wrap onto the next line on a narrow screen.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import soundfile as sf
from IPython.display import Audio

from dlmusic.audio import validate_audio
from dlmusic.errors import SampleRateError


def play(audio: np.ndarray, sr: int, *, normalize: bool = True) -> Audio:
    """An inline audio player for ``audio``.

    Notebook: transcription, the data; vocals, part 1 (and wherever a clip is heard).

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


PLAYER_MIN_WIDTH_PX = 220
"""Narrowest a side-by-side player gets before the row wraps."""


@dataclass(frozen=True)
class LabelledClip:
    """One titled clip of :class:`AudioComparison`, encoded as 16-bit PCM WAV.

    Notebook: transcription, parts 6 and 7; vocals, part 6; problem_set, 1.5 (inside
    :class:`AudioComparison`).
    """

    title: str
    wav: bytes
    duration_s: float


@dataclass(frozen=True)
class AudioComparison:
    """Labelled players side by side, shown by Jupyter as static HTML.

    Notebook: transcription, parts 6 and 7; vocals, part 6; problem_set, 1.5 (what
    :func:`compare_players` shows).

    Attributes
    ----------
    clips : tuple of LabelledClip
        In display order.
    """

    clips: tuple[LabelledClip, ...]

    def _repr_html_(self) -> str:
        figures = "".join(
            f"<figure class='dlmusic-player' style='margin:0 12px 8px 0;display:inline-block;"
            f"vertical-align:top;min-width:{PLAYER_MIN_WIDTH_PX}px;max-width:100%'>"
            f"<figcaption style='font-weight:bold'>{html.escape(clip.title)} "
            f"<span style='font-weight:normal'>({clip.duration_s:.1f} s)</span></figcaption>"
            f"<audio controls='controls' preload='metadata' style='max-width:100%'>"
            f"<source src='data:audio/wav;base64,{base64.b64encode(clip.wav).decode()}' "
            f"type='audio/wav'/></audio></figure>"
            for clip in self.clips
        )
        return f"<div class='dlmusic-players' style='max-width:100%'>{figures}</div>"

    def __repr__(self) -> str:
        listed = ", ".join(f"{c.title} ({c.duration_s:.1f} s)" for c in self.clips)
        return f"AudioComparison({listed})"


def compare_players(
    clips: Mapping[str, np.ndarray], sr: int, *, normalize: bool = True
) -> AudioComparison:
    """Labelled players side by side, e.g. reference / prediction / augmented.

    Notebook: transcription, parts 6 and 7 (predictions, augmentations); vocals, part 6 (estimates
    against the truth); problem_set, 1.5 (harmonic and percussive parts).

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
    AudioComparison
        Shown by Jupyter (last expression of a cell, or ``display``) as HTML: one
        titled ``<audio>`` player per clip, holding its WAV bytes, wrapping onto
        the next line when the screen is narrow.

    Raises
    ------
    ValueError
        ``clips`` is empty.
    ChannelError, EmptyAudioError, NonFiniteAudioError, SampleRateError
        A clip or the sample rate cannot be played; the message names the clip.
    """
    if len(clips) == 0:
        raise ValueError("compare_players needs at least one clip, got an empty mapping")
    encoded = []
    for title, audio in clips.items():
        try:
            _validate_clip(audio, sr)
        except ValueError as err:
            raise type(err)(f"clip {title!r}: {err}") from err
        encoded.append(
            LabelledClip(
                title=str(title),
                wav=_wav_bytes(audio, sr, normalize=normalize),
                duration_s=np.shape(audio)[-1] / sr,
            )
        )
    return AudioComparison(tuple(encoded))


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
