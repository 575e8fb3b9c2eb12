"""The data pipeline of the ``vocals`` notebook: metadata, a track cache, clean frames, batches.

Notebook: ``solutions/vocals/vocals.ipynb``, part 3. The pipeline is given;
what it computes with is the student's: the STFT (part 1), the ideal mask
that is the training target (part 2) and the malformed-frame rules (part 3)
are parameters, and the notebook passes its own functions. Four steps, each
one a habit worth keeping for any audio corpus:

1. :func:`track_metadata`: duration, sample rate and STFT frame count of every
   track, read from the file headers once and cached in a CSV, so that a
   sampler can pick frames without decoding anything;
2. :class:`TrackCache`: an LRU cache of decoded tracks (their STFT
   magnitudes), so that an epoch decodes each track once, not once per batch;
3. malformed frames: STFT frames a mask cannot be learned from (non-finite
   values, digital silence, stems that do not add up to the mixture, see
   :data:`FRAME_PROBLEMS`) are found by the student's ``malformed_frames``,
   dropped, and counted, never dropped silently;
4. :class:`FrameSequences`: a ``keras.utils.PyDataset`` of batches of
   ``SEQUENCE_FRAMES`` consecutive clean frames of the mixture magnitude,
   with an ideal mask (the student's binary or ratio mask) as the target
   and each cell's weight in the loss (:func:`energy_weights`); optionally
   remixed (the voice of one song over the accompaniment of another, at a
   random gain), so that a few dozen songs give the network new mixtures in
   every batch.
"""

from __future__ import annotations

import csv
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import keras
import numpy as np
from tqdm import tqdm

from dlmusic.audio import SAMPLE_RATE_HZ, audio_info, validate_audio
from dlmusic.datasets.records import StemTrack
from dlmusic.errors import AudioError, ChannelError, DatasetError
from dlmusic.vocals.stft import HOP_SAMPLES, N_BINS, N_FFT, n_frames

STFT = Callable[[np.ndarray], np.ndarray]
"""``stft(audio) -> (N_BINS, n_frames)`` complex: the student's STFT of part 1."""
MaskFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``mask(vocals, accompaniment) -> (n_bins, n_frames)`` in [0, 1]: an ideal mask of part 2."""
FrameFilter = Callable[[np.ndarray, np.ndarray, np.ndarray], Mapping[str, np.ndarray]]
"""``malformed_frames(mixture, vocals, accompaniment) -> {problem: (n_frames,) bool}``, part 3."""

SEQUENCE_FRAMES = 128
"""Frames per training sequence: 1.5 s at 86 frames per second."""
SILENT_FRAME_MAGNITUDE = 1e-3
"""A mixture frame whose largest STFT magnitude is below this is digital silence
(about -110 dB relative to a full-scale sine's peak of 256)."""
MISMATCH_TOLERANCE = 0.1
"""A frame whose ``|mixture - vocals - accompaniment|`` exceeds this fraction of
``|mixture|`` (L2 over bins) has stems that do not add up to the mixture."""
FRAME_PROBLEMS = ("non_finite", "silent", "stems_do_not_sum")
"""What makes a frame malformed, in order (a frame counts under the first that applies):
a NaN or infinite value in any of the three STFTs; a finite mixture frame whose
largest magnitude is below :data:`SILENT_FRAME_MAGNITUDE`; a finite, non-silent
frame where ``||X - V - A|| > MISMATCH_TOLERANCE * ||X||``."""
WEIGHTINGS = ("energy", "uniform")
"""How the mask loss weighs the cells: by the mixture's energy, or all alike."""
REMIX_GAIN_DB = 6.0
"""A remixed sequence's voice is scaled by a gain drawn uniformly in +-this many dB."""
METADATA_COLUMNS = ("name", "subset", "duration_s", "sample_rate_hz", "channels", "n_frames")


@dataclass(frozen=True)
class TrackInfo:
    """One line of the metadata CSV: what a track's header says.

    Notebook: vocals, part 3 (a row of ``vocals_tracks.csv``).

    ``n_frames`` counts STFT frames after resampling to 22050 Hz.
    """

    name: str
    subset: str
    duration_s: float
    sample_rate_hz: int
    channels: int
    n_frames: int


def track_metadata(tracks: Sequence[StemTrack], csv_path: str | Path) -> list[TrackInfo]:
    """Metadata of ``tracks``, read from ``csv_path`` if it lists exactly them, else written there.

    Notebook: vocals, part 3 (the metadata CSV).

    Only the headers of the ``mixture.wav`` files are read (no decoding).

    Parameters
    ----------
    tracks : sequence of StemTrack
    csv_path : str or Path
        The cache file (columns :data:`METADATA_COLUMNS`).

    Returns
    -------
    list of TrackInfo
        In the order of ``tracks``.
    """
    csv_path = Path(csv_path)
    wanted = [(track.name, track.subset) for track in tracks]
    if csv_path.is_file():
        cached = read_track_metadata(csv_path)
        if [(info.name, info.subset) for info in cached] == wanted:
            return cached
    infos = []
    for track in tracks:
        header = audio_info(track.folder / "mixture.wav")
        n_samples = round(header.frames * SAMPLE_RATE_HZ / header.samplerate)
        infos.append(
            TrackInfo(
                name=track.name,
                subset=track.subset,
                duration_s=round(header.frames / header.samplerate, 6),
                sample_rate_hz=int(header.samplerate),
                channels=int(header.channels),
                n_frames=n_frames(n_samples),
            )
        )
    csv_path.parent.mkdir(parents=True, exist_ok=True)
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=METADATA_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {field.name: getattr(info, field.name) for field in fields(info)} for info in infos
        )
    return infos


