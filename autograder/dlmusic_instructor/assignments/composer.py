"""Hidden checks of ``composer``: rows, splits, ResNet50, training set-up, votes, held-out scores.

Notebook: ``solutions/composer/composer.ipynb``. One :class:`Check` per
autograded test cell. The student's functions are called in the probe on
inputs drawn here (random pages and profiles, random row labels, held-out
pages engraved from the workspace's seed) and return plain arrays and strings;
the judges compare them in the grader's process with
:mod:`dlmusic_instructor.references.composer`. The split by piece is judged by
the properties of an honest split (every row once, no piece on two sides, each
composer's share of test and dev pieces, the same split for the same seed),
not by one random-number convention. The two ResNet50 scores load the
student's saved weights into the instructor's ResNet50 and measure it on the
held-out works (:mod:`dlmusic_instructor.heldout.composer`), with fixed
floors and targets.
"""

from __future__ import annotations

import inspect
import json
import tempfile
import textwrap

import keras
import numpy as np

from dlmusic_instructor.checks import Check, CheckFailed, Context, ProbeRun, credit_with_reason
from dlmusic_instructor.heldout.composer import (
    heldout_page_images,
    row_finder_agreement,
    submission_accuracy,
)
from dlmusic_instructor.references.composer import (
    build_resnet50,
    compile_classifier,
    find_rows,
    make_callbacks,
    piece_vote,
    precision_recall,
    range_profile,
    split_by_piece,
)

ROW_FINDER_FLOOR, ROW_FINDER_TARGET = 0.5, 0.99
"""Agreement of the student's row finder with the reference on held-out pages."""
ROW_ACCURACY_FLOOR, ROW_ACCURACY_TARGET = 0.4, 0.55
"""Held-out row accuracy of the saved ResNet50 (10 points).

Measured on the held-out works of grading seeds 0-4, at both grading sizes, with
``benchmarks/heldout_floors.py`` (``benchmarks/results/heldout_floors.json``,
2026-11-29, shared CPU). Floor: above every answer that learned nothing
(``--seeds 0 1 2 3 4 --untrained 3``): always naming the composer with the most rows
reads at most 36.8 % of the rows (25.0 % at the ``quick`` size), an untrained
ResNet50 at most 36.8 %, the notebook's quick-mode ResNet50 (one epoch) at most
38.2 %. Target: the reference ResNet50 trained with the notebook's full budget
(``DLMUSIC_MODE=full ... --reference``: 30 epochs on the ``full`` build's training
works, the best dev epoch kept) reads 67.7 % of the rows on average at the ``full``
size (64.5-72.2 % over the seeds) and 60.8 % at ``quick`` (55.4-67.9 %): full marks
at its lowest, 55 %."""
PIECE_ACCURACY_FLOOR, PIECE_ACCURACY_TARGET = 0.2, 0.7
"""Held-out piece accuracy (soft vote) of the saved ResNet50 (5 points).

Same benchmark. Floor: 2 of the 10 works (20 %), what every constant answer, every
untrained ResNet50 and the quick-mode one earn at both sizes. Target: the reference
ResNet50 with the full budget names 74 % of the works on average at both sizes
(70-80 % over the seeds): full marks at its lowest, 70 % (7 of 10 works; ten works
move the vote in 10 % steps)."""


def _spans(value: np.ndarray) -> list[tuple[int, int]]:
    """``(top, bottom)`` pairs from a probe's (n, 2) array."""
    return [(int(top), int(bottom)) for top, bottom in np.asarray(value).reshape(-1, 2)]


# --------------------------------------------------------------------------- 1a


def _range_profile_inputs(context: Context) -> dict[str, np.ndarray]:
    rng = context.rng("test-range-profile")
    pages = {}
    for index in range(10):
        shape = (int(rng.integers(1, 80)), int(rng.integers(1, 90)))
        pages[f"page_{index}"] = rng.uniform(0, 1, size=shape)
    ink = np.ones((40, 60), np.float32)  # paper with a few black strokes and a gray band
    ink[5:9, 10:50] = 0.0
    ink[20, :] = 0.3
    pages["page_10"] = ink
    return pages


