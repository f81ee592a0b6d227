"""The toolkit's own errors: each names the file, the place and the fix."""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""


class ArticleFormatError(ToolkitError):
    """An input file or record could not be read as an article.

    >>> str(ArticleFormatError("seeds/x.json", "no text field", where="line 3"))
    'seeds/x.json: line 3: no text field'
    """

    def __init__(self, path: str, reason: str, *, where: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.where = where
        place = f"{self.path}: {where}: " if where else f"{self.path}: "
        super().__init__(place + reason)


class ModelNotFoundError(ToolkitError):
    """No spaCy English model is installed."""


class CodebookError(ToolkitError):
    """A stance codebook is missing, malformed or names an unknown field."""


class GoldFormatError(ToolkitError):
    """A gold file for `toolkit evaluate` is malformed."""

    @classmethod
    def at(cls, path: str, reason: str, *, where: str = "") -> GoldFormatError:
        """Return the error naming the file and the place.

        >>> str(GoldFormatError.at("gold.jsonl", "no text field", where="line 3"))
        'gold.jsonl: line 3: no text field'
        """
        return cls(f"{path}: {where}: {reason}" if where else f"{path}: {reason}")


class SheetError(ToolkitError):
    """A coding sheet cannot be read, trained on or compared (unknown labels, no coded rows)."""
