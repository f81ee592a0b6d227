"""Any text in, no crash out: property tests for the loader, every annotator and the stance coder.

Each function either returns a result or raises the toolkit's own documented error
(``toolkit.errors.ToolkitError``); an unhandled exception fails the test. Results must also keep
their contracts: offsets index into ``Article.text``, ``text`` is the paragraphs joined.

Sizes: the loader and cleaning get a million-word article; the annotators (spaCy) get a 100,000-word
article and a 100,000-character paragraph (a million words through spaCy takes minutes, and the
parse is cut into 20,000-character pieces anyway, so 100k words exercises the same code paths).
"""

from __future__ import annotations

import json
import os
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from toolkit import load_articles
from toolkit.annotate import annotate, annotate_parsed
from toolkit.article import Article
from toolkit.cleaning import clean_blocks, normalize_text, split_blocks
from toolkit.errors import ToolkitError
from toolkit.nlp import parse
from toolkit.stance import code_text, stance

# How many generated examples each property runs (the explicit @examples come on top);
# TOOLKIT_PROPERTY_SCALE multiplies them (0.1 for a quick look, 10 for a long hunt).
_SCALE = float(os.environ.get("TOOLKIT_PROPERTY_SCALE", "1"))
LOADER_EXAMPLES = max(10, int(500 * _SCALE))
ANNOTATOR_EXAMPLES = max(10, int(400 * _SCALE))
PUBLIC_PATH_EXAMPLES = max(10, int(100 * _SCALE))
STANCE_EXAMPLES = max(10, int(1000 * _SCALE))

QUOTES = "\"'“”‘’«»„‟‹›「」『』〝〞＂"
RTL = "مرحبا بالعالم שלום עולם الصين روسيا אוקראינה"
EMOJI = "😀🇨🇳🇷🇺🇺🇦👍🏽👨‍👩‍👧‍👦❤️🔥"
CONTROL = "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\x85\x9f\u200b\u200e\u200f\u202e\u2028\u2029\ufeff\ufffd"
MONEY = "$€£¥₽%0123456789.,-"
WORDS = [
    "China", "Russia", "Ukraine", "Xi", "Jinping", "Putin", "Zelensky", "Beijing", "Moscow", "Kyiv",
    "Lukashenko", "said", "says", "told", "according", "to", "the", "a", "of", "peace", "plan",
    "mediator", "neutral", "broker", "not", "never", "no", "$", "1.5", "billion", "million",
    "trillion", "yuan", "rubles", "per", "cent", "percent", "%", "U.S.", "Mr.", "Dr.", "—", "–",
    "...", "…", "(", ")", "[", "]", ":", ";", "!", "?", ",", ".", "\n", "\n\n", " ", "\t",
    "Foreign", "Ministry", "spokesman", "Wang", "Wenbin", "Reuters", "2023", "Feb.", "24",
    *QUOTES, *RTL.split(), *EMOJI, *CONTROL,
]
# Lone surrogates are not text (they cannot be encoded; spaCy refuses them). A JSON file can
# still carry them ("\ud800"): the loader replaces them, tested below with the loader.
SURROGATES = ["\ud800", "\udfff", "\ud83d"]
ALPHABET = st.sampled_from(list(QUOTES + RTL + EMOJI + CONTROL + MONEY + string.printable))

# Free Unicode, news-like token soup, and text over a hostile alphabet.
TEXT = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=400),
    st.lists(st.sampled_from(WORDS), max_size=120).map(" ".join),
    st.lists(st.sampled_from(WORDS), max_size=120).map("".join),
    st.text(alphabet=ALPHABET, max_size=400),
)

HUGE_PARAGRAPH = ("China said “peace " * 20_000)[:100_000]  # 100k characters, one paragraph
UNBALANCED = "“He said China would “never” back the plan, ‘as Xi told Putin. «Non »» \" ' “"


def _check_offsets(article: Article, layers: dict[str, list]) -> int:
    """Assert every record's offsets index into the article text; return the number of records."""
    text = article.text
    n = 0
    for rec in layers["sentences"]:
        _, _, _, start, end, sent_text, polarity, subjectivity = rec
        assert text[start:end] == sent_text
        assert -1.0 <= polarity <= 1.0 and 0.0 <= subjectivity <= 1.0
        n += 1
    for name in ("entities", "quotes", "amounts"):
        for r in layers[name]:
            assert 0 <= r.start <= r.end <= len(text), (name, r)
            assert text[r.start:r.end] == r.text, (name, r)
            n += 1
    for q in layers["quotes"]:
        if q.speaker_start >= 0 and q.speaker_end >= 0:
            assert 0 <= q.speaker_start <= q.speaker_end <= len(text)
    return n


