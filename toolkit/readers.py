"""The loader's readers for Word (``.docx``), PDF and LexisNexis exports.

Called by :mod:`toolkit.loader` only (together they are the loader stage, the only code that
reads article files): the loader checks the file (size, regular file) and hands its bytes or
text here. python-docx and pypdf are imported when a file of theirs is read, so
``import toolkit`` does not pay for them. Nexis exports are split by :mod:`toolkit.nexis`.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

from . import nexis
from .article import Article, Removed
from .cleaning import Cleaned, normalize_text, split_blocks
from .errors import ArticleFormatError

# A Word file that is an OLE container (not a zip) is password-protected, or a .doc renamed.
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# what a .docx may unpack to, as a multiple of the size limit (a zip bomb is refused unread)
_UNPACK_FACTOR = 20


# ------------------------------------------------------------------------------------ Nexis


def from_nexis_txt(path: Path, text: str, encoding: str, skipped: list) -> Iterator[Article]:
    """Yield the articles of a classic Nexis .TXT export (``text`` already normalised)."""
    docs, cover = nexis.split_txt(text)
    yield from _nexis_articles(path, docs, cover, encoding, skipped)


def _nexis_articles(path: Path, docs: list[nexis.NexisDocument], cover: list[str],
                    encoding: str, skipped: list) -> Iterator[Article]:
    from .loader import Skipped

    if not docs:
        raise ArticleFormatError(path, _NO_NEXIS_ARTICLES)
    for doc in docs:
        try:
            yield _nexis_article(path, doc, cover if doc.number == 1 else [], encoding)
        except ArticleFormatError as err:
            skipped.append(Skipped(str(path), err.reason, f"document {doc.number}"))


_NO_NEXIS_ARTICLES = (
    "no articles found in this Nexis export (no document in it: a classic .TXT export starts "
    'each with "N of M DOCUMENTS", a Nexis Uni .DOCX ends each with "End of Document"): '
    "download the documents again with their full text")


def _nexis_article(path: Path, doc: nexis.NexisDocument, cover: list[str],
                   encoding: str) -> Article:
    from .loader import _article

    title = normalize_text(doc.title)
    # the body is the publisher's text as Nexis holds it (no web page furniture), so the web
    # cleaning rules (heading lines, promos) are not applied: only Nexis's own lines are removed.
    # The cover page (search terms, job number) belongs to no article: kept with the first.
    cleaned = Cleaned(title=title, paragraphs=[normalize_text(p) for p in doc.paragraphs],
                      removed=[Removed(line, "Nexis cover page") for line in cover]
                      + [Removed(normalize_text(r.line), r.reason) for r in doc.removed])
    if not cleaned.paragraphs:
        raise ArticleFormatError(path, "no article body in this Nexis document (only its "
                                 "head and classification lines): check the export")
    meta = {"title": title, "outlet": doc.outlet, "published": nexis.date_of(doc.date),
            "authors": doc.authors}
    return _article(path, f"{path.stem}-{doc.number}", meta, cleaned, encoding)


# ------------------------------------------------------------------------------------ .docx


def read_docx(path: Path, data: bytes, *, max_bytes: int, skipped: list) -> Iterator[Article]:
    """Yield the articles of a Word file: every document of a Nexis Uni export, or the one
    article a saved .docx holds."""
    paragraphs, custom = _docx_paragraphs(path, data, max_bytes=max_bytes)
    # a line break inside a paragraph starts a new line (Nexis Uni puts one before a field)
    lines = [line for paragraph in paragraphs for line in paragraph.split("\n")]
    strong = nexis.is_nexis_docx(lines) or b"LADocCount" in custom
    named = nexis.names_nexis(lines)
    if strong or named:
        docs, cover = nexis.split_docx(lines)
        if docs or strong:
            yield from _nexis_articles(path, docs, cover, "utf-8", skipped)
            return
    try:
        yield _single_docx(path, paragraphs)
    except ArticleFormatError:
        if named:  # it says it is from Nexis, and holds neither its documents nor an article
            raise ArticleFormatError(path, _NO_NEXIS_ARTICLES) from None
        raise


def _docx_paragraphs(path: Path, data: bytes, *, max_bytes: int) -> tuple[list[str], bytes]:
    """Return the text of each paragraph of a Word file's body ("" for an empty one) and its
    custom properties XML."""
    if data.startswith(_OLE):
        raise ArticleFormatError(path, "password-protected Word file, or an old .doc renamed "
                                 "(an OLE container, not a .docx): remove the password or save "
                                 "it again from Word as .docx")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unpacked = sum(info.file_size for info in archive.infolist())
        custom = (archive.read("docProps/custom.xml")
                  if "docProps/custom.xml" in archive.namelist() else b"")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, OSError, ValueError,
            EOFError):
        raise ArticleFormatError(path, "Word file is corrupt or not a .docx (its zip container "
                                 "does not open): download or save it again") from None
    if unpacked > _UNPACK_FACTOR * max_bytes:
        raise ArticleFormatError(path, f"Word file unpacks to {unpacked / 2**20:.0f} MB, over "
                                 f"{_UNPACK_FACTOR} times the size limit: split it, or raise the "
                                 "limit (load_articles(max_bytes=...), --max-mb)")
    import docx
    from docx.opc.exceptions import OpcError

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = [p.text or "" for p in document.paragraphs]
    except (OpcError, KeyError, ValueError, zipfile.BadZipFile, zlib.error, OSError, EOFError,
            SyntaxError):
        # lxml's XMLSyntaxError is a SyntaxError
        raise ArticleFormatError(path, "Word file does not open (a part of it is missing or "
                                 "corrupt): open it in Word and save it again") from None
    if not any(paragraph.strip() for paragraph in paragraphs):
        raise ArticleFormatError(path, "Word file holds no text (pictures or tables only?): "
                                 "save the article's text as .docx or .txt")
    return [normalize_text(paragraph) for paragraph in paragraphs], custom


def _single_docx(path: Path, paragraphs: list[str]) -> Article:
    from .loader import _from_blocks

    # a Word paragraph is a paragraph; a line break inside one was made by hand
    return _from_blocks(path, split_blocks("\n\n".join(paragraphs)), "utf-8")


# ------------------------------------------------------------------------------------ .pdf


def read_pdf(path: Path, data: bytes, *, max_bytes: int, skipped: list) -> Iterator[Article]:
    """Yield the article of a PDF with a text layer (a saved or printed article)."""
    from .loader import _from_blocks

    blocks, furniture = pdf_blocks(_pdf_pages(path, data))
    yield _from_blocks(path, blocks, "utf-8", removed=[
        Removed(line, "PDF page header or footer") for line in furniture])


def _pdf_pages(path: Path, data: bytes) -> list[str]:
    """Return the text of each page of a PDF, with paragraph gaps as blank lines."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")  # many PDFs are encrypted with an empty password
            except (DependencyError, NotImplementedError):
                opened = 0
            if not opened:
                raise ArticleFormatError(path, "encrypted PDF (password-protected, or a "
                                         "cipher this reader lacks): save an unprotected copy, "
                                         "e.g. qpdf --decrypt in.pdf out.pdf")
        pages = list(reader.pages)
    except ArticleFormatError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, EOFError, OSError):
        raise ArticleFormatError(path, "PDF does not open (corrupt or truncated): download "
                                 "or save it again") from None
    texts = []
    for page in pages:
        try:
            # layout mode keeps the vertical gaps between paragraphs as blank lines
            texts.append(page.extract_text(extraction_mode="layout") or "")
        except Exception:  # noqa: BLE001 -- layout mode fails on some fonts; plain mode then
            try:
                texts.append(page.extract_text() or "")
            except Exception:  # noqa: BLE001 -- one unreadable page never loses the others
                texts.append("")
    if not any(t.strip() for t in texts):
        raise ArticleFormatError(path, f"no text layer ({len(pages)} page(s) of images only, "
                                 "a scan): run OCR first, e.g. ocrmypdf in.pdf out.pdf")
    return [normalize_text(t) for t in texts]


