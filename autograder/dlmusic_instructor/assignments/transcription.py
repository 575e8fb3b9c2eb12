"""Hidden checks of the ``transcription`` notebook: one per autograded test cell.

Each probe calls the student's function on inputs the grader draws
(:meth:`Context.rng`) and records plain arrays; each judge compares them here,
in the grader's process, with :mod:`dlmusic_instructor.references.transcription`.
The three ``score-*`` checks have no probe: they load the weights files the
student handed in into the instructor's builder and measure the held-out Fno
(:mod:`dlmusic_instructor.heldout.transcription`), with the fixed floors and
targets of :data:`MODEL_SCORES`.

Where one exercise builds on another (the CQT layer on the student's kernel, the
network on the CQT layer), the judge rebuilds the reference on what the probe
recorded of the earlier exercise (the student's CQT magnitudes, the student's
octave kernels), so an error is paid for once, in its own cell.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from dlmusic.errors import DlmusicError
from dlmusic.transcription.constants import (
    HARMONICS,
    HIGHEST_MIDI,
    LOWEST_MIDI,
    N_KEYS,
    WINDOW_SAMPLES,
)
from dlmusic.transcription.metrics import ONSET_TOLERANCE_S, SCORE_KEYS
from dlmusic.transcription.saved import weights_file
from dlmusic.transcription.targets import NoteList
from dlmusic_instructor.checks import Check, CheckFailed, ProbeRun, files_of, partial_credit
from dlmusic_instructor.heldout.transcription import (
    heldout_clips,
    heldout_fno,
    load_submitted_model,
    load_weights_strictly,
)
from dlmusic_instructor.references import transcription as reference


def _share_right(wrong: list[str], n_cases: int):
    """None when nothing is ``wrong``; else the share of right cases and the first error."""
    if not wrong:
        return None
    return (n_cases - len(wrong)) / n_cases, f"{len(wrong)} of {n_cases} wrong, e.g. {wrong[0]}"


# --- test-cqt-kernel -------------------------------------------------------------------

KERNEL_CASES = ((27.5, 22050.0, 36), (440.0, 22050.0, 36), (3520.0, 22050.0, 36))
"""Cases every student gets (the visible test's), before the drawn ones."""


def _kernel_inputs(context) -> dict[str, np.ndarray]:
    rng = context.rng("test-cqt-kernel")
    n_drawn = 25
    srs = rng.choice([16000.0, 22050.0, 44100.0], n_drawn)
    bins = rng.choice([12, 24, 36, 48], n_drawn)
    freqs = np.exp(rng.uniform(np.log(25.0), np.log(0.45 * srs)))
    fixed = np.array(KERNEL_CASES)
    return {
        "freq_hz": np.concatenate([fixed[:, 0], freqs]),
        "sr": np.concatenate([fixed[:, 1], srs]),
        "bins_per_octave": np.concatenate([fixed[:, 2], bins]).astype(np.int64),
    }


KERNEL_PROBE = """
import numpy as np
outputs = {}
for i in range(len(inputs["freq_hz"])):
    kernel = np.asarray(
        cqt_kernel(float(inputs["freq_hz"][i]), float(inputs["sr"][i]),
                   int(inputs["bins_per_octave"][i]))
    )
    outputs[f"real_{i}"] = np.real(kernel).astype(np.float64)
    outputs[f"imag_{i}"] = np.imag(kernel).astype(np.float64)
    outputs[f"complex_{i}"] = bool(np.iscomplexobj(kernel))
"""


def _centred(kernel: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``kernel`` centred in an array as long as the longer of the two (as the visible test
    does with ``librosa.util.pad_center``: a kernel one tap shorter or longer than librosa's
    is the same kernel, centred one half-sample apart)."""
    size = max(kernel.size, other.size)
    left = (size - kernel.size) // 2
    return np.pad(kernel, (left, size - kernel.size - left))


def _judge_kernel(run: ProbeRun):
    n_cases = len(run.inputs["freq_hz"])
    wrong = []
    for i in range(n_cases):
        freq, sr, bins = (
            float(run.inputs["freq_hz"][i]),
            float(run.inputs["sr"][i]),
            int(run.inputs["bins_per_octave"][i]),
        )
        expected = reference.cqt_kernel(freq, sr, bins)
        got = run.array(f"real_{i}") + 1j * run.array(f"imag_{i}")
        case = f"{freq:.1f} Hz at {sr:.0f} Hz, {bins} bins per octave"
        if not bool(run.output(f"complex_{i}")):
            wrong.append(f"{case}: the kernel is not complex")
        elif got.ndim != 1 or abs(got.size - expected.size) > 1:
            wrong.append(
                f"{case}: {got.size} taps, expected {expected.size} (one more or less is fine)"
            )
        elif not np.allclose(
            _centred(got, expected), _centred(expected, got), rtol=1e-5, atol=1e-9
        ):
            wrong.append(f"{case}: values differ from the expected kernel")
    return _share_right(wrong, n_cases)


# --- test-log-cqt ----------------------------------------------------------------------


def _log_cqt_inputs(context) -> dict[str, np.ndarray]:
    rng = context.rng("test-log-cqt")
    audio = (rng.uniform(0.02, 0.3) * rng.standard_normal((3, WINDOW_SAMPLES))).astype(np.float32)
    audio[1] *= np.float32(10 ** rng.uniform(-4, -2))  # a much quieter example
    time_s = np.arange(WINDOW_SAMPLES) / 22050.0
    audio[2] = (0.5 * np.sin(2 * np.pi * rng.uniform(60.0, 2000.0) * time_s)).astype(np.float32)
    return {"audio": audio, "silence": np.zeros((1, 4096), np.float32)}


CQT_KERNEL_PRELUDE = """
import numpy as np
from dlmusic.transcription.cqt import plan_octaves


def grader_kernel(freq_hz, sr, bins_per_octave=36):
    # librosa's kernel: stands in for a cqt_kernel that does not run, so that the
    # exercises built on the CQT are judged on their own.
    import librosa

    ratio_squared = 2.0 ** (2.0 / bins_per_octave)
    alpha = (ratio_squared - 1.0) / (ratio_squared + 1.0)
    kernels, _ = librosa.filters.wavelet(
        freqs=np.array([freq_hz]), sr=sr, norm=1, pad_fft=False, alpha=alpha,
        dtype=np.complex128,
    )
    return kernels[0]


notebook = getattr(HOLDER, "__globals__", globals())
had_kernel, student_kernel = "cqt_kernel" in notebook, notebook.get("cqt_kernel")
try:
    octaves = plan_octaves(student_kernel)
except Exception:
    notebook["cqt_kernel"] = grader_kernel
    octaves = plan_octaves(grader_kernel)
outputs = {"grader_kernel": notebook["cqt_kernel"] is grader_kernel}
try:
    BODY
finally:
    if had_kernel:
        notebook["cqt_kernel"] = student_kernel
    else:
        notebook.pop("cqt_kernel", None)
"""
"""Runs ``BODY`` with the student's ``cqt_kernel``, or the grader's when the student's
does not make a CQT (not written yet, or raising): the layer and network checks judge
what they test, not the kernel again. ``HOLDER`` is a function of the notebook."""


def _with_kernel(holder: str, body: str) -> str:
    """The prelude around ``body`` (indented into its ``try``)."""
    indented = "\n".join(f"    {line}" if line else "" for line in body.strip().splitlines())
    return CQT_KERNEL_PRELUDE.replace("HOLDER", holder).replace("    BODY", indented)


LOG_CQT_PROBE = _with_kernel(
    "LogCQT.__init__",
    """
layer = LogCQT()
outputs["magnitude"] = np.asarray(layer.cqt(inputs["audio"]))
outputs["log_cqt"] = np.asarray(layer(inputs["audio"]))
outputs["silence"] = np.asarray(LogCQT()(inputs["silence"]))
""",
)


def _judge_log_cqt(run: ProbeRun):
    magnitude = run.array("magnitude")
    expected = np.asarray(reference.normalized_log_power(magnitude.astype(np.float32)))
    got = run.array("log_cqt")
    if got.shape != expected.shape:
        raise CheckFailed(f"LogCQT output has shape {got.shape}, expected {expected.shape}")
    if not np.all(np.isfinite(run.array("silence"))):
        raise CheckFailed("LogCQT gives NaN or infinity on silence")
    if not np.allclose(got, expected, atol=1e-4):
        worst = int(np.argmax(np.abs(got - expected).reshape(len(got), -1).max(axis=1)))
        raise CheckFailed(
            f"LogCQT differs from the normalised log power of its CQT (example {worst}: "
            "check the dB conversion and the per-example rescaling to [0, 1])"
        )
    return None


# --- test-harmonic-stack ---------------------------------------------------------------


def _stack_inputs(context) -> dict[str, np.ndarray]:
    rng = context.rng("test-harmonic-stack")
    inputs: dict[str, np.ndarray] = {}
    n_cases = 20
    for i in range(n_cases):
        harmonics = np.sort(rng.choice(HARMONICS, size=rng.integers(1, 9), replace=False))
        shape = (int(rng.integers(1, 30)), int(rng.integers(20, 330)))
        dtype = np.float32 if i % 2 else np.float64
        inputs[f"spectrogram_{i}"] = rng.random(shape).astype(dtype)
        inputs[f"harmonics_{i}"] = harmonics.astype(np.float64)
    inputs["n_output_bins"] = rng.integers(1, 300, n_cases)
    inputs["bins_per_octave"] = rng.choice([12, 24, 36], n_cases)
    return inputs


STACK_PROBE = """
import numpy as np

outputs = {}
for i in range(len(inputs["n_output_bins"])):
    harmonics = tuple(h if h != int(h) else int(h) for h in inputs[f"harmonics_{i}"].tolist())
    spectrogram = inputs[f"spectrogram_{i}"]
    stacked = np.asarray(harmonic_stack(
        spectrogram, harmonics, int(inputs["n_output_bins"][i]), int(inputs["bins_per_octave"][i]),
    ))
    outputs[f"stacked_{i}"] = stacked
    outputs[f"dtype_{i}"] = str(stacked.dtype)
    if i == 0:  # a batch of two: the network calls it on batches of tensors
        batch = np.asarray(harmonic_stack(
            np.stack([spectrogram, 2 * spectrogram]), harmonics,
            int(inputs["n_output_bins"][i]), int(inputs["bins_per_octave"][i]),
        ))
        outputs["batch"] = batch
"""


def _judge_stack(run: ProbeRun):
    n_cases = len(run.inputs["n_output_bins"])
    wrong = []
    single = np.asarray(run.output("stacked_0"))
    batch = np.asarray(run.output("batch"))
    if batch.shape != (2, *single.shape) or not np.allclose(batch, [single, 2 * single]):
        wrong.append(
            f"a batch of two spectrograms gives shape {batch.shape}; stack each example alike "
            "(slice the last axis with ...)"
        )
    for i in range(n_cases):
        spectrogram = run.inputs[f"spectrogram_{i}"]
        harmonics = tuple(run.inputs[f"harmonics_{i}"].tolist())
        expected = reference.harmonic_stack(
            spectrogram,
            harmonics,
            int(run.inputs["n_output_bins"][i]),
            int(run.inputs["bins_per_octave"][i]),
        )
        got = np.asarray(run.output(f"stacked_{i}"))
        case = (
            f"a {spectrogram.shape} {spectrogram.dtype} spectrogram, harmonics {harmonics}, "
            f"{int(run.inputs['n_output_bins'][i])} output bins, "
            f"{int(run.inputs['bins_per_octave'][i])} bins per octave"
        )
        if got.shape != expected.shape:
            wrong.append(f"{case}: shape {got.shape}, expected {expected.shape}")
        elif run.text(f"dtype_{i}") != str(spectrogram.dtype):
            wrong.append(f"{case}: dtype {run.text(f'dtype_{i}')}, expected the input's")
        elif not np.array_equal(got, expected):
            wrong.append(f"{case}: values differ")
    return _share_right(wrong, n_cases)


# --- test-note-onset-targets -----------------------------------------------------------


def _target_inputs(context) -> dict[str, np.ndarray]:
    rng = context.rng("test-note-onset-targets")
    inputs: dict[str, np.ndarray] = {}
    n_cases = 40
    for i in range(n_cases):
        n_notes = int(rng.integers(0, 25))
        onsets = rng.uniform(-1.0, 3.0, n_notes)
        durations = rng.choice([0.001, 0.01, 0.05, 0.3, 1.0, 2.5], n_notes)
        durations = durations * rng.uniform(0.5, 1.5, n_notes)
        inputs[f"intervals_{i}"] = np.column_stack([onsets, onsets + durations]).reshape(-1, 2)
        inputs[f"pitches_{i}"] = rng.integers(LOWEST_MIDI, HIGHEST_MIDI + 1, n_notes)
    inputs["n_frames"] = rng.choice([1, 7, 172, 300], n_cases)
    return inputs


TARGET_PROBE = """
import numpy as np
from dlmusic.transcription.targets import NoteList
outputs = {}
for i in range(len(inputs["n_frames"])):
    pitches = inputs[f"pitches_{i}"]
    notes = NoteList(inputs[f"intervals_{i}"], pitches, np.full(len(pitches), 80))
    note, onset = note_and_onset_targets(notes, int(inputs["n_frames"][i]))
    outputs[f"note_{i}"] = np.asarray(note)
    outputs[f"onset_{i}"] = np.asarray(onset)
"""


def _judge_targets(run: ProbeRun):
    n_cases = len(run.inputs["n_frames"])
    wrong = []
    for i in range(n_cases):
        pitches = run.inputs[f"pitches_{i}"]
        notes = NoteList(run.inputs[f"intervals_{i}"], pitches, np.full(len(pitches), 80))
        n_frames = int(run.inputs["n_frames"][i])
        note, onset = reference.note_and_onset_targets(notes, n_frames)
        for name, values in (("note", note), ("onset", onset)):
            got = np.asarray(run.output(f"{name}_{i}"))
            case = f"{len(notes)} notes in {n_frames} frames"
            if got.shape != values.shape:
                wrong.append(f"{case}: {name} shape {got.shape}, expected {values.shape}")
            elif got.dtype != np.float32:
                wrong.append(f"{case}: {name} has dtype {got.dtype}, expected float32")
            elif not np.array_equal(got, values):
                wrong.append(f"{case}: the {name} targets differ")
            else:
                continue
            break
    return _share_right(wrong, n_cases)


# --- test-build-model, test-build-model-ablations --------------------------------------

ABLATIONS = {
    "no_harmonic_stacking": {"harmonic_stacking": False},
    "no_contour_supervision": {"supervised_contour": False},
    "no_post_stack_conv": {"post_stack_conv": False},
}


def _audio_inputs(grade_id: str) -> Callable:
    def make(context) -> dict[str, np.ndarray]:
        rng = context.rng(grade_id)
        return {"audio": (0.1 * rng.standard_normal((2, WINDOW_SAMPLES))).astype(np.float32)}

    return make


MODEL_PROBE = """
from dlmusic.transcription.model import count_trainable_parameters

for level in octaves:
    outputs[f"kernels_{level.level}"] = level.kernels
for name, options in NETWORKS.items():
    model = build_nmp(**options)
    model.save_weights(probe_dir / f"{name}.weights.h5")
    result = model(inputs["audio"], training=False)
    outputs[f"{name}_parameters"] = count_trainable_parameters(model)
    keys = sorted(result) if isinstance(result, dict) else []
    outputs[f"{name}_keys"] = ",".join(keys)
    for key in keys:
        outputs[f"{name}_{key}"] = np.asarray(result[key])
"""


def _model_probe(networks: dict[str, dict[str, bool]]) -> str:
    return f"NETWORKS = {networks!r}\n" + _with_kernel("build_nmp", MODEL_PROBE)


def _reference_on_student_cqt(run: ProbeRun, options: dict[str, bool]):
    """The instructor's network ``options``, its CQT built from the student's kernels."""
    model = reference.build_nmp(**options)
    cqt = model.get_layer("log_cqt").cqt
    octaves = []
    for level in cqt.octaves:
        kernels = run.array(f"kernels_{level.level}").astype(np.float32)
        if kernels.ndim != 3 or kernels.shape[1:] != level.kernels.shape[1:]:
            raise CheckFailed("the CQT layer built from your cqt_kernel has unexpected kernels")
        octaves.append(dataclasses.replace(level, kernels=kernels))
    cqt.octaves = octaves
    return model


def _compare_network(run: ProbeRun, name: str, options: dict[str, bool]) -> tuple[float, str]:
    """Credit for one network: outputs and shapes 0.3, parameters 0.3, same function 0.4."""
    audio = run.inputs["audio"]
    expected_model = _reference_on_student_cqt(run, options)
    expected = expected_model(audio, training=False)
    credit, problems = 0.0, []
    keys = run.text(f"{name}_keys")
    shapes = {key: tuple(expected[key].shape) for key in ("contour", "note", "onset")}
    if keys != "contour,note,onset":
        problems.append(f"outputs {keys or 'not a dict'}; expected contour, note, onset")
    elif any(np.shape(run.output(f"{name}_{key}")) != shape for key, shape in shapes.items()):
        problems.append(f"output shapes differ from {shapes}")
    else:
        credit += 0.3
    count = int(run.number(f"{name}_parameters"))
    expected_count = sum(int(np.prod(w.shape)) for w in expected_model.trainable_weights)
    if count == expected_count:
        credit += 0.3
    else:
        problems.append(f"{count:,} trainable parameters, expected {expected_count:,}")
    try:
        load_weights_strictly(expected_model, files_of(run, f"{name}.weights.h5"), "network")
    except DlmusicError:
        problems.append("its weights do not fit the grader's network")
    else:
        reloaded = expected_model(audio, training=False)
        same = credit >= 0.3 and all(
            np.allclose(run.array(f"{name}_{key}"), np.asarray(reloaded[key]), atol=1e-5)
            for key in shapes
        )
        if same:
            credit += 0.4
        else:
            problems.append(
                "with your weights the grader's network computes other outputs: "
                "check the order and wiring of your layers"
            )
    return credit, "; ".join(problems)


def _judge_model(run: ProbeRun):
    credit, problems = _compare_network(run, "full", {})
    return None if credit >= 1.0 else (credit, f"build_nmp(): {problems}")


def _judge_ablations(run: ProbeRun):
    credit, reasons = 0.0, []
    for name, options in ABLATIONS.items():
        earned, problems = _compare_network(run, name, options)
        credit += earned / len(ABLATIONS)
        if problems:
            reasons.append(f"build_nmp(**{options}): {problems}")
    return None if credit >= 1.0 else (credit, " | ".join(reasons))


# --- test-weighted-bce, test-balanced-weight --------------------------------------------


def _bce_inputs(context, grade_id: str = "test-weighted-bce") -> dict[str, np.ndarray]:
    rng = context.rng(grade_id)
    n_cases = 10
    y_true = (rng.random((n_cases, 3, 17, N_KEYS)) < 0.1).astype(np.float32)
    y_true[:, 0, 0, 8:12] = 0.5  # soft targets (as the contour's neighbours)
    y_pred = rng.random((n_cases, 3, 17, N_KEYS)).astype(np.float32)
    y_pred[:, 0, 0, :4] = [0.0, 1.0, 0.0, 1.0]  # certain predictions must stay finite
    return {
        "positive_weight": np.concatenate([[0.5, 0.95], rng.uniform(0.05, 0.95, n_cases - 2)]),
        "label_smoothing": rng.choice([0.0, 0.1, 0.2], n_cases),
        "y_true": y_true,
        "y_pred": y_pred,
    }


BCE_PROBE = """
import numpy as np
outputs = {}
for i in range(len(inputs["positive_weight"])):
    loss = weighted_bce(float(inputs["positive_weight"][i]), float(inputs["label_smoothing"][i]))
    outputs[f"loss_{i}"] = np.asarray(loss(inputs["y_true"][i], inputs["y_pred"][i]))
"""


def _judge_losses(
    run: ProbeRun,
    reference_loss: Callable[[float, float], Callable],
    mismatch: Callable[[np.ndarray, np.ndarray], str | None],
):
    """Compare the student's loss on each probed case with ``reference_loss``'s.

    ``mismatch(got, expected)`` names what is wrong with one case, or returns None.
    """
    n_cases = len(run.inputs["positive_weight"])
    wrong = []
    for i in range(n_cases):
        weight = float(run.inputs["positive_weight"][i])
        smoothing = float(run.inputs["label_smoothing"][i])
        expected = np.asarray(
            reference_loss(weight, smoothing)(run.inputs["y_true"][i], run.inputs["y_pred"][i])
        )
        problem = mismatch(run.array(f"loss_{i}"), expected)
        if problem is not None:
            wrong.append(f"w={weight:.3f}, s={smoothing}: {problem}")
    return _share_right(wrong, n_cases)


def _per_cell_mismatch(got: np.ndarray, expected: np.ndarray) -> str | None:
    if got.shape != expected.shape:
        return f"shape {got.shape}, expected {expected.shape}"
    if not np.all(np.isfinite(got)):
        return "NaN or infinity (clip the predictions)"
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        return "values differ"
    return None


def _judge_bce(run: ProbeRun):
    return _judge_losses(run, reference.weighted_bce, _per_cell_mismatch)


def _class_mean_inputs(context) -> dict[str, np.ndarray]:
    inputs = _bce_inputs(context, "test-class-mean-bce")
    inputs["y_true"][1] = 0.0  # a batch without positives: that class's mean counts as 0
    return inputs


CLASS_MEAN_PROBE = BCE_PROBE.replace("weighted_bce", "class_mean_bce")


def _class_mean_mismatch(got: np.ndarray, expected: np.ndarray) -> str | None:
    if got.size != 1:
        return f"{got.size} values, expected one number for the batch"
    if not np.all(np.isfinite(got)):
        return "NaN or infinity (clip; an empty class's mean is 0)"
    if not np.allclose(got.reshape(()), expected, rtol=1e-4, atol=1e-5):
        return "values differ"
    return None


def _judge_class_mean(run: ProbeRun):
    return _judge_losses(run, reference.class_mean_bce, _class_mean_mismatch)


BAD_RATES = (0.0, 1.0, -0.1, 1.5)


def _weight_inputs(context) -> dict[str, np.ndarray]:
    rng = context.rng("test-balanced-weight")
    return {"rates": rng.uniform(1e-4, 1 - 1e-4, 20), "bad_rates": np.array(BAD_RATES)}


WEIGHT_PROBE = """
import numpy as np
outputs = {"weights": np.array([float(balanced_weight(float(p))) for p in inputs["rates"]])}
for i, rate in enumerate(inputs["bad_rates"]):
    try:
        balanced_weight(float(rate))
    except Exception as err:
        outputs[f"raised_{i}"] = type(err).__name__
    else:
        outputs[f"raised_{i}"] = ""
"""


def _judge_weight(run: ProbeRun):
    rates = run.inputs["rates"]
    expected = np.array([reference.balanced_weight(float(p)) for p in rates])
    credit, problems = 0.0, []
    if np.allclose(run.array("weights", shape=expected.shape), expected):
        credit += 0.6
    else:
        problems.append("the weights do not give positives and negatives an equal vote")
    bad = [
        float(rate)
        for i, rate in enumerate(run.inputs["bad_rates"])
        if run.text(f"raised_{i}") != "ValueError"
    ]
    if bad:
        problems.append(f"balanced_weight({bad[0]}) must raise ValueError")
    else:
        credit += 0.4
    return None if credit >= 1.0 else (credit, "; ".join(problems))


# --- test-transcription-scores, test-note-hits ------------------------------------------


def _note_pairs(rng: np.random.Generator, n_cases: int) -> dict[str, np.ndarray]:
    """Random (reference, estimate) note lists: jittered, dropped, wrong-pitch and extra notes."""
    inputs: dict[str, np.ndarray] = {}
    for i in range(n_cases):
        n_notes = int(rng.integers(1, 30))
        onsets = np.sort(rng.uniform(0, 10, n_notes))
        ref_intervals = np.column_stack([onsets, onsets + rng.uniform(0.05, 1.0, n_notes)])
        ref_pitches = rng.integers(40, 90, n_notes)
        keep = rng.random(n_notes) < 0.8
        jitter = rng.normal(0, 0.04, (n_notes, 2)) * [1, 3]
        est_intervals = ref_intervals[keep] + jitter[keep]
        est_pitches = ref_pitches[keep] + (rng.random(keep.sum()) < 0.1)
        n_extra = int(rng.integers(0, 6))
        extra = rng.uniform(0, 10, n_extra)
        est_intervals = np.concatenate([est_intervals, np.column_stack([extra, extra + 0.2])])
        est_intervals = np.maximum(est_intervals, 0.0)  # mir_eval refuses negative times
        est_intervals[:, 1] = np.maximum(est_intervals[:, 1], est_intervals[:, 0] + 0.01)
        est_pitches = np.concatenate([est_pitches, rng.integers(40, 90, n_extra)])
        inputs[f"ref_intervals_{i}"] = ref_intervals
        inputs[f"ref_pitches_{i}"] = ref_pitches
        order = rng.permutation(len(est_pitches))  # an estimate's index is not its reference's
        inputs[f"est_intervals_{i}"] = est_intervals.reshape(-1, 2)[order]
        inputs[f"est_pitches_{i}"] = est_pitches[order]
    empty, one = np.zeros((0, 2)), np.array([[0.5, 1.0]])
    for i, (ref, est) in enumerate(((empty, one), (one, empty), (empty, empty)), start=n_cases):
        inputs[f"ref_intervals_{i}"], inputs[f"ref_pitches_{i}"] = ref, np.full(len(ref), 60)
        inputs[f"est_intervals_{i}"], inputs[f"est_pitches_{i}"] = est, np.full(len(est), 60)
    inputs["n_cases"] = np.array(n_cases + 3)
    return inputs


def _notes(run: ProbeRun, side: str, i: int) -> NoteList:
    pitches = run.inputs[f"{side}_pitches_{i}"]
    return NoteList(run.inputs[f"{side}_intervals_{i}"], pitches, np.full(len(pitches), 80))


def _scores_inputs(context) -> dict[str, np.ndarray]:
    return _note_pairs(context.rng("test-transcription-scores"), 15)


NOTES_PROBE_HEAD = """
import numpy as np
from dlmusic.transcription.targets import NoteList


def notes(side, i):
    pitches = inputs[f"{side}_pitches_{i}"]
    return NoteList(inputs[f"{side}_intervals_{i}"], pitches, np.full(len(pitches), 80))


outputs = {}
"""

SCORES_PROBE = (
    NOTES_PROBE_HEAD
    + f"""
KEYS = {SCORE_KEYS!r}
for i in range(int(inputs["n_cases"])):
    scores = transcription_scores(notes("ref", i), notes("est", i))
    outputs[f"scores_{{i}}"] = np.array([float(scores.get(key, np.nan)) for key in KEYS])
"""
)


def _judge_scores(run: ProbeRun):
    n_cases = int(run.inputs["n_cases"])
    wrong = []
    for i in range(n_cases):
        reference_notes, estimate = _notes(run, "ref", i), _notes(run, "est", i)
        expected = reference.transcription_scores(reference_notes, estimate)
        got = run.array(f"scores_{i}", shape=(len(SCORE_KEYS),))
        case = f"{len(reference_notes)} reference and {len(estimate)} estimated notes"
        missing = [key for key, value in zip(SCORE_KEYS, got, strict=True) if np.isnan(value)]
        if missing:
            wrong.append(f"{case}: no value for {', '.join(missing)}")
            continue
        differ = [
            key
            for key, value in zip(SCORE_KEYS, got, strict=True)
            if not np.isclose(value, expected[key])
        ]
        if differ:
            wrong.append(f"{case}: {', '.join(differ)} differ")
    return _share_right(wrong, n_cases)


def _hits_inputs(context) -> dict[str, np.ndarray]:
    return _note_pairs(context.rng("test-note-hits"), 15)


HITS_PROBE = (
    NOTES_PROBE_HEAD
    + """
for i in range(int(inputs["n_cases"])):
    outputs[f"hits_{i}"] = np.asarray(note_hits(notes("ref", i), notes("est", i)))
"""
)


def _could_match(reference_notes: NoteList, estimate: NoteList, index: int) -> bool:
    """Whether estimated note ``index`` has a reference note of its pitch within 50 ms.

    ``mir_eval`` rounds onset distances to 4 decimals before comparing, so a note
    up to 50.05 ms away may match.
    """
    distance = np.round(np.abs(reference_notes.onsets - estimate.onsets[index]), 4)
    close = distance <= ONSET_TOLERANCE_S
    return bool(np.any(close & (reference_notes.pitches == estimate.pitches[index])))


def _judge_hits(run: ProbeRun):
    n_cases = int(run.inputs["n_cases"])
    wrong = []
    for i in range(n_cases):
        reference_notes, estimate = _notes(run, "ref", i), _notes(run, "est", i)
        got = np.asarray(run.output(f"hits_{i}"))
        expected = reference.note_hits(reference_notes, estimate)
        case = f"{len(reference_notes)} reference and {len(estimate)} estimated notes"
        if got.shape != expected.shape or got.dtype != bool:
            wrong.append(
                f"{case}: expected one bool per estimated note, got {got.dtype} {got.shape}"
            )
        elif got.sum() != expected.sum():
            wrong.append(f"{case}: {int(got.sum())} hits, expected {int(expected.sum())}")
        elif not all(_could_match(reference_notes, estimate, j) for j in np.flatnonzero(got)):
            wrong.append(f"{case}: a note marked as a hit matches no reference note")
    return _share_right(wrong, n_cases)


# --- test-augment-window ---------------------------------------------------------------

N_AUGMENT_SEEDS = 20
N_LOW_SEEDS = 30


def _augment_inputs(context) -> dict[str, np.ndarray]:
    rng = context.rng("test-augment-window")
    time_s = np.arange(WINDOW_SAMPLES) / 22050.0
    root = int(rng.integers(48, 72))
    pitches = np.array([root, root + 4, root + 7])
    chord = sum(np.sin(2 * np.pi * 440.0 * 2 ** ((p - 69) / 12) * time_s) for p in pitches)
    onsets = np.sort(rng.uniform(0.0, 0.8, 3))
    return {
        "chord": (0.2 * chord).astype(np.float32),
        "intervals": np.column_stack([onsets, onsets + rng.uniform(0.5, 1.0, 3)]),
        "pitches": pitches,
        "velocities": rng.integers(30, 120, 3),
        "seeds": rng.integers(0, 2**31, N_AUGMENT_SEEDS),
        "low_seeds": rng.integers(0, 2**31, N_LOW_SEEDS),
    }


AUGMENTATIONS = ("transpose", "random_equalizer", "add_reverb", "add_white_noise")
"""The given augmentations ``augment_window`` must apply, each with its probability."""

AUGMENT_PROBE = """
import numpy as np
import dlmusic.transcription.augment as _augment
from dlmusic.transcription.targets import NoteList

_calls = {name: 0 for name in AUGMENTATIONS}
_notebook = getattr(augment_window, "__globals__", {})
_originals = []


def _counted(name, function):
    def wrapper(*args, **kwargs):
        _calls[name] += 1
        return function(*args, **kwargs)

    return wrapper


for _name in AUGMENTATIONS:
    for _where in (_notebook, vars(_augment)):
        if _name in _where:
            _originals.append((_where, _name, _where[_name]))
            _where[_name] = _counted(_name, _where[_name])

chord = inputs["chord"]
original = chord.copy()
notes = NoteList(inputs["intervals"], inputs["pitches"], inputs["velocities"])
outputs = {}


def record(prefix, audio, out):
    outputs[f"{prefix}_audio"] = np.asarray(audio)
    outputs[f"{prefix}_is_notes"] = isinstance(out, NoteList)
    for field in ("intervals", "pitches", "velocities"):
        outputs[f"{prefix}_{field}"] = np.asarray(getattr(out, field, np.zeros(0)))


for i, seed in enumerate(inputs["seeds"]):
    audio, out = augment_window(chord, notes, np.random.default_rng(int(seed)))
    record(f"seed_{i}", audio, out)
    again, _ = augment_window(chord, notes, np.random.default_rng(int(seed)))
    outputs[f"seed_{i}_repeats"] = bool(np.array_equal(np.asarray(audio), np.asarray(again)))
outputs["input_unchanged"] = bool(np.array_equal(chord, original))
low = NoteList([[0.1, 1.0], [0.2, 1.0]], [21, 60], [80, 81])
for i, seed in enumerate(inputs["low_seeds"]):
    _, out = augment_window(chord, low, np.random.default_rng(int(seed)))
    outputs[f"low_{i}_pitches"] = np.asarray(getattr(out, "pitches", np.zeros(0)))
    outputs[f"low_{i}_velocities"] = np.asarray(getattr(out, "velocities", np.zeros(0)))
silent, _ = augment_window(np.zeros(WINDOW_SAMPLES, np.float32), NoteList.empty(),
                           np.random.default_rng(int(inputs["seeds"][0])))
outputs["silent_shape"] = np.array(np.shape(silent))
for _where, _name, _function in _originals:
    _where[_name] = _function
for _name, _count in _calls.items():
    outputs[f"calls_{_name}"] = _count
""".replace("WINDOW_SAMPLES", str(WINDOW_SAMPLES)).replace("AUGMENTATIONS", repr(AUGMENTATIONS))


def _window_problem(run: ProbeRun, prefix: str) -> str:
    """What is wrong with one augmented window of the chord ("" when nothing)."""
    audio = np.asarray(run.output(f"{prefix}_audio"))
    if audio.shape != run.inputs["chord"].shape or audio.dtype != np.float32:
        expected = run.inputs["chord"].shape
        return f"audio must be float32 of shape {expected}, got {audio.dtype} {audio.shape}"
    if not np.all(np.isfinite(audio)):
        return "audio must stay finite"
    if not bool(run.output(f"{prefix}_is_notes")):
        return "return the notes as a NoteList"
    pitches = run.array(f"{prefix}_pitches")
    if pitches.shape != run.inputs["pitches"].shape:
        return "these notes stay on the keyboard: all three must be kept"
    if not np.allclose(run.array(f"{prefix}_intervals"), run.inputs["intervals"]):
        return "note times must not change"
    shifts = set((pitches - run.inputs["pitches"]).tolist())
    if len(shifts) != 1 or abs(next(iter(shifts))) > 12:
        return f"all notes must move by one interval, got shifts {sorted(shifts)}"
    if not np.array_equal(run.array(f"{prefix}_velocities"), run.inputs["velocities"]):
        return "keep the velocities"
    if not bool(run.output(f"{prefix}_repeats")):
        return "the same seed must give the same result"
    return ""


def _low_problem(run: ProbeRun, i: int) -> str:
    """What is wrong with the labels of notes A0 (velocity 80) and C4 (81) after augmenting."""
    pitches = run.array(f"low_{i}_pitches")
    velocities = run.array(f"low_{i}_velocities")
    if pitches.shape != velocities.shape:
        return "pitches and velocities must stay one per note"
    if np.any((pitches < LOWEST_MIDI) | (pitches > HIGHEST_MIDI)):
        return "notes moved off the keyboard must be dropped"
    if len(pitches) == 2:
        ok = pitches[1] - pitches[0] == 39 and velocities.tolist() == [80, 81]
    elif len(pitches) == 1:
        ok = pitches[0] < 60 and velocities.tolist() == [81]
    else:
        ok = False
    return "" if ok else "a transposed A0 and C4 keep their velocities; only A0 may drop"


def _judge_augment(run: ProbeRun):
    checks = {}
    window_problems = [_window_problem(run, f"seed_{i}") for i in range(N_AUGMENT_SEEDS)]
    checks["each augmented window"] = next((p for p in window_problems if p), "")
    checks["the input audio"] = (
        "" if bool(run.output("input_unchanged")) else "do not modify the input audio"
    )
    changed = sum(
        not np.allclose(run.array(f"seed_{i}_audio"), run.inputs["chord"])
        for i in range(N_AUGMENT_SEEDS)
        if not window_problems[i]
    )
    checks["how often"] = (
        "" if changed >= N_AUGMENT_SEEDS // 4 else f"only {changed} of 20 windows were changed"
    )
    n_windows = 2 * N_AUGMENT_SEEDS + N_LOW_SEEDS + 1  # augment_window calls in the probe
    calls = {name: int(run.number(f"calls_{name}")) for name in AUGMENTATIONS}
    never = [name for name, count in calls.items() if count == 0]
    always = [name for name, count in calls.items() if count >= n_windows]
    shifted = any(
        not window_problems[i] and np.any(run.array(f"seed_{i}_pitches") != run.inputs["pitches"])
        for i in range(N_AUGMENT_SEEDS)
    ) or any(run.array(f"low_{i}_pitches").tolist() != [21, 60] for i in range(N_LOW_SEEDS))
    checks["each augmentation, at random"] = (
        f"{', '.join(never)} never applied in {n_windows} windows"
        if never
        else f"{', '.join(always)} applied to every window, not with its probability"
        if always
        else ""
        if shifted
        else "no window's notes were ever transposed"
    )
    low_problems = [_low_problem(run, i) for i in range(N_LOW_SEEDS)]
    checks["notes at the keyboard's edge"] = next((p for p in low_problems if p), "")
    silent = tuple(int(n) for n in run.array("silent_shape"))
    checks["silent windows"] = (
        "" if silent == (WINDOW_SAMPLES,) else f"a silent window gave shape {silent}"
    )
    failed = {name: problem for name, problem in checks.items() if problem}
    if not failed:
        return None
    reasons = "; ".join(f"{name}: {problem}" for name, problem in failed.items())
    return 1 - len(failed) / len(checks), reasons


# --- score-* ---------------------------------------------------------------------------

MODEL_SCORES = {
    "score-full-model": ("full", 0.3, 0.85),
    "score-no-harmonic-stacking": ("no_harmonic_stacking", 0.15, 0.6),
    "score-no-contour-supervision": ("no_contour_supervision", 0.2, 0.7),
}
"""Per score cell: the network, the held-out Fno floor (no credit) and target (full credit)."""


def _score_judge(name: str, floor: float, target: float):
    def judge(run: ProbeRun):
        context = run.context
        path = weights_file(name, context.submission)
        if not path.is_file() and not path.is_symlink():
            raise CheckFailed(f"no {path.name} was handed in with the notebook")
        try:
            model = load_submitted_model(name, context.submission)
        except DlmusicError as err:
            raise CheckFailed(
                f"{path.name} could not be loaded: {str(err).replace(str(path), path.name)}"
            ) from None
        fno = heldout_fno(model, heldout_clips(context.heldout, context.seed, context.size))
        fraction = partial_credit(fno, floor=floor, target=target)
        return fraction, f"held-out Fno {fno:.3f} (no credit at {floor}, full credit at {target})"

    return judge


CHECKS: tuple[Check, ...] = (
    Check(
        "test-cqt-kernel",
        _judge_kernel,
        KERNEL_PROBE,
        _kernel_inputs,
        forbidden_calls=("librosa.filters.wavelet", "librosa.filters.constant_q"),
    ),
    Check("test-log-cqt", _judge_log_cqt, LOG_CQT_PROBE, _log_cqt_inputs),
    Check("test-harmonic-stack", _judge_stack, STACK_PROBE, _stack_inputs),
    Check("test-note-onset-targets", _judge_targets, TARGET_PROBE, _target_inputs),
    Check(
        "test-build-model",
        _judge_model,
        _model_probe({"full": {}}),
        _audio_inputs("test-build-model"),
        timeout_s=300.0,
    ),
    Check(
        "test-build-model-ablations",
        _judge_ablations,
        _model_probe(ABLATIONS),
        _audio_inputs("test-build-model-ablations"),
        timeout_s=300.0,
    ),
    Check("test-weighted-bce", _judge_bce, BCE_PROBE, _bce_inputs),
    Check("test-class-mean-bce", _judge_class_mean, CLASS_MEAN_PROBE, _class_mean_inputs),
    Check("test-balanced-weight", _judge_weight, WEIGHT_PROBE, _weight_inputs),
    Check("test-transcription-scores", _judge_scores, SCORES_PROBE, _scores_inputs),
    Check("test-augment-window", _judge_augment, AUGMENT_PROBE, _augment_inputs, timeout_s=300.0),
    *(
        Check(grade_id, _score_judge(name, floor, target), timeout_s=1200.0)
        for grade_id, (name, floor, target) in MODEL_SCORES.items()
    ),
    Check("test-note-hits", _judge_hits, HITS_PROBE, _hits_inputs),
)
