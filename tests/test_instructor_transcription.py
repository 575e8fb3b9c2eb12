"""The transcription notebook's hidden checks: the solution earns every point, the release none.

The notebook tests run the solution and the release through
:func:`dlmusic_instructor.executor.grade_locally` (a kernel each, unsandboxed,
grading mode: saved weights are loaded, nothing is trained). The handed-in
weights are untrained, so the three ``score-*`` checks must give 0 with the
measured held-out Fno as the reason: the floors hold in quick mode too.

The unit tests run one check's probe in this process against the solution's own
functions (its cells executed here), or against a cheat's, with the probe
runtime the grader copies into the student's kernel, then judge it as the
grader does.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

import dlmusic
from dlmusic.transcription.targets import NoteList
from dlmusic_instructor import COURSE_ROOT
from dlmusic_instructor.assignments import transcription
from dlmusic_instructor.checks import Check, Context, ProbeRun, ProbeStatus, Verdict, judge
from dlmusic_instructor.executor import judge_in_process, local_context
from dlmusic_instructor.heldout.transcription import write_untrained_weights
from dlmusic_instructor.references import transcription as reference

SOLUTION = COURSE_ROOT / "solutions" / "transcription" / "transcription.ipynb"
RELEASE = COURSE_ROOT / "assignments" / "transcription" / "transcription.ipynb"
CHECKS = {check.grade_id: check for check in transcription.CHECKS}
MODEL_CHECKS = ("score-full-model", "score-no-harmonic-stacking", "score-no-contour-supervision")
ANSWER_CELLS = (
    "cell-003",
    "cell-006",
    "cqt-kernel",
    "log-cqt",
    "harmonic-stack",
    "note-onset-targets",
    "build-model",
    "weighted-bce",
    "transcription-scores",
    "augment-window",
    "note-hits",
)
"""The solution cells (and the imports and helpers they need) the unit tests execute."""
REFERENCE_NAMES = (
    "build_nmp",
    "build_model",
    "audio_features",
    "cqt_kernels",
    "cqt_kernel",
    "NormalizedLogPower",
    "LogCQT",
    "normalized_log_power",
    "harmonic_stack_numpy",
    "harmonic_stack",
    "note_targets",
    "note_and_onset_targets",
    "weighted_binary_crossentropy",
    "weighted_bce",
    "balanced_positive_weight",
    "balanced_weight",
    "note_scores",
    "transcription_scores",
    "mean_scores",
    "note_hits",
    "heldout_fno",
    "heldout_clips",
    "DEFAULT_HELDOUT_SEED",
    "HELDOUT_SEED_ENV_VAR",
)


def context_for(tmp_path: Path, student: str = "ada", seed: int = 31) -> Context:
    return local_context(
        "transcription",
        submission=tmp_path / "submission",
        heldout=tmp_path / "heldout",
        seed=seed,
        student=student,
    )


def run_check(check: Check, namespace: dict, tmp_path: Path) -> Verdict:
    """Probe ``namespace`` (the stand-in for a notebook's globals) and judge, as the grader does."""
    return judge_in_process(check, namespace, context_for(tmp_path), tmp_path)


def judge_files(check: Check, tmp_path: Path) -> Verdict:
    """Judge a check without a probe (the handed-in files of ``tmp_path / "submission"``)."""
    context = context_for(tmp_path)
    return judge(check, ProbeRun({}, {}, tmp_path, context), ProbeStatus())


@pytest.fixture(scope="module")
def solution_namespace() -> dict:
    """The solution's answers, defined by executing its cells in one namespace."""
    notebook = nbformat.read(SOLUTION, as_version=4)
    namespace: dict = {}
    for cell in notebook.cells:
        if cell.get("id") in ANSWER_CELLS:
            source = "\n".join(
                line for line in cell.source.splitlines() if not line.startswith("%")
            )
            exec(compile(source, cell.get("id"), "exec"), namespace)
    return namespace


@pytest.fixture
def answers(solution_namespace) -> dict:
    """A fresh copy of the solution's namespace, for a test to replace one answer in."""
    return dict(solution_namespace)


# --------------------------------------------------------------- the student package


def test_no_cell_of_the_notebook_reaches_the_instructor_package():
    for path in (SOLUTION, RELEASE):
        for cell in nbformat.read(path, as_version=4).cells:
            assert "dlmusic_instructor" not in cell.source, (path.name, cell.get("id"))
            imports = [line for line in cell.source.splitlines() if "import" in line]
            assert not any("reference" in line for line in imports), (path.name, cell.get("id"))


def student_modules():
    """Every module of the student package ``dlmusic``."""
    yield dlmusic
    for info in pkgutil.walk_packages(dlmusic.__path__, "dlmusic."):
        yield importlib.import_module(info.name)


def test_the_student_package_holds_no_reference_a_model_could_wrap():
    """No path from ``dlmusic`` to an answer: a student's build_nmp cannot wrap the grader's."""
    for module in student_modules():
        for name, value in vars(module).items():
            owner = getattr(value, "__module__", "") or ""
            assert not owner.startswith("dlmusic_instructor"), (module.__name__, name)
    transcription_modules = [
        module
        for module in student_modules()
        if module.__name__.startswith("dlmusic.transcription")
    ]
    assert len(transcription_modules) > 5
    for module in transcription_modules:
        present = [name for name in REFERENCE_NAMES if hasattr(module, name)]
        assert not present, (module.__name__, present)


def test_no_file_of_the_student_package_names_the_instructor_package_or_a_seed():
    for path in Path(dlmusic.__file__).parent.rglob("*.py"):
        text = path.read_text()
        assert "dlmusic_instructor" not in text, path
        assert "HELDOUT_SEED" not in text, path


# --------------------------------------------------------------- whole notebooks


@pytest.fixture(scope="module")
def grading_folder(tmp_path_factory, quick_data_dir):
    folder = tmp_path_factory.mktemp("transcription-grading")
    write_untrained_weights(folder / "submission")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DLMUSIC_MODE", "quick")
        patch.setenv("MPLBACKEND", "Agg")
        patch.setenv("DLMUSIC_DATA", str(quick_data_dir))
        yield folder


def test_the_solution_earns_every_point_but_untrained_models_none(grading_folder, grade_by_check):
    verdicts = grade_by_check(SOLUTION, "transcription", grading_folder, cell_timeout_s=600)
    lost = {
        grade_id: verdict.reason
        for grade_id, verdict in verdicts.items()
        if grade_id not in MODEL_CHECKS and not verdict.full_marks
    }
    assert not lost, lost
    for grade_id in MODEL_CHECKS:
        assert verdicts[grade_id].fraction == 0.0, verdicts[grade_id]
        assert "held-out Fno" in verdicts[grade_id].reason, verdicts[grade_id]


def test_the_release_earns_nothing_and_says_why(grading_folder, grade_by_check):
    graded = grade_by_check(RELEASE, "transcription", grading_folder, cell_timeout_s=600)
    for verdict in graded.values():
        assert verdict.fraction == 0.0, verdict
        assert verdict.reason, verdict


# --------------------------------------------------------------- inputs


@pytest.mark.parametrize("seed", range(40))
def test_drawn_note_lists_are_valid_and_judged_right_for_any_seed(seed, tmp_path):
    context = context_for(tmp_path, seed=seed)
    for grade_id in ("test-transcription-scores", "test-note-hits"):
        inputs = CHECKS[grade_id].make_inputs(context)
        for i in range(int(inputs["n_cases"])):
            pair = [
                NoteList(inputs[f"{side}_intervals_{i}"], inputs[f"{side}_pitches_{i}"], pitches)
                for side in ("ref", "est")
                for pitches in [np.full(len(inputs[f"{side}_pitches_{i}"]), 80)]
            ]
            reference.transcription_scores(*pair)
            hits = reference.note_hits(*pair)
            assert all(transcription._could_match(*pair, j) for j in np.flatnonzero(hits))


# --------------------------------------------------------------- the solution, check by check


@pytest.mark.parametrize(
    "grade_id", [check.grade_id for check in transcription.CHECKS if check.probe]
)
def test_each_probe_gives_the_solution_full_marks(grade_id, answers, tmp_path):
    verdict = run_check(CHECKS[grade_id], answers, tmp_path)
    assert verdict.full_marks, verdict


# --------------------------------------------------------------- parts 1 and 2


def test_a_kernel_from_librosa_earns_nothing(answers, tmp_path):
    import librosa

    def cqt_kernel(freq_hz, sr, bins_per_octave=36):
        ratio_squared = 2.0 ** (2.0 / bins_per_octave)
        alpha = (ratio_squared - 1) / (ratio_squared + 1)
        kernels, _ = librosa.filters.wavelet(
            freqs=np.array([freq_hz]), sr=sr, norm=1, pad_fft=False, alpha=alpha
        )
        return kernels[0]

    verdict = run_check(CHECKS["test-cqt-kernel"], answers | {"cqt_kernel": cqt_kernel}, tmp_path)
    assert verdict.fraction == 0.0
    assert "librosa.filters.wavelet" in verdict.reason


def test_a_kernel_without_the_window_earns_nothing(answers, tmp_path):
    def cqt_kernel(freq_hz, sr, bins_per_octave=36):
        kernel = reference.cqt_kernel(freq_hz, sr, bins_per_octave)
        phase = kernel / np.maximum(np.abs(kernel), 1e-30)
        return phase / np.abs(phase).sum()

    verdict = run_check(CHECKS["test-cqt-kernel"], answers | {"cqt_kernel": cqt_kernel}, tmp_path)
    assert verdict.fraction == 0.0
    assert "values differ" in verdict.reason


def test_a_kernel_that_does_not_run_costs_only_its_own_cell(solution_namespace, tmp_path):
    """LogCQT and build_nmp are judged with the grader's kernel when the student's fails."""
    namespace = solution_namespace  # LogCQT and build_nmp look cqt_kernel up here
    written = namespace["cqt_kernel"]

    def cqt_kernel(freq_hz, sr, bins_per_octave=36):
        raise NotImplementedError

    namespace["cqt_kernel"] = cqt_kernel
    try:
        kernel = run_check(CHECKS["test-cqt-kernel"], namespace, tmp_path / "kernel")
        layer = run_check(CHECKS["test-log-cqt"], namespace, tmp_path / "layer")
        network = run_check(CHECKS["test-build-model"], namespace, tmp_path / "network")
        assert namespace["cqt_kernel"] is cqt_kernel, "the probe restores the student's kernel"
    finally:
        namespace["cqt_kernel"] = written
    assert kernel.fraction == 0.0 and "NotImplementedError" in kernel.reason
    assert layer.full_marks, layer
    assert network.full_marks, network


def test_a_log_cqt_without_the_rescaling_earns_nothing(answers, tmp_path):
    import keras

    cqt_layer = answers["CQT"]
    kernel = answers["cqt_kernel"]

    class LogCQT(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.cqt = cqt_layer(kernel=kernel)

        def call(self, audio):
            return 10.0 * keras.ops.log10(keras.ops.square(self.cqt(audio)) + 1e-10)

    verdict = run_check(CHECKS["test-log-cqt"], answers | {"LogCQT": LogCQT}, tmp_path)
    assert verdict.fraction == 0.0
    assert "rescaling" in verdict.reason


def test_a_numpy_stack_that_cannot_take_a_batch_loses_credit(answers, tmp_path):
    def harmonic_stack(spectrogram, harmonics=(0.5, 1, 2), n_output_bins=264, bins_per_octave=36):
        n_frames, n_bins = spectrogram.shape
        stacked = np.zeros((n_frames, n_output_bins, len(harmonics)), spectrogram.dtype)
        for channel, harmonic in enumerate(harmonics):
            shift = round(bins_per_octave * np.log2(harmonic))
            for k in range(n_output_bins):
                if 0 <= k + shift < n_bins:
                    stacked[:, k, channel] = spectrogram[:, k + shift]
        return stacked

    verdict = run_check(
        CHECKS["test-harmonic-stack"], answers | {"harmonic_stack": harmonic_stack}, tmp_path
    )
    assert verdict.fraction < 1.0


def test_a_kernel_one_tap_longer_than_librosas_earns_full_marks(answers, tmp_path):
    kernel = answers["cqt_kernel"]

    def cqt_kernel(freq_hz, sr, bins_per_octave=36):
        taps = kernel(freq_hz, sr, bins_per_octave)
        return np.concatenate([taps, [0j]]) if taps.size % 2 else np.concatenate([[0j], taps])

    verdict = run_check(CHECKS["test-cqt-kernel"], answers | {"cqt_kernel": cqt_kernel}, tmp_path)
    assert verdict.full_marks, verdict.reason


# --------------------------------------------------------------- parts 3 and 4


def test_targets_with_onsets_before_the_window_lose_credit(answers, tmp_path):
    def note_and_onset_targets(notes, n_frames):
        note, onset = reference.note_and_onset_targets(notes, n_frames)
        for (onset_s, _), pitch in zip(notes.intervals, notes.pitches, strict=True):
            if onset_s < 0:
                onset[0, pitch - 21] = 1.0
        return note, onset

    verdict = run_check(
        CHECKS["test-note-onset-targets"],
        answers | {"note_and_onset_targets": note_and_onset_targets},
        tmp_path,
    )
    assert 0.0 < verdict.fraction < 1.0
    assert "onset targets differ" in verdict.reason


def test_a_network_without_the_post_stack_layer_earns_partial_credit(answers, tmp_path):
    kernel = answers["cqt_kernel"]

    def build_nmp(harmonic_stacking=True, supervised_contour=True):
        # the published network: a student who left out the post-stack layer
        return reference.build_nmp(
            harmonic_stacking, supervised_contour, post_stack_conv=False, kernel=kernel
        )

    verdict = run_check(CHECKS["test-build-model"], answers | {"build_nmp": build_nmp}, tmp_path)
    assert verdict.fraction == pytest.approx(0.3)
    assert "trainable parameters" in verdict.reason
    assert "do not fit" in verdict.reason  # Keras only warns on this file; the grader refuses it


# --------------------------------------------------------------- parts 5 to 9


def test_a_loss_without_the_factor_two_earns_nothing(answers, tmp_path):
    def weighted_bce(positive_weight, label_smoothing=0.0):
        loss = reference.weighted_bce(positive_weight, label_smoothing)
        return lambda y_true, y_pred: loss(y_true, y_pred) / 2

    verdict = run_check(
        CHECKS["test-weighted-bce"], answers | {"weighted_bce": weighted_bce}, tmp_path
    )
    assert verdict.fraction == 0.0


def test_a_balanced_weight_that_never_raises_earns_most_of_the_cell(answers, tmp_path):
    verdict = run_check(
        CHECKS["test-balanced-weight"], answers | {"balanced_weight": lambda p: 1.0 - p}, tmp_path
    )
    assert verdict.fraction == pytest.approx(0.6)
    assert "must raise ValueError" in verdict.reason


def test_scores_with_pitches_in_midi_numbers_lose_credit(answers, tmp_path):
    import mir_eval

    def transcription_scores(reference_notes, estimate):
        scores = reference.transcription_scores(reference_notes, estimate)
        if len(reference_notes) and len(estimate):
            _, _, fno, _ = mir_eval.transcription.precision_recall_f1_overlap(
                reference_notes.intervals,
                reference_notes.pitches.astype(float),
                estimate.intervals,
                estimate.pitches.astype(float),
                offset_ratio=None,
            )
            scores["fno"] = fno
        return scores

    verdict = run_check(
        CHECKS["test-transcription-scores"],
        answers | {"transcription_scores": transcription_scores},
        tmp_path,
    )
    assert verdict.fraction < 1.0
    assert "fno differ" in verdict.reason


def test_an_augmentation_that_loses_the_velocities_loses_credit(answers, tmp_path):
    augment = answers["augment_window"]
    note_list = answers["NoteList"]

    def augment_window(audio, notes, rng):
        audio, notes = augment(audio, notes, rng)
        return audio, note_list(notes.intervals, notes.pitches, np.full(len(notes), 64))

    verdict = run_check(
        CHECKS["test-augment-window"], answers | {"augment_window": augment_window}, tmp_path
    )
    assert 0.0 < verdict.fraction < 1.0
    assert "velocities" in verdict.reason


def test_note_hits_marking_every_note_earns_nothing(answers, tmp_path):
    def note_hits(reference_notes, estimate):
        return np.ones(len(estimate), dtype=bool)

    verdict = run_check(CHECKS["test-note-hits"], answers | {"note_hits": note_hits}, tmp_path)
    assert verdict.fraction < 0.5
    assert "hits, expected" in verdict.reason


def test_note_hits_marking_reference_indices_loses_credit(answers, tmp_path):
    def note_hits(reference_notes, estimate):
        hits = np.zeros(len(estimate), dtype=bool)
        for reference_index, _ in reference.note_matches(reference_notes, estimate):
            if reference_index < len(hits):
                hits[reference_index] = True
        return hits

    verdict = run_check(CHECKS["test-note-hits"], answers | {"note_hits": note_hits}, tmp_path)
    assert verdict.fraction < 0.5, verdict.reason


AUGMENT_WITHOUT_TRANSPOSITION_OR_REVERB = """
def augment_window(audio, notes, rng):
    audio = random_equalizer(np.array(audio, np.float32), SAMPLE_RATE_HZ, rng)
    if np.any(audio):
        audio = add_white_noise(audio, rng.uniform(10.0, 30.0), rng)
    return audio.astype(np.float32), notes
"""


def test_an_augmentation_without_transposition_or_reverb_loses_credit(answers, tmp_path):
    exec(AUGMENT_WITHOUT_TRANSPOSITION_OR_REVERB, answers)  # a cell of the notebook
    verdict = run_check(CHECKS["test-augment-window"], answers, tmp_path)
    assert verdict.fraction < 1.0
    assert "transpose, add_reverb never applied" in verdict.reason


# --------------------------------------------------------------- handed-in weights


def test_missing_weights_score_nothing_with_a_reason(tmp_path):
    (tmp_path / "submission").mkdir()
    verdict = judge_files(CHECKS["score-full-model"], tmp_path)
    assert verdict.fraction == 0.0
    assert "no nmp_full.weights.h5 was handed in" in verdict.reason


def test_weights_of_another_network_or_a_link_or_garbage_score_nothing(tmp_path):
    submission = tmp_path / "submission"
    paths = dict(
        zip(("full", "stacking", "contour"), write_untrained_weights(submission), strict=True)
    )
    paths["full"].unlink()
    paths["stacking"].rename(paths["full"])  # the ablation's file under the full model's name
    verdict = judge_files(CHECKS["score-full-model"], tmp_path)
    assert verdict.fraction == 0.0 and "do not fit" in verdict.reason, verdict
    assert str(submission) not in verdict.reason, "the grader's paths stay private"
    paths["contour"].unlink()
    paths["contour"].symlink_to("/etc/passwd")
    verdict = judge_files(CHECKS["score-no-contour-supervision"], tmp_path)
    assert verdict.fraction == 0.0 and "not a regular file" in verdict.reason, verdict
    paths["full"].write_bytes(b"not an HDF5 file")
    verdict = judge_files(CHECKS["score-full-model"], tmp_path)
    assert verdict.fraction == 0.0 and "could not be loaded" in verdict.reason, verdict
