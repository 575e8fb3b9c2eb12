"""``write_results``: the JSON file every benchmark writes."""

from __future__ import annotations

import json

from dlmusic.datasets.summary import write_results


def test_write_results_makes_the_folder_and_round_trips(tmp_path):
    path = tmp_path / "results" / "bench.json"
    assert write_results({"seconds": 1.5, "rows": [1, 2]}, path) == path
    assert json.loads(path.read_text()) == {"seconds": 1.5, "rows": [1, 2]}
    assert path.read_text().endswith("}\n")
