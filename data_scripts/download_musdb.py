"""Download MUSDB18-HQ, or convert MUSDB18 .stem.mp4 files, into the dlmusic data folder.

Usage::

    python data_scripts/download_musdb.py                        # MUSDB18-HQ, 22 GB
    python data_scripts/download_musdb.py --root /content/musdb
    python data_scripts/download_musdb.py --from-stem-mp4 ~/MUSDB18  # needs musdb + ffmpeg

Either way the result is the MUSDB18-HQ layout ``{train,test}/<track>/<stem>.wav``
that ``dlmusic.datasets.musdb.load_musdb18hq`` reads.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dlmusic.datasets.cli import download_parser
from dlmusic.datasets.musdb import (
    MUSDB18HQ_NAME,
    convert_stem_mp4_to_wav,
    download_musdb18hq,
    load_musdb18hq,
    musdb18hq_dir,
)
from dlmusic.datasets.records import STEM_SUBSETS
from dlmusic.errors import DlmusicError


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = download_parser(__doc__, MUSDB18HQ_NAME)
    parser.add_argument(
        "--from-stem-mp4",
        type=Path,
        default=None,
        metavar="DIR",
        help="convert the MUSDB18 .stem.mp4 files under DIR/{train,test} instead of downloading",
    )
    parser.add_argument(
        "--subset", choices=STEM_SUBSETS, default=None, help="convert (and count) only this subset"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the download or conversion; return the process exit status (0 on success)."""
    args = build_parser().parse_args(argv)
    progress = not args.no_progress
    try:
        if args.from_stem_mp4 is not None:
            root = convert_stem_mp4_to_wav(
                args.from_stem_mp4, musdb18hq_dir(args.root), args.subset, progress=progress
            )
        else:
            root = download_musdb18hq(args.root, progress=progress)
        tracks = load_musdb18hq(root, args.subset)
    except DlmusicError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"MUSDB18 wav layout ready at {root} ({len(tracks)} tracks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
