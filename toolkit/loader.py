"""Read articles from files and folders: the only code in the toolkit that reads article files.

Formats: ``.txt``/``.md`` (text copied from a web page), ``.html``/``.htm`` (a saved page; the main
text is extracted by trafilatura), ``.json`` (one article object or a list), ``.jsonl`` (one per
line), ``.csv`` (one per row), ``.docx`` and ``.pdf`` (a saved article, read by python-docx and
pypdf), and LexisNexis exports (``.TXT`` and ``.DOCX``, told apart from a single article by their
content; split by :mod:`toolkit.nexis`). One bad file or record never stops the batch: it is
skipped and named, with the reason and what to do, in ``LoadResult.skipped``.
"""

from __future__ import annotations

import csv
import datetime as dt
import email.utils
import io
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .article import Article, Removed
from .cleaning import clean_blocks, norm_key, normalize_text, split_blocks, split_names
from .errors import ArticleFormatError

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SUFFIXES = (".txt", ".md", ".html", ".htm", ".json", ".jsonl", ".csv", ".docx", ".pdf")
# read as bytes by their own readers (never decoded as text)
BINARY_SUFFIXES = (".docx", ".pdf")
SIDECAR_SUFFIX = ".meta.json"

# Field names seen in the wild, in order of preference (matched case-insensitively).
FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("text", "body", "content", "article", "full_text", "maintext"),
    "title": ("title", "headline", "heading"),
    "published": ("published", "date", "publish_date", "published_at", "pubdate", "date_publish",
                  "seendate"),
    "url": ("url", "link", "href"),
    "authors": ("authors", "author", "byline", "by"),
    "outlet": ("outlet", "source", "publisher", "site", "sitename", "media_name", "domain"),
    "id": ("id", "article_id", "uid", "guid", "stories_id"),
    "contributors": ("contributors",),
}


@dataclass(frozen=True)
class Skipped:
    """A file or record that was not loaded, with the reason and the fix."""

    path: str
    reason: str
    where: str = ""

    def __str__(self) -> str:
        return str(ArticleFormatError(self.path, self.reason, where=self.where))


class LoadResult(list[Article]):
    """The loaded articles (a list), plus ``skipped``: what could not be loaded and why."""

    def __init__(self, articles: Iterable[Article] = (), skipped: Iterable[Skipped] = ()):
        super().__init__(articles)
        self.skipped: list[Skipped] = list(skipped)

    def summary(self) -> str:
        """Return a short report: loaded N, skipped M with the reasons."""
        lines = [f"loaded {len(self)} article(s), skipped {len(self.skipped)}"]
        lines += [f"  skipped {s}" for s in self.skipped]
        return "\n".join(lines)


