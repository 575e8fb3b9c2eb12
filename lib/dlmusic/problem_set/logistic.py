"""A per-cell logistic regression for onsets, trained with a loss and gradient the caller gives.

Notebook: ``solutions/problem_set/problem_set.ipynb``, part 2 (weighted
cross-entropy): the notebook passes the student's weighted BCE and its
gradient, trains once with ``w = 0.5`` (plain BCE) and once with a balanced
weight, and compares what the two models predict.

The model sees four features per (frame, key) cell of a log-CQT with one bin
per key: the level of the key's bin and three measures of how much it rises
around that frame (half-wave rectified differences, a classic onset strength). It predicts
``sigmoid(features @ coefficients[:-1] + coefficients[-1])``, one shared set of
coefficients for every key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.optimize
import scipy.special

LossFunction = Callable[[np.ndarray, np.ndarray], float]
"""``loss(y, p)``: labels and probabilities of the same shape -> mean loss."""
GradientFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``gradient(y, z)``: labels and logits -> d loss / d z, same shape."""


def onset_features(log_cqt: np.ndarray) -> np.ndarray:
    """Per-cell level and three measures of its rise, from a log-magnitude CQT, standardised.

    Notebook: problem_set, part 2.4 (what models learn).

    A CQT's low bins use long windows, so a note's rise is spread over a few
    frames around its onset frame; the features therefore look one to three
    frames back and two frames ahead (as a small convolution would). Frames
    beyond either end repeat the first or last frame.

    Parameters
    ----------
    log_cqt : np.ndarray, shape (n_frames, n_keys)
        Log-magnitude (e.g. dB) CQT with one bin per key, frames first, like
        the onset targets.

    Returns
    -------
    np.ndarray, shape (n_frames, n_keys, 4), float64
        With ``L`` the level: channel 0 ``L[t]``; channel 1
        ``max(0, L[t] - L[t - 1])``; channel 2 ``max(0, L[t + 2] - L[t - 1])``;
        channel 3 ``L[t + 2] - max(L[t - 3], L[t - 2], L[t - 1])``. Each channel
        has mean 0 and standard deviation 1 (a constant channel is only centred).

    Raises
    ------
    ValueError
        ``log_cqt`` is not a finite 2-D array with at least two frames.
    """
    level = np.asarray(log_cqt, dtype=np.float64)
    if level.ndim != 2 or level.shape[0] < 2 or not np.all(np.isfinite(level)):
        raise ValueError(
            f"log_cqt must be a finite (n_frames >= 2, n_keys) array, got shape {level.shape}"
        )
    padded = np.pad(level, ((3, 2), (0, 0)), mode="edge")

    def frame_offset(offset: int) -> np.ndarray:  # L[t + offset] for every t
        return padded[3 + offset : 3 + offset + level.shape[0]]

    before = np.maximum(np.maximum(frame_offset(-3), frame_offset(-2)), frame_offset(-1))
    features = np.stack(
        [
            level,
            np.maximum(0.0, level - frame_offset(-1)),
            np.maximum(0.0, frame_offset(2) - frame_offset(-1)),
            frame_offset(2) - before,
        ],
        axis=-1,
    )
    spread = features.std(axis=(0, 1))
    return (features - features.mean(axis=(0, 1))) / np.where(spread > 0, spread, 1.0)


@dataclass(frozen=True)
class LogisticModel:
    """Coefficients of a fitted model and how the fit went.

    Notebook: problem_set, part 2.4 (what models learn).

    Attributes
    ----------
    coefficients : np.ndarray, shape (n_features + 1,)
        One weight per feature, then the intercept.
    converged : bool
        Whether the optimiser reported success.
    loss : float
        The training loss at the end.
    """

    coefficients: np.ndarray
    converged: bool
    loss: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Probabilities, shape ``features.shape[:-1]``."""
        return scipy.special.expit(self.logits(features))

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Logits, shape ``features.shape[:-1]``."""
        return np.asarray(features) @ self.coefficients[:-1] + self.coefficients[-1]


