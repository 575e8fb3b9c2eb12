"""Confidence of a composer classifier: calibration and abstaining.

Notebook: ``solutions/composer``, part 5 ("Confidence"). A production
reader of sheet music asks the user when it is unsure; these functions
measure whether the network's softmax confidence deserves that trust (the
students write the piece-level vote themselves).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dlmusic.datasets.summary import format_table


def reliability_curve(
    confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Accuracy per confidence bin (equal-width bins on [0, 1]).

    Notebook: composer, part 5 (the reliability diagram).

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
    """Mean |accuracy - confidence| over bins, weighted by the bin's share of rows.

    Notebook: composer, part 5 (the reliability diagram).
    """
    mean_confidence, accuracy, counts = reliability_curve(confidence, correct, n_bins)
    used = counts > 0
    gaps = np.abs(accuracy[used] - mean_confidence[used])
    return float(np.sum(gaps * counts[used]) / max(1, counts.sum()))


def accuracy_when_abstaining(
    confidence: np.ndarray, correct: np.ndarray, thresholds: Sequence[float] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Accuracy on the predictions kept, and the share kept, per threshold.

    Notebook: composer, part 5 (abstaining).

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

    Notebook: composer, part 5 (abstaining: the threshold chosen on dev).

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


def abstention_report(
    dev: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    target_accuracy: float = 0.9,
    thresholds: Sequence[float] = (0.0, 0.5, 0.7, 0.9),
) -> str:
    """The threshold chosen on dev (:func:`choose_threshold`), what it keeps on test, and a table.

    Notebook: composer, part 5 (abstaining).

    Parameters
    ----------
    dev, test : (confidence, correct)
        Each split's row confidences in [0, 1], shape (n_rows,), and whether
        each prediction is right, shape (n_rows,), bool.
    target_accuracy : float
        Accuracy the kept dev rows must reach.
    thresholds : sequence of float
        Further thresholds for the table (the chosen one is added).

    Returns
    -------
    str
        One line on the chosen threshold, then a table of rows kept, their
        accuracy and rows sent to the user, per split and threshold.
    """
    threshold, dev_accuracy, dev_coverage = choose_threshold(*dev, target_accuracy)
    (test_accuracy,), (test_coverage,) = accuracy_when_abstaining(*test, [threshold])
    kept = "none" if np.isnan(test_accuracy) else f"{test_accuracy:.1%} right"
    lines = [
        f"threshold chosen on {len(dev[0])} dev rows: {threshold:.3f} (keeps {dev_coverage:.0%} "
        f"of dev rows, {dev_accuracy:.1%} right); on the test rows it keeps {test_coverage:.0%}, "
        + kept
    ]
    table = []
    every = [*thresholds, threshold]
    for name, (confidence, correct) in (("dev", dev), ("test", test)):
        kept_accuracy, coverage = accuracy_when_abstaining(confidence, correct, every)
        for t, a, c in zip(every, kept_accuracy, coverage, strict=True):
            table.append(
                {
                    "split": name,
                    "threshold": f"{t:.3f}",
                    "rows kept": f"{c:.0%}",
                    "accuracy on kept rows": "-" if np.isnan(a) else f"{a:.1%}",
                    "rows sent to the user": round((1 - c) * len(correct)),
                }
            )
    return "\n".join([*lines, format_table(table)])
