"""Execute a submission's notebook in the sandbox, probe it, and judge it in the grader's process.

One submission, start to end (:func:`grade_submission`):

1. The scratch folder gets three parts: ``grader/`` (the notebook runner, the
   probe runtime and each check's probe source, inputs and forbidden calls;
   read-only to the job), ``submission/`` (the repaired notebook, copies of the
   files the student handed in, ``home/``; the job's working directory) and
   ``out/<grade_id>/`` (where each probe writes its outputs).
2. The notebook, with test cells as released (visible asserts only) and one
   probe cell per check appended, runs in :mod:`dlmusic_instructor.sandbox`
   (bubblewrap) in grading mode, so it loads the saved weights instead of
   training.
3. In the grader's process, each check's judge compares what its probe wrote
   (``allow_pickle=False``) with the instructor's references, or measures the
   handed-in weights on held-out data; the verdicts are the cells' scores.

:func:`grade_locally` does the same for one notebook without a workspace (tests,
instructors trying a check).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np
from nbformat import NotebookNode

import dlmusic
from dlmusic_instructor import probe_runtime
from dlmusic_instructor.checks import (
    Check,
    Context,
    ProbeRun,
    ProbeStatus,
    Verdict,
    checks_for,
    judge,
)
from dlmusic_instructor.sandbox import (
    JobResult,
    bubblewrap_command,
    check_bubblewrap,
    network_guard_dir,
    run_limited,
)

PROBE_RUNTIME = Path(__file__).with_name("probe_runtime.py")
RUNNER = Path(__file__).with_name("sandbox_runner.py")
PROBE_CELL_KEY = "dlmusic_probe"
LOCAL_HELDOUT_SEED = 31
"""The held-out seed of grading outside a workspace (tests, an instructor trying a
notebook); a workspace draws its own (:meth:`Workspace.draw_heldout_seed`)."""
"""Cell metadata key marking the grader's probe cells (removed before the record)."""
INSIDE_ROOT = "/grading"
"""Where the scratch folder appears inside the sandbox."""
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
MAX_OUTPUT_BYTES = 64 * 2**20
"""An outputs.npz larger than this is not read (a probe answer is small)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for grading one submission.

    Attributes
    ----------
    cell_timeout_s : int
        A cell (or a probe) running longer is interrupted (it scores 0).
    notebook_timeout_s : float
        The whole job of one submission is killed after this.
    memory_bytes : int
        Resident memory of the job's process tree (kernel included).
    """

    cell_timeout_s: int = 300
    notebook_timeout_s: float = 1800.0
    memory_bytes: int = 8 * 2**30


@dataclass
class Execution:
    """What running one submission produced.

    Attributes
    ----------
    verdicts : list of Verdict
        One per check, in the assignment's order.
    executed : NotebookNode or None
        The notebook as it ran (probe cells removed), None when nothing ran.
    job : JobResult or None
        How the sandboxed job ended.
    problems : list of str
        What went wrong with the job as a whole (killed, kernel died), for the report.
    """

    verdicts: list[Verdict] = field(default_factory=list)
    executed: NotebookNode | None = None
    job: JobResult | None = None
    problems: list[str] = field(default_factory=list)


