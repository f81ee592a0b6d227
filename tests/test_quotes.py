"""Quotes layer: case file of hard cases, the seed article quote by quote, and never-crash tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.article import Article
from toolkit.extract.quotes import extract_quotes, find_quoted_spans
from toolkit.nlp import parse

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SEED = ROOT / "seeds" / "000_a1bbb6199e38b69c.txt"
CASES = [json.loads(line) for line in (HERE / "cases" / "quotes.jsonl").read_text().splitlines()
         if line.strip()]


def _mentions(parsed):
    try:
        from toolkit.extract.entities import extract_entities
    except ImportError:  # the entity layer is optional here: quotes.py has its own fallback
        return []
    return extract_entities(parsed)


def _quotes(text: str, article_id: str = "case"):
    article = Article.build(article_id=article_id, path="case", paragraphs=text.split("\n\n"))
    parsed = next(parse([article]))
    return article, extract_quotes(parsed, _mentions(parsed))


@pytest.mark.parametrize("case", CASES, ids=[c["label"] for c in CASES])
def test_case_file(case):
    article, quotes = _quotes(case["text"], case["label"])
    for q in quotes:
        assert article.text[q.start:q.end] == q.text
    got = [(q.kind, q.text, q.speaker, q.speaker_role, q.speaker_kind) for q in quotes]
    for want in case["expected"]:
        same_text = [g for g in got if g[0] == want["kind"] and g[1] == want["text"]]
        assert same_text, f"{want['kind']} quote {want['text']!r} not found in {got}"
        if want["speaker"] is not None:
            assert same_text[0][2] == want["speaker"], got
        if "role" in want:
            assert same_text[0][3] == want["role"], got
        if "speaker_kind" in want:
            assert same_text[0][4] == want["speaker_kind"], got


def test_unbalanced_quote_does_not_swallow_the_article():
    text = "“This never closes.\n\n" + "Plain reporting follows. " * 20 + "\n\nMore text."
    article, quotes = _quotes(text)
    assert [q.text for q in quotes if q.kind != "indirect"] == ["This never closes."]


def test_quote_ids_in_text_order_and_sentiment_filled():
    _, quotes = _quotes("“What a wonderful, excellent result,” said Jan Novak. Jan Novak said "
                        "that the team had played terribly in the first half.")
    assert [q.quote_id for q in quotes] == list(range(len(quotes)))
    assert [q.start for q in quotes] == sorted(q.start for q in quotes)
    assert quotes[0].polarity > 0.5 and quotes[0].subjectivity > 0.5
    assert quotes[0].cue == "said" and quotes[0].sentence_id == 0


def test_scanner_offsets_and_continuation():
    paras = ["“One,” he said. “Two", "“Three.”", "No quote here."]
    offsets = [0, 22, 32]
    spans = find_quoted_spans(paras, offsets)
    text = "\n\n".join(paras)
    assert [text[s.start:s.end] for s in spans] == ["One,", "Two\n\n“Three."]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab .,’‘'\"“”\n", max_size=40), min_size=1, max_size=4))
def test_scanner_never_crashes_and_stays_in_bounds(paras):
    paras = [p.replace("\n\n", "\n") for p in paras]
    offsets, pos = [], 0
    for p in paras:
        offsets.append(pos)
        pos += len(p) + 2
    for span in find_quoted_spans(paras, offsets):
        assert 0 <= span.open < span.start <= span.end <= span.close <= pos


@settings(max_examples=15, deadline=None)
@given(st.text(alphabet="Ab said “”\"'’‘.,\n", max_size=80))
def test_extractor_never_crashes(text):
    article, quotes = _quotes(text)
    for q in quotes:
        assert article.text[q.start:q.end] == q.text


def _seed_quotes():
    from toolkit.loader import load_articles

    article = list(load_articles(SEED))[0]
    parsed = next(parse([article]))
    return extract_quotes(parsed, _mentions(parsed))


# (start of the quoted words, kind, speaker, start of the role or None)
SEED_QUOTES = [
    ("blatant bullying and double standards", "partial", {"China", "Beijing"}, None),
    ("There’s been a clear push by Beijing", "direct", {"Raffaello Pantucci"},
     "senior associate fellow at the Royal United Services Institute"),
    ("Certainly the visit itself", "direct", {"Li Mingjiang"},
     "associate professor of international relations at the S. Rajaratnam School"),
    ("It’s difficult to imagine", "direct", {"Li Mingjiang"}, None),
    ("Any international issue cannot be solved", "direct", {"Alexander Lukashenko"}, None),
    ("Whoever wants to contain", "direct", {"Alexander Lukashenko"}, None),
    ("Lukashenko just met with Putin", "direct", {"Wan Qingsong"},
     "associate professor at the Center for Russian Studies at East China Normal University"),
    ("But like China, Belarus", "direct", {"Wan Qingsong"}, None),
    ("In the past, Lukashenko has looked", "direct", {"Raffaello Pantucci"}, None),
    ("It is possible that the Russia-Ukraine", "direct", {"Ming Jinwei"},
     "a former senior editor at Xinhua"),
    ("important lesson for China", "partial", {"Ming Jinwei"}, None),
    ("China always looks at these peripheral", "direct", {"Theresa Fallon"},
     "director of the Center for Russia Europe Asia Studies in Brussels"),
    ("China is wise enough", "direct", {"Theresa Fallon"}, None),
    ("And Lukashenko is wily enough", "direct", {"Theresa Fallon"}, None),
    ("independent foreign policy", "partial", {"Wan Qingsong"}, None),
    ("The bottom line is", "direct", {"Wan Qingsong"}, None),
    ("But what China can’t do", "direct", {"Wan Qingsong"}, None),
    ("in many ways", "partial", {"Igor Morgulov"}, None),
    ("indomitable spirit", "partial", {"Igor Morgulov"}, None),
    ("dragged into the water", "partial", {"Ming Jinwei"}, None),
    ("sit back and watch the United States", "partial", {"Ming Jinwei"}, None),
]


@pytest.fixture(scope="module")
def seed_quotes():
    return _seed_quotes()


@pytest.mark.parametrize("start,kind,speakers,role", SEED_QUOTES,
                         ids=[s[0][:30] for s in SEED_QUOTES])
def test_seed_quote(seed_quotes, start, kind, speakers, role):
    found = [q for q in seed_quotes if q.text.startswith(start)]
    assert len(found) == 1, [q.text[:40] for q in seed_quotes]
    q = found[0]
    assert q.kind == kind
    assert q.speaker in speakers
    if role is not None:
        assert q.speaker_role.startswith(role)


def test_seed_has_no_other_quoted_speech(seed_quotes):
    quoted = [q for q in seed_quotes if q.kind != "indirect"]
    assert len(quoted) == len(SEED_QUOTES)


def test_seed_reported_speech(seed_quotes):
    indirect = {q.text[:25]: q.speaker for q in seed_quotes if q.kind == "indirect"}
    assert indirect["China is maximizing its o"] == "Wan Qingsong"  # "..., Wan said."
    assert indirect["The meeting between Xi an"] == "Li Mingjiang"  # "..., Li said, which ..."
    # "According to government data, ...": data is no one's words, so no speaker is shown
    data = next(q for q in seed_quotes if q.text.startswith("China’s trade with Russia"))
    assert (data.speaker, data.speaker_mention, data.speaker_kind) == (
        "", "government data", "document")


def test_token_columns_agree_with_spacy_objects():
    # _Tokens reads cue words (LOWER ids) and PERSON entities (entity columns) from arrays; they
    # must be what the Token and Span objects say, whatever the case of the word
    from toolkit.extract.quotes import _INDIRECT_WORDS, _Tokens

    text = ("SAID Maria Lopez, who Said so. According to John Smith, the vote failed.\n\n"
            "Mr. Tanaka told Reuters that Anna Berg had ADDED nothing, pointing out the delay.")
    article = Article.build(article_id="cols", path="case", paragraphs=text.split("\n\n"))
    parsed = next(parse([article]))
    toks = _Tokens(parsed)
    tokens = [(chunk.start + t.idx, t) for chunk in parsed.chunks for t in chunk.doc]
    assert [pos for _, pos in toks.cues] == [
        pos for pos, t in tokens if t.text.lower() in _INDIRECT_WORDS]
    people = [(chunk.start + e.start_char, chunk.start + e.end_char)
              for chunk in parsed.chunks for e in chunk.doc.ents if e.label_ == "PERSON"]
    assert people and toks.person_entities() == people


def _sentence_bounds_by_character(text, pos, para_lo, para_hi, *, forward, spans):
    """The scan ``_sentence_bounds`` implements, one character at a time (the reference)."""
    import re

    from toolkit.extract.quotes import _ABBREVIATION, MAX_SENTENCE_CHARS

    covered = lambda i: any(s.open <= i < s.close for s in spans)  # noqa: E731
    para_lo = max(para_lo, pos - MAX_SENTENCE_CHARS)
    para_hi = min(para_hi, pos + MAX_SENTENCE_CHARS)
    if forward:
        for i in range(pos, para_hi):
            if covered(i):
                return i
            word = text[max(para_lo, i - 3): i]
            if text[i] not in ".?!" or not (i + 1 >= para_hi or text[i + 1].isspace()):
                continue
            initial = re.search(r"(^|\s)[A-Z]$|\b(Mr|Mrs|Ms|Dr|St|Sen|Rep|Gov|Gen|Jr|Sr)$", word)
            # an initialism ("U.N.") ends no sentence only within two words of the quote
            initialism = re.search(r"[A-Z]\.[A-Z]$", word) and len(text[pos:i].split()) <= 2
            if text[i] != "." or not (initial or initialism):
                return i
        return para_hi
    for i in range(pos - 1, para_lo - 1, -1):
        if covered(i):
            return i + 1
        if text[i] in ".?!" and i + 1 < len(text) and text[i + 1].isspace() and not (
                text[i] == "." and _ABBREVIATION.search(text[max(para_lo, i - 4): i + 1])):
            return i + 1
    return para_lo


# Found by hypothesis: a period after "?" before a capital is no initialism ("??.A." ends at 4),
# while "A.A." within two words of the quote is one.
SENTENCE_BOUND_CASES = [("??.A.", 0, 0, 5, 4), ("A.A.", 0, 0, 4, 4),
                        ("x U.N. Guterres.", 2, 0, 16, 15), ("a a a U.N. Guterres.", 0, 0, 20, 9)]


@pytest.mark.parametrize(("text", "pos", "lo", "hi", "end"), SENTENCE_BOUND_CASES)
def test_sentence_bounds_forward_cases(text, pos, lo, hi, end):
    from toolkit.extract.quotes import _sentence_bounds

    assert _sentence_bounds(text, pos, lo, hi, forward=True, spans=[]) == end
    assert _sentence_bounds_by_character(text, pos, lo, hi, forward=True, spans=[]) == end


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="aA .?!“”\n", max_size=60), st.data())
def test_sentence_bounds_agree_with_a_character_scan(text, data):
    from toolkit.extract.quotes import _sentence_bounds, _SpanList

    spans = _SpanList([s for s in find_quoted_spans([text], [0])])
    pos = data.draw(st.integers(0, len(text)))
    lo = data.draw(st.integers(0, pos))
    hi = data.draw(st.integers(pos, len(text)))
    for forward in (True, False):
        for blocked in (spans, []):
            assert _sentence_bounds(text, pos, lo, hi, forward=forward, spans=blocked) == \
                _sentence_bounds_by_character(text, pos, lo, hi, forward=forward, spans=blocked)


def test_fragment_inside_reported_speech_is_part_of_that_row():
    _, quotes = _quotes("The senator said the new tax breaks would “do nothing” for working "
                        "families in the state.")
    reported = [q for q in quotes if q.kind == "indirect"]
    fragment = [q for q in quotes if q.kind == "partial"]
    assert len(reported) == 1 and [q.text for q in fragment] == ["do nothing"]
    assert fragment[0].part_of == reported[0].quote_id and reported[0].part_of == -1
