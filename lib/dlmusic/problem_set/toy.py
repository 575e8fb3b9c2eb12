"""The toy detection problem of part 2.5: rare positives with exact posteriors.

Notebook: problem_set, part 2.5 (which weight maximises F).
"""

from __future__ import annotations

import numpy as np
import scipy.special
from matplotlib.figure import Figure


def toy_posteriors(
    size: int, prior: float, separation: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn with rate ``prior`` and the exact posterior of each given its score.

    Notebook: problem_set, part 2.5. Each cell's score is normal with unit
    variance and mean ``separation`` (positives) or 0 (negatives); the
    posterior is the prior odds times the likelihood ratio.

    Parameters
    ----------
    size : int
        Number of cells.
    prior : float
        Share of positives, in (0, 1).
    separation : float
        Distance between the two classes' score means, in standard deviations.
    seed : int
        Seeds :func:`numpy.random.default_rng`.

    Returns
    -------
    labels : np.ndarray, shape (size,), int
        0 or 1.
    posterior : np.ndarray, shape (size,), float
        ``P(label = 1 | score)``, calibrated.

    Examples
    --------
    >>> labels, posterior = toy_posteriors(1000, 0.1, 2.0, seed=0)
    >>> labels.shape, bool(0 < posterior.min() and posterior.max() < 1)
    ((1000,), True)
    """
    draw = np.random.default_rng(seed)
    labels = (draw.random(size) < prior).astype(int)
    scores = draw.normal(separation * labels, 1.0)
    posterior = scipy.special.expit(
        np.log(prior / (1 - prior)) + separation * scores - separation**2 / 2
    )
    return labels, posterior


def plot_f_curve(
    weights: np.ndarray, f: np.ndarray, best_weight: float, equal_vote_weight: float
) -> Figure:
    """F-measure against the positive weight, with the best and the equal-vote weights marked.

    Notebook: problem_set, part 2.5.
    """
    figure = Figure(figsize=(7, 3), layout="constrained")
    ax = figure.add_subplot()
    ax.plot(weights, f, marker=".")
    ax.axvline(best_weight, color="#E69F00", ls="--", label=f"best w = {best_weight:.2f}")
    ax.axvline(
        equal_vote_weight, color="0.5", ls=":", label=f"equal vote w = {equal_vote_weight:.2f}"
    )
    ax.set_xlabel("positive weight w")
    ax.set_ylabel("F-measure")
    ax.legend()
    return figure
