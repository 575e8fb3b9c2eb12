"""Hidden checks of the ``vocals`` notebook: one :class:`Check` per autograded test cell.

Notebook: ``solutions/vocals/vocals.ipynb``. Each probe calls the student's
function on inputs drawn here (several cases per exercise: random lengths,
silent cells, NaN frames, thresholds and powers) and records the answers;
each judge compares them with :mod:`dlmusic_instructor.references.vocals`.
A probe records an exception or a warning of one case as that case's answer,
so the other cases still count: credit is the share of cases answered right.
The two network scores load the handed-in weights into the grader's own
network and measure it on held-out songs
(:mod:`dlmusic_instructor.heldout.vocals`).

=============================  ======  =========================================
grade_id                       points  what is compared
=============================  ======  =========================================
test-spectrogram               8       ``stft`` and ``spectrogram`` of 4 signals
test-ideal-binary-mask         6       5 cases (thresholds, silent cells)
test-ideal-ratio-mask          6       5 cases (powers, silent cells)
test-masked-estimate           4       3 mixtures and masks
test-malformed-frames          10      6 cases of NaN, silent and mismatched frames
test-separate-track            8       3 mixtures through a grader-chosen network
test-build-model               6       parameter count; the student's weights in
                                       the grader's network give the same masks
test-overfit-one-batch         8       the student's ``overfit_one_batch`` on a
                                       grader-drawn batch: at most 50 steps, then
                                       the grader's loss of the weights it left
score-ratio-mask-network       14      held-out vocal SDR gain, from the trivial
score-binary-mask-network      10      mask's (:func:`heldout_floor`) to that
                                       plus :data:`MARGIN_DB`
=============================  ======  =========================================

Four written answers (20 points) are graded by hand with the mark schemes in
the solution notebook.
"""

from __future__ import annotations

import functools
import math
import textwrap
import warnings
from collections.abc import Callable

import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.vocals.data import FRAME_PROBLEMS
from dlmusic.vocals.model import weighted_mask_loss
from dlmusic.vocals.stft import HOP_SAMPLES, N_BINS
from dlmusic_instructor.checks import (
    Check,
    CheckFailed,
    Context,
    ProbeRun,
    credit_with_reason,
    files_of,
)
from dlmusic_instructor.references import vocals as reference

FLOOR_DB = 2.0
"""The best trivial mask's vocal SDR gain in the benchmark (+1.90 dB), rounded up to a whole
dB (an untrained network gains up to +0.5 dB on two quick held-out songs)."""
HIGH_PASS_CUTOFF_HZ = 200.0
"""The benchmark's best fixed cutoff, chosen on its training songs."""
MARGIN_DB = {"ratio": 4.9, "binary": 5.1}
"""Full credit this far above the floor: the reference network's gain over the best
trivial mask in the benchmark (ratio +7.53 dB, binary +7.76 dB) less :data:`TARGET_SLACK_DB`,
rounded down to 0.1 dB."""
TARGET_SLACK_DB = 2.6
"""Full credit this far below the reference's benchmark margin. Graded on the held-out songs
of seeds 31, 7 and 1234, the reference's margin over the floor fell short of its benchmark
margin by 1.3 to 2.6 dB (four 15-s songs against ten of 30 s);
``benchmarks/vocals_heldout.py`` measures it, ``benchmarks/results/vocals_heldout.json``."""
OVERFIT_STEPS = 50
"""Steps ``overfit_one_batch`` may take."""
OVERFIT_LOSS_SHARE = (0.3, 0.1)
"""(no credit, full credit) at these shares of the loss a constant 0.5 mask has on the batch."""
SOFTMASK = "librosa.util.softmask"
"""The masks of part 2 are to be written with NumPy: this computes both."""
BENCHMARK_SOURCE = "benchmarks/results/vocals.json"
"""Where :data:`FLOOR_DB`, :data:`HIGH_PASS_CUTOFF_HZ` and :data:`MARGIN_DB` come from
(the test songs of the full ``synthetic_stems``, 2026-11-29, 9000 steps per network);
``tests/test_instructor_vocals.py`` checks that they agree with it."""