def load_articles(
    paths: str | os.PathLike | Iterable[str | os.PathLike],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    follow_links: bool = False,
    text_from: str | os.PathLike | None = None,
) -> LoadResult:
    """Return the articles found in ``paths`` (files or folders, searched recursively).

    Folders are walked in sorted order; hidden files, ``README*``, ``*.meta.json`` sidecars and
    ``labels/`` folders are not articles. Articles with the same normalised text are kept once.
    A symbolic link in a folder whose target lies outside that folder is skipped and named
    unless ``follow_links``; links to folders are never followed. Only regular files are read.
    ``text_from``: a folder of saved pages that give the text of the stories in story lists
    without text (Media Cloud, GDELT CSV exports), matched by URL.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    result = LoadResult()
    pages = None
    if text_from is not None:
        from .readers import SavedPages

        pages = SavedPages(Path(text_from), max_bytes=max_bytes, follow_links=follow_links)
    read: list[tuple[int, Article]] = []  # (position in the input order, article)
    for path in _expand(paths, result, follow_links=follow_links):
        read.extend((len(read), a) for a in
                    read_one(path, result.skipped, max_bytes=max_bytes, pages=pages))
    if pages is not None:
        result.skipped.extend(pages.left_over())
    kept = _keep_once(read, result.skipped)
    result.extend(article for _, article in sorted(kept, key=lambda pa: pa[0]))
    for skipped in result.skipped:
        log.warning("skipped %s", skipped)
    return result


def read_one(path: Path, skipped: list[Skipped], *, max_bytes: int,
             pages: Any = None) -> list[Article]:
    """Return the articles of one file; what cannot be read is added to ``skipped`` (the
    articles read before a failure are kept)."""
    articles: list[Article] = []
    try:
        articles.extend(_read_file(path, max_bytes=max_bytes, skipped=skipped, pages=pages))
    except ArticleFormatError as err:
        skipped.append(Skipped(err.path, err.reason, err.where))
    except Exception as err:  # noqa: BLE001 -- one file never stops the batch
        skipped.append(Skipped(str(path), _failure_reason(path, err)))
    return articles


def _failure_reason(path: Path, err: Exception) -> str:
    """Return the skip reason for an unexpected error while reading ``path``.

    Only the error's type is named (and, for a missing module, its name): an error's message can
    quote the file, and a skip message never echoes file contents.
    """
    log.debug("reading %s failed", path, exc_info=err)
    if isinstance(err, RecursionError):
        return "nested too deeply to read: flatten the file"
    if isinstance(err, MemoryError):
        return "not enough memory to read this file: split it into smaller files"
    if isinstance(err, ImportError):
        return (f"the {path.suffix.lower() or 'file'} reader is not installed properly "
                f"({type(err).__name__}: {err.name or 'a module'}): reinstall the toolkit "
                "(`make install`)")
    return (f"the {path.suffix.lower() or 'file'} reader failed ({type(err).__name__}): "
            "re-save the file, or report it as a bug")


def _keep_once(
    read: list[tuple[int, Article]], skipped: list[Skipped]
) -> list[tuple[int, Article]]:
    """Return the articles with each normalised text once, ids made unique.

    Which copy is kept, and which id gets a ``~N`` suffix, must not depend on the order the
    files were given in: they are decided in order of path (and, within one file, of record),
    so the copy with the smallest path is kept.
    """
    seen_text: dict[str, str] = {}
    seen_ids: set[str] = set()
    kept = []
    for position, article in sorted(read, key=lambda pa: (pa[1].path, pa[0])):
        key = norm_key(article.text)
        if key in seen_text:
            skipped.append(Skipped(
                article.path, f"duplicate of article {seen_text[key]} (same text; of the "
                "copies, the one with the smallest path is kept)", article.article_id))
            continue
        if article.article_id in seen_ids:
            article = _with_id(article, _unique_id(article.article_id, seen_ids))
        seen_text[key] = article.article_id
        seen_ids.add(article.article_id)
        kept.append((position, article))
    return kept


def _with_id(article: Article, article_id: str) -> Article:
    from dataclasses import replace

    return replace(article, article_id=article_id)


def _unique_id(base: str, seen: set[str]) -> str:
    n = 2
    while f"{base}~{n}" in seen:
        n += 1
    return f"{base}~{n}"


def _expand(paths: Iterable[str | os.PathLike], result: LoadResult,
            *, follow_links: bool = False) -> Iterator[Path]:
    """Yield the article files under ``paths``; every other file, an empty folder, a path
    that does not exist and a link leaving its folder are named in ``result.skipped``."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            top = os.path.realpath(path)
            found = False
            for root, dirs, files in os.walk(path, onerror=None, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")) and d != "labels")
                for name in [d for d in dirs if os.path.islink(os.path.join(root, d))]:
                    # os.walk never enters a linked folder: say so rather than drop it silently
                    found = True
                    dirs.remove(name)
                    result.skipped.append(Skipped(
                        str(Path(root) / name), "link to a folder: not followed (folders are "
                        "searched without following links); pass the folder's own path"))
                for name in sorted(files):
                    if _is_article_name(name):
                        found = True
                        if not follow_links and _leaves(Path(root) / name, top):
                            result.skipped.append(Skipped(
                                str(Path(root) / name), "link to a file outside the folder: "
                                "not followed (nothing outside the articles folder is read); "
                                "copy the file in, or allow it (load_articles(follow_links=True),"
                                " --follow-links)"))
                            continue
                        yield Path(root) / name
                    elif not _is_companion_name(name):
                        found = True
                        result.skipped.append(Skipped(str(Path(root) / name), _unread_reason(name)))
            if not found:
                result.skipped.append(Skipped(
                    str(path), "folder holds no article files: put the articles in it as "
                    f"{', '.join(SUFFIXES)} files"))
        elif path.exists() or path.is_symlink():
            yield path
        else:
            result.skipped.append(
                Skipped(str(path), "no such file or folder: check the path (it is relative to "
                        f"{Path.cwd()})")
            )


def _leaves(path: Path, top: str) -> bool:
    """True when ``path`` is a symbolic link whose target (all links resolved) is not inside the
    folder ``top`` (itself resolved)."""
    if not path.is_symlink():
        return False
    target = os.path.realpath(path)
    return os.path.commonpath([top, target]) != top


def _is_article_name(name: str) -> bool:
    return name.lower().endswith(SUFFIXES) and not _is_companion_name(name)


def _is_companion_name(name: str) -> bool:
    """True for the files a folder of articles may hold beside them: hidden files, READMEs and
    metadata sidecars (never articles, so never named as skipped)."""
    lower = name.lower()
    return lower.startswith((".", "_", "readme")) or lower.endswith(SIDECAR_SUFFIX)


# Formats researchers save articles in that the loader does not read, with what to do instead.
_UNREAD_FORMATS = {
    ".doc": "Word 97-2003 (.doc)", ".odt": "OpenDocument", ".rtf": "RTF", ".pages": "Pages",
}


def _unread_reason(name: str) -> str:
    suffix = Path(name).suffix.lower()
    readable = ", ".join(SUFFIXES)
    if suffix in _UNREAD_FORMATS:
        return (f"{_UNREAD_FORMATS[suffix]} files are not read: save the article as Word "
                f"(.docx), PDF or a web page (.html), or copy its text into a .txt file "
                f"(read: {readable})")
    return f"not an article file ({suffix or 'no extension'}): the loader reads {readable}"


# --------------------------------------------------------------------------------------- bytes


def read_bytes(path: Path, *, max_bytes: int) -> bytes:
    """Return the bytes of ``path``, refusing unreadable, empty or oversized files."""
    try:
        # a named pipe, a device or a link to stdin would block or never end: checked before
        # opening, and again on the open file (O_NONBLOCK: opening a pipe does not wait)
        _regular(path, os.stat(path).st_mode)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fd)
            _regular(path, info.st_mode)
            size = info.st_size
            if size > max_bytes:
                raise ArticleFormatError(
                    path, f"file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB "
                    "limit: split it, or raise the limit (load_articles(max_bytes=...), --max-mb)"
                )
            data = fh.read(max_bytes + 1)
    except PermissionError:
        raise ArticleFormatError(path, "permission denied: make the file readable") from None
    except OSError as err:
        raise ArticleFormatError(path, f"cannot read the file ({err.strerror or err}): "
                                 "check that it is a regular file") from None
    if len(data) > max_bytes:
        raise ArticleFormatError(path, f"file grew over the {max_bytes / 2**20:g} MB limit")
    if not data.strip():
        raise ArticleFormatError(path, "file is empty: remove it or add the article text")
    return data