_SENTENCE_END = re.compile(r"[.!?:\"”’')]\s*$")


def pdf_blocks(pages: list[str]) -> tuple[list[str], list[str]]:
    """Return the paragraphs of a PDF's page texts, and the running heads and feet removed.

    A line at the top or foot of a page (two lines each) that recurs, digits aside, on another
    page is a running head or foot ("Page 1 of 3", a printed URL). Blank lines end paragraphs;
    a page without any falls back to lines: one ending a sentence and shorter than the page's
    longest line ends a paragraph. A paragraph that runs on to the next page is joined.

    >>> pdf_blocks(["Title\\n\\nA line\\nwraps and\\n\\nPage 1 of 2", "goes on.\\n\\nPage 2 of 2"])
    (['Title', 'A line wraps and goes on.'], ['Page 1 of 2', 'Page 2 of 2'])
    """
    split = [[line.strip() for line in page.split("\n")] for page in pages]
    furniture = _running_lines(split)
    blocks: list[str] = []
    furniture_out: list[str] = []
    for lines, running in zip(split, furniture, strict=True):
        kept = []
        for i, line in enumerate(lines):
            if line and (i, _shape(line)) in running:
                furniture_out.append(line)
                continue
            kept.append(line)
        text = "\n".join(kept).strip()
        if not text:
            continue
        if "\n\n" not in re.sub(r"\n[ \t]*\n", "\n\n", text):
            text = _gapless_paragraphs(text.split("\n"))
        page_blocks = split_blocks(text)
        if blocks and page_blocks and not _SENTENCE_END.search(blocks[-1]):
            blocks[-1] = f"{blocks[-1]} {page_blocks.pop(0)}"
        blocks.extend(page_blocks)
    return blocks, furniture_out


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line)


