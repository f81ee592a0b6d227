"""Small synthetic articles shared by the annotation, cache and dask tests (written for the tests,
not copied from any publication)."""

from __future__ import annotations

from toolkit import Article

PARAGRAPHS = [
    [
        "TRADE TALKS STALL IN GENEVA",
        "Trade between the two countries rose 12% to $45 billion in 2022, officials said on "
        "Monday. \"We are not there yet,\" said Maria Lopez, the trade minister of Chile.",
        "Lopez told reporters that talks would resume in March. There is  no deadline.",
    ],
    [
        "The central bank raised its main rate by 0.5 percentage points to 4.25%.",
        "\"Inflation is still too high,\" the bank's governor, Anna Berg, said in Stockholm. "
        "Berg said prices rose 9.1% in the year to January, the fastest pace since 1991.",
    ],
    [
        "Beijing rejected the report. China's foreign ministry spokesman Wang Wenbin said the "
        "claims were \"groundless\".",
        "Analysts in Moscow expect exports to China to reach a record $190 billion this year, "
        "according to the state news agency.",
    ],
    [
        "Heavy rain flooded parts of the city, but no one was hurt.",
        "The mayor, John Smith, said repairs would cost about £2 million.",
    ],
]


def synthetic_articles() -> list[Article]:
    """Return four short articles with quotes, amounts, entities and a headline in capitals."""
    return [
        Article.build(article_id=f"syn-{i:02d}", path=f"syn-{i:02d}.txt", title=f"Story {i}",
                      paragraphs=paras, published="2023-02-24")
        for i, paras in enumerate(PARAGRAPHS)
    ]
