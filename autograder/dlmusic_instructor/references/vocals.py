"""Reference answers of the ``vocals`` notebook (instructor only), named like the student's.

Notebook: ``solutions/vocals/vocals.ipynb``. The hidden checks
(:mod:`dlmusic_instructor.assignments.vocals`) compare what a student's
function returns on the grader's inputs with these; the held-out scoring
(:mod:`dlmusic_instructor.heldout.vocals`) loads a student's saved weights
into :func:`build_model`. Given code (the STFT settings, the inverse STFT,
``LogMagnitude``, the data pipeline) comes from the student package.

=================  ==========================  ==================================
exercise           student's function          reference
=================  ==========================  ==================================
1                  ``stft``, ``spectrogram``   :func:`stft`, :func:`spectrogram`
2a                 ``ideal_binary_mask``       :func:`ideal_binary_mask`
2b                 ``ideal_ratio_mask``        :func:`ideal_ratio_mask`
2c                 ``masked_estimate``         :func:`masked_estimate`
3                  ``malformed_frames``        :func:`malformed_frames`
4                  ``separate_track``          :func:`separate_track`
5                  ``build_model``             :func:`build_model`
5b                 ``overfit_one_batch``       :func:`overfit_one_batch`
=================  ==========================  ==================================
"""

from __future__ import annotations

import keras
import librosa
import numpy as np
from keras import layers

from dlmusic.audio import validate_audio
from dlmusic.vocals.data import (
    MISMATCH_TOLERANCE,
    SILENT_FRAME_MAGNITUDE,
)
from dlmusic.vocals.model import LogMagnitude
from dlmusic.vocals.stft import HOP_SAMPLES, N_BINS, N_FFT, WINDOW, istft

HIDDEN_UNITS = 96
"""Width of the frame encoder and of each LSTM direction."""
TRAINABLE_PARAMETERS = 297_603
"""Trainable parameters of :func:`build_model` (the notebook's table)."""
TOTAL_PARAMETERS = 298_629
"""All weights of :func:`build_model`: the trainable ones and batch normalisation's
moving mean and variance (2 x 513), which are updated but not trained."""


def stft(audio: np.ndarray) -> np.ndarray:
    """Complex STFT of mono audio with the course's settings.

    Parameters
    ----------
    audio : np.ndarray, shape (n_samples,)
        Mono audio (22050 Hz in the course, though nothing here depends on it).

    Returns
    -------
    np.ndarray, shape (N_BINS, 1 + n_samples // HOP_SAMPLES), complex64
        Bin ``k`` is at ``k * sr / N_FFT`` Hz; frame ``t`` is centred on sample
        ``t * HOP_SAMPLES``.

    Raises
    ------
    ChannelError, EmptyAudioError, NonFiniteAudioError
        Not mono, empty, or holding NaN / infinite samples.

    Examples
    --------
    >>> import numpy as np
    >>> X = stft(np.zeros(22050, np.float32))
    >>> X.shape, X.dtype
    ((513, 87), dtype('complex64'))
    """
    validate_audio(audio, mono=True)
    return librosa.stft(
        np.asarray(audio, dtype=np.float32),
        n_fft=N_FFT,
        hop_length=HOP_SAMPLES,
        window=WINDOW,
        center=True,
    ).astype(np.complex64)


def spectrogram(audio: np.ndarray) -> np.ndarray:
    """Magnitude of :func:`stft`, shape ``(N_BINS, n_frames)``, float32.

    Examples
    --------
    >>> import librosa
    >>> tone = librosa.tone(440.0, sr=22050, duration=1.0)
    >>> int(spectrogram(tone).mean(axis=1).argmax())  # bins 21.5 Hz apart
    20
    """
    return np.abs(stft(audio)).astype(np.float32)


