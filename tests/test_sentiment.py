"""Sentence and quote sentiment is TextBlob's Pattern-lexicon sentiment, to the fourth decimal."""

from __future__ import annotations

import pytest
from textblob.en.sentiments import PatternAnalyzer

from toolkit.extract.sentiment import sentiment

TEXTS = [
    "China is wise enough to understand their value.",
    "Certainly the visit itself doesn’t help China’s intention of playing a more active role.",
    "It’s difficult to imagine that Lukashenko could convince China.",
    "The talks were not very productive, officials said.",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_matches_textblob_pattern_analyzer(text):
    if not text.strip():
        assert sentiment(text) == (0.0, 0.0)
        return
    expected = PatternAnalyzer().analyze(text)
    assert sentiment(text) == (round(expected.polarity, 4), round(expected.subjectivity, 4))


def test_negation_lowers_polarity():
    assert sentiment("a very good plan")[0] > 0 > sentiment("not a very good plan")[0]


def test_loaded_lexicon_gives_textblobs_numbers():
    """The plain-dict copy of the lexicon must score exactly as textblob itself does."""
    from textblob import TextBlob

    from toolkit.extract.sentiment import _analyzer

    texts = [
        "This is not a good idea, but it is hardly terrible!",
        "The very best result in years, officials said. Really not bad at all :)",
        "Prices rose 3% in a dull, grey quarter; investors weren't impressed.",
        "An absolutely wonderful, heart-warming and well-known story (!)",
    ]
    for text in texts:
        want = TextBlob(text).sentiment
        got = _analyzer()(text)
        assert (got[0], got[1]) == (want.polarity, want.subjectivity)
        assert want.polarity != 0.0