def _annotate_paragraphs(paragraphs: list[str]) -> None:
    article = Article.build(article_id="prop", path="prop.txt", paragraphs=paragraphs)
    try:
        (parsed,) = list(parse([article]))
        layers = annotate_parsed(parsed)  # directly: an exception surfaces with its traceback
    except ToolkitError:
        return
    _check_offsets(article, layers)


# ------------------------------------------------------------------------------------- annotators


@pytest.fixture(scope="module", autouse=True)
def _model():
    from toolkit.nlp import load_model

    load_model()  # once, not inside the first example's deadline


@settings(max_examples=ANNOTATOR_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(paragraphs=st.lists(TEXT, min_size=0, max_size=4))
@example(paragraphs=[])
@example(paragraphs=[""])
@example(paragraphs=[UNBALANCED])
@example(paragraphs=["!?.,;:—…" * 50])
@example(paragraphs=["\x00" * 10, "\u202e" + RTL, EMOJI * 20])
@example(paragraphs=["He said: “", "”", "“China is a neutral broker,” Xi said. “"])
@example(paragraphs=["$ $ $ billion million 1.5.5 %%% ¥¥ ₽ -0 1e309 999999999999999999999"])
def test_every_annotator_takes_any_text(paragraphs):
    _annotate_paragraphs(paragraphs)


def test_lone_surrogates_from_json_are_replaced_and_annotated(tmp_path):
    record = '{"title": "\\udfff", "text": "\\ud800 China said \\u201cyes\\u201d \\ud83d."}'
    (tmp_path / "s.json").write_text(record, "ascii")
    (article,) = load_articles(tmp_path)
    assert article.text == "\ufffd China said “yes” \ufffd."
    corpus = annotate([article], progress=False)
    assert corpus.problems.empty
    corpus.save(tmp_path / "out")  # the UTF-8 tables can hold everything the loader gives


def test_article_built_with_a_lone_surrogate_is_a_reported_problem_not_a_crash():
    """Article.build by hand bypasses the loader's cleaning: annotate() names the article."""
    article = Article.build(article_id="s", path="s.txt", paragraphs=["\ud800 China said."])
    corpus = annotate([article], progress=False)
    assert list(corpus.problems["article_id"]) in (["s"], [])


def test_annotators_take_a_100k_character_paragraph():
    _annotate_paragraphs([HUGE_PARAGRAPH])


@pytest.mark.slow
def test_annotators_take_a_100k_word_article():
    words = ("Xi Jinping told Vladimir Putin on Monday that China “will not back” the $1.5 "
             "billion plan, the Foreign Ministry said. ").split()
    body = " ".join(words[i % len(words)] for i in range(100_000))
    paragraphs = [body[i:i + 5_000] for i in range(0, len(body), 5_000)]
    article = Article.build(article_id="big", path="big.txt", paragraphs=paragraphs)
    corpus = annotate([article], progress=False)
    assert corpus.problems.empty
    assert len(corpus.sentences) > 1_000 and len(corpus.quotes) > 100
    for row in corpus.quotes.itertuples():
        assert article.text[row.start:row.end] == row.text


@settings(max_examples=PUBLIC_PATH_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(paragraphs=st.lists(TEXT, min_size=1, max_size=3), title=TEXT)
@example(paragraphs=[UNBALANCED, "China said “peace” «paix»."], title="“")
def test_annotate_and_stance_report_no_problem_on_any_text(paragraphs, title):
    """Through the public path: annotate() swallows per-article errors into ``problems``, so an
    empty problems table is the no-crash assertion there; then stance() over the tables."""
    article = Article.build(article_id="p", path="p.txt", title=title, paragraphs=paragraphs)
    corpus = annotate([article], progress=False)
    assert corpus.problems.empty, corpus.problems.to_dict("records")
    table = stance(corpus)  # the shipped model: it may also abstain
    for row in table.itertuples():
        assert row.stance in {"favor", "against", "neutral", "needs_coding"}
        span = article.text[row.start:row.end]
        # a sentence's narration has its quotes cut out (" … "); every piece left is in the span
        assert row.text == span or (row.unit == "sentence" and all(
            piece.strip() in span for piece in row.text.split("…")))


# ------------------------------------------------------------------------------------- stance


@settings(max_examples=STANCE_EXAMPLES, deadline=None)
@given(text=TEXT, context=st.one_of(TEXT, st.lists(TEXT, max_size=3)))
@example(text="", context="")
@example(text=UNBALANCED, context=UNBALANCED)
@example(text="not not not never no " * 200, context=[])
@example(text=HUGE_PARAGRAPH, context="")
@example(text="\x00\ud800" + RTL + EMOJI, context=["\u202e"])
def test_stance_coder_takes_any_text(text, context):
    try:
        call = code_text(text, context=context)
    except ToolkitError:
        return
    assert call.stance in {"favor", "against", "neutral", "mixed", "unclear"}


# ------------------------------------------------------------------------------------- loader

SUFFIXES = [".txt", ".md", ".html", ".json", ".jsonl", ".csv"]


def _as_file_content(suffix: str, body: str, title: str) -> str:
    if suffix == ".json":  # every metadata field carries the arbitrary title too
        return json.dumps({"title": title, "text": body, "id": title, "author": title,
                           "outlet": title, "url": title, "date": title,
                           "contributors": [title]})
    if suffix == ".jsonl":
        return json.dumps({"title": title, "text": body}) + "\n" + body + "\n"
    if suffix == ".csv":
        return "title,text\n" + f'"{title}","{body}"\n'
    if suffix == ".html":
        return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>" \
               f"<p>{body}</p><p>{body}</p></article></body></html>"
    return f"{title}\n\n{body}\n"


def _load_checked(folder) -> None:
    result = load_articles(folder)  # never raises: bad files are skipped with a reason
    for article in result:
        assert article.text == "\n\n".join(article.paragraphs)
        assert all(p.strip() for p in article.paragraphs)
        assert "\x00" not in article.text
        for value in (article.article_id, article.title, article.outlet, article.url,
                      article.published, article.text, *article.authors, *article.contributors):
            value.encode("utf-8")  # writable to the UTF-8 tables
    for skipped in result.skipped:
        assert skipped.reason and str(skipped).startswith(str(folder))


@settings(max_examples=LOADER_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(suffix=st.sampled_from(SUFFIXES), raw=st.binary(max_size=2_000))
@example(suffix=".json", raw=b'{"text": "\\ud800 lone surrogate \\udfff", "title": "\\ud83d"}')
@example(suffix=".csv", raw=b'text\n"unterminated')
@example(suffix=".csv", raw=b"\r\x01")  # a lone carriage return in an unquoted field
@example(suffix=".html", raw=b"\x1f\x8b\x08\x00" + bytes(200))
@example(suffix=".txt", raw=b"\xff\xfe" + "h\x00".encode("utf-16-le"))
@example(suffix=".jsonl", raw=b"[1,2]\n\"s\"\nnull\n{}\n{\"text\": 5}\n")
@example(suffix=".json", raw=b'{"text": "' + b"[" * 5000 + b'"}' + b"[" * 100_000)
def test_loader_takes_any_bytes(tmp_path_factory, suffix, raw):
    folder = tmp_path_factory.mktemp("bytes")
    (folder / f"a{suffix}").write_bytes(raw)
    _load_checked(folder)


@settings(max_examples=LOADER_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(suffix=st.sampled_from(SUFFIXES), body=TEXT, title=TEXT)
@example(suffix=".json", body="\ud800 China said", title="\udfff")
@example(suffix=".jsonl", body="\ud83d\ude00 and \ud83d alone", title="x")
@example(suffix=".txt", body=UNBALANCED, title="“")
@example(suffix=".html", body="<script>alert(1)</script>" + RTL, title="</title><script>")
@example(suffix=".csv", body='"' * 101, title="\x00")
@example(suffix=".json", body="China said the plan is fair.", title="\ud800")
def test_loader_takes_any_text_in_every_format(tmp_path_factory, suffix, body, title):
    folder = tmp_path_factory.mktemp("text")
    content = _as_file_content(suffix, body, title)
    (folder / f"a{suffix}").write_bytes(content.encode("utf-8", "surrogatepass"))
    _load_checked(folder)


def test_file_name_that_is_not_utf8_loads_and_saves(tmp_path):
    from toolkit.io import write_csv
    from toolkit.tables import articles_frame

    name = os.fsdecode(b"caf\xe9-\xff.txt")  # Latin-1 bytes in a name, as old zips leave them
    (tmp_path / name).write_text("A title\n\nChina said the plan is fair.\n", "utf-8")
    (article,) = load_articles(tmp_path)
    assert article.article_id == "caf\ufffd-\ufffd"
    assert article.path == str(tmp_path) + "/caf\ufffd-\ufffd.txt"
    write_csv(articles_frame([article]), tmp_path / "out" / "articles.csv")


def test_loader_and_cleaning_take_a_million_word_article(tmp_path):
    sentence = "Xi told Putin “China backs the plan,” the ministry said on Monday. "
    words = sentence.split()
    lines = []
    for i in range(0, 1_000_000, 200):  # one paragraph every 200 words
        lines.append(" ".join(words[(i + j) % len(words)] for j in range(200)))
    (tmp_path / "million.txt").write_text("A very long article\n\n" + "\n\n".join(lines), "utf-8")
    (article,) = load_articles(tmp_path)
    assert article.word_count == 1_000_000
    assert len(article.paragraphs) == 5_000
    # and one million words in a single paragraph through the cleaning functions
    one = " ".join(words[i % len(words)] for i in range(1_000_000))
    cleaned = clean_blocks(split_blocks(normalize_text(one)), title="")
    assert sum(len(p.split()) for p in cleaned.paragraphs) == 1_000_000
