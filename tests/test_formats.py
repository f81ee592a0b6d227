"""Archive and office formats: Nexis .TXT and .DOCX exports, single .docx and .pdf articles,
story lists without text (Media Cloud, GDELT) and --text-from, and a mixed folder."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SHARED, needs_shared
from test_loader import write

from toolkit import load_articles
from toolkit.cli import main

NEXIS = SHARED / "nexis"
# the labels of lines that must never reach an article's body
LABELS = ("LOAD-DATE:", "LANGUAGE:", "GRAPHIC:", "PUBLICATION-TYPE:", "LENGTH:", "SECTION:",
          "BYLINE:", "DATELINE:", "JOURNAL-CODE:", "Copyright", "All Rights Reserved",
          "End of Document", "Load-Date:", "Language:", "Length:", "Section:", "Byline:",
          "Classification", "Publication-Type:", "Journal Code:", "Subject:")


# ------------------------------------------------------------------------- a tiny Nexis .TXT

NEXIS_TXT = """\ufeff
Download Request: Selected Items: 1-2
Terms: (made-up search)


                               1 of 2 DOCUMENTS


                              The Daily Example (London)

                            March 3, 2011 Thursday
                                   Edition 1;
                                   Scotland

Harbour plan
approved after long row

BYLINE: BY ANN LEE and Bo Chan

SECTION: NEWS; Pg. 4

LENGTH: 48 words

DATELINE: GLASGOW

The council approved the harbour plan on
Wednesday after a year of argument.

"It is a good day," the mayor said.

LOAD-DATE: March 4, 2011

LANGUAGE: ENGLISH

GRAPHIC: The harbour at dawn
EXAMPLE PHOTO / PA

PUBLICATION-TYPE: Newspaper


                    Copyright 2011 Example Newspapers Ltd
                              All Rights Reserved

                               2 of 2 DOCUMENTS


                                The Weekly Sample

                             12 April 2011

Second story

LENGTH: 9 words

A second story, one paragraph long.