def _regular(path: Path, mode: int) -> None:
    import stat

    if not stat.S_ISREG(mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(mode) else
                "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
                "a socket" if stat.S_ISSOCK(mode) else "not a file")
        raise ArticleFormatError(path, f"{kind}, not a regular file: only regular files are "
                                 "read; save the article as a file")


def decode(data: bytes, path: Path) -> tuple[str, str]:
    """Return ``(text, encoding)``: UTF-8 first, then the encoding charset-normalizer detects."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:8192]:
        raise ArticleFormatError(
            path, "binary file (NUL bytes): this is not a text article; export it as "
            ".txt, .html, .json, .jsonl or .csv"
        )
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as err:
        first_bad = err.start
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > 0.3:
        raise ArticleFormatError(
            path, f"undecodable bytes (not UTF-8 from byte {first_bad}, and no other encoding "
            "fits): re-save the file as UTF-8"
        )
    return str(best), best.encoding


# --------------------------------------------------------------------------------------- formats


def _read_file(path: Path, *, max_bytes: int, skipped: list[Skipped],
               pages: Any = None) -> Iterator[Article]:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ArticleFormatError(path, _unread_reason(path.name))
    if suffix in BINARY_SUFFIXES:
        from . import readers

        data = read_bytes(path, max_bytes=max_bytes)
        reader = readers.read_docx if suffix == ".docx" else readers.read_pdf
        yield from reader(path, data, max_bytes=max_bytes, skipped=skipped)
        return
    text, encoding = decode(read_bytes(path, max_bytes=max_bytes), path)
    from .nexis import is_nexis_text  # here: its tables are not read by `import toolkit`

    if suffix in (".txt", ".md"):
        text = normalize_text(text)
        if suffix == ".txt" and is_nexis_text(text):
            from . import readers

            yield from readers.from_nexis_txt(path, text, encoding, skipped)
        else:
            yield _from_pasted_text(path, text, encoding)
    elif suffix in (".html", ".htm"):
        yield _from_html(path, text, encoding)
    elif suffix == ".json":
        yield from _from_records(path, _json_records(path, text), encoding, skipped, "item")
    elif suffix == ".jsonl":
        yield from _from_records(path, _jsonl_records(path, text, skipped), encoding, skipped,
                                 "line")
    elif is_story_list(_csv_columns(text)):
        from . import readers

        rows = _csv_records(path, text, skipped, need_text=False)
        yield from readers.from_story_list(path, rows, pages, skipped)
    else:
        yield from _from_records(path, _csv_records(path, text, skipped), encoding, skipped,
                                 "row")


def _sidecar(path: Path) -> dict[str, Any]:
    """Return the metadata in ``<name>.meta.json`` beside a text or HTML article, if any."""
    meta = path.with_name(path.stem + SIDECAR_SUFFIX)
    if not meta.exists():
        return {}
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ArticleFormatError(meta, f"metadata sidecar is not valid JSON ({err}): fix it or "
                                 "remove it") from None
    if not isinstance(data, dict):
        raise ArticleFormatError(meta, "metadata sidecar must be one JSON object")
    return data


def _from_pasted_text(path: Path, text: str, encoding: str) -> Article:
    """Return the article of a pasted .txt or .md file (``text`` already normalised)."""
    meta = _sidecar(path)
    title = _text_value(_field(meta, "title"))
    if path.suffix.lower() == ".md":
        # a leading "# Title" is the headline
        match = re.match(r"\s*#\s+(.+)\n", text)
        if match and not title:
            title, text = match.group(1).strip(), text[match.end():]
        text = re.sub(r"(?m)^#{1,6}\s+", "", text)
    return _from_blocks(path, split_blocks(text), encoding, meta=meta, title=title)


def _from_blocks(path: Path, blocks: list, encoding: str, *, meta: dict[str, Any] | None = None,
                 title: str = "", removed: Sequence[Removed] = ()) -> Article:
    """Return the one article of ``path`` from its text blocks, cleaned by the web rules: the
    title from ``title``, else its sidecar (``meta``, read when not given), else the first lines;
    ``removed`` goes first among the removed lines."""
    meta = _sidecar(path) if meta is None else meta
    title = title or _text_value(_field(meta, "title"))
    cleaned = clean_blocks(blocks, title=title, title_in_body=not title)
    cleaned.removed[:0] = list(removed)
    return _article(path, path.stem, meta, cleaned, encoding)


# libxml2 refuses a text node or an attribute over 10,000,000 characters unless asked for a
# "huge tree": a page saver's inline image or a pasted article in one node is enough to lose the
# article. Inline data (data: URIs) and long whitespace runs never hold article text: removed
# before parsing.
_LIBXML_NODE_LIMIT = 10_000_000
_INLINE_DATA = re.compile(r"data:[\w/+.-]*(?:;[\w=.-]+)*,[^\"'\s<>)]{1000,}")
_LONG_WHITESPACE = re.compile(r"\s{10000,}")


def _from_html(path: Path, html: str, encoding: str) -> Article:
    import trafilatura

    html = _LONG_WHITESPACE.sub("\n", _INLINE_DATA.sub("data:,", html))
    huge = _longest_piece(html) > _LIBXML_NODE_LIMIT
    source: Any = html
    if huge:  # parsed here without libxml2's limit (trafilatura's own parser keeps it)
        import lxml.html

        source = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    doc = trafilatura.bare_extraction(
        source, with_metadata=True, include_comments=False, include_tables=False,
        favor_precision=True,
    )
    body = getattr(doc, "text", None) if doc is not None else None
    if not body or not body.strip():
        big = (" (it holds a single text node or attribute of over 10 MB, which can defeat "
               "the HTML parser)" if huge else "")
        raise ArticleFormatError(
            path, f"no article body found in this HTML page{big}: save the full article page, "
            "or paste its text into a .txt file"
        )
    meta = {
        "title": doc.title or "",
        "authors": doc.author or "",
        "published": doc.date or "",
        "outlet": doc.sitename or "",
        "url": doc.url or _saved_from(html),
    }
    meta.update({k: v for k, v in _sidecar(path).items() if v})
    # trafilatura puts one paragraph per line
    blocks = split_blocks(normalize_text(body).replace("\n", "\n\n"))
    cleaned = clean_blocks(blocks, title=str(meta["title"]))
    return _article(path, path.stem, meta, cleaned, encoding)


def _saved_from(html: str) -> str:
    """Return the address in a browser's ``<!-- saved from url=(0042)https://... -->`` comment.

    >>> _saved_from("<!DOCTYPE html><!-- saved from url=(0021)https://example.org/a -->")
    'https://example.org/a'
    """
    match = re.search(r"<!-- saved from url=\(\d+\)(\S+?) ?-->", html[:4096])
    return match.group(1) if match else ""


def _longest_piece(html: str) -> int:
    """Return the length of the longest stretch of ``html`` between two "<" (a text node, or a
    tag with its attributes), without copying the page."""
    if len(html) <= _LIBXML_NODE_LIMIT:
        return len(html)
    longest = pos = 0
    while (nxt := html.find("<", pos)) >= 0:
        longest, pos = max(longest, nxt - pos), nxt + 1
    return max(longest, len(html) - pos)


def _json_records(path: Path, text: str) -> list[tuple[int, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ArticleFormatError(
            path, f"JSON does not parse ({err.msg}): fix the file, or use .jsonl for one "
            "article per line", where=f"line {err.lineno}"
        ) from None
    except (ValueError, RecursionError) as err:
        raise ArticleFormatError(path, _json_limit_reason(err)) from None
    if isinstance(data, dict):
        for key in ("articles", "items", "data", "records"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
        else:
            data = [data]
    if not isinstance(data, list):
        raise ArticleFormatError(path, "JSON must be an article object or a list of them")
    return list(enumerate(data, start=1))


def _jsonl_records(path: Path, text: str, skipped: list[Skipped]) -> Iterator[tuple[int, Any]]:
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as err:
            skipped.append(Skipped(str(path), f"JSON does not parse ({err.msg}): fix or remove "
                                   "this line", f"line {lineno}"))
        except (ValueError, RecursionError) as err:
            skipped.append(Skipped(str(path), _json_limit_reason(err), f"line {lineno}"))


def _json_limit_reason(err: Exception) -> str:
    """Return the skip reason for JSON that parses but is past Python's limits."""
    if isinstance(err, RecursionError):
        return "JSON nested too deeply to read (thousands of levels): flatten it"
    # int("9" * 5000) refuses numbers of over sys.get_int_max_str_digits() digits
    return ("JSON holds a number too long to read (thousands of digits): write it as a "
            "string, or remove it")


