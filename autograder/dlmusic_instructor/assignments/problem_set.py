"""Hidden checks of ``problem_set``: median filtering and weighted cross-entropy.

Notebook: ``solutions/problem_set/problem_set.ipynb``. One :class:`Check` per
autograded test cell. The student's functions are called on inputs drawn here
(never the notebook's examples) and compared with scipy, librosa and
scikit-learn in the grader's process; answers that are numbers about the
notebook's own data (the hand-computed filters, the onset rate of the example
piece, the toy F-curve) are compared with the same quantities recomputed here
from the given package code and the notebook's given constants, copied below.
The errors on the noisy CQT (1.3) are recomputed from the notebook's ``clean``
and ``noisy`` once they are shown to be the piece's CQT (FluidSynth's dither
makes a re-rendering agree only approximately) and its given corruption.

Exercises that ask for a function written by hand name the library functions
that do the job in :attr:`Check.forbidden_calls`; ``median_of_three`` is also called on
arrays that allow only sums, differences and constant factors, with a ``relu`` of
the grader's: what it computes is judged, not what its helpers are called.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.ndimage
import scipy.special

from dlmusic.problem_set.images import add_salt_and_pepper
from dlmusic.problem_set.toy import toy_posteriors
from dlmusic_instructor.checks import Check, CheckFailed, Context, ProbeRun
from dlmusic_instructor.references.problem_set import (
    best_constant,
    box_blur,
    equal_vote_weight,
    example_piece_images,
    f_measure_for_weight,
    harmonic_percussive,
    mean_weighted_bce,
    median_filter,
    median_of_three,
    weighted_bce_gradient,
)

# The notebook's given constants (the grader's own copies: a student who edits them
# in the notebook is still judged against these).
IMAGE = np.array(
    [
        [1, 2, 1, 8, 9, 8],
        [2, 9, 2, 8, 8, 9],
        [1, 2, 1, 9, 8, 8],
        [2, 1, 2, 8, 0, 9],
        [1, 2, 1, 9, 8, 8],
        [2, 1, 2, 8, 9, 8],
    ]
)
"""The 6x6 image of 1.1."""
NOTEBOOK_SEED = 0
"""``course.seed``: ``setup_notebook("problem_set")`` seeds with 0."""
NOISE_FRACTION = 0.05
"""Share of the CQT's pixels turned into salt or pepper in 1.3."""
Y_GIVEN = np.array([1, 0, 0, 0, 0, 0, 0, 0])
P_GIVEN = np.array([0.6, 0.1, 0.2, 0.1, 0.05, 0.3, 0.1, 0.1])
"""Labels and predictions of 2.1."""
P_EXAMPLE = 0.004
"""The positive rate of 2.3 (b)."""
ONSET_POSITIVE_WEIGHT = 0.95
"""Basic Pitch's onset weight, used in 2.4 (b)."""
TOY_SEED, TOY_SIZE, TOY_PRIOR, TOY_SEPARATION = 2024, 5000, 0.02, 2.5
TOY_WEIGHTS = np.round(np.arange(0.50, 1.00, 0.01), 2)
"""The toy set and weight grid of 2.5."""

MEDIAN_FILTERS = (
    "scipy.ndimage.median_filter",
    "scipy.ndimage.rank_filter",
    "scipy.ndimage.percentile_filter",
    "scipy.ndimage.generic_filter",
    "scipy.signal.medfilt",
    "scipy.signal.medfilt2d",
    "scipy.signal.order_filter",
)
"""Library median (or order-statistic) filters: 1.2 and 1.5 ask for your own."""
HPSS_FUNCTIONS = (
    "librosa.decompose.hpss",
    "librosa.effects.hpss",
    "librosa.effects.harmonic",
    "librosa.effects.percussive",
)
"""librosa's harmonic-percussive separation: 1.5 asks for your own."""
ORDER_FUNCTIONS = (
    "numpy.median",
    "numpy.nanmedian",
    "numpy.sort",
    "numpy.partition",
    "numpy.percentile",
    "numpy.quantile",
)
"""Sorting and order statistics that ``median_of_three`` must not use (1.4 b)."""


