"""MIDI in, audio out: read MIDI files safely and render them with FluidSynth.

The offline datasets are rendered here, and notebooks use :func:`render_midi`
to *audiate* a transcription (turn predicted notes back into sound).

Soundfonts, by name (:data:`SOUNDFONTS`), each a different set of recorded
instruments, so the same MIDI sounds like a different piano or voice in each:

- ``"FluidR3_GM"``: Debian's ``fluid-soundfont-gm`` (141 MB, good piano);
- ``"FluidR3Mono_GM"``: Debian's ``fluidr3mono-gm-soundfont`` (.sf3, mono samples);
- ``"MuseScore_General_Lite"``: Debian's ``musescore-general-soundfont-small`` (.sf3);
- ``"GMbank"``: csound's ``sf_GMbank.sf2`` (Debian's ``csound-soundfont``);
- ``"TimGM6mb"``: the 6 MB General MIDI font (Debian's ``timgm6mb-soundfont``, and
  shipped inside ``pretty_midi``), the fallback where no system font is installed.

``$DLMUSIC_SOUNDFONT`` may name any of them, or a path to any ``.sf2`` or ``.sf3``
file. :func:`installed_soundfonts` lists the names found on this machine.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pretty_midi

from dlmusic.audio import SAMPLE_RATE_HZ
from dlmusic.errors import MidiError, MissingFileError, SoundfontError

SOUNDFONT_ENV_VAR = "DLMUSIC_SOUNDFONT"
SOUNDFONTS: dict[str, tuple[Path, ...]] = {
    "FluidR3_GM": (
        Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"),
        Path("/usr/share/soundfonts/FluidR3_GM.sf2"),
    ),
    "FluidR3Mono_GM": (Path("/usr/share/sounds/sf3/FluidR3Mono_GM.sf3"),),
    "MuseScore_General_Lite": (Path("/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"),),
    "GMbank": (
        Path("/usr/share/sounds/sf2/sf_GMbank.sf2"),
        Path("/usr/share/samples/sf_GMbank.sf2"),
    ),
    "TimGM6mb": (
        Path("/usr/share/sounds/sf2/TimGM6mb.sf2"),
        Path(pretty_midi.__file__).parent / "TimGM6mb.sf2",
    ),
}
SOUNDFONT_SUFFIXES = (".sf2", ".sf3")
"""File types FluidSynth reads (``.sf3``: samples compressed with Ogg Vorbis)."""
PREFERRED_SOUNDFONTS = ("FluidR3_GM", "TimGM6mb")
FLUIDSYNTH_BLOCK_SAMPLES = 64
"""FluidSynth synthesises in blocks of this many samples; renders start on a block edge."""
RENDER_GAIN = 4.0
"""Linear gain applied to FluidSynth's output (full scale = 1.0).

FluidSynth's own master gain leaves a piano near -25 dBFS; this lifts it to a
recording-like level. A fixed gain (rather than peak normalisation) keeps
loudness comparable across pieces, so a pianissimo piece stays quiet."""


def find_soundfont(name: str | None = None) -> Path:
    """Path of a soundfont, by name or path.

    Parameters
    ----------
    name : str or None
        A key of :data:`SOUNDFONTS`, a path to an ``.sf2`` or ``.sf3`` file, or ``None``
        for ``$DLMUSIC_SOUNDFONT`` or else the first installed font of
        :data:`PREFERRED_SOUNDFONTS`.

    Raises
    ------
    SoundfontError
        The named font is not installed, or no font is found at all.
    """
    name = name or os.environ.get(SOUNDFONT_ENV_VAR) or None
    if name is None:
        for candidate in PREFERRED_SOUNDFONTS:
            found = _installed(candidate)
            if found is not None:
                return found
        raise SoundfontError("no soundfont found; install Debian's fluid-soundfont-gm")
    if name in SOUNDFONTS:
        found = _installed(name)
        if found is None:
            places = ", ".join(str(p) for p in SOUNDFONTS[name])
            raise SoundfontError(f"soundfont {name!r} is not installed (looked in {places})")
        return found
    path = Path(name).expanduser()
    if path.suffix.lower() not in SOUNDFONT_SUFFIXES or not path.is_file():
        raise SoundfontError(
            f"{name!r} is neither a known soundfont ({', '.join(SOUNDFONTS)}) "
            "nor an .sf2 or .sf3 file"
        )
    return path


def installed_soundfonts() -> list[str]:
    """Names of the :data:`SOUNDFONTS` installed here, in the order they are listed.

    Returns
    -------
    list of str
        Keys of :data:`SOUNDFONTS` whose file exists (``"TimGM6mb"`` is always
        there, inside ``pretty_midi``).
    """
    return [name for name in SOUNDFONTS if _installed(name) is not None]


def _installed(name: str) -> Path | None:
    return next((path for path in SOUNDFONTS[name] if path.is_file()), None)


def load_midi(path: str | Path) -> pretty_midi.PrettyMIDI:
    """Read a MIDI file, raising a clear error when it is missing or corrupt.

    Raises
    ------
    MissingFileError
        No file at ``path``.
    MidiError
        The file is not a valid Standard MIDI File.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"no MIDI file at {path}")
    try:
        return pretty_midi.PrettyMIDI(str(path))
    except Exception as err:  # mido and pretty_midi raise many types for bad bytes
        raise MidiError(f"cannot parse MIDI file {path}: {type(err).__name__}: {err}") from err