def heldout_floor(high_pass_gain_db: float) -> float:
    """No credit at or below this gain on the held-out songs (dB).

    The larger of :data:`FLOOR_DB` and what the benchmark's high-pass mask
    gains on the same held-out songs, so that a network that learned only
    a frequency response earns nothing however the held-out songs fall.
    """
    if math.isnan(high_pass_gain_db):
        return FLOOR_DB
    return max(FLOOR_DB, high_pass_gain_db)


MODEL_WEIGHTS = "model.weights.h5"


# --------------------------------------------------------------------------- helpers


def _case_error(run: ProbeRun, case: int) -> str | None:
    """What the student's function raised on ``case`` (None when it returned)."""
    key = f"error_{case}"
    return run.text(key) if key in run.outputs else None


def _warned(run: ProbeRun, case: int) -> bool:
    key = f"warnings_{case}"
    return key in run.outputs and run.number(key) > 0


def _score(failures: list[str], cases: int) -> float | tuple[float, str] | None:
    """Full marks without failures, else the share of cases right and the first failure."""
    if not failures:
        return None
    return (cases - len(failures)) / cases, failures[0]


def _score_cases(
    run: ProbeRun, describe: Callable[[int], str], failure: Callable[[int], str | None]
) -> float | tuple[float, str] | None:
    """Score a probe of ``inputs["cases"]`` cases.

    ``describe(case)`` names a case in a failure; ``failure(case)`` says what is wrong with
    what the student's function returned on it (None when right). A case that raised fails
    with the error.
    """
    failures = []
    cases = int(run.inputs["cases"])
    for case in range(cases):
        error = _case_error(run, case)
        wrong = f"your code raised {error}" if error is not None else failure(case)
        if wrong is not None:
            failures.append(f"{describe(case)}: {wrong}")
    return _score(failures, cases)


def _mixture_samples(run: ProbeRun, case: int) -> str:
    """Names a case by its mixture's length."""
    return f"a mixture of {run.inputs[f'mixture_{case}'].size} samples"


def _complex_output(run: ProbeRun, name: str) -> np.ndarray:
    value = np.asarray(run.output(name))
    if not (np.issubdtype(value.dtype, np.number) or value.dtype == bool):
        raise CheckFailed(f"{name} must be numeric, got dtype {value.dtype}")
    return value


def _close(ours: np.ndarray, theirs: np.ndarray, *, rtol: float, atol: float) -> bool:
    """Same shape, finite where the reference is, and equal within tolerances."""
    if ours.shape != theirs.shape:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bool(np.allclose(ours, theirs, rtol=rtol, atol=atol, equal_nan=False))


def per_case_probe(body: str, *, setup: str = "", watched: str = "") -> str:
    """A probe that runs ``body`` once per case (``_case``) and records what it raises.

    ``body`` writes ``outputs[f"<name>_{_case}"]``; an exception stops that case only and is
    kept as ``outputs[f"error_{_case}"]`` (its type and message, 300 characters at most), read
    back by :func:`_case_error`. ``setup`` runs once before the cases; ``numpy`` (``_np``) and
    ``warnings`` (``_warnings``) are imported for both. ``watched`` runs before ``body`` with
    every warning recorded; their number is kept as ``outputs[f"warnings_{_case}"]`` (read back
    by :func:`_warned`).
    """
    if watched:
        body = (
            "with _warnings.catch_warnings(record=True) as _caught:\n"
            '    _warnings.simplefilter("always")\n'
            + textwrap.indent(watched, " " * 4)
            + body
            + 'outputs[f"warnings_{_case}"] = len(_caught)\n'
        )
    return (
        "import warnings as _warnings\n"
        "import numpy as _np\n"
        + setup
        + "outputs = {}\n"
        + 'for _case in range(int(inputs["cases"])):\n'
        + "    try:\n"
        + textwrap.indent(body, " " * 8)
        + "    except Exception as _err:\n"
        + '        outputs[f"error_{_case}"] = f"{type(_err).__name__}: {_err}"[:300]\n'
    )


# --------------------------------------------------------------------------- exercise 1

SPECTROGRAM_PROBE = per_case_probe(
    """\
_audio = inputs[f"audio_{_case}"]
with _warnings.catch_warnings():
    _warnings.simplefilter("ignore")  # librosa: a signal shorter than a frame
    outputs[f"stft_{_case}"] = _np.asarray(stft(_audio.copy()))
    outputs[f"spectrogram_{_case}"] = _np.asarray(spectrogram(_audio.copy()))
"""
)


