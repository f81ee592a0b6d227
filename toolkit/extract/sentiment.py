"""TextBlob sentiment (the Pattern lexicon shipped inside textblob; no NLTK corpora needed)."""

from __future__ import annotations

import functools


@functools.cache
def _analyzer():
    # textblob.en.sentiment is the Pattern lexicon analyzer that PatternAnalyzer.analyze calls;
    # calling it directly gives the same numbers without the namedtuple class analyze() builds
    # on every call (a third of this layer's time).
    from textblob.en import sentiment as pattern_sentiment

    return pattern_sentiment


def sentiment(text: str) -> tuple[float, float]:
    """Return ``(polarity, subjectivity)`` of ``text``, rounded to 4 places.

    >>> sentiment("a terrible, awful mistake")
    (-1.0, 1.0)
    >>> sentiment("")
    (0.0, 0.0)
    """
    if not text.strip():
        return 0.0, 0.0
    polarity, subjectivity = _analyzer()(text)
    return round(float(polarity), 4), round(float(subjectivity), 4)