# --------------------------------------------------------------------------- data


def _toy_set() -> tuple[np.ndarray, np.ndarray]:
    """The labels and exact posteriors of 2.5."""
    return toy_posteriors(TOY_SIZE, TOY_PRIOR, TOY_SEPARATION, TOY_SEED)


def _odd(rng: np.random.Generator, high: int) -> int:
    return int(rng.choice(np.arange(1, high + 1, 2)))


def _scalar(run: ProbeRun, name: str) -> float:
    """A finite number the student stored."""
    value = run.number(name)
    if not np.isfinite(value):
        raise CheckFailed(f"{name} must be a finite number, got {value}")
    return value


# --------------------------------------------------------------------------- 1.1


PROBE_MEDIAN_BY_HAND = """
outputs = {"median_by_hand": median_by_hand}
"""
PROBE_BOX_BY_HAND = """
outputs = {"box_by_hand": box_by_hand}
"""


def judge_median_by_hand(run: ProbeRun) -> None:
    got = run.array("median_by_hand", (4, 4))
    expected = median_filter(IMAGE, 3)[1:-1, 1:-1]
    wrong = int(np.sum(got != expected))
    if wrong:
        raise CheckFailed(f"{wrong} of the 16 median entries are wrong")


def judge_box_by_hand(run: ProbeRun) -> None:
    got = run.array("box_by_hand", (4, 4))
    expected = box_blur(IMAGE)
    wrong = int(np.sum(~np.isclose(got, expected, rtol=0.0, atol=2e-3)))
    if wrong:
        raise CheckFailed(
            f"{wrong} of the 16 box-blur entries are wrong (or have too few decimals)"
        )


# --------------------------------------------------------------------------- 1.2


def inputs_median_filter(context: Context) -> dict[str, np.ndarray]:
    """Images with impulses, windows of every kind, one integer image and bad windows."""
    rng = context.rng("test-median-filter")
    inputs: dict[str, np.ndarray] = {}
    sizes = [(_odd(rng, 9), _odd(rng, 9)) for _ in range(6)]
    sizes += [(1, int(rng.choice([3, 5, 7, 9]))), (int(rng.choice([3, 5, 7, 9])), 1), (3, 3)]
    for index, (rows, columns) in enumerate(sizes):
        shape = (int(rng.integers(9, 25)), int(rng.integers(9, 33)))
        image = rng.normal(size=shape)
        image[rng.random(shape) < 0.1] = rng.choice([-4.0, 6.0])
        if index == len(sizes) - 1:
            image = rng.integers(0, 10, shape)  # an integer image
        inputs[f"image_{index}"] = image
        inputs[f"size_{index}"] = np.array([rows, columns])
        inputs[f"as_int_{index}"] = np.array(rows == columns and bool(rng.random() < 0.7))
    inputs["n_cases"] = np.array(len(sizes))
    even = int(rng.choice([2, 4, 6]))
    odd = _odd(rng, 7)
    bad = [(even, even, True), (odd, even, False), (even, odd, False), (0, 0, True)]
    for index, (rows, columns, as_int) in enumerate(bad):
        inputs[f"bad_size_{index}"] = np.array([rows, columns])
        inputs[f"bad_as_int_{index}"] = np.array(as_int)
    inputs["n_bad"] = np.array(len(bad))
    return inputs