def fit_logistic_regression(
    features: np.ndarray,
    labels: np.ndarray,
    loss: LossFunction,
    gradient: GradientFunction,
    *,
    max_iterations: int = 200,
) -> LogisticModel:
    """Fit a logistic regression by minimising ``loss`` with L-BFGS, using ``gradient``.

    Notebook: problem_set, part 2.4 (what models learn).

    The chain rule from logits to coefficients is done here: with logits
    ``z = X a + b``, ``d loss / d a = X.T @ gradient(y, z)`` and
    ``d loss / d b = gradient(y, z).sum()``.

    Parameters
    ----------
    features : np.ndarray, shape (..., n_features)
        One feature vector per cell (e.g. :func:`onset_features`).
    labels : np.ndarray, shape (...)
        0/1 targets, one per cell.
    loss : callable
        ``loss(y, p)``, the mean loss of probabilities ``p``.
    gradient : callable
        ``gradient(y, z)``, the derivative of ``loss(y, sigmoid(z))`` with
        respect to each logit.
    max_iterations : int
        L-BFGS iterations at most.

    Returns
    -------
    LogisticModel

    Raises
    ------
    ValueError
        ``labels`` does not have the shape ``features.shape[:-1]``.
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    if labels.shape != features.shape[:-1]:
        raise ValueError(
            f"labels must have shape {features.shape[:-1]} (one per cell), got {labels.shape}"
        )
    design = features.reshape(-1, features.shape[-1])
    targets = labels.ravel()

    def objective(coefficients: np.ndarray) -> tuple[float, np.ndarray]:
        logits = design @ coefficients[:-1] + coefficients[-1]
        probabilities = np.clip(scipy.special.expit(logits), 1e-12, 1.0 - 1e-12)
        slope = np.asarray(gradient(targets, logits), dtype=np.float64)
        return float(loss(targets, probabilities)), np.append(design.T @ slope, slope.sum())

    result = scipy.optimize.minimize(
        objective,
        np.zeros(design.shape[1] + 1),
        jac=True,
        method="L-BFGS-B",
        options={"maxiter": max_iterations},
    )
    return LogisticModel(
        coefficients=result.x, converged=bool(result.success), loss=float(result.fun)
    )


def compare_weights(
    features: np.ndarray,
    labels: np.ndarray,
    weights: Mapping[str, float],
    loss: Callable[[np.ndarray, np.ndarray, float], float],
    gradient: Callable[[np.ndarray, np.ndarray, float], np.ndarray],
) -> tuple[list[dict], dict[str, np.ndarray]]:
    """Fit one logistic regression per positive weight; what each predicts at threshold 0.5.

    Notebook: problem_set, part 2.4 (what models learn). The notebook passes
    the student's ``mean_weighted_bce(y, p, w)`` and ``weighted_bce_gradient(y, z, w)``.

    Parameters
    ----------
    features : np.ndarray, shape (..., n_features)
        One feature vector per cell (:func:`onset_features`).
    labels : np.ndarray, shape (...)
        0/1 targets.
    weights : mapping of str to float
        Label of each run to its positive weight ``w``.
    loss, gradient : callable
        ``loss(y, p, w)`` and ``gradient(y, z, w)``.

    Returns
    -------
    table : list of dict
        Per run: weight, convergence, highest probability, predicted onsets,
        true onsets found and precision.
    probabilities : dict of str to np.ndarray, shape (...)
        Each run's predicted probability per cell.
    """
    labels = np.asarray(labels)
    table, probabilities = [], {}
    for label, w in weights.items():
        model = fit_logistic_regression(
            features,
            labels,
            loss=lambda y, p, w=w: loss(y, p, w),
            gradient=lambda y, z, w=w: gradient(y, z, w),
        )
        probabilities[label] = probability = model.predict(features)
        predicted = probability >= 0.5
        hits = int(np.sum(predicted & (labels > 0)))
        table.append(
            {
                "loss": label,
                "w": f"{w:.4f}",
                "converged": model.converged,
                "max probability": f"{probability.max():.3f}",
                "predicted onsets": int(predicted.sum()),
                "true onsets found": f"{hits} of {int(labels.sum())}",
                "precision": f"{hits / max(int(predicted.sum()), 1):.3f}",
            }
        )
    return table, probabilities