def _csv_reader(text: str) -> tuple[csv.DictReader, Any]:
    """Return a DictReader over the CSV ``text`` and its dialect (``,`` ``;`` or tab)."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(1 << 30)
    # newline="": the csv module splits rows itself, so a lone "\r" ends a row as in a
    # spreadsheet (any other newline handling makes it an error inside an unquoted field)
    return csv.DictReader(io.StringIO(text, newline=""), dialect=dialect), dialect


def _csv_columns(text: str) -> list[str]:
    """Return the CSV's column names, lower case ([] when its header does not parse)."""
    try:
        return [c.strip().lower() for c in (_csv_reader(text)[0].fieldnames or [])]
    except csv.Error:
        return []


def is_story_list(columns: list[str]) -> bool:
    """True for the columns of a story list without text (a Media Cloud or GDELT export): a
    URL column and a title or date column, and no text column.

    >>> is_story_list(["id", "indexed_date", "language", "media_name", "media_url",
    ...                "publish_date", "title", "url"])
    True
    >>> is_story_list(["title", "url", "text"]), is_story_list(["title", "summary"])
    (False, False)
    """
    names = set(columns)
    return (not names & set(FIELDS["text"]) and bool(names & set(FIELDS["url"]))
            and bool(names & (set(FIELDS["title"]) | set(FIELDS["published"]))))


