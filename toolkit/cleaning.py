"""Clean pasted or scraped web text into body paragraphs, recording every line it drops and why.

Pure functions of text (no I/O). The rules are general web-page furniture, not one site's:
breadcrumbs glued in front of the headline, the headline repeated in the body, heading lines
(related-story links and sub-headings carry no sentence punctuation), sign-up and video promos,
photo credits, datelines, bylines, and credit lines that name contributors.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from .article import Removed

# C0/C1 control characters other than tab and newline never belong in article text.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff]")
# Lone UTF-16 surrogates (a JSON "\\ud800" escape decodes to one) are not text: no encoder or
# spaCy accepts them, so they become U+FFFD, the replacement character.
_SURROGATE = re.compile("[\ud800-\udfff]")
_BREAKS = {0x0C: "\n\n", 0x2029: "\n\n", 0x0B: "\n", 0x2028: "\n", 0x85: "\n"}
_BLANK_LINES = re.compile(r"\n[ \t\u00a0]*\n\s*")
# A sentence (or a clause cut by the page layout) ends with one of these.
_SENTENCE_END = ".!?:;,…\"”’')]»"

_PROMO = re.compile(
    r"^(advertisement|advertising|story continues below advertisement|skip advertisement)$"
    r"|\bsign up\b|\bsubscribe\b|\bnewsletter\b|\bfollow (us|\w+ opinion)\b"
    r"|join us on (twitter|facebook)"
    r"|^(read|see) (more|also|the rest)\b|^click here\b|^download (the|our) app\b"
    r"|^just watched\b|^video ad feedback\b|^must watch\b|\breplay more videos\b"
    r"|^(share|share this|share on \w+|copy link|comments?|print|email)$"
    r"|^this (story|article) has been updated\b|^editor[’']s note\b|^want to know more\?",
    re.IGNORECASE,
)
# "Name/Getty Images", "AP Photo/Name", "(Photo by Name/AFP)", "Photo: Reuters" at a line end.
_AGENCY = (
    r"(getty images|afp|ap|reuters|bloomberg|epa|efe|xinhua|tass|sputnik|shutterstock|"
    r"pool|ap photo|televisa|anadolu agency|nurphoto|sopa images|lightrocket|imago|alamy|"
    r"zuma press|abaca|picture alliance)"
)
_PHOTO_CREDIT = re.compile(
    r"^(photo|image|picture|credit|photograph)s?\s*(:|by)\s"
    rf"|(?:^|[\s/(]){_AGENCY}\)?$"
    r"|\b[A-Z][\w.'’-]+(?: [A-Z][\w.'’-]+)*/[A-Z][\w ]+(?:/[A-Z][\w ]+)*$",
    re.IGNORECASE,
)
_DATELINE = re.compile(r"^([A-Z][\w.,' -]{0,60} )?(CNN|CNN Business|AP|Reuters|AFP)\s*[—–-]+$")
_BYLINE = re.compile(r"^By (?P<names>[A-Z][\w.'’-]+(?:[ ,]+(?:and )?[A-Z][\w.'’-]+){0,11})$")
_CREDIT = re.compile(
    r"^(?P<names>[A-Z][^.]{1,160}?)(?: in (?P<places>[A-Z][\w ,'-]+?))? contributed"
    r"(?: (?:to )?(?:this )?(?:report|reporting|story|article|research))*\.?$"
    r"|^(?:contributing|additional reporting|reporting)(?: by)?"
    r"\s*:?\s*(?P<names2>[A-Z].{1,160}?)\.?$",
    re.IGNORECASE,
)
_NAME_SPLIT = re.compile(r",\s*(?:and\s+)?|\s+and\s+|\s*&\s*")


def normalize_text(text: str) -> str:
    """Return ``text`` in NFC with Unix newlines and no control characters.

    Curly quotes and apostrophes are kept as they are: quote extraction needs them.

    >>> normalize_text("Cafe\\u0301\\r\\n\\x00“ok”")
    'Café\\n“ok”'
    >>> normalize_text("Page one ends.\\fPage two.")
    'Page one ends.\\n\\nPage two.'
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # a form feed (pdftotext's page break) or U+2029 ends a paragraph; a vertical tab or U+2028
    # ends a line: control characters otherwise, removed, they would glue paragraphs together
    text = text.translate(_BREAKS)
    text = _SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def split_blocks(text: str) -> list[str]:
    """Return the blank-line separated blocks of ``text``, each with its lines joined by spaces.

    >>> split_blocks("Title\\n\\nOne line\\nwrapped.\\n\\n\\n  Two.  ")
    ['Title', 'One line wrapped.', 'Two.']
    """
    blocks = []
    for block in _BLANK_LINES.split(text):
        lines = [line.strip() for line in block.split("\n")]
        joined = " ".join(line for line in lines if line)
        if joined:
            blocks.append(re.sub(r"[ \t]{2,}", " ", joined))
    return blocks