def _magnitudes(vocals: np.ndarray, accompaniment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check two spectrograms against each other and return their magnitudes (float64)."""
    vocals, accompaniment = np.abs(np.asarray(vocals)), np.abs(np.asarray(accompaniment))
    if vocals.shape != accompaniment.shape:
        raise ValueError(
            f"vocal and accompaniment spectrograms differ in shape: {vocals.shape} vs "
            f"{accompaniment.shape}"
        )
    for name, values in (("vocal", vocals), ("accompaniment", accompaniment)):
        if not np.all(np.isfinite(values)):
            raise ValueError(f"the {name} spectrogram contains NaN or infinite values")
    return vocals.astype(np.float64), accompaniment.astype(np.float64)


def ideal_binary_mask(
    vocals: np.ndarray, accompaniment: np.ndarray, threshold_db: float = 0.0
) -> np.ndarray:
    """1 where ``20 log10(|V| / |A|) > threshold_db``, computed as ``|V| > |A| 10^(t/20)``.

    Parameters
    ----------
    vocals, accompaniment : np.ndarray, shape (n_bins, n_frames)
        STFTs (complex) or magnitudes of the two stems.
    threshold_db : float

    Returns
    -------
    np.ndarray, shape (n_bins, n_frames), float32
        0 or 1; 0 where both stems are silent, 1 where only the accompaniment is.

    Examples
    --------
    >>> import numpy as np
    >>> ideal_binary_mask(np.array([[1.0, 0.0, 0.0, 2.0]]), np.array([[0.5, 0.0, 1.0, 0.0]]))
    array([[1., 0., 0., 1.]], dtype=float32)
    """
    vocals, accompaniment = _magnitudes(vocals, accompaniment)
    return (vocals > accompaniment * 10.0 ** (threshold_db / 20.0)).astype(np.float32)


def ideal_ratio_mask(
    vocals: np.ndarray, accompaniment: np.ndarray, power: float = 1.0
) -> np.ndarray:
    """The voice's share of each cell, ``|V|^p / (|V|^p + |A|^p)``; 0 where both are silent.

    Parameters
    ----------
    vocals, accompaniment : np.ndarray, shape (n_bins, n_frames)
        STFTs (complex) or magnitudes of the two stems.
    power : float
        ``p > 0``.

    Returns
    -------
    np.ndarray, shape (n_bins, n_frames), float32
        In [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> vocals, accompaniment = np.array([[3.0, 0.0, 1.0]]), np.array([[1.0, 0.0, 1.0]])
    >>> ideal_ratio_mask(vocals, accompaniment)
    array([[0.75, 0.  , 0.5 ]], dtype=float32)
    >>> ideal_ratio_mask(vocals, accompaniment, power=2.0)
    array([[0.9, 0. , 0.5]], dtype=float32)
    """
    if not power > 0:
        raise ValueError(f"power must be positive, got {power}")
    vocals, accompaniment = _magnitudes(vocals, accompaniment)
    vocal_part = vocals**power
    total = vocal_part + accompaniment**power
    mask = np.divide(vocal_part, total, out=np.zeros_like(total), where=total > 0)
    return mask.astype(np.float32)


def masked_estimate(mixture: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The audio of ``mask * STFT(mixture)`` at the mixture's length.

    Parameters
    ----------
    mixture : np.ndarray, shape (n_samples,)
    mask : np.ndarray, shape (N_BINS, 1 + n_samples // HOP_SAMPLES)
        Values in [0, 1].

    Returns
    -------
    np.ndarray, shape (n_samples,), float32

    Examples
    --------
    >>> import numpy as np
    >>> mixture = np.random.default_rng(0).standard_normal(2000).astype(np.float32)
    >>> ones = np.ones((N_BINS, 1 + mixture.size // HOP_SAMPLES))
    >>> bool(np.allclose(masked_estimate(mixture, ones), mixture, atol=1e-4))
    True
    """
    mixture_stft = stft(mixture)
    mask = np.asarray(mask)
    if mask.shape != mixture_stft.shape:
        raise ValueError(f"mask shape {mask.shape} differs from the STFT's {mixture_stft.shape}")
    return istft(mask * mixture_stft, mixture.size)


def malformed_frames(
    mixture_stft: np.ndarray, vocals_stft: np.ndarray, accompaniment_stft: np.ndarray
) -> dict[str, np.ndarray]:
    """Which STFT frames cannot teach a mask, and why.

    Parameters
    ----------
    mixture_stft, vocals_stft, accompaniment_stft : np.ndarray, shape (n_bins, n_frames), complex

    Returns
    -------
    dict of np.ndarray, each shape (n_frames,), bool
        ``"non_finite"`` (a NaN or infinity in any of the three frames),
        ``"silent"`` (a finite mixture frame whose largest magnitude is below
        ``SILENT_FRAME_MAGNITUDE``) and ``"stems_do_not_sum"`` (a finite,
        non-silent frame with ``||X - V - A|| > MISMATCH_TOLERANCE ||X||``);
        never two True for one frame.

    Examples
    --------
    >>> import numpy as np
    >>> vocals = np.ones((N_BINS, 4), complex)
    >>> accompaniment = np.ones((N_BINS, 4), complex)
    >>> mixture = vocals + accompaniment
    >>> mixture[:, 1] = np.nan
    >>> mixture[:, 2] = vocals[:, 2] = accompaniment[:, 2] = 0
    >>> mixture[:, 3] *= 2
    >>> {problem: np.flatnonzero(frames).tolist()
    ...  for problem, frames in malformed_frames(mixture, vocals, accompaniment).items()}
    {'non_finite': [1], 'silent': [2], 'stems_do_not_sum': [3]}
    """
    shapes = {np.shape(mixture_stft), np.shape(vocals_stft), np.shape(accompaniment_stft)}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2:
        raise ValueError(f"three STFTs of one shape (n_bins, n_frames) are needed, got {shapes}")
    stacked = np.stack([mixture_stft, vocals_stft, accompaniment_stft])
    non_finite = ~np.all(np.isfinite(stacked), axis=(0, 1))
    mixture, vocals, accompaniment = np.where(non_finite, 0, stacked)
    silent = ~non_finite & (np.abs(mixture).max(axis=0) < SILENT_FRAME_MAGNITUDE)
    residual = np.linalg.norm(mixture - vocals - accompaniment, axis=0)
    mismatch = (
        ~non_finite & ~silent & (residual > MISMATCH_TOLERANCE * np.linalg.norm(mixture, axis=0))
    )
    return {"non_finite": non_finite, "silent": silent, "stems_do_not_sum": mismatch}


def predict_mask(model, mixture: np.ndarray) -> np.ndarray:
    """``model``'s vocal mask for a whole mono mixture, shape ``(N_BINS, n_frames)``, in [0, 1].

    The mask :func:`separate_track` applies (NaN becomes 0, values are clipped to [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> def everything(magnitude, training=False):  # keeps every cell, and more
    ...     return np.full(magnitude.shape, 1.5)
    >>> mask = predict_mask(everything, np.zeros(1024, np.float32))
    >>> mask.shape, float(mask.max())
    ((513, 5), 1.0)
    """
    magnitude = np.abs(stft(mixture)).T[np.newaxis]
    mask = np.asarray(model(magnitude, training=False))[0].T
    return np.clip(np.nan_to_num(mask, nan=0.0), 0.0, 1.0)


def separate_track(model, mixture: np.ndarray) -> dict[str, np.ndarray]:
    """Vocals and accompaniment of a mono mixture: ``model``'s mask, multiply, inverse STFT.

    Parameters
    ----------
    model : callable
        Maps mixture magnitudes ``(1, n_frames, N_BINS)`` to a mask of that shape.
    mixture : np.ndarray, shape (n_samples,)

    Returns
    -------
    dict
        ``"vocals"`` and ``"accompaniment"``, each ``(n_samples,)`` float32, and the
        ``"mask"``, ``(N_BINS, n_frames)``.

    Examples
    --------
    >>> import numpy as np
    >>> def half(magnitude, training=False):
    ...     return np.full(magnitude.shape, 0.5)
    >>> mixture = np.random.default_rng(0).standard_normal(3000).astype(np.float32)
    >>> parts = separate_track(half, mixture)
    >>> bool(np.allclose(parts["vocals"], mixture / 2, atol=1e-4))
    True
    >>> bool(np.allclose(parts["vocals"] + parts["accompaniment"], mixture, atol=1e-4))
    True
    """
    mask = predict_mask(model, mixture)
    return {
        "vocals": masked_estimate(mixture, mask),
        "accompaniment": masked_estimate(mixture, 1.0 - mask),
        "mask": mask,
    }


def build_model(hidden_units: int = HIDDEN_UNITS, name: str = "mask_estimator") -> keras.Model:
    """The frame-sequence LSTM mask estimator of the notebook's table (part 5).

    ==================  =========================================  ===========
    layer               output shape                               parameters
    ==================  =========================================  ===========
    log_magnitude       (batch, frames, 513): ``log(|X| + 1e-3)``  0
    input_norm          batch normalisation per bin                2,052
    frame_encoder       Dense 96, tanh                             49,344
    context             Bidirectional LSTM, 96 units each way      148,224
    mask                Dense 513, sigmoid                         99,009
    ==================  =========================================  ===========

    Parameters
    ----------
    hidden_units : int
        Width of the frame encoder and of each LSTM direction.
    name : str
        Model name.

    Returns
    -------
    keras.Model
        Input ``(batch, n_frames, 513)`` mixture magnitudes (any ``n_frames``);
        output ``(batch, n_frames, 513)`` vocal mask in [0, 1]; 297,603 trainable
        parameters with the default width.

    Examples
    --------
    >>> model = build_model()
    >>> [layer.name for layer in model.layers[1:]]
    ['log_magnitude', 'input_norm', 'frame_encoder', 'context', 'mask']
    >>> model.count_params() == TOTAL_PARAMETERS
    True
    """
    magnitude = keras.Input(shape=(None, N_BINS), name="mixture_magnitude")
    features = LogMagnitude(name="log_magnitude")(magnitude)
    features = layers.BatchNormalization(name="input_norm")(features)
    features = layers.Dense(hidden_units, activation="tanh", name="frame_encoder")(features)
    features = layers.Bidirectional(
        layers.LSTM(hidden_units, return_sequences=True), name="context"
    )(features)
    mask = layers.Dense(N_BINS, activation="sigmoid", name="mask")(features)
    return keras.Model(magnitude, mask, name=name)


def overfit_one_batch(model: keras.Model, batch: tuple, steps: int = 50) -> list[float]:
    """Train a compiled ``model`` on one batch ``(x, y, w)`` for ``steps`` steps.

    Parameters
    ----------
    model : keras.Model
        Compiled (``compile_mask_estimator``).
    batch : tuple of np.ndarray
        ``x`` mixture magnitudes ``(batch, frames, 513)``, ``y`` target masks
        of the same shape, ``w`` the weight of each cell.
    steps : int
        Optimiser steps.

    Returns
    -------
    list of float
        The training loss of each step (``steps`` values).

    Examples
    --------
    >>> import keras
    >>> import numpy as np
    >>> from dlmusic.vocals.model import compile_mask_estimator
    >>> keras.utils.set_random_seed(0)
    >>> x = np.random.default_rng(0).uniform(0, 2, (2, 8, N_BINS)).astype(np.float32)
    >>> batch = (x, (x > 1).astype(np.float32), x**2)  # magnitudes, target masks, weights
    >>> losses = overfit_one_batch(compile_mask_estimator(build_model()), batch, steps=20)
    >>> len(losses), losses[-1] < losses[0]
    (20, True)
    """
    x, y, w = batch
    return [float(model.train_on_batch(x, y, sample_weight=w)) for _ in range(steps)]