PROBE_RANGE_PROFILE = """
import numpy as np
outputs = {}
for key in sorted(inputs):
    outputs[key] = np.asarray(range_profile(inputs[key]), dtype=np.float64)
"""


def _judge_range_profile(run: ProbeRun) -> None:
    for key, page in run.inputs.items():
        expected = range_profile(page)
        got = run.array(key)
        if got.shape != expected.shape:
            raise CheckFailed(
                f"for a page of shape {page.shape}, the profile has shape {got.shape}; "
                f"expected one value per pixel row, shape {expected.shape}"
            )
        if not np.allclose(got, expected, atol=1e-6):
            raise CheckFailed(f"wrong range on a random page of shape {page.shape}")


# --------------------------------------------------------------------------- 1b


def _find_rows_inputs(context: Context) -> dict[str, np.ndarray]:
    rng = context.rng("test-find-rows")
    n_cases, length = 30, 300
    profiles = (rng.uniform(0, 1, (n_cases, length)) > 0.3) * rng.uniform(0.4, 1, (n_cases, length))
    profiles[0] = 0.0  # a blank page
    profiles[1] = 1.0  # one run over the whole page: too tall
    profiles[2, :5] = 1.0  # runs touching the first and the last pixel row
    profiles[2, -5:] = 1.0
    return {
        "profiles": profiles,
        "thresholds": rng.uniform(0.3, 0.7, n_cases),
        "min_heights": rng.integers(1, 4, n_cases),
        "max_heights": rng.integers(5, 13, n_cases),
    }


PROBE_FIND_ROWS = """
import numpy as np
outputs = {}
for index, profile in enumerate(inputs["profiles"]):
    rows, too_tall = find_rows(
        profile,
        threshold=float(inputs["thresholds"][index]),
        min_height=int(inputs["min_heights"][index]),
        max_height=int(inputs["max_heights"][index]),
    )
    outputs[f"rows_{index}"] = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
    outputs[f"too_tall_{index}"] = np.asarray(too_tall, dtype=np.int64).reshape(-1, 2)
"""


def _judge_find_rows(run: ProbeRun) -> None:
    for index, profile in enumerate(run.inputs["profiles"]):
        settings = {
            "threshold": float(run.inputs["thresholds"][index]),
            "min_height": int(run.inputs["min_heights"][index]),
            "max_height": int(run.inputs["max_heights"][index]),
        }
        expected = find_rows(profile, **settings)
        described = ", ".join(
            f"{name} {value:.2f}" if isinstance(value, float) else f"{name} {value}"
            for name, value in settings.items()
        )
        for part, want in (("rows", expected.rows), ("too_tall", expected.too_tall)):
            got = _spans(run.output(f"{part}_{index}"))
            if got != want:
                raise CheckFailed(
                    f"{part} differ on a grader's profile of {len(profile)} pixel rows "
                    f"({described}): {len(got)} found, {len(want)} expected"
                )


# --------------------------------------------------------------------------- 1c


def _row_finder_inputs(context: Context) -> dict[str, np.ndarray]:
    images = heldout_page_images(context.heldout, context.seed, context.size)
    return {f"page_{index:02d}": image for index, image in enumerate(images)}


PROBE_ROW_FINDER = """
import numpy as np
outputs = {}
for key in sorted(inputs):
    page = inputs[key].astype(np.float32) / 255.0
    rows, _ = find_rows(range_profile(page))
    outputs[key] = np.asarray(rows, dtype=np.int64).reshape(-1, 2)
"""


def _judge_row_finder(run: ProbeRun) -> float | tuple[float, str] | None:
    keys = sorted(run.inputs)
    pages = [run.inputs[key].astype(np.float32) / 255.0 for key in keys]
    agreement = row_finder_agreement(pages, [_spans(run.output(key)) for key in keys])
    return credit_with_reason(
        agreement,
        floor=ROW_FINDER_FLOOR,
        target=ROW_FINDER_TARGET,
        reason=f"{agreement:.1%} of the rows on {len(pages)} held-out pages found as the "
        f"reference finds them (credit from {ROW_FINDER_FLOOR:.0%}, full at "
        f"{ROW_FINDER_TARGET:.0%})",
    )