def split_names(names: str) -> list[str]:
    """Return the person names in a credit or byline list.

    >>> split_names("Lyric Li, Ellen Nakashima and Mary Ilyushina")
    ['Lyric Li', 'Ellen Nakashima', 'Mary Ilyushina']
    """
    return [n.strip(" .") for n in _NAME_SPLIT.split(names) if n.strip(" .")]


def norm_key(s: str) -> str:
    """Return ``s`` case-folded with every run of non-word characters one space: the key two
    texts that differ only in case, punctuation or spacing share.

    >>> norm_key("China's  PLAN, ok?")
    'china s plan ok'
    """
    return re.sub(r"\W+", " ", s.casefold()).strip()


def is_heading(block: str) -> bool:
    """Return True for a line that reads as a headline or sub-heading, not a paragraph.

    Headlines of related stories and section sub-headings carry no sentence punctuation at the
    end; real paragraphs, even one-sentence ones, do.

    >>> is_heading("China calls for end of sanctions against Russia, cease-fire in Ukraine")
    True
    >>> is_heading("He declined to comment.")
    False
    >>> is_heading("“It’s difficult,” Li said")
    False
    """
    words = block.split()
    # headlines and sub-headings are short; a longer line without a full stop is a paragraph
    # whose punctuation the page lost
    if not words or len(words) > 20 or len(block) > 200 or block[-1] in _SENTENCE_END:
        return False
    # an attribution cut off at the end ("... Li said") is still a quote paragraph
    return not re.search(r"[”\"]", block)


@dataclass
class Cleaned:
    """The result of cleaning: title, body paragraphs, and what was taken out."""

    title: str
    paragraphs: list[str]
    removed: list[Removed] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)


def clean_blocks(blocks: list[str], *, title: str = "", title_in_body: bool = False) -> Cleaned:
    """Return the cleaned article from its text blocks.

    ``title`` is the known headline (from metadata); when ``title_in_body`` is true and no title
    is known, the first block is taken as the headline (text copied from a web page).

    >>> c = clean_blocks(["Home News Big news today", "Big news today", "It happened.",
    ...                   "Related story headline here", "It went on.",
    ...                   "Jo Lee in Seoul contributed to this report."], title_in_body=True)
    >>> c.title, c.paragraphs, c.contributors
    ('Big news today', ['It happened.', 'It went on.'], ['Jo Lee'])
    >>> [r.reason for r in c.removed]
    ['breadcrumb', 'headline repeated', 'heading line', 'contributor credit']
    """
    out = Cleaned(title=title, paragraphs=[])
    blocks = list(blocks)

    if title_in_body and not title and blocks:
        first = blocks.pop(0)
        second = blocks[0] if blocks else ""
        if second and first != second and norm_key(first).endswith(norm_key(second)):
            # "Home News <headline>": navigation glued in front of the headline
            crumb = first[: len(first) - len(second)].strip()
            out.removed.append(Removed(crumb, "breadcrumb"))
            out.title = second
        else:
            out.title = first
            out.removed.append(Removed(first, "headline"))

    seen_body = False
    for i, block in enumerate(blocks):
        reason = _boilerplate_reason(block, out, first_blocks=not seen_body)
        if (reason is None and not seen_body and out.title
                and norm_key(block) == norm_key(out.title)):
            reason = "headline repeated"
        if reason is None and is_heading(block):
            reason = "heading line" if i + 1 < len(blocks) else "heading line at the end"
        if reason:
            out.removed.append(Removed(block, reason))
        else:
            out.paragraphs.append(block)
            seen_body = True
    return out


def _boilerplate_reason(block: str, out: Cleaned, *, first_blocks: bool) -> str | None:
    """Return why ``block`` is boilerplate (recording credits and bylines), or None."""
    credit = _CREDIT.match(block)
    if credit and len(block.split()) <= 30:
        names = credit.group("names") or credit.group("names2") or ""
        out.contributors.extend(n for n in split_names(names) if n not in out.contributors)
        return "contributor credit"
    byline = _BYLINE.match(block)
    if byline:
        if first_blocks:
            out.authors.extend(
                n for n in split_names(byline.group("names")) if n not in out.authors
            )
        return "byline"
    if _DATELINE.match(block):
        return "dateline"
    if len(block) <= 600 and _PROMO.search(block):
        return "promo"
    if len(block) <= 400 and _PHOTO_CREDIT.search(block):
        return "photo credit"
    return None