def _csv_records(path: Path, text: str, skipped: list[Skipped],
                 *, need_text: bool = True) -> list[tuple[int, Any]]:
    reader, dialect = _csv_reader(text)
    rows: list[tuple[int, Any]] = []
    try:
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
        if need_text and not any(c in FIELDS["text"] for c in columns):
            raise ArticleFormatError(
                path, f"CSV has no text column (found: {_column_names(columns)}): name "
                f"the article text column one of {', '.join(FIELDS['text'])}", where="row 1"
            )
        # row numbers count the header as row 1, as a spreadsheet shows them
        lines: dict[int, tuple[int, int]] = {}  # row -> its first and last line in the file
        for n, row in enumerate(reader, start=2):
            lines[n] = (lines[n - 1][1] + 1 if n > 2 else 2, reader.line_num)
            rows.append((n, row))
    except csv.Error as err:
        raise ArticleFormatError(
            path, f"CSV does not parse ({err}): re-save it from a spreadsheet as CSV (UTF-8)",
            where=f"row {len(rows) + 1 + bool(reader.fieldnames)}",
        ) from None
    swallowed = _swallowed_rows(rows, reader.fieldnames or [], dialect)
    for n, count in swallowed.items():
        first, last = lines[n]
        skipped.append(Skipped(
            str(path), f"an unbalanced quote (\") in this row swallowed the {count} row(s) "
            f"after it into one field (lines {first}-{last} of the file): close the quote, or "
            'write a quote inside a field as two ("")', f"row {n}"))
    return [(n, row) for n, row in rows if n not in swallowed]