def spectrogram_inputs(context: Context) -> dict[str, np.ndarray]:
    """Four mono float32 signals: noise of three lengths (one shorter than a frame) and a chirp."""
    rng = context.rng("test-spectrogram")
    lengths = [int(rng.integers(300, 1000)), int(rng.integers(2000, 6000)) | 1, 22050]
    inputs: dict[str, np.ndarray] = {}
    for case, n in enumerate(lengths):
        inputs[f"audio_{case}"] = (rng.uniform(0.05, 0.8) * rng.standard_normal(n)).astype(
            np.float32
        )
    t = np.arange(int(rng.integers(8000, 16000))) / 22050
    start_hz = rng.uniform(100, 2000)
    chirp = 0.5 * np.sin(2 * np.pi * (start_hz * t + 800 * t**2))
    inputs["audio_3"] = chirp.astype(np.float32)
    inputs["cases"] = np.array(4)
    return inputs


def judge_spectrogram(run: ProbeRun) -> float | tuple[float, str] | None:
    """Half the credit for ``stft``, half for ``spectrogram``, over every signal."""
    cases = int(run.inputs["cases"])
    stft_failures, magnitude_failures = [], []
    for case in range(cases):
        audio = run.inputs[f"audio_{case}"]
        what = f"a signal of {audio.size} samples"
        error = _case_error(run, case)
        if error is not None:
            stft_failures.append(f"on {what} your code raised {error}")
            magnitude_failures.append(stft_failures[-1])
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # librosa: a signal shorter than a frame
            expected = reference.stft(audio)
        scale = float(np.abs(expected).max())
        ours = _complex_output(run, f"stft_{case}")
        if ours.shape != expected.shape:
            stft_failures.append(f"stft of {what}: shape {ours.shape}, expected {expected.shape}")
        elif not np.iscomplexobj(ours):
            stft_failures.append(f"stft of {what} is not complex (dtype {ours.dtype})")
        elif not _close(ours, expected, rtol=1e-4, atol=1e-4 * scale):
            stft_failures.append(
                f"stft of {what} differs from the expected STFT "
                "(check n_fft, hop, window, centring)"
            )
        magnitude = _complex_output(run, f"spectrogram_{case}")
        if magnitude.shape != expected.shape:
            magnitude_failures.append(
                f"spectrogram of {what}: shape {magnitude.shape}, expected {expected.shape}"
            )
        elif magnitude.dtype != np.float32:
            magnitude_failures.append(
                f"spectrogram of {what}: dtype {magnitude.dtype}, not float32"
            )
        elif not _close(magnitude, np.abs(expected), rtol=1e-4, atol=1e-4 * scale):
            magnitude_failures.append(f"spectrogram of {what} differs from the expected magnitudes")
    failures = stft_failures + magnitude_failures
    if not failures:
        return None
    fraction = 0.5 * (stft_failures == []) + 0.5 * (magnitude_failures == [])
    return fraction, failures[0]


# --------------------------------------------------------------------------- exercise 2


MASK_PROBE = per_case_probe(
    'outputs[f"mask_{_case}"] = _np.asarray(_mask)\n',
    watched="""\
_mask = FUNCTION(
    inputs[f"vocals_{_case}"].copy(),
    inputs[f"accompaniment_{_case}"].copy(),
    float(inputs[f"parameter_{_case}"]),
)
""",
)


def _stems_pair(rng: np.random.Generator, shape: tuple[int, int], silent: bool):
    """A complex vocal STFT and a real (signed) accompaniment, with silent cells if asked."""
    vocals = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    accompaniment = rng.standard_normal(shape) * rng.uniform(0.3, 3.0)
    if silent:
        vocals = vocals * (rng.random(shape) > 0.3)
        accompaniment = accompaniment * (rng.random(shape) > 0.3)
        both = rng.random(shape) < 0.1
        vocals[both] = 0
        accompaniment[both] = 0
    return vocals, accompaniment