# --------------------------------------------------------------------------- 2

SPLIT_NAMES = ("train", "dev", "test")
SEED_CASES = 4
"""Seeds tried on one set of rows: a split that ignores its seed gives the same pieces each time."""


def _split_by_piece_inputs(context: Context) -> dict[str, np.ndarray]:
    rng = context.rng("test-split-by-piece")
    inputs: dict[str, np.ndarray] = {}
    fractions = [(0.25, 0.125), (0.25, 0.125), (0.3, 0.2), (0.2, 0.1), (0.25, 0.125)]
    for case, (test_fraction, dev_fraction) in enumerate(fractions):
        n_composers = int(rng.integers(2, 6))
        pieces, labels = [], []
        for composer in range(n_composers):
            n_pieces = 2 if case == 1 else int(rng.integers(2, 13))
            for piece in range(n_pieces):
                n_rows = int(rng.integers(1, 6))
                pieces += [f"composer{composer}/piece{piece}"] * n_rows
                labels += [composer] * n_rows
        order = rng.permutation(len(pieces))  # rows of a piece are not next to each other
        inputs[f"case{case}_pieces"] = np.array(pieces)[order]
        inputs[f"case{case}_labels"] = np.array(labels, dtype=np.int64)[order]
        inputs[f"case{case}_settings"] = np.array(
            [test_fraction, dev_fraction, int(rng.integers(0, 2**16))]
        )
    composers = np.repeat(np.arange(3), 12 * 2)  # 12 pieces of 2 rows for each of 3 composers
    inputs["seeds_pieces"] = np.array([f"c{c}/p{row // 2}" for row, c in enumerate(composers)])
    inputs["seeds_labels"] = composers
    inputs["seeds_seeds"] = rng.choice(2**16, SEED_CASES, replace=False)
    return inputs


PROBE_SPLIT_BY_PIECE = """
import numpy as np
outputs = {}
cases = sorted({key.split("_")[0] for key in inputs if key.startswith("case")})
for case in cases:
    test_fraction, dev_fraction, seed = inputs[f"{case}_settings"]
    for attempt in ("first", "again"):
        splits = split_by_piece(
            inputs[f"{case}_pieces"],
            inputs[f"{case}_labels"],
            test_fraction=float(test_fraction),
            dev_fraction=float(dev_fraction),
            seed=int(seed),
        )
        for name in ("train", "dev", "test"):
            outputs[f"{case}_{attempt}_{name}"] = np.asarray(splits[name], dtype=np.int64)
for index, seed in enumerate(inputs["seeds_seeds"]):
    splits = split_by_piece(inputs["seeds_pieces"], inputs["seeds_labels"], seed=int(seed))
    outputs[f"seeds_{index}_test"] = np.asarray(splits["test"], dtype=np.int64)
"""


def _indices(run: ProbeRun, key: str) -> np.ndarray:
    value = run.array(key)
    if value.ndim != 1 or not np.all(value == np.round(value)):
        raise CheckFailed("each split must be a 1-D array of row indices")
    return value.astype(np.int64)


def _check_split(
    splits: dict[str, np.ndarray],
    pieces: np.ndarray,
    labels: np.ndarray,
    expected: dict[str, np.ndarray],
) -> None:
    """Raise :class:`CheckFailed` unless ``splits`` is an honest split like ``expected``'s."""
    every = np.sort(np.concatenate([splits[name] for name in SPLIT_NAMES]))
    if not np.array_equal(every, np.arange(len(pieces))):
        raise CheckFailed("the three splits together must hold every row exactly once")
    sides = {name: set(pieces[index].tolist()) for name, index in splits.items()}
    for first, second in (("train", "dev"), ("train", "test"), ("dev", "test")):
        if sides[first] & sides[second]:
            raise CheckFailed(f"a piece has rows in both {first} and {second}")
    for label in np.unique(labels):
        own = labels == label
        n_pieces = len(set(pieces[own].tolist()))
        for name in SPLIT_NAMES:
            got = len(set(pieces[np.intersect1d(splits[name], np.flatnonzero(own))].tolist()))
            want = len(set(pieces[np.intersect1d(expected[name], np.flatnonzero(own))].tolist()))
            if abs(got - want) > 1 or (name != "dev" and got == 0):
                raise CheckFailed(
                    f"a composer with {n_pieces} pieces has {got} {name} pieces; "
                    f"expected {want} (the fractions of its pieces, per composer)"
                )


