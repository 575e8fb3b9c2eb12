"""The student distribution: its layout, its wheel, and a scan that finds no answer in it.

The scan is proven on planted leaks: a real solution line, a real model answer and a
reference function's body copied into the built distribution (and into a wheel) are
each reported with their file and line.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dlmusic.course import PACKAGE_URL, colab_badge, colab_url
from dlmusic_instructor import COURSE_ROOT
from dlmusic_instructor.student_release import (
    INSTRUCTOR_ROOT,
    StudentRelease,
    build_student_release,
    is_trivial,
    main,
    scan_for_leaks,
)

INSTRUCTOR_ONLY = ("solutions", "autograder", "tests", "benchmarks", "dlmusic_instructor")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> StudentRelease:
    return build_student_release(tmp_path_factory.mktemp("student") / "student-release")


@pytest.fixture
def copy(release: StudentRelease, tmp_path: Path) -> Path:
    """A copy of the built distribution to plant leaks in."""
    return Path(shutil.copytree(release.folder, tmp_path / "student-release"))


def released_text() -> str:
    return "\n".join(path.read_text() for path in sorted(COURSE_ROOT.glob("assignments/*/*.ipynb")))


def longest_region_line(cell_type: str) -> tuple[str, str]:
    """The longest line inside a solution region of a ``cell_type`` cell that no release shows.

    Returns (line, notebook path relative to the repository).
    """
    shown = released_text()
    found: list[tuple[int, str, str]] = []
    for notebook in sorted(COURSE_ROOT.glob("solutions/*/*.ipynb")):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] != cell_type:
                continue
            inside = False
            for line in "".join(cell["source"]).splitlines():
                if "### BEGIN SOLUTION" in line or "### END SOLUTION" in line:
                    inside = "BEGIN" in line
                elif inside and json.dumps(line.strip())[1:-1] not in shown:
                    found.append(
                        (len(line.strip()), line, notebook.relative_to(COURSE_ROOT).as_posix())
                    )
    assert found, f"no solution region in a {cell_type} cell of solutions/"
    _, line, notebook = max(found)
    return line, notebook


def longest_reference_body() -> tuple[str, str]:
    """The body (docstring left out) of the longest function in the references.

    Returns (source, module path relative to the repository).
    """
    bodies: list[tuple[int, str, str]] = []
    for module in sorted((INSTRUCTOR_ROOT / "references").glob("*.py")):
        source = module.read_text()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body[1:] if ast.get_docstring(node) is not None else node.body
                if body:
                    lines = source.splitlines()[body[0].lineno - 1 : body[-1].end_lineno]
                    relative = module.relative_to(COURSE_ROOT).as_posix()
                    bodies.append((len(lines), "\n".join(lines), relative))
    assert bodies, "dlmusic_instructor.references holds no function"
    _, body, module = max(bodies)
    return body, module


def test_the_distribution_holds_the_release_the_package_and_a_readme(release):
    folder = release.folder
    licences = {path.name for path in COURSE_ROOT.glob("LICEN[CS]E*")}
    assert {entry.name for entry in folder.iterdir()} == {
        "README.md",
        "assignments",
        "lib",
        "dist",
        "pyproject.toml",
        "environment.yml",
        *licences,
    }
    assert not [
        path for path in folder.rglob("*") if path.is_dir() and path.name in INSTRUCTOR_ONLY
    ]
    assert {entry.name for entry in (folder / "lib").iterdir()} == {"dlmusic"}
    released = sorted(
        path.relative_to(COURSE_ROOT) for path in COURSE_ROOT.glob("assignments/*/*.ipynb")
    )
    assert sorted(path.relative_to(folder) for path in folder.glob("assignments/*/*.ipynb")) == (
        released
    )
    for notebook in released:
        assert (folder / notebook).read_bytes() == (COURSE_ROOT / notebook).read_bytes()
    readme = (folder / "README.md").read_text()
    assert f'pip install "{PACKAGE_URL}"' in readme
    for assignment in release.assignments:
        assert f"`assignments/{assignment}/{assignment}.ipynb`" in readme
        assert f"]({colab_url(assignment)})" in readme


def test_the_wheel_installs_the_student_package_only(release, tmp_path):
    with zipfile.ZipFile(release.wheel) as wheel:
        top = {name.split("/")[0] for name in wheel.namelist()}
    assert top == {"dlmusic", release.wheel.name.split("-py")[0] + ".dist-info"}
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    subprocess.run([*pip, "--target", str(target), str(release.wheel)], check=True)
    assert (target / "dlmusic" / "course.py").is_file()
    assert not list(target.glob("dlmusic_instructor*"))
    assert not list(target.rglob("references"))


def test_another_published_location_is_written_into_readme_package_and_notebooks(tmp_path):
    out = tmp_path / "out"
    build_student_release(out, repository="uni-x/dl-music", branch="term1")
    url = "git+https://github.com/uni-x/dl-music.git"
    readme = (out / "README.md").read_text()
    assert f'pip install "{url}"' in readme
    assert "https://colab.research.google.com/github/uni-x/dl-music/blob/term1/" in readme
    course = (out / "lib" / "dlmusic" / "course.py").read_text()
    assert 'STUDENT_REPOSITORY = "uni-x/dl-music"' in course
    assert 'STUDENT_BRANCH = "term1"' in course
    for notebook in out.glob("assignments/*/*.ipynb"):
        text = notebook.read_text()
        assert PACKAGE_URL not in text
        assert (url in text) == (
            PACKAGE_URL in (COURSE_ROOT / notebook.relative_to(out)).read_text()
        )
    with zipfile.ZipFile(next((out / "dist").glob("*.whl"))) as wheel:
        assert 'STUDENT_REPOSITORY = "uni-x/dl-music"' in wheel.read("dlmusic/course.py").decode()


def test_a_location_that_is_not_owner_slash_name_is_refused(tmp_path):
    assert main(["--out", str(tmp_path / "out"), "--repository", "not a repo"]) == 2
    assert not (tmp_path / "out").exists()


def test_a_folder_holding_other_files_is_not_overwritten(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["--out", str(tmp_path)]) == 2
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_scan_finds_no_answer_in_the_distribution(release):
    leaks = scan_for_leaks(release.folder)
    assert not leaks, f"{len(leaks)} leaked lines:\n" + "\n".join(map(str, leaks))


def test_the_scan_reports_a_planted_solution_line_in_a_notebook(copy):
    line, solution = longest_region_line("code")
    notebook = copy / "assignments" / "problem_set" / "problem_set.ipynb"
    content = json.loads(notebook.read_text())
    index = next(i for i, cell in enumerate(content["cells"]) if cell["cell_type"] == "code")
    content["cells"][index]["source"] = ["x = 1\n", f"    {line.strip()}   # planted\n"]
    notebook.write_text(json.dumps(content))

    leaks = [leak for leak in scan_for_leaks(copy) if leak.file.endswith("problem_set.ipynb")]
    assert [(leak.cell, leak.line) for leak in leaks] == [(index, 2)]
    assert leaks[0].source.startswith(solution)
    assert leaks[0].source.endswith("solution")


def test_the_scan_reports_a_planted_model_answer_in_the_readme(copy):
    line, solution = longest_region_line("markdown")
    readme = copy / "README.md"
    readme.write_text(readme.read_text() + f"\n{line}\n")
    planted_at = len(readme.read_text().splitlines())

    leaks = [leak for leak in scan_for_leaks(copy) if leak.file == "README.md"]
    assert [leak.line for leak in leaks] == [planted_at]
    assert leaks[0].source.startswith(solution)


def test_the_scan_reports_a_planted_reference_body_in_a_module_and_in_a_wheel(copy):
    body, module = longest_reference_body()
    (copy / "lib" / "dlmusic" / "planted.py").write_text("def planted():\n" + body + "\n")
    with zipfile.ZipFile(copy / "dist" / "planted.whl", "w") as wheel:
        wheel.writestr("dlmusic/planted.py", body)

    leaks = scan_for_leaks(copy)
    in_module = [leak for leak in leaks if leak.file == "lib/dlmusic/planted.py"]
    in_wheel = [leak for leak in leaks if leak.file == "dist/planted.whl!dlmusic/planted.py"]
    assert in_module, f"no line of the body of the longest function in {module} was found"
    assert [leak.line - 1 for leak in in_module] == [leak.line for leak in in_wheel]
    assert all(any(module in source for source in leak.sources) for leak in in_module)


def test_the_scan_reports_a_held_out_seed_constant(copy, tmp_path):
    instructor = tmp_path / "instructor"
    (instructor / "heldout").mkdir(parents=True)
    (instructor / "heldout" / "scores.py").write_text("HELDOUT_SEED = 20261201\nsize = 123456\n")
    (copy / "lib" / "dlmusic" / "course.py").write_text(
        "n = 123456\nseed = 20261201  # planted\nother = 202612011\n"
    )

    leaks = scan_for_leaks(copy, instructor=instructor)
    assert [(leak.file, leak.line) for leak in leaks if leak.source.endswith("HELDOUT_SEED")] == [
        ("lib/dlmusic/course.py", 2)
    ]


def test_the_repository_readme_badges_open_the_published_location():
    readme = (COURSE_ROOT / "README.md").read_text()
    for assignment in ("transcription", "composer", "vocals", "problem_set"):
        assert colab_badge(assignment) in readme, f"README: no Open-in-Colab badge for {assignment}"
    assert readme.count("colab.research.google.com/github/") == 4


@pytest.mark.parametrize(
    "line, trivial",
    [
        ("page : np.ndarray, shape (height, width)", True),
        ("*args, **kwargs : passed on to keras.Model.fit unchanged", True),
        ("page = np.ndarray(shape=(height, width), dtype=float)", False),
        ("keys = roll[LOWEST_MIDI : LOWEST_MIDI + N_KEYS].T > 0", False),
        ('"contour": weighted_bce(0.5, label_smoothing),', False),
    ],
)
def test_a_docstring_parameter_line_is_no_fingerprint_but_code_is(line, trivial):
    assert is_trivial(line) == trivial