LANGUAGE: ENGLISH
""".replace("\n", "\r\n")


def test_nexis_txt_gives_one_article_per_document_with_its_fields(tmp_path):
    result = load_articles(write(tmp_path, "export.TXT", NEXIS_TXT))
    assert result.skipped == []
    first, second = result
    assert [first.article_id, second.article_id] == ["export-1", "export-2"]
    assert (first.outlet, first.published, first.title, first.authors) == (
        "The Daily Example (London)", "2011-03-03", "Harbour plan approved after long row",
        ("Ann Lee", "Bo Chan"))
    assert first.paragraphs == ("The council approved the harbour plan on Wednesday after a "
                                "year of argument.", '"It is a good day," the mayor said.')
    assert (second.outlet, second.published, second.title) == (
        "The Weekly Sample", "2011-04-12", "Second story")
    assert second.paragraphs == ("A second story, one paragraph long.",)
    reasons = [r.reason for r in first.removed]
    assert reasons == ["Nexis cover page", "Nexis cover page", "Nexis document number",
                       "Nexis edition",
                       "Nexis field BYLINE", "Nexis field SECTION", "Nexis field LENGTH",
                       "Nexis field DATELINE", "Nexis field LOAD-DATE", "Nexis field LANGUAGE",
                       "Nexis field GRAPHIC", "Nexis field PUBLICATION-TYPE",
                       "Nexis copyright line"]
    removed = {r.reason: r.line for r in first.removed}
    assert removed["Nexis field GRAPHIC"] == "GRAPHIC: The harbour at dawn EXAMPLE PHOTO / PA"
    assert removed["Nexis edition"] == "Edition 1; Scotland"
    # the cover page belongs to no article: it is recorded once, with the first
    assert not any(r.reason == "Nexis cover page" for r in second.removed)


def test_a_body_label_alone_on_its_line_is_removed(tmp_path):
    text = NEXIS_TXT.replace("DATELINE: GLASGOW", "BODY:")
    first = load_articles(write(tmp_path, "export.txt", text))[0]
    assert first.paragraphs[0].startswith("The council approved")
    assert ("BODY:", "Nexis field BODY") in [(r.line, r.reason) for r in first.removed]


def test_a_pasted_txt_that_mentions_documents_is_not_a_nexis_export(tmp_path):
    text = ("Leak inquiry widens\n\nOfficials said 3 of 40 DOCUMENTS were missing.\n\n"
            "LENGTH: the report ran long, they added.\n")
    (article,) = load_articles(write(tmp_path, "pasted.txt", text))
    assert article.article_id == "pasted" and article.title == "Leak inquiry widens"
    # a "N of M DOCUMENTS" line alone is not enough: the line must stand alone
    text2 = "Headline\n\n1 of 2 DOCUMENTS\n\nA paragraph of the article, with no Nexis field."
    (article2,) = load_articles(write(tmp_path, "pasted2.txt", text2))
    assert article2.article_id == "pasted2"


def test_a_nexis_document_without_body_is_named_and_the_others_load(tmp_path):
    text = NEXIS_TXT.replace("A second story, one paragraph long.\r\n", "")
    result = load_articles(write(tmp_path, "export.txt", text))
    assert [a.article_id for a in result] == ["export-1"]
    (skipped,) = result.skipped
    assert skipped.where == "document 2" and "no article body" in skipped.reason


# ------------------------------------------------------------------------ .docx fixtures


def docx_bytes(paragraphs: list[tuple[str, str]], *, core_title: str = "") -> bytes:
    """A Word file with the given (style, text) paragraphs."""
    import docx

    document = docx.Document()
    for style, text in paragraphs:
        document.add_paragraph(text, style=style or None)
    if core_title:
        document.core_properties.title = core_title
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


NBSP = "\u00a0"


def nexis_uni_paragraphs() -> list[tuple[str, str]]:
    doc = []
    for cover in ("Date and Time: Friday, 5. July 2019 09:31:00 CEST", "Job Number: 1",
                  "Documents (2)", "1. Harbour plan approved", "2. Second story",
                  "", "", ""):
        doc.append(("", cover))
    for title, outlet, date, byline, body in (
            ("Harbour plan approved", "The Example (Glasgow)", "July 1, 2019 Monday 9:20 AM GMT",
             "Ann Lee in Glasgow", ["The council approved the plan.", "The mayor was glad."]),
            ("Second story", "The Weekly Sample", "July 2, 2019 Tuesday", "",
             ["A second story, one paragraph long."])):
        doc += [("", title), ("", outlet), ("", date), ("", ""),
                ("", "Copyright 2019 Example Ltd All Rights Reserved"),
                ("", f"Section:{NBSP}NEWS; Version:3"), ("", f"Length:{NBSP}9 words")]
        if byline:
            doc.append(("", f"Byline:{NBSP}{byline}"))
        doc += [("", "Body"), ("", "")] + [("", p) for p in body]
        doc += [("", "Classification"), ("", f"Language:{NBSP}ENGLISH"),
                ("", f"Load-Date:{NBSP}July 4, 2019"), ("", ""), ("", "End of Document"),
                ("", ""), ("", "")]
    return doc


def test_nexis_uni_docx_gives_one_article_per_document(tmp_path):
    result = load_articles(write(tmp_path, "uni.DOCX", docx_bytes(nexis_uni_paragraphs())))
    assert result.skipped == []
    first, second = result
    assert [first.article_id, second.article_id] == ["uni-1", "uni-2"]
    assert (first.title, first.outlet, first.published, first.authors) == (
        "Harbour plan approved", "The Example (Glasgow)", "2019-07-01", ("Ann Lee",))
    assert first.paragraphs == ("The council approved the plan.", "The mayor was glad.")
    assert (second.title, second.published, second.authors) == (
        "Second story", "2019-07-02", ())
    reasons = [r.reason for r in second.removed]
    assert reasons == ["Nexis copyright line", "Nexis field SECTION", "Nexis field LENGTH",
                       "Nexis field BODY", "Nexis field CLASSIFICATION", "Nexis field LANGUAGE",
                       "Nexis field LOAD-DATE", "Nexis end of document"]
    assert sum(r.reason == "Nexis cover page" for r in first.removed) == 5


def test_a_word_file_naming_nexis_with_no_documents_is_a_named_skip(tmp_path):
    path = write(tmp_path, "uni_test.docx", docx_bytes([("", "LexisNexis Uni Test")]))
    result = load_articles(path)
    assert len(result) == 0
    (skipped,) = result.skipped
    assert skipped.reason.startswith("no articles found in this Nexis export")


def test_a_saved_article_about_lexisnexis_is_not_taken_for_an_export(tmp_path):
    paragraphs = [("", "LexisNexis buys a rival"), ("", "LexisNexis said on Monday it had "
                  "agreed to buy a smaller rival."), ("", "The deal needs approval.")]
    (article,) = load_articles(write(tmp_path, "news.docx", docx_bytes(paragraphs)))
    assert (article.article_id, article.title) == ("news", "LexisNexis buys a rival")
    assert len(article.paragraphs) == 2


def test_a_single_saved_docx_article_loads_with_its_paragraphs(tmp_path):
    paragraphs = [("Heading 1", "Harbour plan approved"), ("", "By Ann Lee"),
                  ("", "The council approved the plan\non Wednesday."), ("", ""),
                  ("", "\u201cIt is a good day,\u201d the mayor said."),
                  ("", "Sign up for our newsletter")]
    result = load_articles(write(tmp_path, "saved.docx", docx_bytes(paragraphs)))
    (article,) = result
    assert (article.article_id, article.title, article.authors) == (
        "saved", "Harbour plan approved", ("Ann Lee",))
    assert article.paragraphs == ("The council approved the plan on Wednesday.",
                                  "\u201cIt is a good day,\u201d the mayor said.")
    assert {r.reason for r in article.removed} == {"headline", "byline", "promo"}


DOCX_BAD = [
    ("broken.docx", b"PK\x03\x04 not really a zip", "Word file is corrupt or not a .docx"),
    ("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
     "password-protected Word file"),
    ("old.doc", b"\xd0\xcf\x11\xe0", "Word 97-2003 (.doc) files are not read"),
]


@pytest.mark.parametrize(("name", "content", "reason"), DOCX_BAD, ids=[c[0] for c in DOCX_BAD])
def test_bad_word_files_are_named_skips(tmp_path, name, content, reason):
    result = load_articles([write(tmp_path, name, content),
                            write(tmp_path, "good.txt", "Title\n\nA good paragraph.")])
    assert [a.title for a in result] == ["Title"]
    (skipped,) = result.skipped
    assert reason in skipped.reason


def test_a_word_file_without_a_zip_entry_it_needs_is_named(tmp_path):
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a Word file")
    (skipped,) = load_articles(write(tmp_path, "x.docx", buf.getvalue())).skipped
    assert "Word file does not open" in skipped.reason


# -------------------------------------------------------------------------- .pdf fixtures


def make_pdf(pages: list[list[str]], *, text: bool = True) -> bytes:
    """A PDF whose pages hold the given lines in Helvetica ("" is a paragraph gap); with
    ``text=False`` the pages hold a drawing only (a scan has no text layer either)."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", "",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for lines in pages:
        ops, y = ["BT /F1 11 Tf"], 750
        for line in lines:
            if line:
                esc = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
                ops.append(f"1 0 0 1 72 {y} Tm ({esc}) Tj")
                y -= 14
            else:
                y -= 10
        ops.append("ET")
        stream = "\n".join(ops) if text else "0 0 m 100 100 l S"
        objs.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    f"/Resources << /Font << /F1 3 0 R >> >> /Contents {len(objs)} 0 R >>")
        kids.append(len(objs))
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