def _judge_split_by_piece(run: ProbeRun) -> None:
    cases = sorted({key.split("_")[0] for key in run.inputs if key.startswith("case")})
    for case in cases:
        pieces, labels = run.inputs[f"{case}_pieces"], run.inputs[f"{case}_labels"]
        test_fraction, dev_fraction, seed = run.inputs[f"{case}_settings"]
        expected = split_by_piece(
            pieces,
            labels,
            test_fraction=float(test_fraction),
            dev_fraction=float(dev_fraction),
            seed=int(seed),
        )
        first = {name: _indices(run, f"{case}_first_{name}") for name in SPLIT_NAMES}
        again = {name: _indices(run, f"{case}_again_{name}") for name in SPLIT_NAMES}
        _check_split(first, pieces, labels, expected)
        if any(set(first[name]) != set(again[name]) for name in SPLIT_NAMES):
            raise CheckFailed("the same seed must give the same split")
    tests = {
        tuple(sorted(set(_indices(run, f"seeds_{index}_test").tolist())))
        for index in range(len(run.inputs["seeds_seeds"]))
    }
    if len(tests) == 1:
        raise CheckFailed(
            f"{SEED_CASES} different seeds gave the same test pieces: shuffle with the seed"
        )


# --------------------------------------------------------------------------- 3a


PROBE_BUILD_RESNET50 = """
import json
import numpy as np
outputs = {}
for n_classes in inputs["n_classes"]:
    model = build_resnet50(int(n_classes))
    key = f"n{int(n_classes)}"
    outputs[f"{key}_params"] = int(model.count_params())
    outputs[f"{key}_input_shape"] = json.dumps(list(model.input_shape))
    outputs[f"{key}_output_shape"] = json.dumps(list(model.output_shape))
    outputs[f"{key}_activation"] = str(getattr(model.layers[-1].activation, "__name__", ""))
    outputs[f"{key}_name"] = str(model.name)
    outputs[f"{key}_weight_shapes"] = json.dumps([list(w.shape) for w in model.weights])
    del model
"""


def _build_resnet50_inputs(context: Context) -> dict[str, np.ndarray]:
    rng = context.rng("test-build-resnet50")
    return {"n_classes": np.array([6, int(rng.integers(2, 13))])}


def _judge_build_resnet50(run: ProbeRun) -> None:
    for n_classes in run.inputs["n_classes"]:
        key = f"n{int(n_classes)}"
        model = build_resnet50(int(n_classes))
        expected = {
            "input_shape": json.dumps(list(model.input_shape)),
            "output_shape": json.dumps(list(model.output_shape)),
            "activation": model.layers[-1].activation.__name__,
            "name": model.name,
        }
        for item, want in expected.items():
            got = run.text(f"{key}_{item}")
            if got != want:
                raise CheckFailed(
                    f"with {int(n_classes)} classes, the {item} is {got}; want {want}"
                )
        weight_shapes = json.dumps([list(w.shape) for w in model.weights])
        if run.text(f"{key}_weight_shapes") != weight_shapes:
            params = int(run.number(f"{key}_params"))
            raise CheckFailed(
                f"with {int(n_classes)} classes the network has {params:,} parameters in other "
                f"layers than keras.applications.ResNet50 ({model.count_params():,}); use it "
                "with one input channel and no pretrained weights"
            )


# --------------------------------------------------------------------------- 3b


