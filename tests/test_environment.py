"""environment.yml and pyproject.toml list the same Python packages."""

from __future__ import annotations

import tomllib

import yaml

from dlmusic_instructor import COURSE_ROOT


def pyproject_requirements() -> list[str]:
    project = tomllib.loads((COURSE_ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [*project["dependencies"], *extras["dev"], *extras["local"], *extras["musdb"]]


def conda_pip_requirements() -> list[str]:
    environment = yaml.safe_load((COURSE_ROOT / "environment.yml").read_text())
    pip_sections = [dep["pip"] for dep in environment["dependencies"] if isinstance(dep, dict)]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip section"
    return [req for req in pip_sections[0] if req != "-e ."]


def test_environment_yml_pins_the_same_packages_as_pyproject():
    assert sorted(conda_pip_requirements()) == sorted(pyproject_requirements())


def test_environment_yml_installs_the_package_itself_and_python_3_11():
    environment = yaml.safe_load((COURSE_ROOT / "environment.yml").read_text())
    assert "python=3.11" in environment["dependencies"]
    assert "-e ." in next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))


def test_top_level_layout_is_the_courses():
    for name in ("assignments", "solutions", "lib", "data_scripts", "autograder", "tests"):
        assert (COURSE_ROOT / name).is_dir(), name
    for name in ("environment.yml", "README.md", "pyproject.toml", "Makefile", ".ci/run"):
        assert (COURSE_ROOT / name).is_file(), name
