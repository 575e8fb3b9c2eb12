"""Dataset folders are built once, even when several processes ask for them at the same time."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from dlmusic.datasets.build_cache import build_once, read_manifest

PARAMS = {"dataset": "toy", "size": "quick"}


def slow_build(tmp: Path) -> None:
    """Writes a file after a pause, and counts itself in a log beside the dataset."""
    with (tmp.parent / "builds.log").open("a") as log:
        log.write("build\n")
    time.sleep(1.0)
    (tmp / "data.txt").write_text("complete")


def build_toy(folder: str) -> None:
    build_once(Path(folder), PARAMS, slow_build)


def test_concurrent_builders_build_once_and_leave_a_complete_dataset(tmp_path):
    folder = tmp_path / "toy" / "quick"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=build_toy, args=(str(folder),)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert (folder / "data.txt").read_text() == "complete"
    assert read_manifest(folder)["dataset"] == "toy"
    assert (tmp_path / "toy" / "builds.log").read_text().count("build") == 1


def test_a_finished_dataset_is_reused_and_force_rebuilds_it(tmp_path):
    folder = tmp_path / "toy" / "quick"
    build_once(folder, PARAMS, slow_build)
    build_once(folder, PARAMS, slow_build)
    assert (tmp_path / "toy" / "builds.log").read_text().count("build") == 1
    build_once(folder, PARAMS, slow_build, force=True)
    assert (tmp_path / "toy" / "builds.log").read_text().count("build") == 2