def grade_submission(
    notebook: NotebookNode,
    checks: tuple[Check, ...],
    context: Context,
    scratch: Path,
    *,
    limits: Limits,
    sandboxed: bool = True,
    data_dir: Path | None = None,
) -> Execution:
    """Run ``notebook`` (already repaired, test cells as released) and judge every check.

    Parameters
    ----------
    notebook : NotebookNode
        The student's notebook.
    checks : tuple of Check
        The assignment's hidden checks.
    context : Context
        The submission's context (its ``submission`` folder holds the handed-in files).
    scratch : Path
        An empty folder for this job (deleted by the caller afterwards).
    limits : Limits
        Time and memory limits.
    sandboxed : bool
        Run in bubblewrap (default); ``False`` runs unconfined but for the limits.
    data_dir : Path, optional
        The public dataset cache, visible read-only (default: ``$DLMUSIC_DATA``).
    """
    scratch = Path(scratch).resolve()
    grader, work, out = scratch / "grader", scratch / "submission", scratch / "out"
    for folder in (grader, work / "home", out):
        folder.mkdir(parents=True, exist_ok=True)
    _copy_handed_in(context.submission, work)
    root = INSIDE_ROOT if sandboxed else str(scratch)
    inputs = _write_probes(checks, context, grader, out)
    shutil.copyfile(PROBE_RUNTIME, grader / "dlmusic_probe.py")
    shutil.copyfile(RUNNER, grader / "sandbox_runner.py")
    probed = with_probe_cells(notebook, checks, root)
    nbformat.write(probed, work / "notebook.ipynb")

    job = _run_job(
        work, root, limits, sandboxed=sandboxed, scratch=scratch, data_dir=data_dir or _data_dir()
    )
    execution = Execution(job=job)
    executed_path = out / "executed.ipynb"
    if job.killed_reason is not None:
        execution.problems.append(f"grading stopped: the notebook {job.killed_reason}")
    if executed_path.is_file() and executed_path.stat().st_size < 512 * 2**20:
        try:
            ran = nbformat.read(executed_path, as_version=4)
        except Exception:
            ran = None
        if ran is not None:
            if ran.metadata.get("dlmusic_kernel_died"):
                execution.problems.append(
                    "the kernel died while running the notebook (os._exit, a crash, or killed)"
                )
            execution.executed = reproducible(without_probe_cells(ran))
    elif job.killed_reason is None and (job.returncode < 0 or job.returncode > 128):
        signal_number = -job.returncode if job.returncode < 0 else job.returncode - 128
        execution.problems.append(
            f"the notebook's processes were killed (signal {signal_number}) before it finished"
        )
    elif job.killed_reason is None:
        execution.problems.append(f"the notebook could not be run: {_last_line(job.output_tail)}")
    for check in checks:
        run, status = _probe_result(check, context, out, inputs.get(check.grade_id, {}))
        execution.verdicts.append(judge(check, run, status))
    return execution


def grade_locally(
    notebook: str | Path,
    assignment: str,
    *,
    submission: str | Path,
    heldout: str | Path,
    seed: int = LOCAL_HELDOUT_SEED,
    size: str = "quick",
    cell_timeout_s: int = 300,
    sandboxed: bool = False,
    scratch: str | Path | None = None,
) -> list[Verdict]:
    """Grade one notebook file with the assignment's checks, outside any workspace.

    ``submission`` is the folder of files the student handed in (weights);
    ``heldout`` where held-out data is built. Runs unsandboxed by default.
    """
    context = local_context(
        assignment, submission=submission, heldout=heldout, seed=seed, size=size
    )
    with tempfile.TemporaryDirectory(prefix="dlmusic-grade-", dir=scratch) as folder:
        execution = grade_submission(
            nbformat.read(str(notebook), as_version=4),
            checks_for(assignment),
            context,
            Path(folder),
            limits=Limits(cell_timeout_s=cell_timeout_s),
            sandboxed=sandboxed,
        )
    return execution.verdicts


def local_context(
    assignment: str,
    *,
    submission: str | Path,
    heldout: str | Path,
    seed: int = LOCAL_HELDOUT_SEED,
    size: str = "quick",
    student: str = "local",
) -> Context:
    """What a check sees when grading runs outside a workspace.

    Parameters
    ----------
    assignment : str
        The assignment id.
    submission : path
        The folder of the files handed in (weights).
    heldout : path
        Where held-out data is built.
    seed : int
        The held-out seed (:data:`LOCAL_HELDOUT_SEED` unless a test needs another).
    size : {"quick", "full"}
        How much held-out material is scored.
    student : str
        The student id (it seeds each check's inputs with the seed).
    """
    return Context(
        student=student,
        assignment=assignment,
        submission=Path(submission).resolve(),
        heldout=Path(heldout).resolve(),
        seed=seed,
        size=size,
    )


def judge_in_process(check: Check, namespace: dict, context: Context, folder: Path) -> Verdict:
    """Probe ``namespace`` (a stand-in for a notebook's globals) here, and judge it.

    The same probe files, runtime and judge as a sandboxed run, without a kernel
    or a sandbox: for unit tests of a check and for instructors trying one.
    """
    grader, out = Path(folder) / "grader", Path(folder) / "out"
    inputs = _write_probes((check,), context, grader, out)
    if check.probe:
        probe_runtime.run_probe(
            namespace, str(grader / check.grade_id), str(out / check.grade_id), check.timeout_s
        )
    run, status = _probe_result(check, context, out, inputs.get(check.grade_id, {}))
    return judge(check, run, status)


