"""Build the offline (synthetic) datasets: ``python data_scripts/build_synthetic.py all``.

The same as ``dlmusic-data build``; see ``--help`` for sizes and seeds. Data
goes to ``$DLMUSIC_DATA`` (default ``~/.cache/dlmusic``).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from dlmusic.datasets.cli import main as dataset_cli


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``dlmusic-data build`` with these arguments; returns the exit status."""
    return dataset_cli(["build", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
