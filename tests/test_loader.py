"""The loader: every format, field-name variants, cleaning, ids, duplicates and bad input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import SEED, SEEDS, SHARED, needs_shared

from toolkit import load_articles
from toolkit.cli import main

BODY = "First paragraph of the story.\n\nSecond paragraph, with a “quote,” she said."


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------- the seed

def test_seed_title_has_no_breadcrumb(seed_article):
    assert seed_article.title == (
        "China, saying it can mediate on Ukraine, hosts Putin’s ally Lukashenko"
    )
    assert seed_article.outlet == "The Washington Post"  # from the .meta.json sidecar


def test_seed_contributor_is_parsed_out_of_the_body(seed_article):
    assert seed_article.contributors == ("Lyric Li",)
    assert "contributed to this report" not in seed_article.text


def test_seed_body_has_no_related_headlines(seed_article):
    for headline in (
        "China calls for end of sanctions against Russia, cease-fire in Ukraine",
        "A year later, China blames U.S. ‘hegemony’ — not Russia — for war in Ukraine",
        "Ukrainian fears grow of a new Russian invasion from Belarus",
        "Home News",
    ):
        assert headline not in seed_article.text
    reasons = sorted(r.reason for r in seed_article.removed)
    assert reasons == ["breadcrumb", "contributor credit", "heading line", "heading line",
                       "heading line", "headline repeated"]


def test_seed_keeps_every_real_paragraph(seed_article):
    raw = SEED.read_text(encoding="utf-8")
    blocks = [b.strip() for b in raw.split("\n\n") if b.strip()]
    # 34 blocks in the file: breadcrumb+headline, headline, 3 related headlines, credit line
    assert len(blocks) == 34
    assert len(seed_article.paragraphs) == 28
    assert seed_article.paragraphs[0].startswith("Even as China pushes")
    assert seed_article.paragraphs[-1].startswith("China could not be “dragged into the water”")
    assert seed_article.text == "\n\n".join(seed_article.paragraphs)


def test_seed_copy_is_byte_identical_to_shared():
    shared_seed = SHARED.parent / "seeds" / SEED.name
    if not shared_seed.exists():
        pytest.skip("../shared/seeds is not present")
    assert SEED.read_bytes() == shared_seed.read_bytes()


def test_seed_folder_skips_readme_sidecars_and_labels():
    result = load_articles(SEEDS)
    assert [a.article_id for a in result] == ["000_a1bbb6199e38b69c"]
    assert result.skipped == []


# ----------------------------------------------------------------------------------- formats

def test_txt_with_headline_repeated_and_byline(tmp_path):
    path = write(tmp_path, "a.txt", "Big Story Here\n\nBig Story Here\n\nBy Ann Lee and Bo Chan\n\n"
                 + BODY + "\n\nAdvertisement\n")
    (article,) = load_articles(path)
    assert article.title == "Big Story Here"
    assert article.authors == ("Ann Lee", "Bo Chan")
    assert article.paragraphs == ("First paragraph of the story.",
                                  "Second paragraph, with a “quote,” she said.")
    assert {r.reason for r in article.removed} == {"headline", "headline repeated", "byline",
                                                    "promo"}


def test_md_title_and_wrapped_lines(tmp_path):
    path = write(
        tmp_path, "b.md", "# The Title\n\nA paragraph that\nwraps lines.\n\n## Sub\n\nMore."
    )
    (article,) = load_articles(path)
    assert article.title == "The Title"
    assert article.paragraphs == ("A paragraph that wraps lines.", "More.")


def test_html_uses_trafilatura(tmp_path):
    paras = "".join(f"<p>Paragraph number {i} of the article says something useful.</p>"
                    for i in range(8))
    html = (f"<html><head><title>Headline of the page</title></head><body><nav>Home News</nav>"
            f"<article><h1>Headline of the page</h1>{paras}</article>"
            "<footer>Sign up for our newsletter</footer></body></html>")
    (article,) = load_articles(write(tmp_path, "p.html", html))
    assert article.title == "Headline of the page"
    assert article.paragraphs[0] == "Paragraph number 0 of the article says something useful."
    assert "Sign up" not in article.text and "Home News" not in article.text


def test_json_object_and_list_with_field_variants(tmp_path):
    one = {"headline": "H1", "body": BODY, "publish_date": "2023-02-27T10:00:00Z",
           "link": "https://example.org/a", "byline": "By Ann Lee", "source": "Example Times"}
    path = write(tmp_path, "one.json", json.dumps(one))
    (article,) = load_articles(path)
    assert (article.title, article.published, article.url, article.authors, article.outlet) == (
        "H1", "2023-02-27", "https://example.org/a", ("Ann Lee",), "Example Times")
    assert article.article_id == "one-1"
    many = [{"id": "x1", "title": "T1", "content": BODY}, {"id": "x2", "text": BODY + " More."}]
    result = load_articles(write(tmp_path, "many.json", json.dumps(many)))
    assert [a.article_id for a in result] == ["x1", "x2"]


def test_jsonl_ids_and_duplicates(tmp_path):
    lines = [json.dumps({"title": "A", "text": BODY}), json.dumps({"title": "B", "text": BODY}),
             json.dumps({"title": "C", "text": "Another story entirely."})]
    result = load_articles(write(tmp_path, "feed.jsonl", "\n".join(lines)))
    assert [a.article_id for a in result] == ["feed-1", "feed-3"]
    assert len(result.skipped) == 1 and "duplicate of article feed-1" in str(result.skipped[0])


def test_which_duplicate_is_kept_does_not_depend_on_file_order(tmp_path):
    a = write(tmp_path, "a.txt", "Headline\n\n" + BODY)
    b = write(tmp_path, "b.txt", "Headline\n\n" + BODY)
    c = write(tmp_path, "c.txt", "Other headline\n\nAnother story entirely.")
    for order in ([a, b, c], [c, b, a], [b, c, a]):
        result = load_articles(order)
        assert sorted(x.article_id for x in result) == ["a", "c"], order
        # the kept articles come back in the order they were given
        assert [x.article_id for x in result] == [p.stem for p in order if p != b]
        (skipped,) = result.skipped
        assert skipped.path == str(b) and "duplicate of article a" in skipped.reason
        assert "smallest path" in skipped.reason


def test_same_id_in_two_files_is_suffixed_the_same_way_in_any_order(tmp_path):
    one = write(tmp_path, "1.json", json.dumps({"id": "x", "text": "Story one."}))
    two = write(tmp_path, "2.json", json.dumps({"id": "x", "text": "Story two."}))
    for order in ([one, two], [two, one]):
        ids = {a.path: a.article_id for a in load_articles(order)}
        assert ids == {str(one): "x", str(two): "x~2"}


def test_folder_names_every_file_it_does_not_read(tmp_path):
    folder = tmp_path / "mixed"
    write(folder, "story.pdf", b"%PDF-1.4 binary")
    write(folder, "story.docx", b"PK\x03\x04")
    write(folder, "story.doc", b"\xd0\xcf\x11\xe0")
    write(folder, "photo.jpg", b"\xff\xd8")
    write(folder, "README.md", "notes")  # companions are not articles and not named
    write(folder, "ok.meta.json", "{}")
    result = load_articles(folder)
    assert len(result) == 0
    reasons = {Path(s.path).name: s.reason for s in result.skipped}
    assert sorted(reasons) == ["photo.jpg", "story.doc", "story.docx", "story.pdf"]
    # PDF and Word files are read (tests/test_formats.py); these two are broken
    assert reasons["story.pdf"].startswith("PDF does not open (corrupt or truncated)")
    assert reasons["story.docx"].startswith("Word file is corrupt or not a .docx")
    assert reasons["story.doc"].startswith("Word 97-2003 (.doc) files are not read: save the "
                                           "article as Word (.docx)")
    assert "not an article file (.jpg)" in reasons["photo.jpg"]


def test_empty_folder_says_it_is_empty(tmp_path):
    (tmp_path / "empty").mkdir()
    result = load_articles(tmp_path / "empty")
    (skipped,) = result.skipped
    assert skipped.path == str(tmp_path / "empty")
    assert skipped.reason.startswith("folder holds no article files")


def test_csv_rows_and_semicolons(tmp_path):
    path = write(tmp_path, "t.csv", 'Title;Text;Date\nOne;"Body one.";2022/02/18\n'
                 'Two;"Body two.";Feb. 27, 2023\n')
    result = load_articles(path)
    assert [(a.article_id, a.title, a.published) for a in result] == [
        ("t-2", "One", "2022-02-18"), ("t-3", "Two", "2023-02-27")]


def test_non_utf8_file_is_decoded_and_reported(tmp_path):
    text = "Le président a déclaré que la réunion était très importante pour l’économie.\n\n" * 3
    path = write(tmp_path, "latin.txt", "Titre de l’article\n\n".encode("cp1252")
                 + text.encode("cp1252"))
    (article,) = load_articles(path)
    assert "président" in article.text and article.encoding != "utf-8"


def test_unicode_is_nfc_and_curly_quotes_survive(tmp_path):
    path = write(tmp_path, "n.txt", "Title\n\nCafe\u0301 owners said “yes” and it’s fine.")
    (article,) = load_articles(path)
    assert article.text == "Café owners said “yes” and it’s fine."


# ----------------------------------------------------------------------------------- bad input

BAD_CASES = [
    ("empty.txt", b"", "file is empty"),
    ("blank.txt", b"  \n\n \n", "file is empty"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "binary file"),
    ("broken.json", b'{"title": "x", "text": ', "JSON does not parse"),
    ("notext.json", b'{"title": "x", "summary": "y"}', "no text field"),
    ("nocol.csv", b"title,summary\nA,B\n", "CSV has no text column"),
    ("nobody.html", b"<html><body><nav>Home</nav></body></html>", "no article body"),
    ("weird.docx", b"PK\x03\x04", "Word file is corrupt or not a .docx"),
    ("scan.pdf", b"%PDF-1.4", "PDF does not open"),
    ("old.rtf", b"{\\rtf1 x}", "RTF files are not read"),
]


@pytest.mark.parametrize(("name", "content", "reason"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_bad_file_is_skipped_with_a_reason_and_the_batch_goes_on(tmp_path, name, content, reason):
    bad = write(tmp_path, name, content)
    good = write(tmp_path, "good.txt", "Title\n\nA good paragraph.")
    result = load_articles([bad, good])
    assert [a.title for a in result] == ["Title"]
    (skipped,) = result.skipped
    assert skipped.path == str(bad) and reason in skipped.reason


def test_undecodable_bytes(tmp_path):
    bad = write(tmp_path, "bytes.txt", bytes(range(0x80, 0x100)) * 3 + b"\x81\x8d\x8f\x90\x9d")
    result = load_articles(bad)
    assert len(result) == 0
    assert "undecodable" in result.skipped[0].reason or "binary" in result.skipped[0].reason


def test_missing_path_and_size_limit(tmp_path):
    big = write(tmp_path, "big.txt", "Title\n\n" + "word " * 30_000)
    result = load_articles([tmp_path / "nope.txt", big], max_bytes=100_000)
    reasons = [s.reason for s in result.skipped]
    assert "no such file or folder" in reasons[0]
    assert "over the 0 MB limit" in reasons[1] or "limit" in reasons[1]
    assert len(result) == 0


def test_bad_lines_in_jsonl_are_named_by_line(tmp_path):
    path = write(tmp_path, "f.jsonl", '{"text": "Fine body."}\n{oops\n{"title": "no text"}\n')
    result = load_articles(path)
    assert len(result) == 1
    assert [s.where for s in result.skipped] == ["line 2", "line 3"]
    assert str(result.skipped[1]) == (f"{path}: line 3: no text field (expected one of: text, "
                                      "body, content, article, full_text, maintext)")


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "secret.txt", "Title\n\nBody.")
    real_open = os.open

    def refuse(file, *args, **kwargs):
        if Path(file) == path:  # as root, chmod 0 would not stop the read, so refuse it here
            raise PermissionError(13, "Permission denied")
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    (skipped,) = load_articles(path).skipped
    assert skipped.reason == "permission denied: make the file readable"


# ----------------------------------------------------------------------------------- the CLI

def test_cli_load_writes_tables(tmp_path, capsys):
    assert main(["load", str(SEEDS), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "China, saying it can mediate on Ukraine, hosts Putin’s ally Lukashenko" in out
    assert "Home News" not in out and "contributors: Lyric Li" in out
    import pandas as pd

    articles = pd.read_csv(tmp_path / "articles.csv")
    paragraphs = pd.read_csv(tmp_path / "paragraphs.csv")
    assert articles.loc[0, "contributors"] == "Lyric Li" and len(paragraphs) == 28


def test_cli_load_exits_nonzero_only_when_nothing_loads(tmp_path, capsys):
    empty = write(tmp_path, "empty.txt", "")
    assert main(["load", str(empty)]) == 1
    assert "loaded 0 article(s), skipped 1" in capsys.readouterr().out
    assert main(["load", str(empty), str(SEED)]) == 0


# ----------------------------------------------------------------------------------- real data

@needs_shared
def test_loads_all_29_real_articles_with_metadata():
    result = load_articles(SHARED / "articles_cn_ru_ua.jsonl")
    assert len(result) == 29 and result.skipped == []
    assert all(a.title and a.published and a.outlet for a in result)
    removed = [r for a in result for r in a.removed]
    assert 120 <= len(removed) <= 170
    text = "\n".join(a.text for a in result)
    for junk in ("Sign up for", "Video Ad Feedback", "JUST WATCHED", "Getty Images"):
        assert junk not in text
    # sentences a careless cleaner would lose (real paragraphs, some short)
    for kept in ("said Reuters.", "according to Chinese state media Xinhua.",
                 "according to Russian state news agency Tass."):
        assert kept in text


def test_a_long_line_that_lost_its_full_stop_is_kept_as_a_paragraph(tmp_path):
    line = ("India is a member of the Quadrilateral Security Dialogue alongside the US, Japan and "
            "Australia, a grouping driven closer together by China's threats")
    path = write(tmp_path, "c.txt", f"Title\n\nFirst paragraph.\n\n{line}\n\nLast paragraph.")
    (article,) = load_articles(path)
    assert article.paragraphs == ("First paragraph.", line, "Last paragraph.")
