"""The Article record every stage of the toolkit passes along."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

PARAGRAPH_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Removed:
    """A line the loader dropped from the body, and why."""

    line: str
    reason: str


@dataclass(frozen=True)
class Article:
    """One news article, cleaned: body paragraphs plus what was removed and why.

    ``text`` is the paragraphs joined by blank lines; every offset the annotators report indexes
    into it.

    >>> a = Article.build(article_id="a", path="x.txt", title="T", paragraphs=["One.", "Two."])
    >>> a.text
    'One.\\n\\nTwo.'
    >>> a.paragraph_offsets()
    [0, 6]
    """

    article_id: str
    path: str
    title: str
    outlet: str
    url: str
    published: str  # ISO date (YYYY-MM-DD) or ""
    authors: tuple[str, ...]
    contributors: tuple[str, ...]
    paragraphs: tuple[str, ...]
    text: str
    removed: tuple[Removed, ...] = ()
    encoding: str = "utf-8"

    @classmethod
    def build(
        cls,
        *,
        article_id: str,
        path: str,
        paragraphs: list[str] | tuple[str, ...],
        title: str = "",
        outlet: str = "",
        url: str = "",
        published: str = "",
        authors: list[str] | tuple[str, ...] = (),
        contributors: list[str] | tuple[str, ...] = (),
        removed: list[Removed] | tuple[Removed, ...] = (),
        encoding: str = "utf-8",
    ) -> Article:
        """Return an Article whose ``text`` is derived from ``paragraphs``."""
        paragraphs = tuple(paragraphs)
        return cls(
            article_id=article_id,
            path=path,
            title=title,
            outlet=outlet,
            url=url,
            published=published,
            authors=tuple(authors),
            contributors=tuple(contributors),
            paragraphs=paragraphs,
            text=PARAGRAPH_SEPARATOR.join(paragraphs),
            removed=tuple(removed),
            encoding=encoding,
        )

    def paragraph_offsets(self) -> list[int]:
        """Return the character offset of each paragraph in ``text``."""
        offsets, pos = [], 0
        for para in self.paragraphs:
            offsets.append(pos)
            pos += len(para) + len(PARAGRAPH_SEPARATOR)
        return offsets

    @property
    def content_hash(self) -> str:
        """Return a hash of everything annotation depends on (title and body)."""
        digest = hashlib.sha256()
        digest.update(self.title.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
        digest.update(self.text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:16]

    @property
    def word_count(self) -> int:
        """Return the number of whitespace-separated words in the body."""
        return len(self.text.split())
