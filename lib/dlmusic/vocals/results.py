"""The notebook's results table: every estimate of the test songs, scored and compared.

Notebook: ``solutions/vocals/vocals.ipynb``, parts 2, 4 and 6. Each part adds
rows (the mixture, the oracles, the naive and trivial masks, the untrained
and the trained networks); each row is the mean over the test songs of the
per-song median SDR, SIR and SAR of :mod:`dlmusic.vocals.metrics`, for the
vocals and the accompaniment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from dlmusic.datasets.summary import format_table
from dlmusic.vocals.data import TrackStems
from dlmusic.vocals.metrics import METRICS, SOURCES, mean_scores, mixture_as_estimate, track_scores

BASELINE = "mixture as estimate"
"""The row every improvement is measured from."""


class ResultsTable:
    """Mean BSS Eval scores of named estimates of one set of test songs.

    Notebook: vocals, parts 2, 4 and 6 (``results``, printed after each part).

    Parameters
    ----------
    songs : sequence of TrackStems
        The test songs every row is scored on. The first row, :data:`BASELINE`,
        is the mixture as the estimate of both stems.

    Attributes
    ----------
    scores : dict
        ``{row name: {source: {"sdr", "sir", "sar", "segments"}}}`` in dB, in the
        order the rows were added (:func:`dlmusic.vocals.metrics.mean_scores`).

    Examples
    --------
    >>> import numpy as np
    >>> from dlmusic.vocals.data import TrackStems
    >>> rng = np.random.default_rng(0)
    >>> vocals, accompaniment = rng.standard_normal((2, 4 * 22050)).astype(np.float32)  # 4 s
    >>> song = TrackStems("noise", vocals + accompaniment, vocals, accompaniment)
    >>> table = ResultsTable([song])
    >>> _ = table.add("the truth", [{"vocals": vocals, "accompaniment": accompaniment}])
    >>> print(table.improvements())  # doctest: +ELLIPSIS
    mixture as estimate: vocal SDR improvement +0.0 dB
              the truth: vocal SDR improvement +... dB
    """

    def __init__(self, songs: Sequence[TrackStems]) -> None:
        if not songs:
            raise ValueError("a results table needs at least one test song")
        self.songs = list(songs)
        self.scores: dict[str, dict[str, dict[str, float]]] = {}
        self.add(BASELINE, [mixture_as_estimate(song.mixture) for song in self.songs])

    def add(
        self, name: str, estimates_per_song: Sequence[Mapping[str, np.ndarray]]
    ) -> ResultsTable:
        """Score one estimate of every test song (in the songs' order) as the row ``name``."""
        self.scores[name] = mean_scores(track_scores(self.songs, estimates_per_song))
        return self

    def update(self, rows: Mapping[str, Sequence[Mapping[str, np.ndarray]]]) -> ResultsTable:
        """:meth:`add` each ``{row name: estimates per song}`` of ``rows``, in order."""
        for name, estimates_per_song in rows.items():
            self.add(name, estimates_per_song)
        return self

    def improvements(self) -> str:
        """Each row's vocal SDR minus the mixture's (dB), one line per row."""
        baseline = self.scores[BASELINE]["vocals"]["sdr"]
        width = max(map(len, self.scores))
        return "\n".join(
            f"{name:>{width}}: vocal SDR improvement {scores['vocals']['sdr'] - baseline:+.1f} dB"
            for name, scores in self.scores.items()
        )

    def __str__(self) -> str:
        rows = []
        for name, scores in self.scores.items():
            row = {"estimate": name}
            for source in SOURCES:
                for metric in METRICS:
                    row[f"{source[:4]} {metric.upper()}"] = f"{scores[source][metric]:.1f}"
            rows.append(row)
        return format_table(rows, f"dB, mean over {len(self.songs)} test songs")
