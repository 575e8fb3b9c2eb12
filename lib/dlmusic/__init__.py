"""dlmusic: the shared library behind the course's graded notebooks.

One module per notebook topic (see the README's map): :mod:`dlmusic.audio` and
:mod:`dlmusic.synth` for sound in and out, :mod:`dlmusic.datasets` for the
offline and real corpora, :mod:`dlmusic.display` for players and plots, and
:mod:`dlmusic.course` for run modes and notebook setup.
"""

__version__ = "0.1.0"