def with_probe_cells(notebook: NotebookNode, checks: tuple[Check, ...], root: str) -> NotebookNode:
    """A copy of ``notebook`` with one probe cell per check that has a probe."""
    probed = copy.deepcopy(notebook)
    for check in checks:
        if not check.probe:
            continue
        source = (
            "import importlib.util as _dlmusic_util\n"
            "_dlmusic_spec = _dlmusic_util.spec_from_file_location(\n"
            f"    'dlmusic_probe', {root + '/grader/dlmusic_probe.py'!r}\n"
            ")\n"
            "_dlmusic_probe = _dlmusic_util.module_from_spec(_dlmusic_spec)\n"
            "_dlmusic_spec.loader.exec_module(_dlmusic_probe)\n"
            f"_dlmusic_probe.run_probe(globals(), {root + '/grader/' + check.grade_id!r}, "
            f"{root + '/out/' + check.grade_id!r}, {check.timeout_s!r})"
        )
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata[PROBE_CELL_KEY] = check.grade_id
        probed.cells.append(cell)
    return probed


def without_probe_cells(notebook: NotebookNode) -> NotebookNode:
    """``notebook`` without the grader's probe cells."""
    kept = copy.deepcopy(notebook)
    kept.cells = [cell for cell in kept.cells if PROBE_CELL_KEY not in cell.metadata]
    kept.metadata.pop("dlmusic_kernel_died", None)
    return kept


def reproducible(notebook: NotebookNode) -> NotebookNode:
    """``notebook`` without what differs between two runs of the same code.

    Widget views get ids numbered in order of appearance instead of random ones,
    and the widgets' saved state (which no feedback page can play) is dropped, so
    grading a submission again writes the same autograded notebook.
    """
    kept = copy.deepcopy(notebook)
    kept.metadata.pop("widgets", None)
    numbers: dict[str, str] = {}
    for cell in kept.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW_MIME)
            if isinstance(view, dict) and "model_id" in view:
                model_id = str(view["model_id"])
                view["model_id"] = numbers.setdefault(model_id, f"widget-{len(numbers)}")
    return kept


def _write_probes(
    checks: tuple[Check, ...], context: Context, grader: Path, out: Path
) -> dict[str, dict[str, np.ndarray]]:
    """Each probe's source, inputs and forbidden calls under ``grader/<grade_id>/``."""
    drawn = {}
    for check in checks:
        if not check.probe:
            continue
        folder = grader / check.grade_id
        folder.mkdir(parents=True, exist_ok=True)
        (out / check.grade_id).mkdir(parents=True, exist_ok=True)
        inputs = dict(check.make_inputs(context)) if check.make_inputs else {}
        np.savez(folder / "inputs.npz", **inputs)
        (folder / "probe.py").write_text(check.probe)
        (folder / "forbidden.json").write_text(json.dumps(list(check.forbidden_calls)))
        drawn[check.grade_id] = inputs
    return drawn


def _probe_result(
    check: Check, context: Context, out: Path, inputs: dict[str, np.ndarray]
) -> tuple[ProbeRun, ProbeStatus]:
    """Load what the probe of ``check`` wrote; anything unreadable is an empty result."""
    folder = out / check.grade_id
    outputs: dict[str, np.ndarray] = {}
    status = ProbeStatus()
    if check.probe:
        status = _read_status(folder / "status.json")
        path = folder / "outputs.npz"
        if status.ran and not status.error and _regular(path, MAX_OUTPUT_BYTES):
            try:
                with np.load(path, allow_pickle=False) as archive:
                    outputs = {name: archive[name] for name in archive.files}
            except (OSError, ValueError, EOFError) as err:
                status = ProbeStatus(ran=True, error=f"the probe's outputs are unreadable: {err}")
    return ProbeRun(inputs=inputs, outputs=outputs, files=folder, context=context), status


