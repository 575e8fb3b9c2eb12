"""The NMP network ("Notes and Multipitch"): what the notebook's builder must produce.

Notebook: ``solutions/transcription``, part 4 ("The model"). The notebook builds
the network itself (``build_nmp``, with :func:`conv2d` for every convolution):
CQT -> normalised log power -> harmonic stack -> three sigmoid heads, as in Basic
Pitch (Bittner et al., ICASSP 2022):

- ``contour`` (Yp): multipitch salience, 3 bins per semitone (264 bins);
- ``note`` (Yn): which of the 88 keys sound, computed *from Yp* (Yp is a
  supervised bottleneck);
- ``onset`` (Yo): where notes start, from Yn and the audio features.
"""

from __future__ import annotations

import keras

from dlmusic.runs import count_trainable_parameters as count_trainable_parameters

PUBLISHED_TRAINABLE_PARAMETERS = 16_782
"""Trainable parameters of Basic Pitch's released model (without the post-stack layer)."""
POST_STACK_TRAINABLE_PARAMETERS = 5 * 5 * 8 * 8 + 8 + 2 * 8
"""What the post-stack layer adds: a 5x5 convolution from 8 to 8 channels with
biases (1,608) and its batch norm's scale and offset (16)."""


def conv2d(filters: int, kernel_size: tuple[int, int], **kwargs) -> keras.layers.Conv2D:
    """Basic Pitch's convolution: 'same' padding, He-style uniform init, unit-norm filters.

    Notebook: transcription, part 4 (the NMP network); every convolution of
    ``build_nmp`` is one of these.

    Parameters
    ----------
    filters : int
        Output channels.
    kernel_size : tuple of int
        (time frames, frequency bins).
    **kwargs
        Passed to ``keras.layers.Conv2D`` (``strides``, ``activation``, ``name``).

    Returns
    -------
    keras.layers.Conv2D
        Input and output ``(batch, frames, bins, channels)``; "same" padding keeps
        frames and bins (strides divide them).
    """
    return keras.layers.Conv2D(
        filters,
        kernel_size,
        padding="same",
        kernel_initializer=keras.initializers.VarianceScaling(
            scale=2.0, mode="fan_avg", distribution="uniform"
        ),
        kernel_constraint=keras.constraints.UnitNorm(axis=[0, 1, 2]),
        **kwargs,
    )