# A value of a column that holds numbers or dates only (an id, a date): the shape by which a
# line inside a quoted field is recognised as a row that an unbalanced quote swallowed.
_TYPED_VALUE = re.compile(r"[\d\s:/.,+-]*\d[\d\s:/.,+-]*")


def _swallowed_rows(rows: list[tuple[int, Any]], fieldnames: list[str],
                    dialect: Any) -> dict[int, int]:
    """Return {row: how many rows it swallowed} for the rows in which an unbalanced quote made
    one field run on over the rows after it.

    Line breaks inside a quoted field are legitimate (paragraphs); a line in a field is taken
    for a swallowed row only when it parses as a row of the header's shape: as many fields as
    columns, a number or date where every other row has one (an id, a date column), and, when
    no column is typed so, short values outside the text column.
    """
    width = len(fieldnames)
    if width < 2:
        return {}
    plain = [row for _, row in rows if not any("\n" in (v or "") for v in row.values()
                                               if isinstance(v, str))]
    typed = [i for i, name in enumerate(fieldnames)
             if plain and all(_TYPED_VALUE.fullmatch(row.get(name) or "") for row in plain)]
    text_columns = {i for i, name in enumerate(fieldnames)
                    if str(name).strip().lower() in FIELDS["text"]}

    def row_shaped(line: str) -> bool:
        fields = next(csv.reader([line], dialect), [])
        if len(fields) != width:
            return False
        if typed:
            return all(_TYPED_VALUE.fullmatch(fields[i]) for i in typed)
        return all(len(f) <= 60 for i, f in enumerate(fields) if i not in text_columns)

    found = {}
    for n, row in rows:
        for value in row.values():
            if isinstance(value, str) and "\n" in value:
                count = sum(row_shaped(line) for line in value.split("\n")[1:])
                if count:
                    found[n] = max(found.get(n, 0), count)
    return found


def _column_names(columns: list[str]) -> str:
    """Return the header's column names for a message: only names that look like column names
    (a first line that is data, such as a password file's, is never echoed).

    >>> _column_names(["title", "date"]), _column_names(["root:$6$x1:19000:0"]), _column_names([])
    ('title, date', '1 column that is not a name', 'none')
    """
    names = [c for c in columns if re.fullmatch(r"[\w .-]{1,40}", c)]
    others = len(columns) - len(names)
    if others:
        names.append(f"{others} column{'s' * (others > 1)} that {'are' if others > 1 else 'is'} "
                     f"not a name")
    return ", ".join(names) or "none"


def _field(record: dict[str, Any], name: str) -> Any:
    lowered = {str(k).strip().lower(): v for k, v in record.items() if k is not None}
    for key in FIELDS[name]:
        value = lowered.get(key)
        if value not in (None, "", []):
            return value
    return None


def _from_records(
    path: Path,
    records: Iterable[tuple[int, Any]],
    encoding: str,
    skipped: list[Skipped],
    unit: str,
) -> Iterator[Article]:
    for n, record in records:
        where = f"{unit} {n}"
        try:
            article = _record_article(path, n, record, encoding)
        except ArticleFormatError as err:
            skipped.append(Skipped(str(path), err.reason, where))
            continue
        except Exception as err:  # noqa: BLE001 -- one record never stops the file
            skipped.append(Skipped(str(path), _failure_reason(path, err), where))
            continue
        yield article


