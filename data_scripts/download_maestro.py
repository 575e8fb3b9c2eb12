"""Download and unpack MAESTRO v3.0.0 into the dlmusic data folder.

Usage::

    python data_scripts/download_maestro.py              # audio + MIDI, 101 GB
    python data_scripts/download_maestro.py --midi-only  # MIDI only, 56 MB
    python data_scripts/download_maestro.py --root /content/maestro

Run it again after an interruption: the download resumes where it stopped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dlmusic.datasets.maestro import download_maestro, load_maestro
from dlmusic.errors import DlmusicError


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="dataset folder (default: $DLMUSIC_DATA/maestro-v3.0.0 or ~/.cache/dlmusic/...)",
    )
    parser.add_argument(
        "--midi-only", action="store_true", help="fetch the 56 MB MIDI-only archive"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the download; return the process exit status (0 on success)."""
    args = build_parser().parse_args(argv)
    try:
        root = download_maestro(args.root, midi_only=args.midi_only, progress=not args.no_progress)
        records = load_maestro(root, require_audio=not args.midi_only)
    except DlmusicError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"MAESTRO v3.0.0 ready at {root} ({len(records)} recordings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