PDF_PAGES = [["Harbour plan approved after long row", "",
              "The council approved the harbour plan on Wednesday after a year",
              "of argument over its cost and its size.", "",
              "The plan goes to a vote of the full council next month, when", "",
              "example.org/harbour 1/2"],
             ["the mayor expects it to pass easily.", "", "It is a good day, the mayor said.",
              "", "example.org/harbour 2/2"]]


def test_a_pdf_article_loads_with_paragraphs_across_pages(tmp_path):
    (article,) = load_articles(write(tmp_path, "saved.pdf", make_pdf(PDF_PAGES)))
    assert article.title == "Harbour plan approved after long row"
    assert article.paragraphs == (
        "The council approved the harbour plan on Wednesday after a year of argument over its "
        "cost and its size.",
        "The plan goes to a vote of the full council next month, when the mayor expects it to "
        "pass easily.",
        "It is a good day, the mayor said.")
    furniture = [r.line for r in article.removed if r.reason == "PDF page header or footer"]
    assert furniture == ["example.org/harbour 1/2", "example.org/harbour 2/2"]


def test_a_pdf_without_a_text_layer_names_ocr(tmp_path):
    (skipped,) = load_articles(write(tmp_path, "scan.pdf", make_pdf([[], []], text=False))
                               ).skipped
    assert skipped.reason.startswith("no text layer (2 page(s) of images only, a scan): run "
                                     "OCR first, e.g. ocrmypdf")


