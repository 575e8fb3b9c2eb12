"""Scores for autograded cells that measure a student's model.

nbgrader (0.9) gives partial credit when a test cell's last value is a
number: that number is the points earned (capped at the cell's points).
:func:`partial_credit` maps a measured quality (F-measure, accuracy, SDR) to
a fraction, linearly between a floor (no credit) and a target (full credit);
a scoring cell ends with ``points * partial_credit(...)``.
"""

from __future__ import annotations

import math


def partial_credit(value: float, *, floor: float, target: float) -> float:
    """Fraction of credit in [0, 1]: 0 at or below ``floor``, 1 at or above ``target``.

    A NaN measurement (a model that produced nothing usable) earns 0.

    Examples
    --------
    >>> partial_credit(0.6, floor=0.2, target=0.8)
    0.6666666666666667
    """
    if not floor < target:
        raise ValueError(f"floor ({floor}) must be below target ({target})")
    if math.isnan(value):
        return 0.0
    return float(min(1.0, max(0.0, (value - floor) / (target - floor))))
