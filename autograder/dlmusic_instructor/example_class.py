"""A made-up class of submissions, built from an assignment's release and solution.

``make demo``, the grading tests and ``benchmarks/grading.py`` grade this class.
Every student is a release notebook with some of the solution filled in and,
for the adversarial ones, one thing done wrong on purpose. Each
:class:`ExampleStudent` says what the grader should make of it, so a test can
check the pipeline's verdict for every case.

The adversarial cases are what breaks graders in a real term: invalid JSON, an
empty file, an endless loop in a solution, ``sys.exit``, a killed kernel, a
notebook deleting every file it can reach, megabytes of output, stderr noise in
a graded function, a tampered test cell, a deleted test cell, a memory bomb, a
network download, a notebook that never ends, a changed kernel, inflated
points, a background process left running; and the crafty ones: scipy called
under an alias, the grader's call tracer switched off, scipy patched to agree
with a wrong answer, exceptions swallowed, comparisons faked, the machine
searched for solutions, seed and gradebook, the course package and the
grader's files written to, an IPython startup file, every visible process
killed, a detached process that writes later, raw sockets; and what a real
hand-in looks like: nbformat 3, "Copy of Copy of", a stale copy beside a newer
one, a garbled ``timestamp.txt``. For an assignment that hands in weights
files, also missing weights and weights of the wrong shape.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

SOLUTION_REGION = re.compile(
    r"^[ \t]*### BEGIN SOLUTION[ \t]*\n(.*?)^[ \t]*### END SOLUTION[ \t]*\n?", re.M | re.S
)


@dataclass(frozen=True)
class ExampleStudent:
    """One made-up submission.

    Attributes
    ----------
    student : str
        The student id (the folder name).
    expectation : str
        ``"full"`` (every autograded point), ``"zero"`` (nothing), or
        ``"partial"`` (something in between).
    reason : str
        A phrase the report must contain for this student ("" when nothing
        should go wrong).
    description : str
        What the submission does, for the demo's table.
    """

    student: str
    expectation: str
    reason: str
    description: str


def solution_sources(solution: NotebookNode) -> dict[str, str]:
    """``grade_id -> source`` of the solution notebook's solution cells, markers removed."""
    sources = {}
    for cell in solution.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution"):
            sources[grading["grade_id"]] = SOLUTION_REGION.sub(r"\1", cell.source)
    return sources


def filled_in(
    release: NotebookNode, solutions: dict[str, str], fraction: float = 1.0
) -> NotebookNode:
    """The release notebook with the first ``fraction`` of its solution cells answered."""
    notebook = copy.deepcopy(release)
    solution_cells = [
        cell
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id") in solutions
    ]
    answered = round(fraction * len(solution_cells))
    for cell in solution_cells[:answered]:
        cell.source = solutions[cell.metadata["nbgrader"]["grade_id"]]
    return notebook


def write_example_class(
    release_path: Path,
    solution_path: Path,
    out_dir: Path,
    *,
    extra_files: list[Path] | None = None,
    students: Sequence[str] | None = None,
) -> list[ExampleStudent]:
    """Write one folder per example student into ``out_dir`` (replacing it).

    Parameters
    ----------
    release_path, solution_path : Path
        The assignment's student notebook and its solution notebook.
    out_dir : Path
        Gets ``<student>/<notebook name>`` for every student (the layout
        :func:`dlmusic_instructor.collect.collect_folder` reads).
    extra_files : list of Path, optional
        Files every student hands in beside the notebook (saved weights).
    students : sequence of str, optional
        Only these example students (default: all of :func:`example_students`).
    """
    release = nbformat.read(release_path, as_version=4)
    solutions = solution_sources(nbformat.read(solution_path, as_version=4))
    perfect = filled_in(release, solutions)
    name = release_path.name
    extra_files = list(extra_files or [])
    cases = _CASES + (_WEIGHTS_CASES if extra_files else [])
    if out_dir.exists():
        shutil.rmtree(out_dir)
    written = []
    for case in cases:
        if students is not None and case.student.student not in students:
            continue
        folder = out_dir / case.student.student
        folder.mkdir(parents=True)
        content = case.make(release, solutions, perfect)
        handed_in = (
            content
            if isinstance(content, dict) and not isinstance(content, NotebookNode)
            else {name: content}
        )
        for offset, (file_name, item) in enumerate(handed_in.items()):
            target = folder / file_name.replace("{name}", name).replace("{stem}", Path(name).stem)
            if isinstance(item, NotebookNode):
                nbformat.write(item, target)
            else:
                target.write_text(item)
            # files listed earlier are older: the stale copy comes first
            os.utime(target, (1_700_000_000 + offset * 3600, 1_700_000_000 + offset * 3600))
        _hand_in_files(case.student.student, extra_files, folder)
        written.append(case.student)
    return written