def callback_settings(callbacks: list, out_dir: str) -> dict[str, object]:
    """The settings of a list of callbacks that the exercise fixes, as plain strings and ints.

    Runs in the probe (the student's callbacks) and in the judge (the reference's):
    the class names in order, and the ModelCheckpoint's and CSVLogger's settings,
    with file paths relative to ``out_dir``.
    """
    import os

    def relative(path: object) -> str:
        return os.path.relpath(os.path.abspath(str(path)), os.path.abspath(str(out_dir)))

    settings: dict[str, object] = {"classes": ",".join(type(c).__name__ for c in callbacks)}
    for callback in callbacks:
        kind = type(callback).__name__
        if kind == "ModelCheckpoint" and "checkpoint_monitor" not in settings:
            settings["checkpoint_monitor"] = str(getattr(callback, "monitor", ""))
            settings["checkpoint_mode"] = str(getattr(callback, "mode", ""))
            settings["checkpoint_save_best_only"] = int(bool(callback.save_best_only))
            settings["checkpoint_save_weights_only"] = int(bool(callback.save_weights_only))
            settings["checkpoint_path"] = relative(callback.filepath)
        elif kind == "CSVLogger" and "log_path" not in settings:
            settings["log_path"] = relative(callback.filename)
    return settings


PROBE_COMPILE_AND_CALLBACKS = (
    textwrap.dedent(inspect.getsource(callback_settings))
    + """
import numpy as np
import keras as _keras

outputs = {}
_model = _keras.Sequential([_keras.Input((4,)), _keras.layers.Dense(3, activation="softmax")])
_model.layers[-1].set_weights([inputs["kernel"], inputs["bias"]])
_compiled = compile_classifier(
    _model,
    learning_rate=float(inputs["learning_rate"]),
    decay_steps=int(inputs["decay_steps"]),
    decay_rate=float(inputs["decay_rate"]),
)
outputs["optimizer"] = type(_compiled.optimizer).__name__
_config = _compiled.optimizer.get_config()
outputs["momentum"] = float(_config.get("momentum") or 0.0)
_rate = _config["learning_rate"]
if isinstance(_rate, dict):
    _schedule = _keras.optimizers.schedules.deserialize(_rate)
    outputs["rates"] = np.array([float(_schedule(int(step))) for step in inputs["steps"]])
else:
    outputs["rates"] = np.full(len(inputs["steps"]), float(_rate))
_scores = _compiled.evaluate(inputs["x"], inputs["y"], verbose=0, return_dict=True)
outputs["metrics"] = ",".join(sorted(_scores))
for _name, _value in _scores.items():
    outputs[f"score_{_name}"] = float(_value)
_folder = probe_dir / "callbacks"
_callbacks = make_callbacks(_folder, str(inputs["name"]))
for _key, _value in callback_settings(list(_callbacks), str(_folder)).items():
    outputs[f"callbacks_{_key}"] = _value
"""
)


