"""The NMP network ("Notes and Multipitch"): CQT -> harmonic stack -> Yp, Yn, Yo.

Notebook: ``solutions/transcription``, part 4 ("The model").

Three sigmoid heads, as in Basic Pitch (Bittner et al., ICASSP 2022):

- ``contour`` (Yp): multipitch salience, 3 bins per semitone (264 bins);
- ``note`` (Yn): which of the 88 keys sound, computed *from Yp* (Yp is a
  supervised bottleneck);
- ``onset`` (Yo): where notes start, from Yn and the audio features.

:func:`build_nmp` adds the 5x5 convolution + batch norm + ReLU after harmonic
stacking that the paper describes and Basic Pitch's published code computes
but never uses (its output is overwritten), and has switches for the two
ablations. ``post_stack_conv=False`` rebuilds the published network exactly:
16,782 trainable parameters.
"""

from __future__ import annotations

import keras
from keras import layers

from dlmusic.transcription.constants import HARMONICS, WINDOW_SAMPLES
from dlmusic.transcription.cqt import CQT, NormalizedLogPower
from dlmusic.transcription.harmonics import HarmonicStacking

PUBLISHED_TRAINABLE_PARAMETERS = 16_782
"""Trainable parameters of Basic Pitch's released model (``post_stack_conv=False``)."""
OUTPUTS = ("contour", "note", "onset")


def _conv(filters: int, kernel: tuple[int, int], **kwargs) -> layers.Conv2D:
    """Basic Pitch's convolution: 'same' padding, He-style uniform init, unit-norm kernels."""
    return layers.Conv2D(
        filters,
        kernel,
        padding="same",
        kernel_initializer=keras.initializers.VarianceScaling(
            scale=2.0, mode="fan_avg", distribution="uniform"
        ),
        kernel_constraint=keras.constraints.UnitNorm(axis=[0, 1, 2]),
        **kwargs,
    )


def audio_features(audio, *, harmonic_stacking: bool = True):
    """CQT -> normalised log power -> batch norm -> harmonic stack.

    ``(batch, samples)`` in; ``(batch, frames, 264, channels)`` out, with 8
    channels (harmonics 0.5, 1, ..., 7) or 1 (no stacking: the ablation).
    """
    cqt = NormalizedLogPower(name="log_cqt")(CQT(name="cqt")(audio))
    cqt = layers.BatchNormalization(name="cqt_norm")(layers.Reshape((-1, cqt.shape[2], 1))(cqt))
    harmonics = HARMONICS if harmonic_stacking else (1,)
    return HarmonicStacking(harmonics=harmonics, name="harmonic_stack")(cqt)


def build_nmp(
    *,
    harmonic_stacking: bool = True,
    supervised_contour: bool = True,
    post_stack_conv: bool = True,
    n_filters_post_stack: int = 8,
    n_filters_note: int = 32,
    n_filters_onset: int = 32,
    window_samples: int = WINDOW_SAMPLES,
    name: str = "nmp",
) -> keras.Model:
    """The transcription network, with the paper's layer and the ablation switches.

    Parameters
    ----------
    harmonic_stacking : bool
        ``False`` is the first ablation: one CQT channel instead of eight.
    supervised_contour : bool
        ``False`` is the second ablation: Yn is computed from the features
        directly; the ``contour`` output still exists (same outputs, so the
        same training code runs) but is meant to be trained with loss weight 0.
    post_stack_conv : bool
        Include the 5x5 conv + batch norm + ReLU after harmonic stacking.
        ``False`` gives Basic Pitch's published network.
    n_filters_post_stack, n_filters_note, n_filters_onset : int
        Widths of the post-stack, note and onset convolutions.
    window_samples : int
        Input length in samples (two seconds less one hop by default).

    Returns
    -------
    keras.Model
        Input ``(batch, window_samples)`` audio at 22050 Hz; outputs a dict
        with ``contour`` ``(batch, frames, 264)``, ``note`` and ``onset``
        ``(batch, frames, 88)``, all in [0, 1].
    """
    audio = keras.Input(shape=(window_samples,), name="audio")
    features = audio_features(audio, harmonic_stacking=harmonic_stacking)

    contour_features = features
    if post_stack_conv:
        contour_features = _conv(n_filters_post_stack, (5, 5), name="post_stack_conv")(features)
        contour_features = layers.BatchNormalization(name="post_stack_norm")(contour_features)
        contour_features = layers.ReLU(name="post_stack_relu")(contour_features)
    contour_features = _conv(8, (3, 3 * 13), name="contour_conv")(contour_features)
    contour_features = layers.BatchNormalization(name="contour_norm")(contour_features)
    contour_features = layers.ReLU(name="contour_relu")(contour_features)
    contour_map = _conv(1, (5, 5), activation="sigmoid", name="contour_head")(contour_features)
    contour = layers.Reshape((-1, contour_map.shape[2]), name="contour")(contour_map)

    note_input = contour_map if supervised_contour else contour_features
    note_features = _conv(n_filters_note, (7, 7), strides=(1, 3), name="note_conv")(note_input)
    note_features = layers.ReLU(name="note_relu")(note_features)
    note_map = _conv(1, (7, 3), activation="sigmoid", name="note_head")(note_features)
    note = layers.Reshape((-1, note_map.shape[2]), name="note")(note_map)

    onset_features = _conv(n_filters_onset, (5, 5), strides=(1, 3), name="onset_conv")(features)
    onset_features = layers.BatchNormalization(name="onset_norm")(onset_features)
    onset_features = layers.ReLU(name="onset_relu")(onset_features)
    onset_features = layers.Concatenate(axis=-1, name="onset_concat")([note_map, onset_features])
    onset_map = _conv(1, (3, 3), activation="sigmoid", name="onset_head")(onset_features)
    onset = layers.Reshape((-1, onset_map.shape[2]), name="onset")(onset_map)

    return keras.Model(audio, {"contour": contour, "note": note, "onset": onset}, name=name)


def count_trainable_parameters(model: keras.Model) -> int:
    """Number of trainable scalars (what the paper reports)."""
    return int(sum(keras.ops.size(weight) for weight in model.trainable_weights))
