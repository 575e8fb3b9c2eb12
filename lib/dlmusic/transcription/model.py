"""The NMP network ("Notes and Multipitch"): what the notebook's builder must produce.

Notebook: ``solutions/transcription``, part 4 ("The model"). The notebook builds
the network itself (``build_model``): CQT -> normalised log power -> harmonic
stack -> three sigmoid heads, as in Basic Pitch (Bittner et al., ICASSP 2022):

- ``contour`` (Yp): multipitch salience, 3 bins per semitone (264 bins);
- ``note`` (Yn): which of the 88 keys sound, computed *from Yp* (Yp is a
  supervised bottleneck);
- ``onset`` (Yo): where notes start, from Yn and the audio features.
"""

from __future__ import annotations

import keras

PUBLISHED_TRAINABLE_PARAMETERS = 16_782
"""Trainable parameters of Basic Pitch's released model (without the post-stack layer)."""
POST_STACK_TRAINABLE_PARAMETERS = 5 * 5 * 8 * 8 + 8 + 2 * 8
"""What the post-stack layer adds: a 5x5 convolution from 8 to 8 channels with
biases (1,608) and its batch norm's scale and offset (16)."""
OUTPUTS = ("contour", "note", "onset")
"""The network's outputs, a dict with these keys."""


def count_trainable_parameters(model: keras.Model) -> int:
    """Number of trainable scalars (what the paper reports)."""
    return int(sum(keras.ops.size(weight) for weight in model.trainable_weights))