def _running_lines(pages: list[list[str]]) -> list[set[tuple[int, str]]]:
    """Return, per page, the (line number, shape) of its running heads and feet."""
    if len(pages) < 2:
        return [set() for _ in pages]
    edges = []
    for lines in pages:
        filled = [i for i, line in enumerate(lines) if line]
        edges.append({(i, _shape(lines[i])) for i in filled[:2] + filled[-2:]})
    counts: dict[str, int] = {}
    for edge in edges:
        for shape in {s for _, s in edge}:
            counts[shape] = counts.get(shape, 0) + 1
    return [{(i, s) for i, s in edge if counts[s] >= 2} for edge in edges]


def _gapless_paragraphs(lines: list[str]) -> str:
    """Return ``lines`` with a blank line after each that ends a sentence short of the width."""
    width = max((len(line) for line in lines), default=0)
    out = []
    for line in lines:
        out.append(line)
        if _SENTENCE_END.search(line) and len(line) < 0.85 * width:
            out.append("")
    return "\n".join(out)



# ------------------------------------------------------------------- story lists (no text)

_TRACKING = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|ocid|cmpid|smid|ref)$",
                       re.IGNORECASE)


def url_key(url: str) -> str:
    """Return the key two addresses of one page share: no scheme, no "www.", no fragment, no
    tracking parameters, no trailing slash; the host in lower case.

    >>> url_key("https://www.Example.org/news/a/?utm_source=x&id=7#top")
    'example.org/news/a?id=7'
    >>> url_key("http://example.org/news/a/") == url_key("https://example.org/news/a")
    True
    >>> url_key("not a url")
    ''
    """
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(url.strip())
    if not parts.netloc or " " in url.strip():
        return ""
    host = parts.netloc.lower().removeprefix("www.")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                       if not _TRACKING.match(k)])
    return host + parts.path.rstrip("/") + (f"?{query}" if query else "")


class SavedPages:
    """The saved pages of a ``text_from`` folder, by the URL each gives (its canonical link,
    ``og:url``, the browser's "saved from" note or a ``.meta.json`` sidecar's ``url``)."""

    def __init__(self, folder: Path, *, max_bytes: int, follow_links: bool = False) -> None:
        from .loader import LoadResult, Skipped, _expand, read_one

        self.folder = folder
        self.by_url: dict[str, Article] = {}
        self.used: set[str] = set()
        found = LoadResult()
        for path in _expand([folder], found, follow_links=follow_links):
            for article in read_one(path, found.skipped, max_bytes=max_bytes):
                key = url_key(article.url)
                if not key:
                    found.skipped.append(Skipped(
                        article.path, "saved page gives no URL, so no story can be matched to "
                        f"it: add NAME.meta.json beside it with its \"url\" ({folder} is the "
                        "--text-from folder)"))
                elif key in self.by_url:
                    found.skipped.append(Skipped(
                        article.path, f"a second saved page of the same URL (the first: "
                        f"{self.by_url[key].path})"))
                else:
                    self.by_url[key] = article
        self.skipped = found.skipped

    def take(self, url: str) -> Article | None:
        """Return the saved page of ``url`` (marking it used), or None."""
        key = url_key(url)
        page = self.by_url.get(key) if key else None
        if page is not None:
            self.used.add(key)
        return page

    def left_over(self) -> list:
        """Return the skips of the folder: pages that did not load, and pages no story used."""
        from .loader import Skipped

        unused = [Skipped(page.path, "saved page matches no story's URL in the story lists "
                          "loaded: check the page's URL, or load it as an article itself")
                  for key, page in sorted(self.by_url.items()) if key not in self.used]
        return self.skipped + unused


def from_story_list(path: Path, rows: list, pages: SavedPages | None,
                    skipped: list) -> Iterator[Article]:
    """Yield the stories of a list without text (Media Cloud, GDELT) whose saved page is in
    ``pages``, with the list's metadata; the others are counted in one skip."""
    from dataclasses import replace

    from .loader import Skipped, _field, _text_value, iso_date

    missing = 0
    for n, row in rows:
        page = pages.take(_text_value(_field(row, "url"))) if pages is not None else None
        if page is None:
            missing += 1
            continue
        own_id = _text_value(_field(row, "id"))
        title = normalize_text(_text_value(_field(row, "title"))).strip()
        yield replace(
            page, article_id=normalize_text(own_id or f"{path.stem}-{n}"),
            title=title or page.title,
            outlet=normalize_text(_text_value(_field(row, "outlet"))) or page.outlet,
            published=iso_date(_field(row, "published")) or page.published,
            url=normalize_text(_text_value(_field(row, "url"))) or page.url)
    if not missing:
        return
    if pages is None:
        reason = (f"{missing} stories without text: Media Cloud and GDELT exports carry no "
                  "article text; save the pages (.html) and pass --text-from DIR "
                  "(load_articles(text_from=DIR)) to match them by URL")
    else:
        reason = (f"{missing} of {len(rows)} stories without text: no saved page in "
                  f"{pages.folder} has their URL; save those pages there too")
    skipped.append(Skipped(str(path), reason))