PROBE_MEDIAN_FILTER = """
outputs = {}
for _i in range(int(inputs["n_cases"])):
    _rows, _columns = (int(_v) for _v in inputs[f"size_{_i}"])
    _size = _rows if bool(inputs[f"as_int_{_i}"]) else (_rows, _columns)
    outputs[f"filtered_{_i}"] = median_filter(inputs[f"image_{_i}"].copy(), _size)
for _j in range(int(inputs["n_bad"])):
    _rows, _columns = (int(_v) for _v in inputs[f"bad_size_{_j}"])
    _size = _rows if bool(inputs[f"bad_as_int_{_j}"]) else (_rows, _columns)
    try:
        median_filter(inputs["image_0"].copy(), _size)
    except ValueError:
        outputs[f"bad_{_j}"] = "ValueError"
    except Exception as _err:
        outputs[f"bad_{_j}"] = type(_err).__name__
    else:
        outputs[f"bad_{_j}"] = "no error"
"""


def _size_text(rows: int, columns: int, as_int: bool) -> str:
    return str(rows) if as_int else f"({rows}, {columns})"


def judge_median_filter(run: ProbeRun) -> None:
    for index in range(int(run.inputs["n_cases"])):
        image = run.inputs[f"image_{index}"]
        rows, columns = (int(value) for value in run.inputs[f"size_{index}"])
        expected = median_filter(image, (rows, columns))
        got = run.array(f"filtered_{index}")
        window = _size_text(rows, columns, bool(run.inputs[f"as_int_{index}"]))
        if got.shape != expected.shape:
            raise CheckFailed(
                f"size {window} on a {image.shape} image: output shape {got.shape}, "
                f"expected the image's shape"
            )
        if not np.allclose(got, expected):
            raise CheckFailed(
                f"size {window} on a {image.shape} image: wrong values at "
                f"{int(np.sum(~np.isclose(got, expected)))} of {got.size} pixels"
            )
    for index in range(int(run.inputs["n_bad"])):
        rows, columns = (int(value) for value in run.inputs[f"bad_size_{index}"])
        raised = run.text(f"bad_{index}")
        if raised != "ValueError":
            window = _size_text(rows, columns, bool(run.inputs[f"bad_as_int_{index}"]))
            raise CheckFailed(f"size {window} must raise ValueError, got: {raised}")


# --------------------------------------------------------------------------- 1.3


PROBE_SALT_AND_PEPPER = """
outputs = {"clean": clean, "noisy": noisy}
for _name in ("noisy", "box", "median"):
    outputs[f"at_impulses_{_name}"] = error_at_impulses[_name]
    outputs[f"elsewhere_{_name}"] = error_elsewhere[_name]
"""


CLEAN_TOLERANCE = 0.01
"""Largest mean absolute difference between the notebook's ``clean`` and the grader's."""


def judge_salt_and_pepper(run: ProbeRun) -> None:
    reference, _ = example_piece_images()
    clean = run.array("clean", reference.shape)
    if not np.mean(np.abs(clean - reference)) < CLEAN_TOLERANCE:
        raise CheckFailed("clean is not the piano's log-CQT of the example piece")
    noisy = run.array("noisy", reference.shape)
    rng = np.random.default_rng(NOTEBOOK_SEED)
    if not np.array_equal(noisy, add_salt_and_pepper(clean, NOISE_FRACTION, rng)):
        raise CheckFailed("noisy is not the given salt-and-pepper copy of clean")
    corrupted = noisy != clean
    filtered = {
        "noisy": noisy,
        "box": scipy.ndimage.uniform_filter(noisy, size=3),
        "median": median_filter(noisy, 3),
    }
    for name, image in filtered.items():
        error = np.abs(image - clean)
        for where, expected in (
            ("at_impulses", error[corrupted].mean()),
            ("elsewhere", error[~corrupted].mean()),
        ):
            got = run.number(f"{where}_{name}")
            if not np.isclose(got, expected, rtol=1e-6, atol=0.0):
                dictionary = "error_at_impulses" if where == "at_impulses" else "error_elsewhere"
                raise CheckFailed(f'{dictionary}["{name}"] is wrong')


# --------------------------------------------------------------------------- 1.4


