"""Looking inside a trained composer classifier: activations, filters, Grad-CAM.

Notebook: ``solutions/composer``, part 6 ("Inside the network"). (Not named
``inspect``: that would shadow the standard library's module.)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from dlmusic.errors import DlmusicError


def conv_layer_names(model: keras.Model) -> list[str]:
    """Names of the model's 2-D convolution layers, input to output.

    Notebook: composer, part 6 (inside the network).
    """
    return [layer.name for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]


def layer_activations(model: keras.Model, layer_name: str, rows: np.ndarray) -> np.ndarray:
    """Output of layer ``layer_name`` for a batch of rows.

    Notebook: composer, part 6 (activations).

    Returns
    -------
    np.ndarray, shape (n_rows, height, width, channels) for a conv layer
    """
    probe = keras.Model(model.inputs[0], model.get_layer(layer_name).output)
    return keras.ops.convert_to_numpy(probe(rows, training=False))


def first_layer_filters(model: keras.Model) -> np.ndarray:
    """Kernels of the first convolution: shape (kernel_h, kernel_w, in_channels, n_filters).

    Notebook: composer, part 6 (filters).
    """
    return keras.ops.convert_to_numpy(model.get_layer(conv_layer_names(model)[0]).kernel)


def class_logits(model: keras.Model, features: tf.Tensor) -> tf.Tensor:
    """The class scores before the softmax, from the input of ``model``'s last layer.

    Notebook: composer, part 6 (Grad-CAM on the class logit).

    Parameters
    ----------
    model : keras.Model
        A classifier whose last layer is a ``Dense`` layer with a softmax.
    features : tf.Tensor, shape (batch, n_features)
        What that layer receives.

    Returns
    -------
    tf.Tensor, shape (batch, n_classes)

    Raises
    ------
    DlmusicError
        The last layer is not a softmax ``Dense`` layer.
    """
    last = model.layers[-1]
    if not isinstance(last, keras.layers.Dense) or last.activation is not keras.activations.softmax:
        raise DlmusicError(f"the last layer of {model.name} is not a Dense layer with a softmax")
    return tf.matmul(features, last.kernel) + last.bias


def grad_cam(
    model: keras.Model, row: np.ndarray, layer_name: str, class_index: int | None = None
) -> np.ndarray:
    """Grad-CAM heat map: where in the row the evidence for a class lies.

    Notebook: composer, part 6 (Grad-CAM) and part 7 (where the styled network looks).

    The feature maps of ``layer_name`` are weighted by the mean gradient of
    the class's *logit* (its score before the softmax; Selvaraju et al.,
    ICCV 2017) with respect to each map, summed, passed through a ReLU and
    scaled to [0, 1]. The softmax probability would be the wrong target: its
    gradient also rewards evidence *against* the other classes and vanishes
    where the network is already confident.

    Parameters
    ----------
    row : np.ndarray, shape (height, width, 1)
    class_index : int or None
        Default: the predicted class.

    Returns
    -------
    np.ndarray, shape (map_height, map_width), float32
        At the layer's resolution; upsample to overlay it on the row.
    """
    probe = keras.Model(
        model.inputs[0], [model.get_layer(layer_name).output, model.layers[-1].input]
    )
    batch = tf.convert_to_tensor(row[np.newaxis], dtype=tf.float32)
    with tf.GradientTape() as tape:
        maps, features = probe(batch, training=False)
        logits = class_logits(model, features)
        if class_index is None:
            class_index = int(tf.argmax(logits[0]))
        score = logits[:, class_index]
    gradients = tape.gradient(score, maps)
    weights = tf.reduce_mean(gradients, axis=(1, 2))
    heat = tf.nn.relu(tf.reduce_sum(maps * weights[:, tf.newaxis, tf.newaxis, :], axis=-1))[0]
    heat = heat.numpy()
    peak = heat.max()
    return (heat / peak if peak > 0 else heat).astype(np.float32)