def test_corrupt_and_encrypted_pdfs_are_named_skips(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PDF_PAGES))))
    writer.encrypt("secret", algorithm="RC4-128")
    locked = io.BytesIO()
    writer.write(locked)
    result = load_articles([write(tmp_path, "cut.pdf", make_pdf(PDF_PAGES)[:200]),
                            write(tmp_path, "junk.pdf", b"%PDF-1.4 nothing else"),
                            write(tmp_path, "locked.pdf", locked.getvalue())])
    assert len(result) == 0
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert reasons["cut.pdf"].startswith("PDF does not open") or "no text layer" in reasons[
        "cut.pdf"]
    assert reasons["junk.pdf"].startswith("PDF does not open")
    assert reasons["locked.pdf"].startswith("encrypted PDF (password-protected")


def test_importing_the_toolkit_does_not_import_the_office_readers():
    code = ("import sys, toolkit; print([m for m in ('docx', 'pypdf') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------- story lists without text

STORIES = ("id,indexed_date,language,media_name,media_url,publish_date,title,url\n"
           "a1,2023-03-01,en,Example Times,example.org,2023-02-27 10:00:00,Plan approved,"
           "https://www.example.org/news/plan?utm_source=feed\n"
           "a2,2023-03-01,en,Sample Post,sample.net,2023-02-28,Second story,"
           "https://sample.net/second/\n"
           "a3,2023-03-01,en,Sample Post,sample.net,2023-03-01,Third story,"
           "https://sample.net/third\n")


def page(title: str, url: str, *, canonical: bool = True) -> str:
    paras = "".join(f"<p>Paragraph {i} of the story about {title.lower()} says a thing.</p>"
                    for i in range(6))
    link = f'<link rel="canonical" href="{url}">' if canonical else ""
    saved = "" if canonical else f"<!-- saved from url=({len(url):04d}){url} -->"
    return (f"<!DOCTYPE html>{saved}<html><head><title>{title}</title>{link}</head><body>"
            f"<article><h1>{title}</h1>{paras}</article></body></html>")


def test_a_story_list_without_text_is_one_named_skip(tmp_path):
    result = load_articles(write(tmp_path, "mediacloud.csv", STORIES))
    assert len(result) == 0
    (skipped,) = result.skipped
    assert skipped.reason.startswith("3 stories without text: Media Cloud and GDELT exports "
                                     "carry no article text; save the pages (.html) and pass "
                                     "--text-from DIR")


def test_text_from_matches_saved_pages_by_url(tmp_path):
    stories = write(tmp_path, "mediacloud.csv", STORIES)
    pages = tmp_path / "pages"
    write(pages, "plan.html", page("Plan approved (web title)", "http://example.org/news/plan"))
    write(pages, "second.html", page("Second story", "https://sample.net/second",
                                     canonical=False))
    write(pages, "other.html", page("Unrelated", "https://elsewhere.org/x"))
    result = load_articles(stories, text_from=pages)
    assert [(a.article_id, a.title, a.outlet, a.published) for a in result] == [
        ("a1", "Plan approved", "Example Times", "2023-02-27"),
        ("a2", "Second story", "Sample Post", "2023-02-28")]
    assert result[0].paragraphs[0].startswith("Paragraph 0 of the story")
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert reasons["mediacloud.csv"].startswith("1 of 3 stories without text: no saved page")
    assert reasons["other.html"].startswith("saved page matches no story's URL")


def test_cli_text_from(tmp_path, capsys):
    stories = write(tmp_path, "mc.csv", STORIES)
    write(tmp_path / "pages", "plan.html", page("Plan", "https://example.org/news/plan"))
    assert main(["load", str(stories), "--text-from", str(tmp_path / "pages")]) == 0
    out = capsys.readouterr().out
    assert "loaded 1 article(s), skipped 1" in out and "2 of 3 stories without text" in out


# ----------------------------------------------------------------------- a mixed folder


def test_every_file_in_a_mixed_folder_is_loaded_or_named(tmp_path):
    folder = tmp_path / "mixed"
    write(folder, "pasted.txt", "Pasted headline\n\nA pasted paragraph of text.")
    write(folder, "export.TXT", NEXIS_TXT)
    write(folder, "saved.docx", docx_bytes([("Title", "Saved headline"),
                                            ("", "A saved paragraph, in Word.")]))
    write(folder, "saved.pdf", make_pdf(PDF_PAGES))
    write(folder, "scan.pdf", make_pdf([[]], text=False))
    write(folder, "old.doc", b"\xd0\xcf\x11\xe0")
    write(folder, "photo.jpg", b"\xff\xd8")
    write(folder, "notes.xyz", "x")
    write(folder, "noextension", "x")
    write(folder, "stories.csv", STORIES)
    write(folder, "README.md", "about this folder")  # companions: neither loaded nor named
    write(folder, "pasted.meta.json", json.dumps({"outlet": "Example"}))
    result = load_articles(folder)
    loaded = {Path(a.path).name for a in result}
    skipped = {Path(s.path).name: s.reason for s in result.skipped}
    assert loaded == {"pasted.txt", "export.TXT", "saved.docx", "saved.pdf"}
    assert sorted(skipped) == ["noextension", "notes.xyz", "old.doc", "photo.jpg", "scan.pdf",
                               "stories.csv"]
    every = {p.name for p in folder.iterdir()} - {"README.md", "pasted.meta.json"}
    assert loaded | set(skipped) == every
    assert len(result) == 5  # the export holds two
    assert "not an article file (no extension)" in skipped["noextension"]


# ------------------------------------------------------------------ the shared samples


@needs_shared
@pytest.mark.parametrize("name", ["sample.TXT", "sample.DOCX"])
def test_the_nexis_samples_give_ten_articles_with_clean_bodies(name):
    result = load_articles(NEXIS / name)
    assert len(result) == 10 and result.skipped == []
    stem = Path(name).stem
    assert [a.article_id for a in result] == [f"{stem}-{n}" for n in range(1, 11)]
    for article in result:
        assert article.outlet and article.published and article.title, article.article_id
        for paragraph in article.paragraphs:
            assert not paragraph.startswith(LABELS), (article.article_id, paragraph[:40])
    first = result[0]
    if name == "sample.TXT":
        assert (first.outlet, first.published, first.authors) == (
            "Guardian.com", "2010-01-11", ("Andrew Sparrow",))
        assert result[7].authors == ("Stephen Pollard",)  # "BYLINE: BY STEPHEN POLLARD"
        assert result[9].title == "Wikipedia" and result[9].authors == ()
    else:
        assert (first.outlet, first.published, first.authors) == (
            "The Guardian(London)", "2019-07-01", ("Mattha Busby", "Andrew Sparrow"))
        # LexisNexisTools' test counts 83 paragraph rows here, classification lines among them;
        # the 71 body paragraphs were counted by hand from the file
        assert sum(len(a.paragraphs) for a in result) == 71


@needs_shared
def test_the_empty_nexis_uni_file_is_a_named_skip():
    result = load_articles(NEXIS / "nexis_uni_test.DOCX")
    assert len(result) == 0
    (skipped,) = result.skipped
    assert skipped.reason.startswith("no articles found in this Nexis export")


@needs_shared
def test_cli_loads_the_nexis_folder(tmp_path, capsys):
    assert main(["load", str(NEXIS), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # two made-up articles have the same text in both samples: each is kept once
    assert "loaded 18 article(s), skipped 3" in out
    assert out.count("duplicate of article sample-") == 2
    import pandas as pd

    articles = pd.read_csv(tmp_path / "articles.csv")
    assert len(articles) == 18 and articles["published"].notna().all()


# ------------------------------------------------------------------ never crashes on any text

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

NEXIS_BITS = st.sampled_from(["1 of 3 DOCUMENTS", "LENGTH: 5 words", "BYLINE: By A B",
                              "LOAD-DATE: May 1, 2020", "LANGUAGE: ENGLISH", "End of Document",
                              "Body", "Classification", "Byline:\u00a0A B", "May 1, 2020",
                              "Copyright 2020 X", "", "  ", "Text of a paragraph."])
LINES = st.lists(st.one_of(NEXIS_BITS, st.text(max_size=40)), max_size=40)


@settings(max_examples=200, deadline=None)
@given(lines=LINES)
def test_the_nexis_splitters_never_crash_nor_drop_a_line_silently(lines):
    from toolkit import nexis

    lines = [line.replace("\r", " ").replace("\n", " ") for line in lines]
    for docs, cover in (nexis.split_txt("\n".join(lines)), nexis.split_docx(lines)):
        kept = " | ".join(cover + [x for d in docs for x in [d.title, d.outlet, d.date,
                                                             *d.paragraphs,
                                                             *(r.line for r in d.removed)]])
        for line in lines:
            for word in line.split():
                assert word in kept, (word, lines)
        for doc in docs:
            assert all(p.strip() for p in doc.paragraphs)
            assert len(nexis.date_of(doc.date)) in (0, 10)


VALID = {".docx": None, ".pdf": None}  # built once, on first use


def _valid(suffix: str) -> bytes:
    if VALID[suffix] is None:
        VALID[suffix] = (docx_bytes([("", "Headline"), ("", "A paragraph of the article.")])
                         if suffix == ".docx" else make_pdf(PDF_PAGES))
    return VALID[suffix]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(suffix=st.sampled_from([".docx", ".pdf"]), data=st.data())
def test_damaged_word_and_pdf_files_are_named_never_a_crash(tmp_path_factory, suffix, data):
    raw = bytearray(_valid(suffix))
    for _ in range(data.draw(st.integers(1, 8))):  # flip a few bytes, or cut the file
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        raw = raw[:data.draw(st.integers(1, len(raw)))]
    folder = tmp_path_factory.mktemp("damaged")
    (folder / f"a{suffix}").write_bytes(bytes(raw))
    result = load_articles(folder)
    assert len(result) + len(result.skipped) == 1
    for skipped in result.skipped:  # a known failure, with its own message
        assert "reader failed" not in skipped.reason, skipped.reason


@needs_shared
@pytest.mark.slow
def test_cli_annotates_a_nexis_export_end_to_end(tmp_path, capsys):
    import pandas as pd

    out = tmp_path / "out"
    assert main(["annotate", str(NEXIS / "sample.TXT"), "--out", str(out), "--codebook", "",
                 "--no-cache"]) == 0
    articles = pd.read_csv(out / "articles.csv")
    assert len(articles) == 10 and articles["outlet"].notna().all()
    assert articles["published"].str.startswith("2010-01").all()
    assert len(pd.read_csv(out / "sentences.csv")) > 100
    assert len(pd.read_csv(out / "problems.csv")) == 0
    removed = pd.read_csv(out / "removed.csv")
    assert removed["reason"].str.startswith("Nexis").all()