PROBE_NOT_LINEAR = """
outputs = {"patch_a": patch_a, "patch_b": patch_b}
"""


def judge_not_linear(run: ProbeRun) -> None:
    a, b = run.array("patch_a", (3, 3)), run.array("patch_b", (3, 3))
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        raise CheckFailed("the patches must hold finite values")
    if np.isclose(np.median(a + b), np.median(a) + np.median(b)):
        raise CheckFailed("for these patches the median of the sum equals the sum of the medians")


def inputs_median_of_three(context: Context) -> dict[str, np.ndarray]:
    """Three rows of values, a tenth of them rounded to make ties."""
    rng = context.rng("test-median-of-three")
    values = rng.normal(0.0, float(rng.uniform(1.0, 5.0)), size=(3, 300))
    values[:, :30] = np.round(values[:, :30])
    return {"values": values[:, rng.permutation(300)]}


PROBE_MEDIAN_OF_THREE = """
import numpy as _np


class _SumsOnly:
    # An array that allows only sums, differences and constant factors: any other
    # operation (a comparison, an if, abs, np.maximum, sorting) raises TypeError.
    __array_function__ = None

    def __array_ufunc__(self, ufunc, method, *args, **kwargs):
        # A NumPy scalar times one of these is a constant factor; any other ufunc is not.
        arithmetic = {"add": "__add__", "subtract": "__sub__", "multiply": "__mul__"}
        name = arithmetic.get(ufunc.__name__)
        if method == "__call__" and name and len(args) == 2 and not kwargs:
            left, right = args
            if isinstance(left, _SumsOnly):
                return getattr(left, name)(right)
            return getattr(right, "__r" + name[2:])(left)
        raise TypeError(f"numpy's {ufunc.__name__}")

    def __init__(self, values):
        self.values = _np.asarray(values, dtype=float)

    def __array__(self, *args, **kwargs):
        raise TypeError("only +, -, constant factors and relu")

    def _other(self, other):
        if isinstance(other, _SumsOnly):
            return other.values
        if isinstance(other, int | float | _np.integer | _np.floating):
            return float(other)
        raise TypeError(f"only sums with arrays of the same kind, not {type(other).__name__}")

    def __add__(self, other):
        return _SumsOnly(self.values + self._other(other))

    __radd__ = __add__

    def __sub__(self, other):
        return _SumsOnly(self.values - self._other(other))

    def __rsub__(self, other):
        return _SumsOnly(self._other(other) - self.values)

    def __neg__(self):
        return _SumsOnly(-self.values)

    def __pos__(self):
        return self

    def __mul__(self, factor):
        if isinstance(factor, _SumsOnly):
            raise TypeError("a product of two inputs")
        return _SumsOnly(self.values * self._other(factor))

    __rmul__ = __mul__

    def __truediv__(self, factor):
        if isinstance(factor, _SumsOnly):
            raise TypeError("a quotient of two inputs")
        return _SumsOnly(self.values / self._other(factor))

    def __bool__(self):
        raise TypeError("a truth value (an if or a comparison)")


def _traced_relu(x):
    if not isinstance(x, _SumsOnly):
        raise TypeError(f"relu of a {type(x).__name__}")
    return _SumsOnly(_np.maximum(x.values, 0.0))


_a, _b, _c = inputs["values"]
outputs = {"median": _np.asarray(median_of_three(_a, _b, _c), dtype=float)}
_namespace = getattr(median_of_three, "__globals__", {})
_had_relu, _relu = "relu" in _namespace, _namespace.get("relu")
_namespace["relu"] = _traced_relu
try:
    _traced = median_of_three(_SumsOnly(_a), _SumsOnly(_b), _SumsOnly(_c))
except Exception as _err:
    outputs["traced_error"] = f"{type(_err).__name__}: {_err}"
else:
    if isinstance(_traced, _SumsOnly):
        outputs["traced"] = _traced.values
        outputs["traced_error"] = ""
    else:
        outputs["traced_error"] = f"it returned a {type(_traced).__name__}, not the sum it built"
finally:
    if _had_relu:
        _namespace["relu"] = _relu
    else:
        _namespace.pop("relu", None)
"""
"""Calls ``median_of_three`` twice: on the arrays, and on arrays that allow only sums,
differences and constant factors, with ``relu`` (looked up by the function, however its
helpers are named) the only nonlinearity. The answer is judged by what it does."""


