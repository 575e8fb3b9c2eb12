"""Scoring trained networks on whole clips: tables, threshold grids, confidence curves.

Notebook: ``solutions/transcription``, parts 6 to 9. The note scores themselves
are the student's (``transcription_scores``, with ``mir_eval``) and so are the
hits of part 9 (``note_hits``): every function here takes them as arguments,
so what the notebook prints is measured with the student's code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import keras
import numpy as np

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.datasets.records import PianoRecording
from dlmusic.datasets.summary import format_table
from dlmusic.datasets.synthetic_piano import is_held_out
from dlmusic.transcription.augment import add_reverb, add_white_noise
from dlmusic.transcription.data import PianoClip, predict_posteriorgrams, transcribe
from dlmusic.transcription.metrics import NoteScores, precision_recall_by_confidence
from dlmusic.transcription.model import count_trainable_parameters
from dlmusic.transcription.notes import TranscribedNotes, posteriorgram_to_notes
from dlmusic.transcription.targets import NoteList

ONSET_THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7)
"""Onset thresholds of the validation grid (part 6)."""
FRAME_THRESHOLDS = (0.2, 0.3, 0.4, 0.5)
"""Frame thresholds of the validation grid (part 6)."""
DEFAULT_THRESHOLDS = (0.5, 0.3)
"""Basic Pitch's (onset, frame) thresholds, :func:`posteriorgram_to_notes`'s defaults."""
CONFIDENCE_THRESHOLDS = tuple(np.round(np.linspace(0.0, 0.95, 20), 2).tolist())
"""Note confidences at which part 9 keeps or asks about notes: 0.0, 0.05, ..., 0.95."""

DEGRADE_RT60_S, DEGRADE_WET, DEGRADE_SNR_DB = 0.8, 0.4, 15.0
"""The room (RT60 in seconds, wet share) and the noise (SNR in dB) of :func:`degraded_clips`."""

NoteHits = Callable[[NoteList, NoteList | TranscribedNotes], np.ndarray]
"""``hits(reference, estimate) -> bool array`` of ``len(estimate)``: the notebook's
``note_hits``."""


@dataclass(frozen=True)
class Evaluation:
    """Transcriptions of clips and their scores.

    Notebook: transcription, parts 6 to 9 (what :func:`evaluate` returns).

    Attributes
    ----------
    clips : list of PianoClip
        The clips transcribed.
    estimates : list of TranscribedNotes
        One transcription per clip.
    scores : list of dict
        The note scores of each clip (keys of ``metrics.SCORE_KEYS``).
    """

    clips: list[PianoClip]
    estimates: list[TranscribedNotes]
    scores: list[dict[str, float]]

    @property
    def mean(self) -> dict[str, float]:
        """Each score averaged over the clips (each clip weighs the same)."""
        return _mean(self.scores)

    def rows(self) -> list[dict[str, object]]:
        """Table rows: one per clip (notes, notes found, F, Fno, P, R) and the mean."""
        rows = [
            score_row(clip=clip.name, notes=len(clip.notes), found=len(estimate), scores=score)
            for clip, estimate, score in zip(self.clips, self.estimates, self.scores, strict=True)
        ]
        rows.append(score_row(clip="mean", notes="", found="", scores=self.mean))
        return rows

    def table(self, title: str) -> str:
        """:meth:`rows` as a text table."""
        return format_table(self.rows(), title)


def score_row(*, scores: Mapping[str, float], **first: object) -> dict[str, object]:
    """A table row: the ``first`` columns, then F, Fno and the no-offset precision and recall.

    Notebook: transcription, parts 6 and 8 (every score table).
    """
    return {
        **first,
        "F": f"{scores['f']:.3f}",
        "Fno": f"{scores['fno']:.3f}",
        "P (no offset)": f"{scores['precision_no_offset']:.3f}",
        "R (no offset)": f"{scores['recall_no_offset']:.3f}",
    }


def evaluate(
    model: keras.Model, clips: Sequence[PianoClip], scores: NoteScores, **settings: float
) -> Evaluation:
    """Transcribe each clip whole with ``model`` and score it with ``scores``.

    Notebook: transcription, parts 6 to 9.

    Parameters
    ----------
    model : keras.Model
        A transcription network.
    clips : sequence of PianoClip
        At least one clip.
    scores : callable
        ``scores(reference, estimate) -> dict`` (the notebook's ``transcription_scores``).
    **settings
        Passed to :func:`~dlmusic.transcription.notes.posteriorgram_to_notes`.
    """
    if not clips:
        raise ValueError("evaluate needs at least one clip")
    estimates = [transcribe(model, clip.audio, **settings) for clip in clips]
    return Evaluation(
        list(clips),
        estimates,
        [scores(clip.notes, estimate) for clip, estimate in zip(clips, estimates, strict=True)],
    )


def compare_models(
    models: Mapping[str, keras.Model],
    clips: Sequence[PianoClip],
    scores: NoteScores,
    *,
    column: str = "network",
    parameters: bool = False,
    notes_found: bool = False,
) -> tuple[list[dict[str, object]], dict[str, Evaluation]]:
    """Score several networks on the same clips: one table row each.

    Notebook: transcription, parts 6 and 8 (onset losses, ablations, the post-stack layer).

    Parameters
    ----------
    models : mapping of str to keras.Model
        Label -> network, in table order.
    clips : sequence of PianoClip
        The clips every network transcribes.
    scores : callable
        The notebook's ``transcription_scores``.
    column : str
        Heading of the label column.
    parameters : bool
        Add each network's trainable parameter count.
    notes_found : bool
        Add the number of notes each network transcribed.

    Returns
    -------
    rows : list of dict
        One :func:`score_row` per network.
    evaluations : dict of str to Evaluation
        Each network's transcriptions, by label.
    """
    rows, evaluations = [], {}
    for label, model in models.items():
        evaluations[label] = evaluation = evaluate(model, clips, scores)
        row: dict[str, object] = {column: label}
        if parameters:
            row["trainable parameters"] = f"{count_trainable_parameters(model):,}"
        if notes_found:
            row["notes found"] = sum(len(estimate) for estimate in evaluation.estimates)
        rows.append(score_row(**row, scores=evaluation.mean))
    return rows, evaluations


def unseen_timbre_fno(evaluation: Evaluation, records: Sequence[PianoRecording]) -> list[float]:
    """Fno of each evaluated clip played by the held-out piano (a timbre never trained on).

    Notebook: transcription, parts 6 and 8. ``records`` are the clips' records, in order.
    """
    pairs = zip(evaluation.scores, records, strict=True)
    return [score["fno"] for score, record in pairs if is_held_out(record)]


def fno_by_timbre(evaluation: Evaluation, records: Sequence[PianoRecording]) -> str:
    """Mean Fno on the training timbres and on the unseen one, one line each.

    Notebook: transcription, part 6 (the unseen piano).

    Parameters
    ----------
    evaluation : Evaluation
        Transcriptions of the test clips.
    records : sequence of PianoRecording
        The test clips' records, in order (which piano played each).
    """
    flags = [is_held_out(record) for record in records]
    lines = []
    for label, wanted in (("training timbres", False), ("unseen timbre", True)):
        pairs = zip(evaluation.scores, flags, strict=True)
        fno = [score["fno"] for score, flag in pairs if flag == wanted]
        summary = f"mean Fno {np.mean(fno):.3f} over {len(fno)}" if fno else "none"
        lines.append(f"test clips, {label}: {summary}")
    return "\n".join(lines)


def clip_posteriorgrams(model: keras.Model, clips: Sequence[PianoClip]) -> list[dict]:
    """:func:`~dlmusic.transcription.data.predict_posteriorgrams` of each clip.

    Notebook: transcription, part 6 (the network runs once; note creation repeats).
    """
    return [predict_posteriorgrams(model, clip.audio) for clip in clips]


def mean_scores_at(
    clips: Sequence[PianoClip],
    posteriors: Sequence[Mapping[str, np.ndarray]],
    scores: NoteScores,
    onset_threshold: float,
    frame_threshold: float,
) -> dict[str, float]:
    """Mean note scores of the clips' transcriptions at one pair of thresholds.

    Notebook: transcription, part 6 (choosing the thresholds on validation).

    Parameters
    ----------
    clips : sequence of PianoClip
        The reference notes.
    posteriors : sequence of dict
        Each clip's posteriorgrams (:func:`clip_posteriorgrams`).
    scores : callable
        The notebook's ``transcription_scores``.
    onset_threshold, frame_threshold : float
        Passed to :func:`~dlmusic.transcription.notes.posteriorgram_to_notes`.
    """
    measured = [
        scores(
            clip.notes,
            posteriorgram_to_notes(
                p["note"],
                p["onset"],
                onset_threshold=onset_threshold,
                frame_threshold=frame_threshold,
            ),
        )
        for clip, p in zip(clips, posteriors, strict=True)
    ]
    return _mean(measured)


def threshold_grid(
    clips: Sequence[PianoClip],
    posteriors: Sequence[Mapping[str, np.ndarray]],
    scores: NoteScores,
    onset_thresholds: Sequence[float] = ONSET_THRESHOLDS,
    frame_thresholds: Sequence[float] = FRAME_THRESHOLDS,
) -> np.ndarray:
    """Mean Fno for every (onset, frame) threshold pair.

    Notebook: transcription, part 6.

    Returns
    -------
    np.ndarray, shape (len(onset_thresholds), len(frame_thresholds))
        ``grid[i, j]``: mean Fno at ``onset_thresholds[i]``, ``frame_thresholds[j]``.
    """
    return np.array(
        [
            [mean_scores_at(clips, posteriors, scores, o, f)["fno"] for f in frame_thresholds]
            for o in onset_thresholds
        ]
    )


def threshold_table(
    grid: np.ndarray,
    onset_thresholds: Sequence[float] = ONSET_THRESHOLDS,
    frame_thresholds: Sequence[float] = FRAME_THRESHOLDS,
) -> str:
    """:func:`threshold_grid` as a text table, onset thresholds down, frame thresholds across.

    Notebook: transcription, part 6.
    """
    rows = []
    for onset, row in zip(onset_thresholds, grid, strict=True):
        cells = {f"{frame}": f"{v:.3f}" for frame, v in zip(frame_thresholds, row, strict=True)}
        rows.append({"onset \\ frame": onset, **cells})
    return format_table(rows, "mean validation Fno of the full model per (onset, frame) threshold")


def threshold_rows(
    splits: Mapping[str, tuple[Sequence[PianoClip], Sequence[Mapping[str, np.ndarray]]]],
    settings: Mapping[str, tuple[float, float]],
    scores: NoteScores,
) -> list[dict[str, object]]:
    """Mean Fno and F per threshold pair and split.

    Notebook: transcription, part 6 (defaults against the pair chosen on validation).

    Parameters
    ----------
    splits : mapping
        Split name -> (clips, their posteriorgrams).
    settings : mapping
        Label -> (onset_threshold, frame_threshold).
    scores : callable
        The notebook's ``transcription_scores``.
    """
    rows = []
    for label, (onset, frame) in settings.items():
        for split, (clips, posteriors) in splits.items():
            mean = mean_scores_at(clips, posteriors, scores, onset, frame)
            rows.append(
                {
                    "thresholds": f"{label} ({onset}/{frame})",
                    "clips": split,
                    "Fno": f"{mean['fno']:.3f}",
                    "F": f"{mean['f']:.3f}",
                }
            )
    return rows


def degraded_clips(clips: Sequence[PianoClip], *, seed: int = 1234) -> list[PianoClip]:
    """The clips in a reverberant room with white noise: a stand-in for a real recording.

    Notebook: transcription, part 7 (does augmentation help?); the benchmark's
    ``held_out_reverb_noise`` condition. Room :data:`DEGRADE_RT60_S` with wet
    share :data:`DEGRADE_WET`, noise at :data:`DEGRADE_SNR_DB`; clip ``i`` draws
    from ``np.random.default_rng([seed, i])``. The notes are unchanged.
    """
    degraded = []
    for index, clip in enumerate(clips):
        rng = np.random.default_rng([seed, index])
        room = add_reverb(clip.audio, SAMPLE_RATE_HZ, rng, rt60_s=DEGRADE_RT60_S, wet=DEGRADE_WET)
        audio = add_white_noise(room, DEGRADE_SNR_DB, rng)
        degraded.append(PianoClip(name=clip.name, audio=audio, notes=clip.notes))
    return degraded


def robustness_rows(
    models: Mapping[str, keras.Model],
    clips: Sequence[PianoClip],
    scores: NoteScores,
    *,
    column: str = "training",
) -> list[dict[str, object]]:
    """Mean Fno of each network on the clean clips and on :func:`degraded_clips` of them.

    Notebook: transcription, part 7 (does augmentation help?).
    """
    degraded = degraded_clips(clips)
    return [
        {
            column: label,
            "test Fno (clean)": f"{evaluate(model, clips, scores).mean['fno']:.3f}",
            "test Fno (room + noise)": f"{evaluate(model, degraded, scores).mean['fno']:.3f}",
        }
        for label, model in models.items()
    ]


def least_confident_table(
    clip: PianoClip, estimate: TranscribedNotes, hits: np.ndarray, count: int = 10
) -> str:
    """The ``count`` least confident transcribed notes of a clip, each marked hit or not.

    Notebook: transcription, part 9.

    Parameters
    ----------
    clip : PianoClip
        The clip (its name titles the table).
    estimate : TranscribedNotes
        Its transcription.
    hits : np.ndarray, shape (len(estimate),), bool
        Which estimated notes match a reference note (the notebook's ``note_hits``).
    """
    import librosa

    order = np.argsort(estimate.confidences)[:count]
    if not len(order):
        return "no notes were transcribed"
    rows = [
        {
            "onset (s)": f"{estimate.intervals[i, 0]:.2f}",
            "note": librosa.midi_to_note(int(estimate.pitches[i]), unicode=False),
            "length (s)": f"{np.diff(estimate.intervals[i])[0]:.2f}",
            "confidence": f"{estimate.confidences[i]:.3f}",
            "hit": "yes" if hits[i] else "NO",
        }
        for i in order
    ]
    table = format_table(rows, f"{clip.name}: the {count} least confident notes")
    return (
        f"{table}\nhit rate: {hits[order].mean():.0%} among these, {hits.mean():.0%} over all "
        f"{len(hits)} notes"
    )


def pooled_curve(
    clips: Sequence[PianoClip],
    estimates: Sequence[TranscribedNotes],
    scores: NoteScores,
    thresholds: Sequence[float] = CONFIDENCE_THRESHOLDS,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Precision and recall of the notes kept at each confidence, pooled over clips.

    Notebook: transcription, part 9. Pooled: counts summed over clips, not
    per-clip means.

    Returns
    -------
    precision : np.ndarray, shape (len(thresholds),)
        Hits over kept notes; NaN where no note is kept.
    recall : np.ndarray, shape (len(thresholds),)
        Hits over reference notes.
    kept : np.ndarray, shape (len(thresholds),)
        Notes kept.
    """
    table = np.zeros((len(thresholds), 3))  # hits, kept notes, reference notes
    for clip, estimate in zip(clips, estimates, strict=True):
        curve = precision_recall_by_confidence(clip.notes, estimate, thresholds, scores=scores)
        for row, result in enumerate(curve):
            n_kept = result["n_notes"]
            table[row] += [result["precision"] * n_kept, n_kept, len(clip.notes)]
    precision = np.divide(
        table[:, 0], table[:, 1], out=np.full(len(thresholds), np.nan), where=table[:, 1] > 0
    )
    return precision, table[:, 0] / np.maximum(table[:, 2], 1), table[:, 1]


def lowest_threshold_reaching(
    precision: np.ndarray, target: float, thresholds: Sequence[float] = CONFIDENCE_THRESHOLDS
) -> float | None:
    """The lowest confidence threshold whose precision reaches ``target``, or None.

    Notebook: transcription, part 9.
    """
    reaching = np.flatnonzero(np.nan_to_num(precision, nan=-1.0) >= target)
    return float(thresholds[reaching[0]]) if len(reaching) else None


def abstention_summary(
    evaluation: Evaluation,
    threshold: float | None,
    hits: NoteHits,
    scores: NoteScores,
    thresholds: Sequence[float] = CONFIDENCE_THRESHOLDS,
) -> str:
    """What keeping only notes of confidence >= ``threshold`` does on the evaluated clips.

    Notebook: transcription, part 9 (abstaining): notes kept, their precision
    and recall, and how many of the notes the user is asked about are wrong.
    """
    if threshold is None:
        return "no threshold reaches 90 % precision on the validation clips"
    estimates, clips = evaluation.estimates, evaluation.clips
    asked = sum(int(np.sum(e.confidences < threshold)) for e in estimates)
    wrong_asked = sum(
        int(np.sum((e.confidences < threshold) & ~hits(c.notes, e)))
        for c, e in zip(clips, estimates, strict=True)
    )
    total = sum(len(e) for e in estimates)
    precision, recall, _ = pooled_curve(clips, estimates, scores, thresholds)
    row = int(np.flatnonzero(np.isclose(thresholds, threshold))[0])
    kept = "undefined" if np.isnan(precision[row]) else f"{precision[row]:.1%}"
    return (
        f"threshold {threshold:.2f} (chosen on validation), on the test clips: "
        f"{total - asked} of {total} notes kept, precision {kept}, recall {recall[row]:.1%}; "
        f"the user is asked about {asked} notes, {wrong_asked} of them wrong"
    )


def _mean(scores: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each score averaged over clips (each clip weighs the same)."""
    return {key: float(np.mean([score[key] for score in scores])) for key in scores[0]}


class Scoring:
    """The student's note scores, applied to networks on the notebook's splits.

    Notebook: transcription, parts 6 to 9: created once the student has written
    ``transcription_scores``, so every table after it is measured with that function.

    Parameters
    ----------
    scores : callable
        The notebook's ``transcription_scores``.
    splits : mapping of str to sequence of PianoClip
        ``"validation"`` and ``"test"`` (and ``"train"``) clips.
    """

    def __init__(self, scores: NoteScores, splits: Mapping[str, Sequence[PianoClip]]) -> None:
        self.scores = scores
        self.splits = {split: list(clips) for split, clips in splits.items()}

    def evaluate(self, model: keras.Model, split: str = "validation") -> Evaluation:
        """:func:`evaluate` on the clips of ``split``."""
        return evaluate(model, self.splits[split], self.scores)

    def compare(
        self,
        models: Mapping[str, keras.Model],
        split: str = "validation",
        *,
        title: str = "",
        column: str = "network",
        parameters: bool = False,
        notes_found: bool = False,
    ) -> tuple[str, dict[str, Evaluation]]:
        """:func:`compare_models` on ``split``, as a text table titled with the split.

        Returns the table and each network's :class:`Evaluation`, by label.
        """
        rows, evaluations = compare_models(
            models,
            self.splits[split],
            self.scores,
            column=column,
            parameters=parameters,
            notes_found=notes_found,
        )
        return format_table(rows, f"{split} clips{', ' + title if title else ''}"), evaluations

    def robustness(self, models: Mapping[str, keras.Model], split: str = "test") -> str:
        """:func:`robustness_rows` on ``split`` as a text table."""
        return format_table(robustness_rows(models, self.splits[split], self.scores))

    def posteriorgrams(self, model: keras.Model, split: str) -> list[dict]:
        """:func:`clip_posteriorgrams` of the clips of ``split``."""
        return clip_posteriorgrams(model, self.splits[split])

    def threshold_grid(
        self,
        posteriors: Sequence[Mapping[str, np.ndarray]],
        onset_thresholds: Sequence[float] = ONSET_THRESHOLDS,
        frame_thresholds: Sequence[float] = FRAME_THRESHOLDS,
        split: str = "validation",
    ) -> np.ndarray:
        """:func:`threshold_grid` on ``split`` (the posteriorgrams of its clips)."""
        clips = self.splits[split]
        return threshold_grid(clips, posteriors, self.scores, onset_thresholds, frame_thresholds)

    def threshold_table(
        self,
        posteriors: Mapping[str, Sequence[Mapping[str, np.ndarray]]],
        settings: Mapping[str, tuple[float, float]],
    ) -> str:
        """:func:`threshold_rows` per split of ``posteriors`` (split -> posteriorgrams)."""
        splits = {split: (self.splits[split], p) for split, p in posteriors.items()}
        rows = threshold_rows(splits, settings, self.scores)
        return format_table(rows, "mean Fno and F per threshold pair")

    def confidence_curve(
        self, evaluation: Evaluation, thresholds: Sequence[float] = CONFIDENCE_THRESHOLDS
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:func:`pooled_curve` of an evaluation's clips and transcriptions."""
        return pooled_curve(evaluation.clips, evaluation.estimates, self.scores, thresholds)
