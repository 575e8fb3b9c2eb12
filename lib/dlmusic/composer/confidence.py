"""Confidence of a composer classifier: calibration and abstaining.

Notebook: ``solutions/composer``, part 5 ("Confidence"). A production
reader of sheet music asks the user when it is unsure; these functions
measure whether the network's softmax confidence deserves that trust (the
students write the piece-level vote themselves).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def reliability_curve(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy per confidence bin (equal-width bins on [0, 1]).

    Returns
    -------
    mean_confidence, accuracy : np.ndarray, shape (n_bins,), float64
        NaN in empty bins. A calibrated model has ``accuracy == mean_confidence``.
    counts : np.ndarray, shape (n_bins,), int64
    """
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, float)
    bins = np.clip((confidence * n_bins).astype(int), 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_confidence = np.bincount(bins, confidence, n_bins) / counts
        accuracy = np.bincount(bins, correct, n_bins) / counts
    return mean_confidence, accuracy, counts


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10
) -> float:
    """Mean |accuracy - confidence| over bins, weighted by the bin's share of rows."""
    mean_confidence, accuracy, counts = reliability_curve(confidence, correct, n_bins)
    used = counts > 0
    gaps = np.abs(accuracy[used] - mean_confidence[used])
    return float(np.sum(gaps * counts[used]) / max(1, counts.sum()))


def accuracy_when_abstaining(
    confidence: np.ndarray, correct: np.ndarray, thresholds: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy on the predictions kept, and the share kept, per threshold.

    A prediction is kept when its confidence is at least the threshold; the
    others go to a human.

    Returns
    -------
    accuracy : np.ndarray, shape (n_thresholds,)
        Accuracy of the kept predictions (NaN when none is kept).
    coverage : np.ndarray, shape (n_thresholds,)
        Fraction of predictions kept.
    """
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, bool)
    accuracy, coverage = [], []
    for threshold in thresholds:
        kept = confidence >= threshold
        coverage.append(kept.mean() if len(kept) else np.nan)
        accuracy.append(correct[kept].mean() if kept.any() else np.nan)
    return np.array(accuracy), np.array(coverage)


def choose_threshold(
    confidence: np.ndarray, correct: np.ndarray, target_accuracy: float
) -> tuple[float, float, float]:
    """The lowest confidence threshold whose kept predictions reach ``target_accuracy``.

    Choose it on the **dev** split and report it on test: a threshold read off
    the test rows is fitted to them, and its test accuracy flatters.

    Parameters
    ----------
    confidence, correct : np.ndarray, shape (n,)
        Dev predictions' confidence in [0, 1] and whether each is right.
    target_accuracy : float
        In (0, 1].

    Returns
    -------
    threshold, accuracy, coverage : float
        The threshold (one of the confidences; above 1 when no threshold
        reaches the target, so nothing is kept), and the accuracy and share of
        the dev predictions it keeps (NaN accuracy when none).

    Raises
    ------
    ValueError
        ``target_accuracy`` outside (0, 1], or no predictions.
    """
    if not 0 < target_accuracy <= 1:
        raise ValueError(f"target_accuracy must be in (0, 1], got {target_accuracy}")
    confidence, correct = np.asarray(confidence, float), np.asarray(correct, bool)
    if confidence.size == 0:
        raise ValueError("no predictions to choose a threshold from")
    candidates = np.unique(confidence)
    accuracy, coverage = accuracy_when_abstaining(confidence, correct, candidates)
    reaching = np.flatnonzero(accuracy >= target_accuracy)
    if reaching.size == 0:
        return float(np.nextafter(1.0, 2.0)), float("nan"), 0.0
    best = reaching[0]
    return float(candidates[best]), float(accuracy[best]), float(coverage[best])