def judge_median_of_three(run: ProbeRun) -> None:
    values = run.inputs["values"]
    expected = median_of_three(*values)
    got = run.array("median", (values.shape[1],))
    wrong = int(np.sum(~np.isclose(got, expected)))
    if wrong:
        raise CheckFailed(f"wrong medians for {wrong} of {values.shape[1]} triples")
    if problem := run.text("traced_error"):
        raise CheckFailed(
            "median_of_three must use only +, -, constant factors and relu; given inputs "
            f"that allow nothing else, it failed ({problem})"
        )
    if not np.allclose(run.array("traced", (values.shape[1],)), expected):
        raise CheckFailed("built from relu alone, median_of_three gives other values")


# --------------------------------------------------------------------------- 1.5


def inputs_harmonic_percussive(context: Context) -> dict[str, np.ndarray]:
    """Sparse gamma 'spectrograms' with a silent corner, and odd kernel sizes."""
    rng = context.rng("test-hpss")
    kernels = rng.choice([3, 5, 7, 11, 13, 15, 19, 21, 25, 29], size=4, replace=False)
    inputs: dict[str, np.ndarray] = {"n_cases": np.array(kernels.size)}
    for index, kernel in enumerate(kernels):
        shape = (int(rng.integers(48, 80)), int(rng.integers(56, 90)))
        spectrogram = rng.gamma(float(rng.uniform(0.3, 1.0)), size=shape)
        spectrogram[rng.random(shape) < 0.2] = 0.0
        corner = (int(rng.integers(6, 14)), int(rng.integers(8, 16)))
        spectrogram[: corner[0], : corner[1]] = 0.0  # silent: both medians 0
        inputs[f"S_{index}"] = spectrogram
        inputs[f"kernel_{index}"] = np.array(int(kernel))
    return inputs


PROBE_HARMONIC_PERCUSSIVE = """
outputs = {}
for _i in range(int(inputs["n_cases"])):
    _H, _P = harmonic_percussive(inputs[f"S_{_i}"].copy(), int(inputs[f"kernel_{_i}"]))
    outputs[f"H_{_i}"], outputs[f"P_{_i}"] = _H, _P
"""


def judge_harmonic_percussive(run: ProbeRun) -> None:
    for index in range(int(run.inputs["n_cases"])):
        spectrogram = run.inputs[f"S_{index}"]
        kernel = int(run.inputs[f"kernel_{index}"])
        harmonic, percussive = harmonic_percussive(spectrogram, kernel)
        for name, expected in (("harmonic", harmonic), ("percussive", percussive)):
            got = run.array(f"{name[0].upper()}_{index}", spectrogram.shape)
            if not np.allclose(got, expected, rtol=1e-5, atol=1e-8):
                raise CheckFailed(
                    f"kernel_size {kernel} on a {spectrogram.shape} spectrogram: the {name} part "
                    "differs from Fitzgerald's soft-mask separation"
                )


# --------------------------------------------------------------------------- 2.1