def _compile_and_callbacks_inputs(context: Context) -> dict[str, np.ndarray]:
    rng = context.rng("test-compile-and-callbacks")
    decay_steps = int(rng.integers(5, 50))
    return {
        "kernel": rng.normal(size=(4, 3)).astype(np.float32),
        "bias": rng.normal(size=3).astype(np.float32),
        "x": rng.normal(size=(32, 4)).astype(np.float32),
        "y": rng.integers(0, 3, 32),
        "learning_rate": np.array(rng.uniform(0.005, 0.2)),
        "decay_steps": np.array(decay_steps),
        "decay_rate": np.array(rng.uniform(0.3, 0.9)),
        "steps": np.array([0, decay_steps // 2, decay_steps, 3 * decay_steps]),
        "name": np.array(f"run{int(rng.integers(100, 1000))}"),
    }


def _reference_compile(run: ProbeRun) -> dict[str, object]:
    """What the reference's compile step and callbacks give on the probe's inputs."""
    inputs = run.inputs
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.layers[-1].set_weights([inputs["kernel"], inputs["bias"]])
    compiled = compile_classifier(
        model,
        learning_rate=float(inputs["learning_rate"]),
        decay_steps=int(inputs["decay_steps"]),
        decay_rate=float(inputs["decay_rate"]),
    )
    config = compiled.optimizer.get_config()
    schedule = keras.optimizers.schedules.deserialize(config["learning_rate"])
    scores = compiled.evaluate(inputs["x"], inputs["y"], verbose=0, return_dict=True)
    with tempfile.TemporaryDirectory() as folder:
        settings = callback_settings(make_callbacks(folder, str(inputs["name"])), folder)
    return {
        "optimizer": type(compiled.optimizer).__name__,
        "momentum": float(config["momentum"]),
        "rates": np.array([float(schedule(int(step))) for step in inputs["steps"]]),
        "scores": scores,
        "callbacks": settings,
    }


def _judge_compile_and_callbacks(run: ProbeRun) -> None:
    expected = _reference_compile(run)
    if run.text("optimizer") != expected["optimizer"]:
        raise CheckFailed(f"the optimizer is {run.text('optimizer')}; use keras' SGD")
    if not np.isclose(run.number("momentum"), expected["momentum"]):
        raise CheckFailed(f"momentum {run.number('momentum')}; use {expected['momentum']}")
    rates = run.array("rates", shape=expected["rates"].shape)
    if not np.allclose(rates, expected["rates"], rtol=1e-4):
        raise CheckFailed(
            "the learning rate does not decay as asked: it should be multiplied by decay_rate "
            "every decay_steps steps"
        )
    for name, value in expected["scores"].items():
        if f"score_{name}" not in run.outputs:
            raise CheckFailed(f"the compiled model reports no {name!r}")
        if not np.isclose(run.number(f"score_{name}"), value, rtol=1e-3, atol=1e-5):
            what = "loss" if name == "loss" else f"metric {name!r}"
            raise CheckFailed(f"the {what} differs on the grader's data: check the compile step")
    for key, want in expected["callbacks"].items():
        name = f"callbacks_{key}"
        got = run.text(name) if name in run.outputs else "(none)"
        if got != str(want):
            raise CheckFailed(f"callbacks: {key.replace('_', ' ')} is {got!r}; expected {want!r}")


# --------------------------------------------------------------------------- 4


def _precision_recall_inputs(context: Context) -> dict[str, np.ndarray]:
    rng = context.rng("test-precision-recall")
    inputs = {}
    for case in range(20):
        n_used = int(rng.integers(2, 8))
        n_rows = int(rng.integers(1, 80))
        inputs[f"case{case:02d}_true"] = rng.integers(0, n_used, n_rows)
        inputs[f"case{case:02d}_pred"] = rng.integers(0, n_used, n_rows)
        inputs[f"case{case:02d}_n"] = np.array(n_used + int(rng.integers(0, 3)))
    return inputs


PROBE_PRECISION_RECALL = """
import numpy as np
outputs = {}
for case in sorted({key.split("_")[0] for key in inputs}):
    precision, recall = precision_recall(
        inputs[f"{case}_true"], inputs[f"{case}_pred"], int(inputs[f"{case}_n"])
    )
    outputs[f"{case}_precision"] = np.asarray(precision, dtype=np.float64)
    outputs[f"{case}_recall"] = np.asarray(recall, dtype=np.float64)
"""


def _judge_precision_recall(run: ProbeRun) -> None:
    for case in sorted({key.split("_")[0] for key in run.inputs}):
        n_classes = int(run.inputs[f"{case}_n"])
        expected = precision_recall(
            run.inputs[f"{case}_true"], run.inputs[f"{case}_pred"], n_classes
        )
        for name, want in zip(("precision", "recall"), expected, strict=True):
            got = run.array(f"{case}_{name}", shape=(n_classes,))
            if not np.allclose(got, want):
                raise CheckFailed(
                    f"{name} is wrong on {len(run.inputs[f'{case}_true'])} grader's rows with "
                    f"{n_classes} classes (a class never predicted or never present scores 0)"
                )


# --------------------------------------------------------------------------- 4, held out


def _judge_resnet_rows(run: ProbeRun) -> float | tuple[float, str] | None:
    return _heldout_score(run, "row", ROW_ACCURACY_FLOOR, ROW_ACCURACY_TARGET)


def _judge_resnet_pieces(run: ProbeRun) -> float | tuple[float, str] | None:
    return _heldout_score(run, "piece", PIECE_ACCURACY_FLOOR, PIECE_ACCURACY_TARGET)


def _heldout_score(
    run: ProbeRun, level: str, floor: float, target: float
) -> float | tuple[float, str] | None:
    context = run.context
    scores = submission_accuracy(context.submission, context.heldout, context.seed, context.size)
    return credit_with_reason(
        scores[level],
        floor=floor,
        target=target,
        reason=f"held-out {level} accuracy {scores[level]:.1%} "
        f"(credit from {floor:.0%}, full at {target:.0%})",
    )


# --------------------------------------------------------------------------- 5


def _piece_vote_inputs(context: Context) -> dict[str, np.ndarray]:
    rng = context.rng("test-piece-vote")
    inputs = {}
    for case in range(10):
        n_rows = int(rng.integers(1, 60))
        names = np.array(["d/2", "a/9", "c/1", "b/b", "e/4"])[: int(rng.integers(1, 6))]
        inputs[f"case{case}_probabilities"] = rng.dirichlet(np.ones(6), size=n_rows)
        inputs[f"case{case}_pieces"] = rng.choice(names, n_rows)
    return inputs


PROBE_PIECE_VOTE = """
import numpy as np
outputs = {}
for case in sorted({key.split("_")[0] for key in inputs}):
    names, predicted, confidence = piece_vote(
        inputs[f"{case}_probabilities"], inputs[f"{case}_pieces"]
    )
    outputs[f"{case}_names"] = np.asarray(names).astype(str)
    outputs[f"{case}_predicted"] = np.asarray(predicted, dtype=np.int64)
    outputs[f"{case}_confidence"] = np.asarray(confidence, dtype=np.float64)
"""


def _judge_piece_vote(run: ProbeRun) -> None:
    for case in sorted({key.split("_")[0] for key in run.inputs}):
        names, predicted, confidence = piece_vote(
            run.inputs[f"{case}_probabilities"], run.inputs[f"{case}_pieces"]
        )
        got_names = np.asarray(run.output(f"{case}_names")).astype(str).tolist()
        if got_names != names.tolist():
            raise CheckFailed(f"piece names {got_names}; expected the sorted distinct pieces")
        if run.array(f"{case}_predicted", shape=predicted.shape).tolist() != predicted.tolist():
            raise CheckFailed("a piece's predicted class is not the argmax of its mean probability")
        if not np.allclose(run.array(f"{case}_confidence", shape=confidence.shape), confidence):
            raise CheckFailed("a piece's confidence is not its mean probability of that class")


CHECKS = (
    Check(
        "test-range-profile",
        _judge_range_profile,
        PROBE_RANGE_PROFILE,
        make_inputs=_range_profile_inputs,
    ),
    Check("test-find-rows", _judge_find_rows, PROBE_FIND_ROWS, make_inputs=_find_rows_inputs),
    Check(
        "score-row-finder",
        _judge_row_finder,
        PROBE_ROW_FINDER,
        make_inputs=_row_finder_inputs,
    ),
    Check(
        "test-split-by-piece",
        _judge_split_by_piece,
        PROBE_SPLIT_BY_PIECE,
        make_inputs=_split_by_piece_inputs,
    ),
    Check(
        "test-build-resnet50",
        _judge_build_resnet50,
        PROBE_BUILD_RESNET50,
        make_inputs=_build_resnet50_inputs,
        timeout_s=300.0,
    ),
    Check(
        "test-compile-and-callbacks",
        _judge_compile_and_callbacks,
        PROBE_COMPILE_AND_CALLBACKS,
        make_inputs=_compile_and_callbacks_inputs,
    ),
    Check(
        "test-precision-recall",
        _judge_precision_recall,
        PROBE_PRECISION_RECALL,
        make_inputs=_precision_recall_inputs,
    ),
    Check("score-resnet50-rows", _judge_resnet_rows),
    Check("score-resnet50-pieces", _judge_resnet_pieces),
    Check("test-piece-vote", _judge_piece_vote, PROBE_PIECE_VOTE, make_inputs=_piece_vote_inputs),
)
"""One check per autograded test cell of the composer notebook, in notebook order."""

__all__ = ["CHECKS", "callback_settings"]