def mask_inputs(grade_id: str, parameters: list[float], silent: list[bool]):
    """``make_inputs`` of a mask check: one case per parameter (a threshold or a power)."""

    def make(context: Context) -> dict[str, np.ndarray]:
        rng = context.rng(grade_id)
        inputs: dict[str, np.ndarray] = {"cases": np.array(len(parameters))}
        for case, (parameter, with_silence) in enumerate(zip(parameters, silent, strict=True)):
            shape = (int(rng.integers(1, 40)), int(rng.integers(1, 60)))
            vocals, accompaniment = _stems_pair(rng, shape, with_silence)
            value = parameter if not math.isnan(parameter) else float(rng.uniform(-12, 12))
            inputs[f"vocals_{case}"] = vocals
            inputs[f"accompaniment_{case}"] = accompaniment
            inputs[f"parameter_{case}"] = np.array(value)
        return inputs

    return make


def _mask_case_failure(run: ProbeRun, case: int, expected: np.ndarray, what: str) -> str | None:
    """Why the mask of ``case`` is wrong (None when it is right but for near-ties)."""
    error = _case_error(run, case)
    if error is not None:
        return f"{what}: your code raised {error}"
    mask = _complex_output(run, f"mask_{case}")
    if mask.shape != expected.shape:
        return f"{what}: shape {mask.shape}, expected {expected.shape}"
    if mask.dtype != np.float32:
        return f"{what}: dtype {mask.dtype}, not float32"
    if not np.all(np.isfinite(mask)):
        return f"{what}: the mask holds NaN or infinite values"
    if _warned(run, case):
        return f"{what}: a warning was raised (a division by zero?)"
    return None


def _judge_mask_cases(
    run: ProbeRun,
    mask_function: Callable[[np.ndarray, np.ndarray, float], np.ndarray],
    describe: Callable[[float], str],
    difference: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float], str | None],
) -> float | tuple[float, str] | None:
    """Score every case of a mask check against the reference's ``mask_function``.

    ``describe(parameter)`` names a case; ``difference(got, expected, vocals, accompaniment,
    parameter)`` says how a well-formed mask differs from the reference's (None when it does not).
    """
    failures = []
    cases = int(run.inputs["cases"])
    for case in range(cases):
        vocals, accompaniment = run.inputs[f"vocals_{case}"], run.inputs[f"accompaniment_{case}"]
        parameter = float(run.inputs[f"parameter_{case}"])
        silent = bool(np.any((vocals == 0) & (accompaniment == 0)))
        what = describe(parameter) + (", with silent cells" if silent else "")
        expected = mask_function(vocals, accompaniment, parameter)
        failure = _mask_case_failure(run, case, expected, what)
        if failure is None:
            wrong = difference(
                run.array(f"mask_{case}"), expected, vocals, accompaniment, parameter
            )
            failure = None if wrong is None else f"{what}: {wrong}"
        if failure is not None:
            failures.append(failure)
    return _score(failures, cases)


def _binary_mask_difference(
    got: np.ndarray,
    expected: np.ndarray,
    vocals: np.ndarray,
    accompaniment: np.ndarray,
    threshold: float,
) -> str | None:
    """The cells that differ, but for those within 1e-9 of the threshold."""
    level = np.abs(accompaniment) * 10.0 ** (threshold / 20.0)
    tie = np.isclose(np.abs(vocals), level, rtol=1e-9, atol=0.0) & (level > 0)
    wrong = (got != expected) & ~tie
    return f"{int(wrong.sum())} of {wrong.size} cells differ" if wrong.any() else None


def _ratio_mask_difference(
    got: np.ndarray,
    expected: np.ndarray,
    vocals: np.ndarray,
    accompaniment: np.ndarray,
    power: float,
) -> str | None:
    """Whether the mask equals the reference's within 1e-5."""
    if _close(got, expected, rtol=0.0, atol=1e-5):
        return None
    return "the mask differs from |V|^p / (|V|^p + |A|^p)"


def judge_ideal_binary_mask(run: ProbeRun) -> float | tuple[float, str] | None:
    """Each case's mask equals the reference's, but for cells within 1e-9 of the threshold."""
    return _judge_mask_cases(
        run,
        reference.ideal_binary_mask,
        lambda threshold: f"threshold {threshold:+.1f} dB",
        _binary_mask_difference,
    )


