"""Tables that describe a built dataset: what ``make demo`` prints.

Each ``*_summary`` function returns rows (dicts) per split or class, ending
with a total row; :func:`format_table` renders any rows as aligned text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from dlmusic.audio import audio_info
from dlmusic.datasets.records import PIANO_SPLITS, STEM_SUBSETS, PianoRecording, StemTrack
from dlmusic.synth import load_midi


def piano_summary(records: Sequence[PianoRecording]) -> list[dict]:
    """Pieces, recordings, minutes of audio and notes per split (train, validation, test, total).

    A piece rendered with several pianos is one piece and several recordings;
    minutes and notes count every recording.
    """
    rows = []
    for split in (*PIANO_SPLITS, "total"):
        chosen = [r for r in records if split in ("total", r.split)]
        rows.append(
            {
                "split": split,
                "pieces": len({(r.composer, r.title) for r in chosen}),
                "recordings": len(chosen),
                "minutes": round(sum(r.duration_s for r in chosen) / 60, 1),
                "notes": sum(_note_count(r) for r in chosen),
            }
        )
    return rows


def _note_count(record: PianoRecording) -> int:
    return sum(len(inst.notes) for inst in load_midi(record.midi_path).instruments)


def stems_summary(tracks: Sequence[StemTrack]) -> list[dict]:
    """Tracks and minutes of mixture audio per subset (train, test, total)."""
    rows = []
    for subset in (*STEM_SUBSETS, "total"):
        chosen = [t for t in tracks if subset in ("total", t.subset)]
        minutes = sum(audio_info(t.folder / "mixture.wav").duration for t in chosen) / 60
        rows.append({"subset": subset, "tracks": len(chosen), "minutes": round(minutes, 1)})
    return rows


def scores_summary(pages: Iterable[Mapping[str, object]]) -> list[dict]:
    """Pieces and pages per composer, and the total.

    ``pages`` are rows with ``composer`` and ``piece`` keys, one per page.
    """
    by_composer: dict[str, list[str]] = {}
    for page in pages:
        by_composer.setdefault(str(page["composer"]), []).append(str(page["piece"]))
    rows = [
        {"composer": name, "pieces": len(set(pieces)), "pages": len(pieces)}
        for name, pieces in sorted(by_composer.items())
    ]
    rows.append(
        {
            "composer": "total",
            "pieces": sum(row["pieces"] for row in rows),
            "pages": sum(row["pages"] for row in rows),
        }
    )
    return rows


def format_table(rows: Sequence[Mapping[str, object]], title: str | None = None) -> str:
    """Rows of equal keys as a left-aligned text table, with an optional title line."""
    if not rows:
        return f"{title}\n(empty)" if title else "(empty)"
    columns = list(rows[0])
    cells = [[str(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
        "  ".join("-" * w for w in widths),
        *("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)) for line in cells),
    ]
    return "\n".join(([title] if title else []) + lines)


def write_results(results: Mapping[str, object], path: str | Path) -> Path:
    """Write a benchmark's results as indented JSON, making the folder if needed.

    Parameters
    ----------
    results : mapping
        JSON-serialisable results.
    path : path
        The ``.json`` file to (over)write.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return path
