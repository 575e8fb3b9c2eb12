"""Reference answers to what the ``problem_set`` students write (instructor only).

Notebook: ``solutions/problem_set/problem_set.ipynb``. Each function is named
like the student's function (or answer variable) and computes it
independently of how the notebook asks for it: with scipy's and librosa's
filters, scikit-learn's weighted log loss and F-measure, central differences
and a numerical minimiser. The hidden checks
(:mod:`dlmusic_instructor.assignments.problem_set`) compare the student's
outputs with these.
"""

from __future__ import annotations

import functools

import librosa
import numpy as np
import scipy.ndimage
import scipy.optimize
import scipy.special
from sklearn.metrics import f1_score, log_loss

from dlmusic.problem_set.example_piece import render_piece
from dlmusic.problem_set.piano_roll import midi_piano_roll
from dlmusic.problem_set.spectrogram import log_cqt_image

CLIP = 1e-7
"""2.1 clips probabilities to ``[CLIP, 1 - CLIP]``."""


def median_filter(image: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """Median of each pixel's window, mirroring at the borders (1.2), by scipy.

    Parameters
    ----------
    image : np.ndarray, shape (n_rows, n_columns)
    size : int or (int, int)
        Odd window sides; an int is a square window.

    Returns
    -------
    np.ndarray, shape (n_rows, n_columns), float64
        ``scipy.ndimage.median_filter(..., mode="reflect")`` (``d c b a | a b c d``).

    Raises
    ------
    ValueError
        ``image`` is not 2-D, or a side is not positive and odd.

    Examples
    --------
    >>> median_filter(np.array([[0, 0, 0], [0, 9, 0], [0, 0, 0]]), 3)
    array([[0., 0., 0.],
           [0., 0., 0.],
           [0., 0., 0.]])
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise ValueError(f"image must be 2-D, got shape {image.shape}")
    rows, columns = (size, size) if np.isscalar(size) else size
    if rows < 1 or columns < 1 or rows % 2 == 0 or columns % 2 == 0:
        raise ValueError(f"window sides must be positive and odd, got {size}")
    return scipy.ndimage.median_filter(image, size=(rows, columns), mode="reflect")


def box_blur(image: np.ndarray) -> np.ndarray:
    """3x3 mean of every pixel whose window fits inside the image (1.1's ``box_by_hand``).

    Examples
    --------
    >>> box_blur(np.arange(9.0).reshape(3, 3))
    array([[4.]])
    """
    image = np.asarray(image, dtype=np.float64)
    return scipy.ndimage.correlate(image, np.full((3, 3), 1 / 9))[1:-1, 1:-1]


def median_of_three(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Element-wise median of three arrays (1.4 b), by ``np.median``.

    Examples
    --------
    >>> median_of_three(np.array([1.0, -2.0]), np.array([5.0, -2.0]), np.array([3.0, 7.0]))
    array([ 3., -2.])
    """
    return np.median(np.stack(np.broadcast_arrays(a, b, c)), axis=0)


def harmonic_percussive(S: np.ndarray, kernel_size: int = 17) -> tuple[np.ndarray, np.ndarray]:
    """Fitzgerald's soft-mask harmonic-percussive separation (1.5), by librosa.

    Returns
    -------
    harmonic, percussive : np.ndarray, shape of ``S``
        ``librosa.decompose.hpss(S, kernel_size=kernel_size)``.

    Examples
    --------
    >>> S = np.zeros((9, 9))
    >>> S[4, :] = 1.0  # a sustained partial
    >>> harmonic, percussive = harmonic_percussive(S, 3)
    >>> float(harmonic[4, 4]), float(percussive[4, 4])
    (1.0, 0.0)
    """
    return librosa.decompose.hpss(np.asarray(S, dtype=np.float64), kernel_size=kernel_size)


def mean_weighted_bce(y: np.ndarray, p: np.ndarray, w: float) -> float:
    """2.1's loss, ``-2/N sum(c (y ln p + (1 - y) ln(1 - p)))``, by scikit-learn's log loss.

    Probabilities are clipped to ``[CLIP, 1 - CLIP]`` first; positive cells
    weigh ``w``, negative ones ``1 - w``.

    Examples
    --------
    >>> round(mean_weighted_bce(np.array([1, 0]), np.array([0.9, 0.2]), 0.5), 5)
    0.16425
    """
    y = np.asarray(y).ravel()
    p = np.clip(np.asarray(p, dtype=np.float64).ravel(), CLIP, 1.0 - CLIP)
    weights = np.where(y > 0, w, 1.0 - w)
    # scikit-learn's weighted log loss is sum(c * l) / sum(c); 2.1's is 2 * sum(c * l) / N.
    return float(
        2.0 * weights.sum() / y.size * log_loss(y, p, sample_weight=weights, labels=[0, 1])
    )


def mean_weighted_bce_from_logits(y: np.ndarray, z: np.ndarray, w: float) -> float:
    """2.1's loss (unclipped) of ``sigmoid(z)``, computed stably from the logits.

    Examples
    --------
    >>> round(mean_weighted_bce_from_logits(np.array([1.0, 0.0]), np.array([0.0, 0.0]), 0.5), 6)
    0.693147
    """
    y = np.asarray(y, dtype=np.float64)
    weights = np.where(y > 0, w, 1.0 - w)
    terms = y * np.logaddexp(0.0, -z) + (1.0 - y) * np.logaddexp(0.0, z)
    return float(2.0 * np.mean(weights * terms))


def weighted_bce_gradient(y: np.ndarray, z: np.ndarray, w: float, step: float = 1e-5) -> np.ndarray:
    """d loss / d z per cell (2.2), by central differences of :func:`mean_weighted_bce_from_logits`.

    Examples
    --------
    >>> np.round(weighted_bce_gradient(np.array([1.0, 0.0]), np.array([0.0, 0.0]), 0.5), 4)
    array([-0.25,  0.25])
    """
    z = np.asarray(z, dtype=np.float64)
    gradient = np.zeros(z.shape)
    for index in np.ndindex(z.shape):
        shift = np.zeros(z.shape)
        shift[index] = step
        gradient[index] = (
            mean_weighted_bce_from_logits(y, z + shift, w)
            - mean_weighted_bce_from_logits(y, z - shift, w)
        ) / (2 * step)
    return gradient


def equal_vote_weight(positive_rate: float) -> float:
    """The ``w`` at which positives and negatives weigh the same in total (2.3), by root finding.

    Examples
    --------
    >>> round(equal_vote_weight(0.004), 6)
    0.996
    """
    return float(
        scipy.optimize.brentq(
            lambda w: w * positive_rate - (1.0 - w) * (1.0 - positive_rate),
            1e-9,
            1.0 - 1e-12,
            xtol=1e-14,
        )
    )


def best_constant(w: float, positive_rate: float) -> float:
    """The constant prediction that minimises the weighted loss (2.4 b), by a 1-D minimiser.

    The loss of predicting ``q`` everywhere, for a share ``positive_rate`` of
    positive cells, is minimised over the logit of ``q``.

    Examples
    --------
    >>> round(best_constant(0.5, 0.1), 4)
    0.1
    """

    def loss(logit: float) -> float:
        return 2.0 * (
            w * positive_rate * np.logaddexp(0.0, -logit)
            + (1.0 - w) * (1.0 - positive_rate) * np.logaddexp(0.0, logit)
        )

    best = scipy.optimize.minimize_scalar(
        loss, bounds=(-30.0, 30.0), method="bounded", options={"xatol": 1e-10}
    )
    return float(scipy.special.expit(best.x))


def f_measure_for_weight(labels: np.ndarray, posterior: np.ndarray, w: float) -> float:
    """F1 of the decisions ``r >= 1/2`` of a model trained with weight ``w`` (2.5), by sklearn.

    ``r = w q / (w q + (1 - w)(1 - q)) >= 1/2`` is ``w q >= (1 - w)(1 - q)``.

    Examples
    --------
    >>> f_measure_for_weight(np.array([1, 1, 0]), np.array([0.9, 0.3, 0.4]), 0.5)
    0.6666666666666666
    """
    posterior = np.asarray(posterior, dtype=np.float64)
    decisions = w * posterior >= (1 - w) * (1 - posterior)
    return float(f1_score(np.asarray(labels), decisions, zero_division=0.0))


@functools.cache
def example_piece_images() -> tuple[np.ndarray, np.ndarray]:
    """The notebook's ``clean`` CQT image (1.3) and ``onset_targets`` (2.4), rebuilt.

    FluidSynth's rendering differs between processes by a few least significant
    bits (its dither), so ``clean`` matches the notebook's only approximately
    (mean absolute difference about 5e-4); the onset targets match exactly.

    Returns
    -------
    clean : np.ndarray, shape (264, n_frames)
        The piano's log-CQT rescaled to [0, 1].
    onset_targets : np.ndarray, shape (n_frames, 88)
        The onset grid of the piece's piano part.

    Examples
    --------
    >>> clean, onset_targets = example_piece_images()
    >>> clean.shape[1] == onset_targets.shape[0]
    True
    """
    piece = render_piece()
    clean = log_cqt_image(piece.piano, piece.sr)
    return clean, midi_piano_roll(piece.midi, clean.shape[1]).onset