def _weighted_cases_probe(output: str, function: str, first: str, second: str) -> str:
    """Probe lines that call ``function(first, second, w)`` on every case of the inputs.

    Case ``i`` reads ``inputs[f"{first}_{i}"]``, ``inputs[f"{second}_{i}"]`` and
    ``inputs[f"w_{i}"]`` (of ``inputs["n_cases"]``) and writes ``outputs[f"{output}_{i}"]``.
    """
    return (
        'for _i in range(int(inputs["n_cases"])):\n'
        f'    outputs[f"{output}_{{_i}}"] = {function}(\n'
        f'        inputs[f"{first}_{{_i}}"].copy(), inputs[f"{second}_{{_i}}"].copy(),'
        ' float(inputs[f"w_{_i}"])\n'
        "    )\n"
    )


def _weighted_cases(
    run: ProbeRun, first: str, second: str
) -> Iterator[tuple[int, np.ndarray, np.ndarray, float]]:
    """``(index, first, second, w)`` of every case a :func:`_weighted_cases_probe` ran on."""
    for index in range(int(run.inputs["n_cases"])):
        w = float(run.inputs[f"w_{index}"])
        yield index, run.inputs[f"{first}_{index}"], run.inputs[f"{second}_{index}"], w


def inputs_mean_weighted_bce(context: Context) -> dict[str, np.ndarray]:
    """Label/prediction sets of several shapes; the last one has predictions of 0 and 1."""
    rng = context.rng("test-weighted-bce")
    inputs: dict[str, np.ndarray] = {}
    shapes = [(300,), (60,), (12, 25), (7, 9, 4), (150,), (40, 10)]
    for index, shape in enumerate(shapes):
        inputs[f"y_{index}"] = (rng.random(shape) < rng.uniform(0.05, 0.4)).astype(int)
        inputs[f"p_{index}"] = rng.uniform(0.01, 0.99, shape)
        inputs[f"w_{index}"] = np.array(float(rng.uniform(0.05, 0.95)))
    edge = len(shapes)
    y = (rng.random(50) < 0.3).astype(int)
    p = rng.uniform(0.05, 0.95, 50)
    p[:10] = rng.choice([0.0, 1.0], 10)
    inputs[f"y_{edge}"], inputs[f"p_{edge}"] = y, p
    inputs[f"w_{edge}"] = np.array(float(rng.uniform(0.3, 0.9)))
    inputs["n_cases"] = np.array(edge + 1)
    return inputs


PROBE_MEAN_WEIGHTED_BCE = (
    'outputs = {"loss_plain": loss_plain, "loss_weighted": loss_weighted}\n'
    + _weighted_cases_probe("loss", "mean_weighted_bce", "y", "p")
)


def judge_mean_weighted_bce(run: ProbeRun) -> float | tuple[float, str] | None:
    for name, w in (("loss_plain", 0.5), ("loss_weighted", 0.9)):
        if not np.isclose(_scalar(run, name), mean_weighted_bce(Y_GIVEN, P_GIVEN, w), rtol=1e-6):
            raise CheckFailed(f"{name} is not the loss of P_GIVEN for Y_GIVEN with w = {w}")
    last = int(run.inputs["n_cases"]) - 1
    for index, y, p, w in _weighted_cases(run, "y", "p"):
        got = run.number(f"loss_{index}")
        if np.isclose(got, mean_weighted_bce(y, p, w), rtol=1e-6):
            continue
        if index == last:
            return 0.5, (
                "mean_weighted_bce is right for predictions inside (0, 1), but not for "
                "predictions of exactly 0 or 1: clip p to [1e-7, 1 - 1e-7]"
            )
        raise CheckFailed(
            f"mean_weighted_bce is wrong for labels of shape {y.shape} with w = {w:.3f}"
        )
    return None


# --------------------------------------------------------------------------- 2.2


def inputs_mean_weighted_bce_gradient(context: Context) -> dict[str, np.ndarray]:
    """Labels, logits (some large) and weights; two 2-D cases."""
    rng = context.rng("test-bce-gradient")
    inputs: dict[str, np.ndarray] = {}
    shapes = [(40,), (30,), (6, 7), (25,), (4, 5), (50,)]
    for index, shape in enumerate(shapes):
        inputs[f"y_{index}"] = (rng.random(shape) < rng.uniform(0.1, 0.5)).astype(float)
        inputs[f"z_{index}"] = rng.normal(0.0, 3.0, shape)
        inputs[f"w_{index}"] = np.array(float(rng.uniform(0.05, 0.95)))
    inputs["n_cases"] = np.array(len(shapes))
    return inputs


