"""Exception types raised by :mod:`dlmusic` for bad input.

Every error a student or instructor can trigger with bad data derives from
:class:`DlmusicError`, so a notebook or the autograder can catch all of them
in one place while the message still says exactly what was wrong.
"""

from __future__ import annotations


class DlmusicError(Exception):
    """Base class of every error raised on purpose by :mod:`dlmusic`."""


class MissingFileError(DlmusicError, FileNotFoundError):
    """A file the caller named does not exist."""


class AudioError(DlmusicError, ValueError):
    """Audio that cannot be used as given (base class)."""


class CorruptAudioError(AudioError):
    """A file exists but cannot be decoded as audio."""


class EmptyAudioError(AudioError):
    """Audio with no samples (or fewer than the caller needs)."""


class NonFiniteAudioError(AudioError):
    """Audio containing NaN or infinite samples."""


class SampleRateError(AudioError):
    """Audio at a sample rate other than the one required."""


class ChannelError(AudioError):
    """Audio with the wrong number of channels (e.g. stereo where mono is required)."""


class MidiError(DlmusicError, ValueError):
    """A MIDI file that is corrupt, unreadable or holds no notes."""


class PageError(DlmusicError, ValueError):
    """A sheet-music page image that cannot be sliced (wrong shape, too small, not an image)."""


class SoundfontError(DlmusicError):
    """No usable soundfont or FluidSynth installation was found."""


class DatasetError(DlmusicError):
    """A dataset folder that is missing files or does not follow its layout."""


class DownloadError(DatasetError):
    """A download that failed or could not be resumed."""


class ChecksumError(DownloadError):
    """A downloaded file whose checksum differs from the published one."""


class SubmissionError(DlmusicError, ValueError):
    """A submitted notebook that cannot be graded (empty, not JSON, not a notebook)."""