def render_midi(
    midi: pretty_midi.PrettyMIDI | str | Path,
    sr: int = SAMPLE_RATE_HZ,
    *,
    soundfont: str | None = None,
    duration_s: float | None = None,
    program: int | None = None,
) -> np.ndarray:
    """Render MIDI to mono audio with FluidSynth.

    Loads the soundfont for this one call; to render many pieces with one
    font, use a :class:`SoundfontRenderer` (loading an ``.sf3`` takes seconds).

    Parameters
    ----------
    midi : PrettyMIDI or path
        The notes to play (programs, drums, velocities, pedal and pitch bends
        are honoured).
    sr : int
        Sample rate in Hz.
    soundfont : str or None
        Passed to :func:`find_soundfont`.
    duration_s : float or None
        Trim or zero-pad the result to exactly this many seconds; ``None``
        keeps FluidSynth's length (the last note-off plus a 1 s release tail).
    program : int or None
        General MIDI program (0..127) that every pitched instrument plays
        (0-3 are the pianos); ``None`` keeps each instrument's own.

    Returns
    -------
    np.ndarray, shape (n_samples,), float32
        Audio scaled by :data:`RENDER_GAIN` and clipped to [-1, 1].

    Raises
    ------
    MidiError
        The MIDI holds no notes.
    SoundfontError
        No soundfont, or FluidSynth's library is not installed.
    """
    with SoundfontRenderer(soundfont, sr) as renderer:
        return renderer.render(midi, duration_s=duration_s, program=program)


class SoundfontRenderer:
    """One FluidSynth synthesizer with one soundfont loaded, for many renders.

    Every :meth:`render` starts from a reset synthesizer (controllers and pedal
    cleared, one second of silence to let the effects ring out, FluidSynth's
    64-sample blocks realigned), so note timing never depends on earlier
    renders. The synthesizer's running modulators (chorus, LFOs) do carry
    over: rendering the same MIDI twice in a row differs by about -30 dB
    (difference energy over signal energy, measured on a five-note chord with
    every installed font), like two takes. The same sequence of renders gives
    the same samples, so a build that renders in a fixed order is
    byte-reproducible. Use as a context manager, or call :meth:`close`.

    Parameters
    ----------
    soundfont : str or None
        Passed to :func:`find_soundfont`.
    sr : int
        Sample rate in Hz.

    Raises
    ------
    SoundfontError
        No soundfont, or FluidSynth's library is not installed.
    """

    def __init__(self, soundfont: str | None = None, sr: int = SAMPLE_RATE_HZ) -> None:
        self.path = find_soundfont(soundfont)
        self.sr = int(sr)
        self._synth = _counting_synth_class()(samplerate=float(self.sr))
        self._sfid = self._synth.sfload(str(self.path))
        if self._sfid < 0:
            self._synth.delete()
            raise SoundfontError(f"FluidSynth cannot load the soundfont {self.path}")

    def __enter__(self) -> SoundfontRenderer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Free the synthesizer (the renderer cannot render afterwards)."""
        if self._synth is not None:
            self._synth.delete()
            self._synth = None

    def render(
        self,
        midi: pretty_midi.PrettyMIDI | str | Path,
        *,
        duration_s: float | None = None,
        program: int | None = None,
    ) -> np.ndarray:
        """Render ``midi``; parameters and result as in :func:`render_midi`."""
        if self._synth is None:
            raise SoundfontError("this SoundfontRenderer is closed")
        if duration_s is not None and duration_s <= 0:
            raise ValueError(f"duration_s must be positive (seconds), got {duration_s}")
        if program is not None and not 0 <= program <= 127:
            raise ValueError(f"program must be a General MIDI program 0..127, got {program}")
        if not isinstance(midi, pretty_midi.PrettyMIDI):
            midi = load_midi(midi)
        if not any(inst.notes for inst in midi.instruments):
            raise MidiError("MIDI holds no notes to render")
        if program is not None:
            midi = copy.deepcopy(midi)
            for inst in midi.instruments:
                if not inst.is_drum:
                    inst.program = program
        self._synth.system_reset()
        flush = self.sr + (-(self._synth.pulled + self.sr)) % FLUIDSYNTH_BLOCK_SAMPLES
        self._synth.get_samples(flush)
        raw = midi.fluidsynth(fs=self.sr, synthesizer=self._synth, sfid=self._sfid, normalize=False)
        # pretty_midi divides by the number of instruments; undo that so the gain is fixed.
        audio = np.clip(raw * len(midi.instruments) * RENDER_GAIN, -1.0, 1.0).astype(np.float32)
        if duration_s is not None:
            n_samples = round(duration_s * self.sr)
            audio = np.pad(audio[:n_samples], (0, max(0, n_samples - audio.size)))
        return audio


def _counting_synth_class() -> type:
    """``fluidsynth.Synth`` that counts the stereo frames pulled from it (imported lazily)."""
    try:
        import fluidsynth
    except ImportError as err:
        raise SoundfontError(
            "pyfluidsynth cannot load the FluidSynth library; install Debian's "
            "libfluidsynth3 (see .ci/install-system-deps.sh)"
        ) from err

    class CountingSynth(fluidsynth.Synth):
        pulled = 0

        def get_samples(self, length: int = 1024) -> np.ndarray:
            self.pulled += length
            return super().get_samples(length)

    return CountingSynth