def _hand_in_files(student: str, files: list[Path], folder: Path) -> None:
    """Copy the saved files, except for the students who lose or mix them up."""
    if student == "missing_weights":
        return
    for index, path in enumerate(files):
        # wrong_weights hands in each network's file under the next network's name
        source = files[(index + 1) % len(files)] if student == "wrong_weights" else path
        shutil.copy2(source, folder / path.name)


def example_students(with_saved_files: bool = False) -> list[ExampleStudent]:
    """Every example student, with what the grader should make of it.

    ``with_saved_files``: also the two students who mishandle the weights
    files an assignment hands in (written only when there are such files).
    """
    cases = _CASES + (_WEIGHTS_CASES if with_saved_files else [])
    return [case.student for case in cases]


_Make = Callable[
    [NotebookNode, dict[str, str], NotebookNode],
    NotebookNode | str | dict[str, NotebookNode | str],
]
"""``make(release, solutions, perfect)``: the handed-in notebook, or ``{file name: content}``
(``{name}``: the released name)."""


@dataclass(frozen=True)
class _Case:
    student: ExampleStudent
    make: _Make


def _first_solution_function_cell(notebook: NotebookNode) -> NotebookNode:
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("solution") and cell.cell_type == "code" and "def " in cell.source:
            return cell
    raise ValueError("the notebook has no solution cell defining a function")


def _first_test_cell(notebook: NotebookNode) -> NotebookNode:
    for cell in notebook.cells:
        grading = cell.metadata.get("nbgrader", {})
        if grading.get("grade") and cell.cell_type == "code":
            return cell
    raise ValueError("the notebook has no test cell")


def _with_cell(notebook: NotebookNode, source: str, *, after_setup: bool = True) -> NotebookNode:
    """A copy with one extra code cell, after the first graded cell (or at the end)."""
    changed = copy.deepcopy(notebook)
    cell = nbformat.v4.new_code_cell(source)
    if after_setup:
        position = next(
            i for i, c in enumerate(changed.cells) if c.metadata.get("nbgrader", {}).get("grade_id")
        )
        changed.cells.insert(position, cell)
    else:
        changed.cells.append(cell)
    return changed


def _with_cells(notebook: NotebookNode, sources: list[str]) -> NotebookNode:
    """A copy with extra code cells before the first graded cell."""
    changed = notebook
    for source in reversed(sources):
        changed = _with_cell(changed, source)
    return changed