def judge_ideal_ratio_mask(run: ProbeRun) -> float | tuple[float, str] | None:
    """Each case's mask equals the reference's within 1e-5."""
    return _judge_mask_cases(
        run, reference.ideal_ratio_mask, lambda power: f"power {power:g}", _ratio_mask_difference
    )


# --------------------------------------------------------------------------- exercise 2c

MASKED_ESTIMATE_PROBE = per_case_probe(
    """\
outputs[f"estimate_{_case}"] = _np.asarray(
    masked_estimate(inputs[f"mixture_{_case}"].copy(), inputs[f"mask_{_case}"].copy())
)
"""
)


def _noise_mixture(rng: np.random.Generator, low: int, high: int, scale: float) -> np.ndarray:
    """Gaussian noise of ``scale`` (float32), ``low`` to ``high`` samples long (drawn)."""
    n = int(rng.integers(low, high))
    return (scale * rng.standard_normal(n)).astype(np.float32)


def masked_estimate_inputs(context: Context) -> dict[str, np.ndarray]:
    """Three mixtures of random lengths, each with a random mask in [0, 1]."""
    rng = context.rng("test-masked-estimate")
    inputs: dict[str, np.ndarray] = {"cases": np.array(3)}
    for case in range(3):
        mixture = _noise_mixture(rng, 2000, 12000, 0.2)
        inputs[f"mixture_{case}"] = mixture
        mask = rng.random((N_BINS, 1 + mixture.size // HOP_SAMPLES))
        if case == 2:
            mask = (mask > 0.5).astype(np.float64)
        inputs[f"mask_{case}"] = mask
    return inputs


def judge_masked_estimate(run: ProbeRun) -> float | tuple[float, str] | None:
    def failure(case: int) -> str | None:
        mixture, mask = run.inputs[f"mixture_{case}"], run.inputs[f"mask_{case}"]
        expected = reference.masked_estimate(mixture, mask)
        estimate = run.array(f"estimate_{case}")
        if estimate.shape != expected.shape:
            return f"shape {estimate.shape}, expected {expected.shape}"
        if not _close(estimate, expected, rtol=1e-4, atol=1e-4):
            return (
                "differs from the inverse STFT of mask * STFT(mixture) "
                "(check your stft of part 1 and the length given to istft)"
            )
        return None

    return _score_cases(run, functools.partial(_mixture_samples, run), failure)


# --------------------------------------------------------------------------- exercise 3

MALFORMED_FRAMES_PROBE = per_case_probe(
    f"""\
for _problem in {FRAME_PROBLEMS!r}:
    outputs[f"{{_problem}}_{{_case}}"] = _np.asarray(_found[_problem])
""",
    watched="""\
_found = malformed_frames(
    inputs[f"mixture_{_case}"].copy(),
    inputs[f"vocals_{_case}"].copy(),
    inputs[f"accompaniment_{_case}"].copy(),
)
""",
)


def malformed_frames_inputs(context: Context) -> dict[str, np.ndarray]:
    """Six cases of three STFTs with NaN and infinite frames, silence and mismatched stems."""
    rng = context.rng("test-malformed-frames")
    inputs: dict[str, np.ndarray] = {"cases": np.array(6)}
    for case in range(6):
        bins = N_BINS if case == 0 else int(rng.integers(2, 20))
        n = int(rng.integers(1, 40))
        vocals = (rng.standard_normal((bins, n)) + 1j * rng.standard_normal((bins, n))) * (
            rng.random(n) > 0.3
        )
        accompaniment = (rng.standard_normal((bins, n)) + 0j) * (rng.random(n) > 0.3)
        mixture = (vocals + accompaniment) * rng.choice([1.0, 1.0, 1.05, 1.2, 1.5], n)
        mixture[:, rng.random(n) < 0.15] *= 1e-5
        mixture[:, rng.random(n) < 0.1] = np.nan
        accompaniment[:, rng.random(n) < 0.1] = -np.inf
        vocals[rng.integers(bins), rng.random(n) < 0.1] = complex(np.inf, 0.0)
        inputs[f"mixture_{case}"] = mixture
        inputs[f"vocals_{case}"] = vocals
        inputs[f"accompaniment_{case}"] = accompaniment
    return inputs


def judge_malformed_frames(run: ProbeRun) -> float | tuple[float, str] | None:
    def stems(case: int) -> list[np.ndarray]:
        return [run.inputs[f"{name}_{case}"] for name in ("mixture", "vocals", "accompaniment")]

    def failure(case: int) -> str | None:
        expected = reference.malformed_frames(*stems(case))
        wrong = []
        for problem in FRAME_PROBLEMS:
            flags = np.asarray(run.output(f"{problem}_{case}"))
            if flags.shape != expected[problem].shape or not np.array_equal(
                flags.astype(bool), expected[problem]
            ):
                wrong.append(problem)
        if wrong:
            return f"wrong frames for {', '.join(wrong)}"
        if _warned(run, case):
            return "a warning was raised (compute on finite values only)"
        return None

    return _score_cases(
        run, lambda case: f"three STFTs of {stems(case)[0].shape[1]} frames", failure
    )


# --------------------------------------------------------------------------- exercise 4

SEPARATE_TRACK_PROBE = per_case_probe(
    """\
_result = separate_track(_network, inputs[f"mixture_{_case}"].copy())
for _key in ("mask", "vocals", "accompaniment"):
    outputs[f"{_key}_{_case}"] = _np.asarray(_result[_key])
""",
    setup="""\
import keras as _keras
_dense = _keras.layers.Dense(inputs["bias"].size, activation="sigmoid")
_network = _keras.Sequential([_keras.Input(shape=(None, inputs["bias"].size)), _dense])
_dense.set_weights([inputs["kernel"], inputs["bias"]])
""",
)


def separate_track_inputs(context: Context) -> dict[str, np.ndarray]:
    """Three mixtures and the weights of a one-layer mask network (magnitudes -> sigmoid)."""
    rng = context.rng("test-separate-track")
    inputs: dict[str, np.ndarray] = {"cases": np.array(3)}
    for case in range(3):
        inputs[f"mixture_{case}"] = _noise_mixture(rng, 3000, 12000, 0.1)
    inputs["kernel"] = (0.05 * rng.standard_normal((N_BINS, N_BINS))).astype(np.float32)
    inputs["bias"] = (0.5 * rng.standard_normal(N_BINS)).astype(np.float32)
    return inputs


def _sigmoid_network(kernel: np.ndarray, bias: np.ndarray):
    """The probe's network in NumPy: ``sigmoid(magnitude @ kernel + bias)``."""

    def network(magnitude, training=False):
        logits = np.asarray(magnitude, np.float64) @ kernel.astype(np.float64) + bias
        return 1.0 / (1.0 + np.exp(-logits))

    return network


def judge_separate_track(run: ProbeRun) -> float | tuple[float, str] | None:
    network = _sigmoid_network(run.inputs["kernel"], run.inputs["bias"])

    def failure(case: int) -> str | None:
        expected = reference.separate_track(network, run.inputs[f"mixture_{case}"])
        for key in ("mask", "vocals", "accompaniment"):
            ours = run.array(f"{key}_{case}")
            if ours.shape != expected[key].shape:
                return f"{key} has shape {ours.shape}, expected {expected[key].shape}"
            if not _close(ours, expected[key], rtol=1e-4, atol=1e-4):
                return f"the {key} differs from the expected one"
        return None

    return _score_cases(run, functools.partial(_mixture_samples, run), failure)


# --------------------------------------------------------------------------- exercise 5

BUILD_MODEL_PROBE = f"""\
import numpy as _np
from dlmusic.runs import count_trainable_parameters as _count
_model = build_model()
_model.save_weights(str(probe_dir / {MODEL_WEIGHTS!r}))
outputs = {{
    "mask": _np.asarray(_model(inputs["magnitude"], training=False)),
    "trainable": _count(_model),
}}
"""


def build_model_inputs(context: Context) -> dict[str, np.ndarray]:
    """Two sequences of 24 frames of random magnitudes (silence to loud)."""
    rng = context.rng("test-build-model")
    magnitude = rng.uniform(0.0, 3.0, (2, 24, N_BINS)) * (rng.random((2, 24, 1)) > 0.1)
    return {"magnitude": magnitude.astype(np.float32)}


def judge_build_model(run: ProbeRun) -> None:
    """Parameter count, then the student's weights in the grader's network give the same masks."""
    from dlmusic_instructor.heldout.vocals import load_saved_model

    count = int(run.number("trainable"))
    if count != reference.TRAINABLE_PARAMETERS:
        raise CheckFailed(
            f"{count:,} trainable parameters; the table says {reference.TRAINABLE_PARAMETERS:,}"
        )
    magnitude = run.inputs["magnitude"]
    ours = run.array("mask", shape=magnitude.shape)
    grader = load_saved_model(files_of(run, MODEL_WEIGHTS), "network of build_model()")
    expected = np.asarray(grader(magnitude, training=False))
    if not np.allclose(ours, expected, atol=1e-5):
        raise CheckFailed(
            "your weights load into the grader's network but it computes different masks: "
            "check the layers, their order and their activations against the table"
        )


# --------------------------------------------------------------------------- exercise 5b

OVERFIT_ONE_BATCH_PROBE = f"""\
import numpy as _np
from dlmusic.vocals.model import compile_mask_estimator as _compile
_model = _compile(build_model())
_batch = (inputs["x"].copy(), inputs["y"].copy(), inputs["w"].copy())
_losses = overfit_one_batch(_model, _batch, steps={OVERFIT_STEPS})
_model.save_weights(str(probe_dir / {MODEL_WEIGHTS!r}))
outputs = {{
    "iterations": int(_model.optimizer.iterations),
    "losses": _np.asarray(_losses, dtype=_np.float64),
}}
"""


def _harmonic_tone(
    rng: np.random.Generator, f0_hz: float, n_samples: int, vibrato: bool
) -> np.ndarray:
    """Eight harmonics of ``f0_hz`` with falling amplitudes (and a 5-6 Hz vibrato), 22050 Hz."""
    t = np.arange(n_samples) / SAMPLE_RATE_HZ
    cents = 40.0 * np.sin(2 * np.pi * rng.uniform(5.0, 6.0) * t) if vibrato else 0.0
    phase = 2 * np.pi * np.cumsum(f0_hz * 2 ** (cents / 1200)) / SAMPLE_RATE_HZ
    return sum(np.sin(k * phase) / k for k in range(1, 9)) * rng.uniform(0.05, 0.2)


def overfit_one_batch_inputs(context: Context) -> dict[str, np.ndarray]:
    """One batch of 4 sequences of 64 frames: a sung tone over a chord, ratio-mask targets.

    Each sequence is drawn per student: a voice-like tone (vibrato, 110-660 Hz) over
    three steady harmonic tones in the same range and a little noise.
    """
    rng = context.rng("test-overfit-one-batch")
    n_samples = 63 * HOP_SAMPLES
    xs, ys = [], []
    for _ in range(4):
        voice = _harmonic_tone(rng, rng.uniform(110.0, 660.0), n_samples, vibrato=True)
        band = sum(
            _harmonic_tone(rng, rng.uniform(110.0, 660.0), n_samples, vibrato=False)
            for _ in range(3)
        ) + 0.01 * rng.standard_normal(n_samples)
        vocals, accompaniment = reference.stft(voice), reference.stft(band)
        xs.append(np.abs(vocals + accompaniment).T)
        ys.append(reference.ideal_ratio_mask(vocals, accompaniment).T)
    x = np.stack(xs).astype(np.float32)
    return {"x": x, "y": np.stack(ys).astype(np.float32), "w": (x**2).astype(np.float32)}


def judge_overfit_one_batch(run: ProbeRun) -> float | tuple[float, str] | None:
    """At most 50 optimiser steps, then the grader's loss of the saved weights on the batch."""
    from dlmusic_instructor.heldout.vocals import load_saved_model

    steps = int(run.number("iterations"))
    if steps > OVERFIT_STEPS:
        raise CheckFailed(f"the optimiser took {steps} steps; at most {OVERFIT_STEPS} are allowed")
    if steps == 0:
        raise CheckFailed("overfit_one_batch did not train the model (0 optimiser steps)")
    x, y, w = (run.inputs[key] for key in ("x", "y", "w"))
    grader = load_saved_model(files_of(run, MODEL_WEIGHTS), "network after overfit_one_batch")
    share = weighted_mask_loss(grader, x, y, w) / float(np.mean(w * (0.5 - y) ** 2))
    none, full = OVERFIT_LOSS_SHARE
    return credit_with_reason(
        -share,
        floor=-none,
        target=-full,
        reason=f"after {steps} steps the loss on the batch is {share:.0%} of a constant 0.5 "
        f"mask's (full credit at {full:.0%} or less, none at {none:.0%})",
    )


# --------------------------------------------------------------------------- part 6


def heldout_measurement(context: Context, target: str) -> tuple[float, float, float]:
    """What :func:`heldout_judge` measures of the ``target`` network handed in (dB).

    Returns
    -------
    gain : float
        Mean vocal SDR improvement over the mixture on the held-out songs of
        ``context``'s seed and size (NaN if nothing could be scored).
    floor : float
        :func:`heldout_floor` of the high-pass mask's gain on the same songs.
    goal : float
        Full credit from here: ``floor + MARGIN_DB[target]``.
    """
    from dlmusic_instructor.heldout.vocals import (
        heldout_tracks,
        high_pass_improvement,
        submitted_model,
        vocal_sdr_improvement,
    )

    model = submitted_model(context.submission, target)
    tracks = heldout_tracks(context.heldout, context.seed, context.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gain = vocal_sdr_improvement(model, tracks)
        floor = heldout_floor(high_pass_improvement(tracks, HIGH_PASS_CUTOFF_HZ))
    return gain, floor, floor + MARGIN_DB[target]


def heldout_judge(target: str):
    """The judge of one network's held-out score (``probe=""``: it reads the handed-in file)."""

    def judge(run: ProbeRun) -> float | tuple[float, str] | None:
        gain, floor, goal = heldout_measurement(run.context, target)
        if math.isnan(gain):
            raise CheckFailed(f"the {target}-mask network's estimates could not be scored")
        return credit_with_reason(
            gain,
            floor=floor,
            target=goal,
            reason=f"held-out vocal SDR improvement {gain:+.2f} dB (0 credit at "
            f"{floor:+.1f} dB, full at {goal:+.1f} dB)",
        )

    judge.__name__ = f"judge_{target}_network"
    return judge


CHECKS = (
    Check(
        "test-spectrogram",
        judge_spectrogram,
        probe=SPECTROGRAM_PROBE,
        make_inputs=spectrogram_inputs,
    ),
    Check(
        "test-ideal-binary-mask",
        judge_ideal_binary_mask,
        probe=MASK_PROBE.replace("FUNCTION", "ideal_binary_mask"),
        make_inputs=mask_inputs(
            "test-ideal-binary-mask",
            [0.0, math.nan, math.nan, 0.0, math.nan],
            [False, False, True, True, True],
        ),
        forbidden_calls=(SOFTMASK,),
    ),
    Check(
        "test-ideal-ratio-mask",
        judge_ideal_ratio_mask,
        probe=MASK_PROBE.replace("FUNCTION", "ideal_ratio_mask"),
        make_inputs=mask_inputs(
            "test-ideal-ratio-mask",
            [1.0, 2.0, 0.5, 1.0, 2.0],
            [False, False, False, True, True],
        ),
        forbidden_calls=(SOFTMASK,),
    ),
    Check(
        "test-masked-estimate",
        judge_masked_estimate,
        probe=MASKED_ESTIMATE_PROBE,
        make_inputs=masked_estimate_inputs,
    ),
    Check(
        "test-malformed-frames",
        judge_malformed_frames,
        probe=MALFORMED_FRAMES_PROBE,
        make_inputs=malformed_frames_inputs,
    ),
    Check(
        "test-separate-track",
        judge_separate_track,
        probe=SEPARATE_TRACK_PROBE,
        make_inputs=separate_track_inputs,
    ),
    Check(
        "test-build-model",
        judge_build_model,
        probe=BUILD_MODEL_PROBE,
        make_inputs=build_model_inputs,
    ),
    Check(
        "test-overfit-one-batch",
        judge_overfit_one_batch,
        probe=OVERFIT_ONE_BATCH_PROBE,
        make_inputs=overfit_one_batch_inputs,
        timeout_s=300.0,
    ),
    Check("score-ratio-mask-network", heldout_judge("ratio"), timeout_s=600.0),
    Check("score-binary-mask-network", heldout_judge("binary"), timeout_s=600.0),
)
