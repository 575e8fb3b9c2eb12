"""synthetic_scores: works grouped from music21's files, reductions with nothing but notes."""

from __future__ import annotations

import pytest

from dlmusic.datasets import synthetic_scores
from dlmusic.errors import DatasetError

pytest.importorskip("music21")


@pytest.mark.parametrize(
    ("path", "work"),
    [
        ("mozart/k458/movement2.mxl", "mozart/k458"),
        ("bach/bwv248.42-4.mxl", "bach/bwv248"),
        ("bach/bwv10.7.mxl", "bach/bwv10"),
        ("palestrina/Agnus_I_05.krn", "palestrina/mass05"),
        ("palestrina/Kyrie_31_a.krn", "palestrina/mass31"),
        ("palestrina/Credo_b.krn", "palestrina/mass"),
        ("monteverdi/madrigal.3.1_old.mxl", "monteverdi/madrigal.3.1"),
        ("beethoven/opus74.mxl", "beethoven/opus74"),
    ],
)
def test_movements_are_grouped_into_their_work(path, work):
    assert synthetic_scores.work_of(path) == work


def test_every_composer_has_enough_works_and_reserves_two_or_more_for_grading():
    for composer in synthetic_scores.COMPOSERS:
        works = synthetic_scores.composer_works(composer)
        reserved = set(synthetic_scores.reserved_works(composer))
        course = synthetic_scores.shuffled_works(composer, 0)
        assert len(reserved) >= synthetic_scores.HELDOUT_WORKS_PER_COMPOSER
        assert len(course) >= synthetic_scores.MIN_WORKS
        assert not reserved & set(course) and reserved | set(course) == set(works)
        assert set(synthetic_scores.shuffled_works(composer, 5)) == set(course)
        assert set(synthetic_scores.shuffled_works(composer, 5, reserved=True)) == reserved


def test_a_reduction_holds_every_note_on_two_staves_and_no_words():
    from music21 import chord, note

    source = synthetic_scores.opening_measures("bach/bwv64.4.mxl", 4)
    reduction = synthetic_scores.piano_reduction(source)
    treble, bass = reduction.parts
    sounding = sorted(n.pitch.midi for n in source.recurse().getElementsByClass(note.Note))
    written = sorted(
        p.midi
        for part in (treble, bass)
        for c in part.recurse().getElementsByClass(chord.Chord)
        for p in c.pitches
    )
    assert set(written) == set(sounding)
    assert all(
        p.midi >= 60 for c in treble.recurse().getElementsByClass(chord.Chord) for p in c.pitches
    )
    assert all(
        p.midi < 60 for c in bass.recurse().getElementsByClass(chord.Chord) for p in c.pitches
    )
    xml = synthetic_scores._musicxml(reduction)
    for word in ("<lyric", "<words", "<part-name>S", "<metronome", "<dynamics"):
        assert word not in xml
    assert any(n.lyric for n in source.recurse().notes)  # the chorale had words to drop


def test_by_composer_styles_differ_and_keep_a4_proportions():
    options = [
        synthetic_scores.engraving_options(c, "by_composer") for c in synthetic_scores.COMPOSERS
    ]
    assert len({(o["font"], o["scale"], o["pageWidth"]) for o in options}) == len(options)
    for o in options:
        assert o["pageHeight"] == round(o["pageWidth"] * synthetic_scores.A4_RATIO)
    uniform = {
        tuple(sorted(synthetic_scores.engraving_options(c).items()))
        for c in synthetic_scores.COMPOSERS
    }
    assert len(uniform) == 1
    with pytest.raises(DatasetError, match="engraving"):
        synthetic_scores.engraving_options("bach", "fancy")


def test_by_work_styles_are_drawn_per_work_and_the_same_every_time():
    styles = [
        (style["font"], style["scale"], style["pageWidth"])
        for style in synthetic_scores.BY_COMPOSER.values()
    ]
    works = synthetic_scores.shuffled_works("bach", 0)[:12]
    drawn = [synthetic_scores.engraving_options("bach", "by_work", work) for work in works]
    assert all((o["font"], o["scale"], o["pageWidth"]) in styles for o in drawn)
    assert len({o["font"] for o in drawn}) > 1  # not one style for the composer
    again = [synthetic_scores.engraving_options("bach", "by_work", work) for work in works]
    assert drawn == again