def _mangled_by_colab(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    duplicate = copy.deepcopy(_first_solution_function_cell(notebook))
    duplicate["id"] = "colab-copy"
    index = notebook.cells.index(_first_solution_function_cell(notebook))
    notebook.cells.insert(index + 1, duplicate)
    for cell in notebook.cells:
        cell.metadata = {"id": cell.get("id", ""), "colab": {"base_uri": "https://localhost/"}}
    notebook.metadata["colab"] = {"provenance": []}
    return notebook


def _endless_solution(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    cell = _first_solution_function_cell(notebook)
    cell.source = "while True:\n    pass\n"
    return notebook


def _noisy_solution(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    cell = _first_solution_function_cell(notebook)
    cell.source += (
        "\n\nimport functools as _functools\nimport sys as _sys\n"
        + _wrap_first_function(cell.source)
    )
    return notebook


def _wrap_first_function(source: str) -> str:
    """Code that wraps the cell's first function so every call writes to stderr."""
    name = re.search(r"^def (\w+)", source, re.M)
    if name is None:
        raise ValueError("no top-level function in the solution cell")
    function = name.group(1)
    return (
        f"_original = {function}\n\n\n"
        f"@_functools.wraps(_original)\n"
        f"def {function}(*args, **kwargs):\n"
        f'    print("debug: called", file=_sys.stderr)\n'
        f"    return _original(*args, **kwargs)\n"
    )


def _tampered_test(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(release)
    _first_test_cell(notebook).source = "# the test was here\npass\n"
    return notebook


def _deleted_test(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    notebook.cells.remove(_first_test_cell(notebook))
    return notebook


def _changed_kernel(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(perfect)
    notebook.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    return notebook


def _inflated_points(release, solutions, perfect) -> NotebookNode:
    notebook = copy.deepcopy(release)
    _first_test_cell(notebook).metadata["nbgrader"]["points"] = 1000
    return notebook


def _with_solution(perfect: NotebookNode, grade_id: str, source: str) -> NotebookNode:
    """``perfect`` with the solution cell ``grade_id`` replaced by ``source``."""
    notebook = copy.deepcopy(perfect)
    for cell in notebook.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            cell.source = source
            return notebook
    raise ValueError(f"no cell {grade_id!r} in the notebook")


_MEDIAN_CHECKS = (
    "    image = np.asarray(image, dtype=np.float64)\n"
    "    if image.ndim != 2:\n"
    "        raise ValueError('image must be 2-D')\n"
    "    rows, columns = (size, size) if np.isscalar(size) else size\n"
    "    if rows < 1 or columns < 1 or rows % 2 == 0 or columns % 2 == 0:\n"
    "        raise ValueError('odd sides')\n"
)
ALIASED_SCIPY = (
    "import scipy.ndimage as _images\n\n_smooth = _images.median_filter\n\n\n"
    "def median_filter(image, size):\n"
    + _MEDIAN_CHECKS
    + "    return _smooth(image, size=(rows, columns), mode='reflect')\n"
)
"""A median filter that calls scipy under another name (the exercise asks for numpy)."""
TRACER_EVADED = (
    "import sys as _s\nimport scipy.ndimage as _images\n\n\n"
    "def median_filter(image, size):\n"
    + _MEDIAN_CHECKS
    + "    _hook = _s.getprofile()\n    _s.setprofile(None)\n"
    "    result = _images.median_filter(image, size=(rows, columns), mode='reflect')\n"
    "    _s.setprofile(_hook)\n    return result\n"
)
"""The same, switching off the grader's call tracer around the call."""
PATCHED_SCIPY = (
    "import scipy.ndimage\n\n"
    "scipy.ndimage.median_filter = lambda image, *args, **kwargs: np.zeros_like(image)\n\n\n"
    "def median_filter(image, size):\n    return np.zeros_like(np.asarray(image, dtype=float))\n"
)
"""A wrong median filter, with scipy's patched in the kernel to agree with it."""
SWALLOW_EXCEPTIONS = (
    "get_ipython().set_custom_exc(\n"
    "    (BaseException,), lambda shell, etype, value, tb, tb_offset=None: None\n)\n"
)
FAKE_COMPARISONS = (
    "import numpy as np\n\n"
    "np.allclose = lambda *args, **kwargs: True\n"
    "np.array_equal = lambda *args, **kwargs: True\n"
    "np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), bool)\n"
)
FIND_SECRETS = (
    "import os\n\nfound = []\n"
    "for top, folders, files in os.walk('/'):\n"
    "    skip = ('/usr', '/proc', '/sys', '/dev')\n"
    "    folders[:] = [f for f in folders if os.path.join(top, f) not in skip]\n"
    "    for file in files:\n"
    "        grading = file in ('gradebook.db', 'seed.json') and 'site-packages' not in top\n"
    "        answers = file.endswith('.ipynb') and 'solutions' in top\n"
    "        instructor = 'dlmusic_instructor' in os.path.join(top, file)\n"
    "        path = os.path.join(top, file)\n"
    "        if (grading or answers or instructor) and os.path.getsize(path) > 0:\n"
    "            found.append(path)\n"
    "secret_env = sorted(k for k in os.environ if 'HELDOUT' in k or 'GRADING' in k)\n"
    "print('secrets found:', found or 'none', '| secret environment:', secret_env or 'none')\n"
)
"""Searches every folder it sees for the gradebook, the seed, solutions and the instructor
package, and reports each such file that is not empty (nbgrader's own test gradebook in
site-packages is no secret; the sandbox shows the instructor package's traces empty)."""
WRITE_SHARED_FILES = (
    "import pathlib\n\nimport dlmusic\n\n"
    "for target in (\n"
    "    pathlib.Path(dlmusic.__file__).with_name('course.py'),\n"
    "    pathlib.Path('/grading/grader/dlmusic_probe.py'),\n"
    "    pathlib.Path('/grading/grader/sandbox_runner.py'),\n"
    "):\n"
    "    try:\n"
    "        with open(target, 'a') as handle:\n"
    "            handle.write('\\nraise SystemExit(1)\\n')\n"
    "        print('wrote', target)\n"
    "    except OSError as err:\n"
    "        print('refused', target.name, type(err).__name__)\n"
)
STARTUP_FILE = (
    "import pathlib\n\n"
    "startup = pathlib.Path.home() / '.ipython' / 'profile_default' / 'startup'\n"
    "startup.mkdir(parents=True, exist_ok=True)\n"
    "(startup / '00-everyone-gets-full-marks.py').write_text('import os\\nos._exit(0)\\n')\n"
    "print('startup file written to', startup)\n"
)
KILL_EVERYTHING = (
    "import os\nimport signal\n\n"
    "for pid in sorted(int(p) for p in os.listdir('/proc') if p.isdigit()):\n"
    "    if pid != os.getpid():\n"
    "        try:\n            os.kill(pid, signal.SIGKILL)\n"
    "        except OSError:\n            pass\n"
    "try:\n    os.killpg(0, signal.SIGKILL)\nexcept OSError:\n    pass\n"
)
DETACHED_WRITER = (
    "import subprocess\n\n"
    "subprocess.Popen(\n"
    "    ['sh', '-c', 'sleep 20; echo rewritten > /grading/submission/notebook.ipynb'],\n"
    "    start_new_session=True,\n)\n"
)
RAW_NETWORK = (
    "import socket\n\n"
    "try:\n    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)\n"
    "    print('raw socket opened')\n"
    "except OSError as err:\n    print('raw socket refused:', err)\n"
    "try:\n    socket.create_connection(('192.0.2.1', 80), timeout=3)\n"
    "    print('connected')\nexcept OSError as err:\n    print('connection refused:', err)\n"
)


def _nbformat3(release, solutions, perfect) -> str:
    return nbformat.writes(nbformat.convert(copy.deepcopy(perfect), 3), version=3)


def _perfect_plus(source: str) -> _Make:
    """The perfect notebook with a cell running ``source`` after the setup cell."""
    return lambda release, solutions, perfect: _with_cell(perfect, source)


def _release_plus(source: str) -> _Make:
    """The untouched release with a cell running ``source`` after the setup cell."""
    return lambda release, solutions, perfect: _with_cell(release, source)


def _perfect_solving_median_filter_with(source: str) -> _Make:
    """The perfect notebook whose median-filter answer is ``source``."""
    return lambda release, solutions, perfect: _with_solution(perfect, "median-filter", source)


_CASES = [
    _Case(
        ExampleStudent("perfect", "full", "", "every answer from the solution"),
        lambda release, solutions, perfect: perfect,
    ),
    _Case(
        ExampleStudent("empty", "zero", "NotImplementedError", "the release, untouched"),
        lambda release, solutions, perfect: release,
    ),
    _Case(
        ExampleStudent("partial", "partial", "NotImplementedError", "first half of the answers"),
        lambda release, solutions, perfect: filled_in(release, solutions, 0.5),
    ),
    _Case(
        ExampleStudent(
            "colab_mangled", "full", "", "Colab metadata only, nbgrader's stripped, a cell doubled"
        ),
        _mangled_by_colab,
    ),
    _Case(
        ExampleStudent("invalid_json", "zero", "not valid JSON", "a truncated file"),
        lambda release, solutions, perfect: json.dumps(perfect)[:500],
    ),
    _Case(
        ExampleStudent("empty_file", "zero", "empty", "zero bytes"),
        lambda release, solutions, perfect: "",
    ),
    _Case(
        ExampleStudent("endless_loop", "partial", "", "a solution cell that never returns"),
        _endless_solution,
    ),
    _Case(
        ExampleStudent("sys_exit", "full", "", "calls sys.exit() in a cell"),
        _perfect_plus("import sys\nsys.exit(3)\n"),
    ),
    _Case(
        ExampleStudent("kernel_killed", "zero", "", "kills its own kernel"),
        _perfect_plus("import os\nos._exit(1)\n"),
    ),
    _Case(
        ExampleStudent("deletes_files", "partial", "clean", "deletes every file it can reach"),
        _perfect_plus(
            "import shutil\nfrom pathlib import Path\n"
            "for folder in (Path.cwd().parent, Path.home(), Path('/tmp'), Path('/work')):\n"
            "    shutil.rmtree(folder, ignore_errors=True)\n"
        ),
    ),
    _Case(
        ExampleStudent("prints_megabytes", "full", "", "prints two million lines"),
        _perfect_plus("for line in range(2_000_000):\n    print(line)\n"),
    ),
    _Case(
        ExampleStudent("stderr_noise", "full", "", "a graded function writes to stderr"),
        _noisy_solution,
    ),
    _Case(
        ExampleStudent("tampered_test", "zero", "NotImplementedError", "a test cell replaced"),
        _tampered_test,
    ),
    _Case(
        ExampleStudent("deleted_test", "full", "", "a test cell deleted"),
        _deleted_test,
    ),
    _Case(
        ExampleStudent("memory_bomb", "zero", "memory", "allocates memory until stopped"),
        _perfect_plus(
            "import numpy as np\nhoard = []\nwhile True:\n"
            "    hoard.append(np.ones(2**26))  # 512 MiB a step\n"
        ),
    ),
    _Case(
        ExampleStudent("downloads", "full", "", "tries to download a file"),
        _perfect_plus(
            "import urllib.request\ntry:\n"
            "    urllib.request.urlopen('http://192.0.2.1/data.zip', timeout=5)\n"
            "except OSError as err:\n    print('blocked:', err)\n"
        ),
    ),
    _Case(
        ExampleStudent("never_ends", "zero", "longer than", "1000 cells of 5 s each"),
        lambda release, solutions, perfect: _with_cells(
            perfect, ["import time\ntime.sleep(5)\n"] * 1000
        ),
    ),
    _Case(
        ExampleStudent("changed_kernel", "full", "", "kernel switched to R"),
        _changed_kernel,
    ),
    _Case(
        ExampleStudent("inflated_points", "zero", "NotImplementedError", "test worth 1000 points"),
        _inflated_points,
    ),
    _Case(
        ExampleStudent("background_process", "full", "", "leaves a process running"),
        _perfect_plus("import subprocess\nsubprocess.Popen(['sleep', '600'])\n"),
    ),
]
_CASES += [
    _Case(
        ExampleStudent("aliased_scipy", "partial", "scipy.ndimage.median_filter", "scipy renamed"),
        _perfect_solving_median_filter_with(ALIASED_SCIPY),
    ),
    _Case(
        ExampleStudent("tracer_evaded", "partial", "tampered", "switches off the call tracer"),
        _perfect_solving_median_filter_with(TRACER_EVADED),
    ),
    _Case(
        ExampleStudent("patched_scipy", "partial", "test-median-filter", "scipy made to agree"),
        _perfect_solving_median_filter_with(PATCHED_SCIPY),
    ),
    _Case(
        ExampleStudent(
            "swallowed_errors", "zero", "NotImplementedError", "later cells swallow exceptions"
        ),
        _release_plus(SWALLOW_EXCEPTIONS),
    ),
    _Case(
        ExampleStudent("fake_comparisons", "zero", "NotImplementedError", "np.allclose -> True"),
        _release_plus(FAKE_COMPARISONS),
    ),
    _Case(
        ExampleStudent("finds_secrets", "full", "", "searches for solutions, seed, gradebook"),
        _perfect_plus(FIND_SECRETS),
    ),
    _Case(
        ExampleStudent("writes_shared", "full", "", "appends to the course package and the grader"),
        _perfect_plus(WRITE_SHARED_FILES),
    ),
    _Case(
        ExampleStudent("startup_file", "full", "", "writes an IPython startup file"),
        _perfect_plus(STARTUP_FILE),
    ),
    _Case(
        ExampleStudent("kills_everything", "zero", "killed", "SIGKILLs every process it sees"),
        _perfect_plus(KILL_EVERYTHING),
    ),
    _Case(
        ExampleStudent("detached_writer", "full", "", "a detached process rewrites files later"),
        _perfect_plus(DETACHED_WRITER),
    ),
    _Case(
        ExampleStudent("raw_network", "full", "", "raw socket and a TCP connection"),
        _perfect_plus(RAW_NETWORK),
    ),
    _Case(
        ExampleStudent("nbformat3", "full", "", "saved as an nbformat 3 notebook"),
        _nbformat3,
    ),
    _Case(
        ExampleStudent("copy_of_copy", "full", "", "handed in as 'Copy of Copy of <name>'"),
        lambda release, solutions, perfect: {"Copy of Copy of {name}": perfect},
    ),
    _Case(
        ExampleStudent("stale_copy", "full", "", "an old <name> beside a newer '<stem> (1)'"),
        lambda release, solutions, perfect: {"{name}": release, "{stem} (1).ipynb": perfect},
    ),
    _Case(
        ExampleStudent("bad_timestamp", "full", "timestamp", "timestamp.txt: 'yesterday evening'"),
        lambda release, solutions, perfect: {
            "{name}": perfect,
            "timestamp.txt": "yesterday evening",
        },
    ),
]
_WEIGHTS_CASES = [
    _Case(
        ExampleStudent("missing_weights", "partial", "weights.h5", "weights not handed in"),
        lambda release, solutions, perfect: perfect,
    ),
    _Case(
        ExampleStudent("wrong_weights", "partial", "do not fit", "each network's file swapped"),
        lambda release, solutions, perfect: perfect,
    ),
]