def _read_status(path: Path) -> ProbeStatus:
    if not _regular(path, 2**20):
        return ProbeStatus()
    try:
        raw = json.loads(path.read_text())
        return ProbeStatus(
            ran=bool(raw.get("ran")),
            error=str(raw.get("error", ""))[:500],
            forbidden=tuple(str(name) for name in raw.get("forbidden", [])),
            tampered=str(raw.get("tampered", ""))[:300],
        )
    except (ValueError, AttributeError, TypeError):
        return ProbeStatus(ran=True, error="the probe's status file is unreadable")


def _regular(path: Path, max_bytes: int) -> bool:
    """A regular file (not a link) no larger than ``max_bytes``."""
    return path.is_file() and not path.is_symlink() and path.stat().st_size <= max_bytes


def _copy_handed_in(submission: Path, work: Path) -> None:
    """Copy the regular files the student handed in (no links, no folders) into ``work``."""
    if not submission.is_dir():
        return
    for path in sorted(submission.iterdir()):
        if path.is_file() and not path.is_symlink() and path.suffix != ".ipynb":
            shutil.copyfile(path, work / path.name, follow_symlinks=False)


def _data_dir() -> Path | None:
    value = os.environ.get("DLMUSIC_DATA")
    return Path(value).resolve() if value else None


def _job_environment(root: str, data_dir: Path | None) -> dict[str, str]:
    env = {
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), "/usr/bin", "/bin"]),
        "HOME": f"{root}/submission/home",
        "MPLBACKEND": "Agg",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NBGRADER_EXECUTION": "autograde",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "LANG": "C.UTF-8",
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    if data_dir is not None:
        env["DLMUSIC_DATA"] = str(data_dir)
    return env


def _run_job(
    work: Path,
    root: str,
    limits: Limits,
    *,
    sandboxed: bool,
    scratch: Path,
    data_dir: Path | None,
) -> JobResult:
    command = [
        sys.executable,
        f"{root}/grader/sandbox_runner.py",
        f"{root}/submission/notebook.ipynb",
        f"{root}/out/executed.ipynb",
        str(limits.cell_timeout_s),
    ]
    env = _job_environment(root, data_dir)
    if sandboxed:
        readable = _python_paths()
        if data_dir is not None and data_dir.is_dir():
            readable.append(data_dir)
        prefix = bubblewrap_command(
            check_bubblewrap(),
            readable=readable,
            writable={root: scratch},
            read_only_over={f"{root}/grader": scratch / "grader"},
            hidden=_instructor_paths(readable),
            workdir=f"{root}/submission",
            env=env,
        )
        command = [*prefix, *command]
        run_env = None
    else:
        guard = network_guard_dir(scratch / "network-guard")
        run_env = {**os.environ, **env, "PYTHONPATH": str(guard)}
    return run_limited(
        command,
        cwd=work,
        env=run_env,
        wall_limit_s=limits.notebook_timeout_s,
        memory_limit_bytes=limits.memory_bytes,
    )


def _python_paths() -> list[Path]:
    """Python, the virtual environment and the student package: what the job must read."""
    paths = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    package = Path(dlmusic.__file__).resolve().parent
    if not str(package).startswith(str(Path(sys.prefix).resolve())):
        paths.add(package)  # an editable install: the package's own folder only
    return sorted(paths)


def _instructor_paths(readable: list[Path]) -> list[Path]:
    """What of the instructor package lies inside the folders the job reads.

    Its own folder (a non-editable install), its ``.dist-info`` (the file list) and
    an editable install's ``.pth`` and finder (the repository's path).
    """
    site_packages = Path(sysconfig.get_paths()["purelib"]).resolve()
    candidates = [
        Path(__file__).resolve().parent,
        *site_packages.glob("*dlmusic_instructor*"),
        *site_packages.glob("__pycache__/*dlmusic_instructor*"),
    ]
    return [
        path
        for path in candidates
        if path.exists() and any(path.is_relative_to(folder) for folder in readable)
    ]


def _last_line(output: str) -> str:
    """The last line of the job's output that is not one of the kernel's warnings."""
    lines = [
        line.strip()
        for line in output.splitlines()
        if line.strip() and "WARNING" not in line and "warn(" not in line
    ]
    return (lines or ["no output"])[-1][:300]
