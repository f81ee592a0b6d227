"""Analysis helpers: who the quoted-sources table counts."""

from __future__ import annotations

import pandas as pd

from toolkit.analysis import quoted_sources


def test_quoted_sources_count_people_and_organisations_once():
    quotes = pd.DataFrame({
        "article_id": ["a"] * 5,
        "quote_id": [0, 1, 2, 3, 4],
        "start": [0, 10, 12, 40, 60],
        "kind": ["indirect", "partial", "direct", "indirect", "indirect"],
        "speaker": ["Ann Lee", "Ann Lee", "Ann Lee", "", "Chinese"],
        "speaker_role": [""] * 5,
        "speaker_kind": ["person", "person", "person", "document", "unknown"],
        "part_of": [-1, 0, -1, -1, -1],  # the partial quote lies inside reported speech 0
    })
    sources = quoted_sources(quotes)
    assert sources["speaker"].tolist() == ["Ann Lee"]
    assert sources.loc[0, ["direct", "partial", "indirect", "quotes"]].tolist() == [1, 0, 1, 2]
