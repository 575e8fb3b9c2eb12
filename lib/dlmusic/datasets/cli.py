"""``dlmusic-data``: build the offline datasets and print what they hold.

Examples
--------
::

    dlmusic-data build all --size quick        # every synthetic corpus, small
    dlmusic-data build piano --size full       # an hour of piano audio
    dlmusic-data summary --size quick          # tables of pieces, minutes, notes
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from dlmusic.datasets.paths import data_dir
from dlmusic.datasets.summary import format_table, piano_summary, scores_summary, stems_summary
from dlmusic.datasets.synthetic_piano import build_synthetic_piano, load_synthetic_piano
from dlmusic.datasets.synthetic_scores import build_synthetic_scores, read_pages_csv
from dlmusic.datasets.synthetic_stems import build_synthetic_stems, load_synthetic_stems

CORPORA = ("piano", "scores", "stems")


def build(corpora: Sequence[str], *, size: str, seed: int, force: bool, progress: bool) -> None:
    """Build the named synthetic corpora (``piano``, ``scores``, ``stems``)."""
    for corpus in corpora:
        options = {"size": size, "seed": seed, "force": force, "progress": progress}
        if corpus == "piano":
            path = build_synthetic_piano(**options)
        elif corpus == "scores":
            path = build_synthetic_scores(**options)
        else:
            path = build_synthetic_stems(**options)
        print(f"{corpus}: {path}")


def summary(size: str) -> str:
    """Tables describing the three synthetic corpora of ``size`` (they must be built)."""
    return "\n\n".join(
        [
            format_table(
                piano_summary(load_synthetic_piano(size=size)), f"synthetic_piano ({size})"
            ),
            format_table(scores_summary(read_pages_csv(size=size)), f"synthetic_scores ({size})"),
            format_table(
                stems_summary(load_synthetic_stems(size=size)), f"synthetic_stems ({size})"
            ),
        ]
    )


def download_parser(description: str, folder: str) -> argparse.ArgumentParser:
    """The options every download script shares: ``--root`` and ``--no-progress``.

    Parameters
    ----------
    description : str
        The script's docstring; its first line is the help's description.
    folder : str
        The dataset's folder name under the data folder (the default ``--root``).
    """
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help=f"dataset folder (default: $DLMUSIC_DATA/{folder} or ~/.cache/dlmusic/{folder})",
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="dlmusic-data", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="build synthetic corpora")
    build_parser.add_argument("corpus", choices=(*CORPORA, "all"))
    build_parser.add_argument("--size", choices=("quick", "full"), default="quick")
    build_parser.add_argument("--seed", type=int, default=0)
    build_parser.add_argument("--force", action="store_true", help="rebuild even if present")
    build_parser.add_argument("--no-progress", action="store_true")
    summary_parser = commands.add_parser("summary", help="print what the built corpora hold")
    summary_parser.add_argument("--size", choices=("quick", "full"), default="quick")
    args = parser.parse_args(argv)
    if args.command == "build":
        corpora = CORPORA if args.corpus == "all" else (args.corpus,)
        print(f"data folder: {data_dir()}")
        build(
            corpora, size=args.size, seed=args.seed, force=args.force, progress=not args.no_progress
        )
    else:
        print(summary(args.size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