def read_track_metadata(csv_path: str | Path) -> list[TrackInfo]:
    """The :class:`TrackInfo` rows of a metadata CSV written by :func:`track_metadata`.

    Notebook: vocals, part 3 (how ``track_metadata`` reads its cached CSV back).

    Raises
    ------
    DatasetError
        The file lacks a column or holds a value of the wrong type.
    """
    with Path(csv_path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(METADATA_COLUMNS) - set(reader.fieldnames or ())
        if missing:
            raise DatasetError(
                f"{csv_path} lacks the columns {sorted(missing)}; delete it to rebuild"
            )
        try:
            return [
                TrackInfo(
                    name=row["name"],
                    subset=row["subset"],
                    duration_s=float(row["duration_s"]),
                    sample_rate_hz=int(row["sample_rate_hz"]),
                    channels=int(row["channels"]),
                    n_frames=int(row["n_frames"]),
                )
                for row in reader
            ]
        except ValueError as err:
            raise DatasetError(
                f"{csv_path} holds a malformed row ({err}); delete it to rebuild"
            ) from err


@dataclass(frozen=True, eq=False)
class TrackStems:
    """The three stems of one track, mono float32 at 22050 Hz, all of one length.

    Notebook: vocals, parts 1 to 6 (every song: ``example``, ``test_songs``).
    """

    name: str
    mixture: np.ndarray
    vocals: np.ndarray
    accompaniment: np.ndarray

    def __post_init__(self) -> None:
        check_stems(self.mixture, self.vocals, self.accompaniment)

    @property
    def duration_s(self) -> float:
        return self.mixture.size / SAMPLE_RATE_HZ

    def excerpt(self, duration_s: float | None) -> TrackStems:
        """The first ``duration_s`` seconds of all three stems (``None``: the whole track)."""
        if duration_s is None:
            return self
        end = round(duration_s * SAMPLE_RATE_HZ)
        return TrackStems(
            self.name, self.mixture[:end], self.vocals[:end], self.accompaniment[:end]
        )


def check_stems(mixture: np.ndarray, vocals: np.ndarray, accompaniment: np.ndarray) -> None:
    """Raise a clear error unless the three stems are mono and of one length.

    Notebook: vocals, part 3 (what every ``TrackStems`` checks).

    Non-finite samples are allowed here: :meth:`TrackSpectra.from_stems` finds
    and drops the frames they spoil.

    Raises
    ------
    ChannelError
        A stem is not mono ``(n_samples,)`` (for example stereo
        ``(2, n_samples)`` or channels-last ``(n_samples, 2)``).
    EmptyAudioError
        A stem has no samples.
    AudioError
        The stems differ in length.
    """
    stems = {"mixture": mixture, "vocals": vocals, "accompaniment": accompaniment}
    for name, audio in stems.items():
        if not isinstance(audio, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(audio).__name__}")
        if audio.ndim != 1:
            raise ChannelError(
                f"{name} has shape {audio.shape}; every stem must be mono (n_samples,): "
                "load stems with mono=True or mix them down with dlmusic.audio.to_mono"
            )
        validate_audio(np.nan_to_num(audio), mono=True)
    lengths = {name: audio.size for name, audio in stems.items()}
    if len(set(lengths.values())) != 1:
        raise AudioError(
            f"stems differ in length (samples): {lengths}; a track's stems must be aligned "
            "sample for sample (trim them to the shortest only if they start together)"
        )


def load_stems(track: StemTrack) -> TrackStems:
    """Decode a track's mixture, vocals and accompaniment (mono, 22050 Hz).

    Notebook: vocals, parts 1, 2 and 4 (``example``, ``test_songs``, ``training_songs``).
    """
    return TrackStems(
        name=track.name,
        mixture=track.load("mixture"),
        vocals=track.load("vocals"),
        accompaniment=track.load("accompaniment"),
    )


@dataclass(frozen=True, eq=False)
class TrackSpectra:
    """A decoded track as the sampler needs it: STFTs, frame-major.

    Notebook: vocals, part 3 (a decoded song in the cache).

    Attributes
    ----------
    name : str
    mixture : np.ndarray, shape (n_frames, N_BINS), float32
        STFT magnitudes of the mixture.
    vocals, accompaniment : np.ndarray, shape (n_frames, N_BINS), complex64
        Complex STFTs of the two stems: complex, so that the voice of one
        track and the accompaniment of another add up to a true mixture.
        Non-finite cells of all three are set to 0; those frames are not usable.
    usable : np.ndarray, shape (n_frames,), bool
        Frames that are not malformed.
    problems : dict
        Count of frames per problem of :data:`FRAME_PROBLEMS`.
    """

    name: str
    mixture: np.ndarray
    vocals: np.ndarray
    accompaniment: np.ndarray
    usable: np.ndarray
    problems: dict[str, int]

    @classmethod
    def from_stems(
        cls, stems: TrackStems, *, stft: STFT, malformed_frames: FrameFilter
    ) -> TrackSpectra:
        """STFT the three stems with ``stft`` and mark their malformed frames.

        Parameters
        ----------
        stems : TrackStems
        stft : callable
            ``audio (n_samples,) -> (N_BINS, n_frames(n_samples))`` complex STFT.
        malformed_frames : callable
            ``(mixture, vocals, accompaniment) STFTs -> {problem: (n_frames,) bool}``
            for every problem of :data:`FRAME_PROBLEMS`.
        """
        spectra = [
            _complex_stft(stft, np.nan_to_num(audio, nan=0.0, posinf=0.0, neginf=0.0))
            for audio in (stems.mixture, stems.vocals, stems.accompaniment)
        ]
        bad_samples = (
            ~np.isfinite(stems.mixture)
            | ~np.isfinite(stems.vocals)
            | ~np.isfinite(stems.accompaniment)
        )
        if bad_samples.any():
            # A non-finite sample spoils every frame whose window covers it.
            for spectrum in spectra:
                spectrum[:, _frames_touching(bad_samples, spectrum.shape[1])] = np.nan
        problems = _frame_problems(malformed_frames(*spectra), spectra[0].shape[1])
        usable = ~np.any(list(problems.values()), axis=0)
        mixture, vocals, accompaniment = (
            np.ascontiguousarray(np.nan_to_num(spectrum).T) for spectrum in spectra
        )
        return cls(
            name=stems.name,
            mixture=np.abs(mixture).astype(np.float32),
            vocals=vocals.astype(np.complex64),
            accompaniment=accompaniment.astype(np.complex64),
            usable=usable,
            problems={name: int(flags.sum()) for name, flags in problems.items()},
        )

    def mask(self, mask: MaskFunction, frames: slice = slice(None)) -> np.ndarray:
        """The ``mask`` of ``frames``, shape ``(n_selected_frames, N_BINS)``, float32."""
        return target_mask(mask, self.vocals[frames], self.accompaniment[frames])

    def sequence_starts(self, length: int) -> np.ndarray:
        """First frames of every run of ``length`` usable frames."""
        if self.usable.size < length:
            return np.zeros(0, dtype=int)
        bad = np.concatenate([[0], np.cumsum(~self.usable)])
        return np.flatnonzero(bad[length:] == bad[:-length])


def _complex_stft(stft: STFT, audio: np.ndarray) -> np.ndarray:
    """``stft(audio)`` as a complex64 array of shape ``(N_BINS, n_frames(audio.size))``."""
    spectrum = np.array(stft(audio), dtype=np.complex64)
    expected = (N_BINS, n_frames(audio.size))
    if spectrum.shape != expected:
        raise ValueError(
            f"the STFT of {audio.size} samples has shape {spectrum.shape}, expected {expected}"
        )
    return spectrum


def _frame_problems(problems: Mapping[str, np.ndarray], count: int) -> dict[str, np.ndarray]:
    """``malformed_frames``'s answer as one ``(count,)`` bool array per :data:`FRAME_PROBLEMS`."""
    missing = [name for name in FRAME_PROBLEMS if name not in problems]
    if missing:
        raise ValueError(f"malformed_frames returned no {', '.join(missing)}")
    flags = {name: np.asarray(problems[name], dtype=bool) for name in FRAME_PROBLEMS}
    for name, values in flags.items():
        if values.shape != (count,):
            raise ValueError(
                f"malformed_frames()[{name!r}] has shape {values.shape}, not ({count},)"
            )
    return flags


def target_mask(mask: MaskFunction, vocals: np.ndarray, accompaniment: np.ndarray) -> np.ndarray:
    """``mask`` of two frame-major STFTs, shape ``(n_frames, n_bins)`` float32.

    Notebook: vocals, part 3 (the targets of each batch, from your masks).

    ``mask`` (an ideal mask of part 2) is called on the ``(n_bins, n_frames)``
    transposes, as its docstring expects, and its answer transposed back.

    Raises
    ------
    TypeError
        ``mask`` is not callable.
    ValueError
        The mask has another shape than the STFTs.
    """
    if not callable(mask):
        raise TypeError(f"mask must be a function (vocals, accompaniment) -> mask, got {mask!r}")
    values = np.asarray(mask(np.asarray(vocals).T, np.asarray(accompaniment).T), np.float32).T
    if values.shape != np.shape(vocals):
        raise ValueError(f"the mask has shape {values.T.shape}, expected {np.shape(vocals)[::-1]}")
    return values


def remixed_sequence(
    vocals: np.ndarray, accompaniment: np.ndarray, vocal_gain_db: float, mask: MaskFunction
) -> tuple[np.ndarray, np.ndarray]:
    """A new mixture of two stems' STFTs and its ideal mask.

    Notebook: vocals, part 3 (remixing).

    Parameters
    ----------
    vocals, accompaniment : np.ndarray, shape (n_frames, N_BINS), complex
        STFTs of a voice and of an accompaniment, usually of different songs.
    vocal_gain_db : float
        The voice is scaled by ``10 ** (vocal_gain_db / 20)`` first.
    mask : callable
        The ideal mask of the target, ``mask(vocals, accompaniment)`` (part 2).

    Returns
    -------
    mixture : np.ndarray, shape (n_frames, N_BINS), float32
        ``|g V + A|``: the magnitude of the sum of the complex STFTs, which
        is the STFT of the sum of the two waveforms.
    mask : np.ndarray, shape (n_frames, N_BINS), float32
        ``mask`` of ``g V`` against ``A``.
    """
    vocals = np.asarray(vocals) * np.float32(10.0 ** (vocal_gain_db / 20.0))
    target = target_mask(mask, vocals, accompaniment)
    return np.abs(vocals + accompaniment).astype(np.float32), target


def _frames_touching(bad_samples: np.ndarray, count: int) -> np.ndarray:
    """Indices of the centred STFT frames whose window covers a flagged sample."""
    centres = np.arange(count) * HOP_SAMPLES
    flagged = np.concatenate([[0], np.cumsum(bad_samples)])
    lo = np.clip(centres - N_FFT // 2, 0, bad_samples.size)
    hi = np.clip(centres + N_FFT // 2, 0, bad_samples.size)
    return np.flatnonzero(flagged[hi] > flagged[lo])


class TrackCache:
    """An LRU cache of decoded tracks (:class:`TrackSpectra`), keyed by track folder.

    Notebook: vocals, part 3 (the LRU cache of decoded songs).

    Decoding and transforming a track costs far more than slicing a batch
    out of it, so the sampler asks this cache; the least recently used
    track is evicted when ``max_tracks`` are held. ``hits`` and ``misses``
    count the lookups.

    Parameters
    ----------
    max_tracks : int
        How many tracks to keep in memory (a 30 s track takes about 27 MB:
        the mixture magnitudes and the complex STFTs of the two stems).
    stft : callable
        The STFT every track is transformed with (the student's, part 1).
    malformed_frames : callable
        Finds the frames to drop (the student's, part 3); see
        :meth:`TrackSpectra.from_stems`.
    loader : callable
        ``StemTrack -> TrackStems``; default :func:`load_stems`.
    """

    def __init__(
        self,
        max_tracks: int = 16,
        *,
        stft: STFT,
        malformed_frames: FrameFilter,
        loader: Callable[[StemTrack], TrackStems] = load_stems,
    ) -> None:
        if max_tracks < 1:
            raise ValueError(f"max_tracks must be at least 1, got {max_tracks}")
        self.max_tracks = max_tracks
        self.stft = stft
        self.malformed_frames = malformed_frames
        self.loader = loader
        self.hits = 0
        self.misses = 0
        self._tracks: OrderedDict[Path, TrackSpectra] = OrderedDict()

    def __len__(self) -> int:
        return len(self._tracks)

    def get(self, track: StemTrack) -> TrackSpectra:
        """The track's spectra, decoded now or found in the cache."""
        key = Path(track.folder)
        if key in self._tracks:
            self.hits += 1
            self._tracks.move_to_end(key)
            return self._tracks[key]
        self.misses += 1
        spectra = TrackSpectra.from_stems(
            self.loader(track), stft=self.stft, malformed_frames=self.malformed_frames
        )
        self._tracks[key] = spectra
        if len(self._tracks) > self.max_tracks:
            self._tracks.popitem(last=False)
        return spectra


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    """Raise ValueError naming ``what`` and the allowed ``choices`` unless ``value`` is one."""
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of {choices}")


def energy_weights(mixture_magnitude: np.ndarray, weighting: str = "energy") -> np.ndarray:
    """Each STFT cell's weight in the mask loss.

    Notebook: vocals, part 5 (each cell's weight ``w`` in the mask loss).

    With ``"energy"`` the weight is ``|X|^2``, the mixture's energy in the
    cell: a squared mask error ``(m_hat - m)^2`` weighted this way is the
    squared error of the masked magnitudes, ``(m_hat |X| - m |X|)^2``, so
    the loss spends its effort where the audio is loud, as SDR does. A mask
    error in a silent cell changes nothing you can hear. ``"uniform"``
    weighs every cell 1.

    Parameters
    ----------
    mixture_magnitude : np.ndarray, any shape
        ``|X|``, the mixture's STFT magnitudes.
    weighting : {"energy", "uniform"}

    Returns
    -------
    np.ndarray, float32, the shape of ``mixture_magnitude``
    """
    _check_choice(weighting, WEIGHTINGS, "weighting")
    if weighting == "uniform":
        return np.ones_like(mixture_magnitude, dtype=np.float32)
    return np.square(mixture_magnitude, dtype=np.float32)


class FrameSequences(keras.utils.PyDataset):
    """Batches of ``SEQUENCE_FRAMES`` consecutive usable frames and their ideal masks.

    Notebook: vocals, parts 3 and 5 (``pipeline``: the training batches).

    Each batch draws tracks (with probability proportional to their number
    of usable sequences) and a random start in each, seeded by
    ``(seed, epoch, batch)`` so runs repeat. Malformed frames never enter a
    sequence; :meth:`report` says how many were dropped and why.

    With ``remix > 0`` that share of the sequences is a new song: the voice
    of one drawn sequence, scaled by a gain drawn in +-:data:`REMIX_GAIN_DB`,
    over the accompaniment of another drawn sequence (usually of another
    track). The two complex STFTs are added, so the mixture is exactly what
    the two stems would sound like together, and the target mask is that of
    the two stems. A network that has seen 87 songs then never sees the same
    mixture twice, the standard cure for a separator that memorises its
    training songs (Uhlich et al., ICASSP 2017).

    Parameters
    ----------
    tracks : sequence of StemTrack
    cache : TrackCache
        Where decoded tracks are kept; it holds the STFT and the malformed-frame
        rules the tracks are transformed and checked with.
    mask : callable
        The target the network learns: ``mask(vocals, accompaniment)`` of two
        ``(n_bins, n_frames)`` STFTs (the student's ideal binary or ratio mask).
    weighting : {"energy", "uniform"}
        Each cell's weight in the loss (:func:`energy_weights`).
    remix : float
        Share of the sequences, in [0, 1], that are remixed (see above).
    batch_size, batches_per_epoch : int
    sequence_frames : int
    seed : int
    progress : bool
        Show a progress bar while the tracks are decoded the first time.

    Batches are ``(x, y, w)``: ``x`` the mixture magnitudes, ``y`` the mask
    and ``w`` the cell weights, each ``(batch_size, sequence_frames, N_BINS)``
    float32. Keras multiplies a loss that keeps one value per cell (such as
    :func:`dlmusic.vocals.model.cellwise_squared_error`) by ``w``.
    """

    def __init__(
        self,
        tracks: Sequence[StemTrack],
        *,
        cache: TrackCache,
        mask: MaskFunction,
        weighting: str = "energy",
        remix: float = 0.0,
        batch_size: int = 16,
        batches_per_epoch: int = 50,
        sequence_frames: int = SEQUENCE_FRAMES,
        seed: int = 0,
        progress: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if not callable(mask):
            raise TypeError(
                f"mask must be a function (vocals, accompaniment) -> mask, got {mask!r}"
            )
        if not tracks:
            raise DatasetError("FrameSequences needs at least one track")
        _check_choice(weighting, WEIGHTINGS, "weighting")
        if not 0.0 <= remix <= 1.0:
            raise ValueError(f"remix is the share of remixed sequences, in [0, 1]; got {remix}")
        self.tracks = list(tracks)
        self.mask = mask
        self.weighting = weighting
        self.remix = remix
        self.cache = cache
        self.batch_size = batch_size
        self.batches_per_epoch = batches_per_epoch
        self.sequence_frames = sequence_frames
        self.seed = seed
        self.epoch = 0
        self.problems = {}
        self.starts = []
        for track in tqdm(self.tracks, desc="decoding tracks", disable=not progress):
            spectra = self.cache.get(track)
            self.problems[track.name] = {"frames": spectra.usable.size, **spectra.problems}
            self.starts.append(spectra.sequence_starts(sequence_frames))
        n_starts = np.array([starts.size for starts in self.starts], dtype=float)
        if n_starts.sum() == 0:
            raise DatasetError(
                f"no track holds {sequence_frames} consecutive usable frames; "
                f"frame report: {self.report()}"
            )
        self.track_probabilities = n_starts / n_starts.sum()

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        inputs, targets = [], []
        for _ in range(self.batch_size):
            spectra, frames = self._draw_sequence(rng)
            if self.remix and rng.random() < self.remix:
                other, other_frames = self._draw_sequence(rng)
                mixture, mask = remixed_sequence(
                    spectra.vocals[frames],
                    other.accompaniment[other_frames],
                    rng.uniform(-REMIX_GAIN_DB, REMIX_GAIN_DB),
                    self.mask,
                )
                inputs.append(mixture)
                targets.append(mask)
            else:
                inputs.append(spectra.mixture[frames])
                targets.append(spectra.mask(self.mask, frames))
        inputs = np.stack(inputs)
        return inputs, np.stack(targets), energy_weights(inputs, self.weighting)

    def _draw_sequence(self, rng: np.random.Generator) -> tuple[TrackSpectra, slice]:
        """A track, drawn in proportion to its usable sequences, and a random sequence of it."""
        track_index = rng.choice(len(self.tracks), p=self.track_probabilities)
        start = int(rng.choice(self.starts[track_index]))
        return self.cache.get(self.tracks[track_index]), slice(start, start + self.sequence_frames)

    def on_epoch_end(self) -> None:
        self.epoch += 1

    def report(self) -> str:
        """One line: frames seen, and frames dropped per problem."""
        total = sum(counts["frames"] for counts in self.problems.values())
        dropped = {
            problem: sum(counts[problem] for counts in self.problems.values())
            for problem in FRAME_PROBLEMS
        }
        detail = ", ".join(
            f"{count:,} {problem.replace('_', ' ')}" for problem, count in dropped.items()
        )
        return (
            f"{len(self.tracks)} tracks, {total:,} frames; dropped {sum(dropped.values()):,} "
            f"malformed frames ({detail})"
        )


def fixed_sequences(
    tracks: Sequence[StemTrack],
    *,
    cache: TrackCache,
    mask: MaskFunction,
    weighting: str = "energy",
    sequence_frames: int = SEQUENCE_FRAMES,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive, non-overlapping usable sequences of ``tracks`` (validation data).

    Notebook: vocals, parts 3 and 5 (``validation``: the sequences that pick the best epoch).

    ``cache``, ``mask`` and ``weighting`` are as for :class:`FrameSequences`.

    Returns
    -------
    x, y, w : np.ndarray, shape (n_sequences, sequence_frames, N_BINS), float32
        Mixture magnitudes, masks and cell weights, as :class:`FrameSequences` batches.
    """
    _check_choice(weighting, WEIGHTINGS, "weighting")
    inputs, targets = [], []
    for track in tracks:
        spectra = cache.get(track)
        starts = set(spectra.sequence_starts(sequence_frames).tolist())
        for start in range(0, spectra.usable.size - sequence_frames + 1, sequence_frames):
            if start in starts:
                frames = slice(start, start + sequence_frames)
                inputs.append(spectra.mixture[frames])
                targets.append(spectra.mask(mask, frames))
    if not inputs:
        raise DatasetError(
            f"no sequence of {sequence_frames} usable frames in {len(tracks)} tracks"
        )
    shape = (-1, sequence_frames, N_BINS)
    inputs = np.stack(inputs).reshape(shape)
    return inputs, np.stack(targets).reshape(shape), energy_weights(inputs, weighting)