def _record_article(path: Path, n: int, record: Any, encoding: str) -> Article:
    """Return the article of one JSON/JSONL/CSV record; raise ArticleFormatError naming why not."""
    if not isinstance(record, dict):
        raise ArticleFormatError(path, "record is not an object: each article must be a JSON "
                                 "object with a text field")
    body = _field(record, "text")
    if body is not None and not isinstance(body, str):
        name = next(k for k in record if str(k).strip().lower() in FIELDS["text"]
                    and record[k] is body)
        raise ArticleFormatError(path, f"the text field {str(name)!r} holds {_kind(body)}, not "
                                 "text: make it one string (the article's paragraphs joined by "
                                 "blank lines)")
    if body is None or not body.strip():
        raise ArticleFormatError(path, "no text field (expected one of: "
                                 f"{', '.join(FIELDS['text'])})")
    title = normalize_text(_text_value(_field(record, "title"))).strip()
    cleaned = clean_blocks(split_blocks(normalize_text(body)), title=title)
    if not cleaned.paragraphs:
        raise ArticleFormatError(path, "no article body left after removing boilerplate")
    own_id = _text_value(_field(record, "id"))
    article_id = own_id if own_id else f"{path.stem}-{n}"
    return _article(path, article_id, record, cleaned, encoding)


def _kind(value: Any) -> str:
    """Return what a JSON value is, for a message: 'a list', 'a number', ..."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _text_value(value: Any) -> str:
    """Return a metadata value as text: "" for nothing, NaN or true/false, a whole float without
    ".0", the strings of a list joined by "; ", never a Python repr such as "['a', 'b']".

    >>> [_text_value(v) for v in (None, float("nan"), True, 7, 7.0, 2.5, ["a", "b"], {"x": 1})]
    ['', '', '', '7', '7', '2.5', 'a; b', '']
    """
    import math

    if value is None or isinstance(value, (bool, dict)):
        return ""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (list, tuple)):
        return "; ".join(t for t in (_text_value(v) for v in value) if t)
    return str(value)


def _article(path: Path, article_id: str, meta: dict[str, Any], cleaned, encoding: str) -> Article:
    if not cleaned.paragraphs:
        raise ArticleFormatError(path, "no article body left after removing boilerplate: check "
                                 "that the file holds the article")
    # metadata is text from the file too: a JSON "\\ud800" escape must not reach the tables
    authors = [normalize_text(n) for n in _names(_field(meta, "authors"))] or cleaned.authors
    contributors = ([normalize_text(n) for n in _names(_field(meta, "contributors"))]
                    or cleaned.contributors)
    return Article.build(
        article_id=normalize_text(article_id),
        # a file name that is not UTF-8 (bytes kept as lone surrogates) is shown with U+FFFD
        path=os.fsencode(path).decode("utf-8", "replace"),
        title=cleaned.title,
        outlet=normalize_text(_text_value(_field(meta, "outlet"))),
        url=normalize_text(_text_value(_field(meta, "url"))),
        published=iso_date(_field(meta, "published")),
        authors=authors,
        contributors=contributors,
        paragraphs=cleaned.paragraphs,
        removed=cleaned.removed,
        encoding=encoding,
    )


def _names(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return split_names(re.sub(r"^by\s+", "", value.strip(), flags=re.IGNORECASE))
    if isinstance(value, (list, tuple)):
        return [t.strip() for t in (_text_value(v) for v in value) if t.strip()]
    return [t] if (t := _text_value(value)) else []


_DATE_FORMATS = ("%Y/%m/%d", "%d/%m/%Y", "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%d %B %Y",
                 "%Y%m%d")


def iso_date(value: Any) -> str:
    """Return ``value`` as an ISO date (YYYY-MM-DD), or "" when it is not a recognisable date.

    >>> iso_date("2022/02/18"), iso_date("2023-02-27T09:17:00Z"), iso_date("Feb. 27, 2023")
    ('2022-02-18', '2023-02-27', '2023-02-27')
    >>> iso_date("Tue, 28 Feb 2023 05:00:00 GMT"), iso_date("soon")
    ('2023-02-28', '')
    """
    if value in (None, ""):
        return ""
    text = str(value).strip()
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    try:
        return email.utils.parsedate_to_datetime(text).date().isoformat()
    except (TypeError, ValueError, IndexError):
        return ""