PROBE_WEIGHTED_BCE_GRADIENT = "outputs = {}\n" + _weighted_cases_probe(
    "gradient", "weighted_bce_gradient", "y", "z"
)


def judge_mean_weighted_bce_gradient(run: ProbeRun) -> None:
    for index, y, z, w in _weighted_cases(run, "y", "z"):
        got = run.array(f"gradient_{index}", y.shape)
        if not np.allclose(got, weighted_bce_gradient(y, z, w), rtol=1e-4, atol=1e-9):
            raise CheckFailed(
                f"the gradient differs from a numerical derivative of the loss for labels of "
                f"shape {y.shape} with w = {w:.3f}"
            )


# --------------------------------------------------------------------------- 2.3


PROBE_EQUAL_VOTE_WEIGHT = """
outputs = {"equal_vote_weight": equal_vote_weight}
"""


def judge_equal_vote_weight(run: ProbeRun) -> None:
    tie = equal_vote_weight(P_EXAMPLE)
    if not np.isclose(_scalar(run, "equal_vote_weight"), tie, rtol=0.0, atol=1e-9):
        raise CheckFailed("with this weight the two classes do not have an equal vote")


# --------------------------------------------------------------------------- 2.4


PROBE_ONSET_RATE = """
outputs = {"onset_rate": onset_rate}
"""


def judge_onset_rate(run: ProbeRun) -> None:
    _, onsets = example_piece_images()
    if not np.isclose(_scalar(run, "onset_rate"), onsets.mean(), rtol=1e-6, atol=0.0):
        raise CheckFailed("onset_rate is not the share of positive cells of the onset targets")


PROBE_BEST_CONSTANTS = """
outputs = {
    "best_constant_plain": best_constant_plain,
    "best_constant_095": best_constant_095,
    "best_constant_equal_vote": best_constant_equal_vote,
}
"""


def judge_best_constants(run: ProbeRun) -> None:
    _, onsets = example_piece_images()
    y = onsets.astype(float).ravel()
    for name, w in (
        ("best_constant_plain", 0.5),
        ("best_constant_095", ONSET_POSITIVE_WEIGHT),
        ("best_constant_equal_vote", 1.0 - y.mean()),
    ):
        value = _scalar(run, name)
        if not 0.0 < value < 1.0:
            raise CheckFailed(f"{name} must lie strictly between 0 and 1, got {value}")
        best = scipy.special.logit(best_constant(w, float(y.mean())))
        if not np.isclose(scipy.special.logit(value), best, rtol=0.0, atol=1e-4):
            raise CheckFailed(
                f"{name} does not minimise the weighted loss of a constant prediction"
            )


# --------------------------------------------------------------------------- 2.5


def inputs_f_measure_for_weight(context: Context) -> dict[str, np.ndarray]:
    """Rare labels, skewed posteriors and weights; the last set predicts nothing positive."""
    rng = context.rng("test-f-for-weight")
    inputs: dict[str, np.ndarray] = {}
    n_cases = 16
    for index in range(n_cases):
        size = int(rng.integers(200, 600))
        inputs[f"labels_{index}"] = (rng.random(size) < rng.uniform(0.02, 0.2)).astype(int)
        inputs[f"posterior_{index}"] = rng.beta(float(rng.uniform(0.3, 1.0)), 4.0, size)
        inputs[f"w_{index}"] = np.array(float(rng.uniform(0.3, 0.99)))
    labels = (rng.random(300) < 0.1).astype(int)
    inputs[f"labels_{n_cases}"] = labels
    inputs[f"posterior_{n_cases}"] = rng.uniform(0.0, 0.05, 300)
    inputs[f"w_{n_cases}"] = np.array(0.5)
    inputs["n_cases"] = np.array(n_cases + 1)
    return inputs


