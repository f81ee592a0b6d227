"""Split LexisNexis exports into documents: outlet, date, title, authors and body of each, with
every classification line (LOAD-DATE, LANGUAGE, SECTION, copyright, ...) set apart.

Two layouts: the classic ``.TXT`` download (documents start with "N of M DOCUMENTS"; labelled
lines "LABEL: value" in capitals) and the Nexis Uni ``.DOCX`` download (documents end with
"End of Document"; labelled lines "Label:" followed by a no-break space; the body follows a line
"Body"). Pure functions of text (no I/O): :mod:`toolkit.loader` reads the files. The labels and
what each means live in ``toolkit/data/nexis_fields.csv``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache

from .article import Removed
from .cleaning import split_names
from .paths import DATA_DIR

FIELDS_TABLE = DATA_DIR / "nexis_fields.csv"

# "1 of 10 DOCUMENTS" (English), "Dokument 1 von 10" (German), "Document 1 de 10" (French)
_TXT_START = re.compile(
    r"^\s*(?:\d+ of \d+ DOCUMENTS?|Dokument \d+ von \d+|Document \d+ de \d+)\s*$", re.MULTILINE)
_TXT_LABEL = re.compile(r"^([A-ZÄÖÜ][A-ZÄÖÜ-]{1,30}):(?: |$)")
_DOCX_LABEL = re.compile(r"^([A-Za-zÄÖÜäöü][\w -]{1,30}?):\u00a0")
_END = re.compile(r"^\s*End of Document\s*$")
_COPYRIGHT = re.compile(r"^\s*(?:Copyright\b|©|\(c\)\s*\d{4})|All Rights Reserved\s*\.?\s*$",
                        re.IGNORECASE)
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December")
_DATE = re.compile(rf"\b(?P<month>{_MONTHS}) (?P<day>\d{{1,2}}), (?P<year>\d{{4}})\b"
                   rf"|\b(?P<day2>\d{{1,2}})\.? (?P<month2>{_MONTHS}) (?P<year2>\d{{4}})\b")
_COVER_MARKS = re.compile(r"^(?:Job Number:|Documents \(\d+\)$|Client/Matter:|Download Request:)")


@dataclass
class NexisDocument:
    """One document of a Nexis export: metadata as written, body paragraphs, removed lines."""

    number: int  # its place in the file, from 1
    title: str = ""
    outlet: str = ""
    date: str = ""  # as written ("January 11, 2010 Monday"); see :func:`date_of`
    authors: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    removed: list[Removed] = field(default_factory=list)


@lru_cache(maxsize=1)
def field_parts() -> dict[str, tuple[str, str]]:
    """Return {label: (part, field)} from ``toolkit/data/nexis_fields.csv``."""
    with open(FIELDS_TABLE, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        return {row["label"]: (row["part"], row["field"] or "") for row in rows}


def is_nexis_text(text: str) -> bool:
    """True when ``text`` is a classic Nexis .TXT export: a "N of M DOCUMENTS" line and a
    labelled Nexis line (LENGTH:, LOAD-DATE:, ...).

    >>> is_nexis_text("  1 of 2 DOCUMENTS\\n\\nThe Times\\n\\nLENGTH: 5 words\\n\\nText.")
    True
    >>> is_nexis_text("Headline\\n\\n1 of 2 DOCUMENTS were leaked, she said.")
    False
    """
    if not _TXT_START.search(text):
        return False
    parts = field_parts()
    return any(m.group(1) in parts for m in
               (_TXT_LABEL.match(line) for line in text.split("\n")) if m)


def is_nexis_docx(lines: list[str]) -> bool:
    """True when the text lines of a Word file are a Nexis Uni export: an "End of Document"
    line, or its cover page ("Job Number:", "Documents (N)")."""
    return any(_END.match(line) for line in lines) or sum(
        bool(_COVER_MARKS.match(line)) for line in lines[:40]) >= 2


def names_nexis(lines: list[str]) -> bool:
    """True when the first lines of a file name LexisNexis or Nexis Uni (a sign, not proof, that
    the file is an export)."""
    return any(re.search(r"\b(?:Lexis ?Nexis|Nexis Uni)\b", line) for line in lines[:20])


def date_of(written: str) -> str:
    """Return the ISO date in a Nexis date line, or "".

    >>> date_of("January 11, 2010 Monday"), date_of("July 1, 2019 Monday 9:20 AM GMT")
    ('2010-01-11', '2019-07-01')
    >>> date_of("5. July 2019"), date_of("Edition 1;")
    ('2019-07-05', '')
    """
    from .loader import iso_date

    match = _DATE.search(written)
    if not match:
        return ""
    month = match.group("month") or match.group("month2")
    day = match.group("day") or match.group("day2")
    year = match.group("year") or match.group("year2")
    return iso_date(f"{month} {day}, {year}")


def byline_names(byline: str) -> list[str]:
    """Return the person names in a Nexis byline.

    >>> byline_names("BY STEPHEN POLLARD"), byline_names("Ross Ihaka and Robert Gentleman")
    (['Stephen Pollard'], ['Ross Ihaka', 'Robert Gentleman'])
    >>> byline_names("Mattha Busby (now), Andrew Sparrow (earlier)")
    ['Mattha Busby', 'Andrew Sparrow']
    >>> byline_names("Daniel Boffey in Brussels")
    ['Daniel Boffey']
    """
    text = re.sub(r"\([^)]*\)", "", byline)
    text = re.sub(r"^\s*by\s+", "", text, flags=re.IGNORECASE)
    names = []
    for name in split_names(text):
        name = re.sub(r"\s+in\s+[A-Z][\w .'-]*$", "", name).strip()
        if name.isupper():
            name = name.title()
        if name:
            names.append(name)
    return names


# ------------------------------------------------------------------------------------- .TXT


def split_txt(text: str) -> tuple[list[NexisDocument], list[str]]:
    """Return the documents of a classic .TXT export and the cover-page lines before the first.

    >>> docs, cover = split_txt(
    ...     "Download Request: 1-1\\n\\n   1 of 1 DOCUMENTS\\n\\n   The Times (London)\\n\\n"
    ...     "   March 3, 2011 Thursday\\n   Edition 1;\\n\\nBig news\\n\\nBYLINE: Ann Lee\\n\\n"
    ...     "LENGTH: 9 words\\n\\nIt happened\\nyesterday.\\n\\nLOAD-DATE: March 4, 2011\\n\\n"
    ...     "LANGUAGE: ENGLISH\\n\\n   Copyright 2011 Times Newspapers\\n")
    >>> d = docs[0]
    >>> d.outlet, d.date, d.title, d.authors
    ('The Times (London)', 'March 3, 2011 Thursday', 'Big news', ['Ann Lee'])
    >>> d.paragraphs
    ['It happened yesterday.']
    >>> [r.reason for r in d.removed]
    ['Nexis document number', 'Nexis edition', 'Nexis field BYLINE', 'Nexis field LENGTH', \
'Nexis field LOAD-DATE', 'Nexis field LANGUAGE', 'Nexis copyright line']
    >>> cover
    ['Download Request: 1-1']
    """
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines) if _TXT_START.match(line)]
    if not starts:
        return [], [line.strip() for line in lines if line.strip()]
    cover = [line.strip() for line in lines[:starts[0]] if line.strip()]
    docs = []
    for n, (start, end) in enumerate(zip(starts, starts[1:] + [len(lines)], strict=True),
                                     start=1):
        doc = NexisDocument(number=n, removed=[Removed(lines[start].strip(),
                                                       "Nexis document number")])
        groups = _groups(lines[start + 1:end])
        body_at = _txt_header(doc, groups)
        _body(doc, [" ".join(g) for g in groups[body_at:]], _txt_label)
        docs.append(doc)
    return docs, cover


def _groups(lines: list[str]) -> list[list[str]]:
    """Return the runs of non-blank lines (each stripped)."""
    groups: list[list[str]] = [[]]
    for line in lines:
        if line.strip():
            groups[-1].append(line.strip())
        elif groups[-1]:
            groups.append([])
    return [g for g in groups if g]


def _txt_label(line: str) -> tuple[str, str] | None:
    """Return (label, value) of a labelled .TXT line whose label is in the table."""
    match = _TXT_LABEL.match(line)
    if match and match.group(1) in field_parts():
        return match.group(1), line[match.end():].strip()
    return None


def _txt_header(doc: NexisDocument, groups: list[list[str]]) -> int:
    """Fill the document's head from ``groups``; return the index of the first body group.

    The head ends with its last labelled field before the body (LENGTH, as LexisNexisTools
    takes it); the first group is the outlet, the group opening with a date holds the date and
    the edition lines, other unlabelled groups are the title.
    """
    parts = field_parts()
    end = 0
    for i, group in enumerate(groups):
        label = _txt_label(group[0])
        if label and parts[label[0]][0] == "trailer":
            break
        if label and parts[label[0]][0] in ("header", "body"):
            end = i + 1
    if not end:  # no labelled head: outlet, date and title, as far as they are there
        end = min(len(groups), 3)
    title = []
    for i, group in enumerate(groups[:end]):
        text = " ".join(group)
        if (label := _txt_label(group[0])) is not None:
            _take_field(doc, label, text)
        elif _COPYRIGHT.search(text):
            doc.removed.append(Removed(text, "Nexis copyright line"))
        elif not doc.date and date_of(group[0]) and i <= 1:
            doc.date = group[0]
            if len(group) > 1:
                doc.removed.append(Removed(" ".join(group[1:]), "Nexis edition"))
        elif i == 0:
            doc.outlet = text
        else:
            title.append(text)
    doc.title = doc.title or " ".join(title)
    return end


# ------------------------------------------------------------------------------------ .DOCX


def split_docx(lines: list[str]) -> tuple[list[NexisDocument], list[str]]:
    """Return the documents of a Nexis Uni Word export (its text lines, "" for an empty
    paragraph) and the cover-page lines before the first.

    >>> docs, cover = split_docx(["Documents (1)", "1. Big news", "", "", "", "Big news",
    ...     "The Guardian(London)", "July 1, 2019 Monday 9:20 AM GMT", "",
    ...     "Copyright 2019 The Guardian", "Length:\\u00a0355 words", "Byline:\\u00a0Ann Lee",
    ...     "Body", "It happened.", "", "Classification", "Language:\\u00a0ENGLISH",
    ...     "End of Document"])
    >>> d = docs[0]
    >>> d.outlet, d.date, d.title, d.authors, d.paragraphs
    ('The Guardian(London)', 'July 1, 2019 Monday 9:20 AM GMT', 'Big news', ['Ann Lee'], \
['It happened.'])
    >>> [r.reason for r in d.removed]
    ['Nexis copyright line', 'Nexis field LENGTH', 'Nexis field BYLINE', 'Nexis field BODY', \
'Nexis field CLASSIFICATION', 'Nexis field LANGUAGE', 'Nexis end of document']
    >>> cover
    ['Documents (1)', '1. Big news']
    """
    ends = [i for i, line in enumerate(lines) if _END.match(line)]
    docs: list[NexisDocument] = []
    cover: list[str] = []
    start = 0
    for n, end in enumerate(ends, start=1):
        doc = NexisDocument(number=n)
        chunk = lines[start:end]
        before: list[str] = []  # lines before the head: the cover page for the first
        body_at = _docx_header(doc, chunk, before)
        if n == 1:
            cover = before
        else:  # none in a sound export; kept with the document rather than dropped
            doc.removed[:0] = [Removed(line, "Nexis line before the head") for line in before]
        _body(doc, [line.strip() for line in chunk[body_at:] if line.strip()], _docx_label)
        doc.removed.append(Removed(lines[end].strip(), "Nexis end of document"))
        docs.append(doc)
        start = end + 1
    if not ends:
        cover = [line.strip() for line in lines if line.strip()]
    elif docs:  # none in a sound export; kept with the last document rather than dropped
        docs[-1].removed += [Removed(line.strip(), "Nexis line after the last document")
                             for line in lines[start:] if line.strip()]
    return docs, cover


def _docx_label(line: str) -> tuple[str, str] | None:
    """Return (label, value) of a labelled Nexis Uni line ("Label:" and a no-break space, or a
    heading such as "Body" or "Classification" alone) whose label is in the table."""
    parts = field_parts()
    match = _DOCX_LABEL.match(line)
    if match:
        label = match.group(1).upper().replace(" ", "-")
        if label in parts:
            return label, line[match.end():].strip()
    heading = line.strip().upper()
    if heading in parts and " " not in heading:
        return heading, ""
    return None


def _docx_header(doc: NexisDocument, chunk: list[str], cover: list[str]) -> int:
    """Fill the document's head from the lines of ``chunk``; return where its body starts.

    The head is the lines before "Body" (or, without one, up to its last labelled field). Its
    title, outlet and date are the run of lines (between empty ones) that ends with the date
    line: title, then outlet, then date. Lines before that run are a cover page.
    """
    labels = [_docx_label(line) for line in chunk]
    parts = field_parts()
    body = next((i for i, lab in enumerate(labels) if lab and parts[lab[0]][0] == "body"), None)
    if body is None:
        fields = [i for i, lab in enumerate(labels) if lab and parts[lab[0]][0] == "header"]
        body = fields[-1] if fields else -1
    head_end = body + 1
    date_at = next((i for i in range(head_end - 1, -1, -1)
                    if not labels[i] and date_of(chunk[i]) and not _COPYRIGHT.search(chunk[i])),
                   None)
    run_start = 0
    if date_at is not None:
        run_start = date_at
        while run_start > 0 and chunk[run_start - 1].strip():
            run_start -= 1
        doc.date = chunk[date_at].strip()
        run = [line.strip() for line in chunk[run_start:date_at]]
        if run:
            doc.outlet = run[-1]
            doc.title = " ".join(run[:-1])
    cover.extend(line.strip() for line in chunk[:run_start] if line.strip())
    after = date_at + 1 if date_at is not None else run_start
    for i in range(after, head_end):
        line = chunk[i].strip()
        if not line:
            continue
        if labels[i]:
            _take_field(doc, labels[i], line)
        elif _COPYRIGHT.search(line):
            doc.removed.append(Removed(line, "Nexis copyright line"))
        else:
            doc.removed.append(Removed(line, "Nexis head line"))
    return head_end


# ------------------------------------------------------------------------------------ shared


def _take_field(doc: NexisDocument, label: tuple[str, str], line: str) -> None:
    name, value = label
    doc.removed.append(Removed(line, f"Nexis field {name}"))
    target = field_parts()[name][1]
    if target == "authors" and value and not doc.authors:
        doc.authors = byline_names(value)
    elif target == "title" and value and not doc.title:
        doc.title = value


def _body(doc: NexisDocument, blocks: list[str], label_of) -> None:
    """Fill the document's body from ``blocks``: labelled lines and copyright lines are removed
    wherever they stand; from the first trailer field on, everything is classification."""
    parts = field_parts()
    trailer = False
    for block in blocks:
        label = label_of(block)
        if label:
            trailer = trailer or parts[label[0]][0] == "trailer"
            _take_field(doc, label, block)
        elif _COPYRIGHT.search(block):
            doc.removed.append(Removed(block, "Nexis copyright line"))
        elif trailer:
            doc.removed.append(Removed(block, "Nexis classification"))
        else:
            doc.paragraphs.append(block)
