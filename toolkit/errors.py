"""The toolkit's own errors: each names the file, the place and the fix."""

from __future__ import annotations

import re

# Characters a terminal acts on rather than shows: C0 and C1 controls (escape sequences start
# with one), DEL, and the bidirectional overrides and isolates that reorder what follows.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    r"""Return ``text`` with every character a terminal would act on written as an escape.

    A file name (or a title) is printed in messages; one holding an escape sequence or a
    right-to-left override must show as what it is, not recolour or reorder the terminal.

    >>> printable("report\x1b[31m.txt"), printable("evil\u202etxt.exe")
    ('report\\x1b[31m.txt', 'evil\\u202etxt.exe')
    """
    return _UNPRINTABLE.sub(lambda m: (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                                       else f"\\u{ord(m[0]):04x}"), text)


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
        shown = printable(self.path)
        place = f"{shown}: {where}: " if where else f"{shown}: "
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