PROBE_F_MEASURE_FOR_WEIGHT = "outputs = {}\n" + _weighted_cases_probe(
    "f", "f_measure_for_weight", "labels", "posterior"
)


def judge_f_measure_for_weight(run: ProbeRun) -> None:
    for index, labels, posterior, w in _weighted_cases(run, "labels", "posterior"):
        expected = f_measure_for_weight(labels, posterior, w)
        if not np.isclose(run.number(f"f_{index}"), expected, rtol=1e-9, atol=1e-12):
            raise CheckFailed(f"wrong F-measure for w = {w:.3f} on {labels.size} cells")


PROBE_BEST_F_WEIGHT = """
outputs = {"best_f_weight": best_f_weight}
"""


def judge_best_f_weight(run: ProbeRun) -> None:
    chosen = _scalar(run, "best_f_weight")
    grid = TOY_WEIGHTS.tolist()
    if chosen not in grid:
        raise CheckFailed("best_f_weight must be one of TOY_WEIGHTS")
    labels, posterior = _toy_set()
    f = np.array([f_measure_for_weight(labels, posterior, w) for w in grid])
    if not np.isclose(f[grid.index(chosen)], f.max(), rtol=0.0, atol=1e-12):
        raise CheckFailed(f"another weight of TOY_WEIGHTS gives a larger F than w = {chosen}")


CHECKS = (
    Check("test-median-by-hand", judge_median_by_hand, PROBE_MEDIAN_BY_HAND),
    Check("test-box-by-hand", judge_box_by_hand, PROBE_BOX_BY_HAND),
    Check(
        "test-median-filter",
        judge_median_filter,
        PROBE_MEDIAN_FILTER,
        make_inputs=inputs_median_filter,
        forbidden_calls=MEDIAN_FILTERS,
    ),
    Check("test-salt-and-pepper", judge_salt_and_pepper, PROBE_SALT_AND_PEPPER),
    Check("test-not-linear", judge_not_linear, PROBE_NOT_LINEAR),
    Check(
        "test-median-of-three",
        judge_median_of_three,
        PROBE_MEDIAN_OF_THREE,
        make_inputs=inputs_median_of_three,
        forbidden_calls=ORDER_FUNCTIONS,
    ),
    Check(
        "test-hpss",
        judge_harmonic_percussive,
        PROBE_HARMONIC_PERCUSSIVE,
        make_inputs=inputs_harmonic_percussive,
        forbidden_calls=MEDIAN_FILTERS + HPSS_FUNCTIONS,
    ),
    Check(
        "test-weighted-bce",
        judge_mean_weighted_bce,
        PROBE_MEAN_WEIGHTED_BCE,
        make_inputs=inputs_mean_weighted_bce,
    ),
    Check(
        "test-bce-gradient",
        judge_mean_weighted_bce_gradient,
        PROBE_WEIGHTED_BCE_GRADIENT,
        make_inputs=inputs_mean_weighted_bce_gradient,
    ),
    Check("test-equal-vote-weight", judge_equal_vote_weight, PROBE_EQUAL_VOTE_WEIGHT),
    Check("test-onset-rate", judge_onset_rate, PROBE_ONSET_RATE),
    Check("test-best-constants", judge_best_constants, PROBE_BEST_CONSTANTS),
    Check(
        "test-f-for-weight",
        judge_f_measure_for_weight,
        PROBE_F_MEASURE_FOR_WEIGHT,
        make_inputs=inputs_f_measure_for_weight,
    ),
    Check("test-best-f-weight", judge_best_f_weight, PROBE_BEST_F_WEIGHT),
)
