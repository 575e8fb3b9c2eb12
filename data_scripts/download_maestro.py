"""Download MAESTRO v3.0.0 into the dlmusic data folder: all of it, or a few recordings per split.

Usage::

    python data_scripts/download_maestro.py              # audio + MIDI, 101 GB
    python data_scripts/download_maestro.py --midi-only  # MIDI only, 56 MB
    python data_scripts/download_maestro.py --per-split 10            # 10 recordings per split
    python data_scripts/download_maestro.py --per-split 10 --dry-run  # only say what it costs
    python data_scripts/download_maestro.py --per-split 20 --midi-only --render /content/rendered
    python data_scripts/download_maestro.py --root /content/maestro

``--per-split N`` fetches the first N recordings of each official split
straight out of the remote archive with HTTP range requests (see
``dlmusic.datasets.maestro.fetch_maestro_subset``). ``--render DIR`` renders
the fetched MIDI with several pianos into DIR (the held-out piano for test
pieces only), a ``synthetic_piano``-style set. Run it again after an
interruption: downloads resume where they stopped.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dlmusic.datasets.cli import download_parser
from dlmusic.datasets.maestro import (
    MAESTRO_NAME,
    download_maestro,
    fetch_maestro_subset,
    load_maestro,
    maestro_subset_plan,
    render_maestro_midi,
)
from dlmusic.errors import DlmusicError


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = download_parser(__doc__, MAESTRO_NAME)
    parser.add_argument(
        "--midi-only", action="store_true", help="fetch MIDI only (the 56 MB MIDI archive)"
    )
    parser.add_argument(
        "--per-split",
        type=int,
        default=None,
        metavar="N",
        help="fetch only the first N recordings of each split, with HTTP range requests",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --per-split: print the bytes, fetch nothing"
    )
    parser.add_argument(
        "--render",
        type=Path,
        default=None,
        metavar="DIR",
        help="render the fetched MIDI with several pianos into DIR",
    )
    parser.add_argument(
        "--max-piece-s", type=float, default=60.0, help="with --render: seconds kept per piece"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the download; return the process exit status (0 on success)."""
    args = build_parser().parse_args(argv)
    progress = not args.no_progress
    if args.dry_run and args.per_split is None:
        print("error: --dry-run needs --per-split", file=sys.stderr)
        return 2
    try:
        if args.per_split is None:
            root = download_maestro(args.root, midi_only=args.midi_only, progress=progress)
        elif args.dry_run:
            plan = maestro_subset_plan(
                args.per_split, midi_only=args.midi_only, root=args.root, progress=progress
            )
            print(
                f"{len(plan.rows)} recordings, {len(plan.members)} files: "
                f"{plan.compressed_bytes / 1e6:,.1f} MB to download, "
                f"{plan.unpacked_bytes / 1e6:,.1f} MB unpacked"
            )
            return 0
        else:
            root = fetch_maestro_subset(
                args.per_split, args.root, midi_only=args.midi_only, progress=progress
            )
        records = load_maestro(root, require_audio=not args.midi_only)
        print(f"MAESTRO v3.0.0 ready at {root} ({len(records)} recordings)")
        if args.render is not None:
            rendered = render_maestro_midi(
                records, args.render, max_piece_s=args.max_piece_s, progress=progress
            )
            print(f"rendered with several pianos at {rendered}")
    except DlmusicError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
