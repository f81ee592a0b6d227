"""Money figures, percentages and physical trade quantities, normalised to base units.

Candidates come from two places: this module's own patterns over each sentence's text (currency
symbols, ISO codes and currency words around a number with an optional scale word, "%" /
"percent" / "per cent", tons / barrels / cubic meters), and spaCy's MONEY and PERCENT entities that
the patterns did not cover (read with the same currency table). A figure needs a unit: bare numbers
(years, ordinals, "12-point", "1,000 troops", dates, ages) are never amounts.

Choices worth knowing:

* Ranges ("$10 billion to $15 billion", "$10-15 billion", "between 5% and 7%") give two amounts,
  each with qualifier ``range``; a bare lower bound borrows the upper bound's scale and unit, so
  "$10-15 billion" gives "$10" = 1e10 USD and "15 billion" = 1.5e10 USD. "from X to Y" is a change,
  not a range: X gets ``from``, Y gets ``to``.
* A converted figure in brackets ("35 billion yuan ($5.5 billion)") is kept, with the subject and
  year of the figure it converts and the qualifier ``equivalent`` (drop those rows to avoid
  counting one sum twice).
* Percentages have unit "%" and value 60.0 for "60%"; "percentage points" have unit "pp".
* "¥" is JPY unless the sentence (or, failing that, the article) speaks of China or the yuan
  more than of Japan or the yen; then it is CNY.
* ``year`` is an explicit four-digit year in the same clause or in a clause that governs it;
  failing that, "last year", "this year" or "next year" in the sentence, counted from the
  article's publication year (left as None when the article has no date).
"""

from __future__ import annotations

import csv
import functools
import itertools
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from ..paths import DATA_DIR
from ..records import Amount, Mention

__all__ = ["extract_amounts", "parse_number", "currency_code", "find_figures", "Figure"]

CURRENCY_TABLE = DATA_DIR / "currencies.csv"

SCALES: dict[str, int] = {
    "thousand": 10**3,
    "k": 10**3,
    "million": 10**6,
    "mn": 10**6,
    "mln": 10**6,
    "m": 10**6,
    "billion": 10**9,
    "bn": 10**9,
    "bln": 10**9,
    "b": 10**9,
    "trillion": 10**12,
    "tn": 10**12,
    "lakh": 10**5,  # South Asian scales
    "crore": 10**7,
    "trn": 10**12,
}
WORD_NUMBERS: dict[str, int] = {
    w: i
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
} | {
    w: 10 * (i + 2)
    for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}

# Physical quantities that trade stories report; unit words are normalised to one spelling.
PHYSICAL_UNITS: dict[str, str] = {
    "metric tons": "tons",
    "metric tonnes": "tons",
    "tonnes": "tons",
    "tons": "tons",
    "barrels per day": "barrels/day",
    "barrels a day": "barrels/day",
    "bpd": "barrels/day",
    "barrels": "barrels",
    "cubic meters": "cubic meters",
    "cubic metres": "cubic meters",
    "bcm": "cubic meters",  # billion cubic meters: the scale is part of the abbreviation
}


class _AnyCase:
    """A case-insensitive pattern that searches ASCII text faster, with the same outcome.

    Python's regex engine skips a branch of an alternation on its first character only when the
    branch is case-sensitive. In ASCII text, ignoring case is the same as lower-casing the text
    (which moves no offset), so ASCII text is lower-cased and searched case-sensitively; other
    text goes to the case-insensitive pattern. ``source`` spells its letters in lower case.
    """

    def __init__(self, source: str) -> None:
        self.any_case = re.compile(source, re.IGNORECASE)
        self.lower_case = re.compile(source)

    def search(self, text: str) -> re.Match[str] | None:
        """Return the first match in ``text``, or None; its offsets index ``text``, but in ASCII
        text its groups are lower-cased."""
        if text.isascii():
            return self.lower_case.search(text.lower())
        return self.any_case.search(text)

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        """Return the matches in ``text``, as ``search`` gives them."""
        if text.isascii():
            return self.lower_case.finditer(text.lower())
        return self.any_case.finditer(text)


# Words that sit right before a figure and say how exact it is or what it did.
APPROXIMATORS = (
    "more than", "less than", "fewer than", "greater than", "higher than", "lower than",
    "no more than", "no less than", "at least", "at most", "up to", "as much as", "as many as",
    "as little as", "as high as",
    "just under", "just over", "just below", "just above", "well over", "well above",
    "close to", "nearly", "almost", "about", "around", "roughly", "approximately", "some",
    "over", "under", "below", "above", "only", "just", "an estimated", "estimated", "a net",
    "net", "a total of", "a further", "another", "an additional", "additional", "a record",
    "record", "a new record", "new record", "by", "from", "to",
    "between", "an average of", "average", "a mere", "a whopping", "whopping", "in excess of",
    "upwards of", "a combined",
)
_APPROX_RE = _AnyCase(
    r"(?:^|(?<=[\s(\[\"“‘'—–-]))("
    + "|".join(
        re.escape(a).replace(r"\ ", r"\s+") for a in sorted(APPROXIMATORS, key=len, reverse=True)
    )
    + r")\s*$"
)
# "up 20%" / "down 54% from": only as a free-standing comment, not "made up just 2%".
_UPDOWN_RE = _AnyCase(r"(?:^|[,;(—–]\s*)((?:up|down)(?:\s+by)?)\s*$")
_AFTER_RE = re.compile(
    r"^\s*(or more|or less|or so|or higher|or lower|and up|plus)\b", re.IGNORECASE
)


def _forms(*bases: str) -> set[str]:
    """Return regular inflections of verbs: the lemmatizer is off, so verbs match on word form."""
    out: set[str] = set()
    for base in bases:
        if " " in base:  # explicit irregular forms
            out.update(base.split())
            continue
        out.add(base)
        out.add(base + "es" if base.endswith(("s", "sh", "ch", "x")) else base + "s")
        if base.endswith("e"):
            out.update({base + "d", base[:-1] + "ing"})
        elif base.endswith("y") and base[-2] not in "aeiou":
            out.update({base[:-1] + "ied", base[:-1] + "ies", base + "ing"})
        elif re.fullmatch(r"[^aeiou]*[aeiou][bdgmnprt]", base):  # top -> topped, slip -> slipped
            out.update({base + base[-1] + "ed", base + base[-1] + "ing"})
        else:
            out.update({base + "ed", base + "ing"})
    return out


# Verbs that say what a figure did or reached (matched on the governing verb's word form).
CHANGE_VERBS = _forms(
    "top", "jump", "surge", "soar", "climb", "increase", "decrease", "decline", "drop", "plunge",
    "plummet", "slump", "tumble", "exceed", "surpass", "reach", "double", "triple", "halve",
    "slash", "boost", "gain", "total", "amount", "hover", "dip", "ease", "recover", "rebound",
    "widen", "narrow", "expand", "contract", "shrink shrank shrunk shrinking shrinks",
    "rise rose risen rising rises", "fall fell fallen falling falls",
    "grow grew grown growing grows",
    "hit hits hitting", "cut cuts cutting", "lose lost losing loses", "shed sheds shedding",
    "sink sank sunk sinking sinks", "slide slid sliding slides", "stand stood standing stands",
    "raise", "add", "accelerate", "slow", "spike", "balloon", "crash", "collapse", "stagnate",
)

# Nouns that only restate a figure ("a record high of $173 billion"): look past them for what
# the figure is about.
PLACEHOLDERS = {
    "record", "high", "low", "total", "level", "levels", "figure", "sum", "amount", "value",
    "tune", "average", "worth", "peak", "mark", "rate", "tally", "estimate", "range", "share",
    "increase", "rise", "jump", "drop", "decline", "fall", "growth", "gain", "loss", "lows",
    "highs", "maximum", "minimum", "threshold", "ceiling", "cap", "sums",
}
# Attribution phrases: entities there name the source of a figure, not its subject.
_SOURCE_WORDS = {
    "according", "citing", "cited", "said", "says", "say", "told", "tells", "wrote", "writes",
    "noted", "notes", "added", "reported", "reports", "showed", "shows", "show", "found", "finds",
    "estimated", "estimates", "stated", "claimed", "claims", "argued", "suggested", "suggests",
    "indicated", "indicates", "calculated", "calculations", "survey", "data", "statistics",
}
# Time and cause adjuncts: a country there ("since the war in Ukraine") is not the subject.
_ADJUNCT_PREPS = {"since", "during", "amid", "after", "before", "despite", "until", "because",
                  "following", "throughout"}
_CLAUSE_DEPS = {"ROOT", "ccomp", "advcl", "relcl", "parataxis", "csubj", "xcomp", "acl"}
_YEAR_RE = re.compile(r"^(1[89]\d\d|20\d\d|2100)$")
_YEAR_IN_TEXT = re.compile(r"1[89]\d\d|20\d\d|2100")  # found in any text holding a year token

# Fallback naming when no entity mentions are passed: demonyms and capitals used for states.
_FALLBACK_CANONICAL = {
    "us": "United States", "u.s.": "United States", "usa": "United States",
    "america": "United States", "american": "United States", "united states": "United States",
    "the united states": "United States", "washington": "United States",
    "chinese": "China", "beijing": "China", "prc": "China",
    "russian": "Russia", "moscow": "Russia", "kremlin": "Russia", "russian federation": "Russia",
    "ukrainian": "Ukraine", "kyiv": "Ukraine", "kiev": "Ukraine",
    "belarusian": "Belarus", "minsk": "Belarus", "japanese": "Japan", "tokyo": "Japan",
    "indian": "India", "delhi": "India", "new delhi": "India", "british": "United Kingdom",
    "uk": "United Kingdom", "u.k.": "United Kingdom", "britain": "United Kingdom",
    "european": "European Union", "eu": "European Union", "the european union": "European Union",
    "german": "Germany", "french": "France", "iranian": "Iran", "tehran": "Iran",
    "taiwanese": "Taiwan", "taipei": "Taiwan", "korean": "South Korea",
}


@dataclass(frozen=True)
class Figure:
    """A figure found in plain text: offsets into that text, value in base units, unit, flags."""

    start: int
    end: int
    value: float
    unit: str
    flags: tuple[str, ...] = ()  # "range", "from", "to" set by range handling


# --------------------------------------------------------------------------------------------
# Currency table and patterns


@functools.cache
def _currency_rows() -> tuple[tuple[str, str, str], ...]:
    """Return (form, kind, code) rows of toolkit/data/currencies.csv, longest form first."""
    with CURRENCY_TABLE.open(encoding="utf-8") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    rows = [(r["form"], r["kind"], r["code"]) for r in csv.DictReader(lines)]
    return tuple(sorted(rows, key=lambda r: len(r[0]), reverse=True))


def currency_code(form: str) -> str | None:
    """Return the ISO code of a currency symbol, code or word, or None.

    >>> currency_code("US$"), currency_code("yuan"), currency_code("Roubles"), currency_code("kg")
    ('USD', 'CNY', 'RUB', None)
    """
    return _currency_code(form)


@functools.lru_cache(maxsize=16384)
def _currency_code(form: str) -> str | None:
    # A pure function of the string, asked about most tokens' heads: cached, and looked up in
    # two dicts instead of scanning the table.
    form = re.sub(r"\s+", " ", form.strip())
    exact, folded = _currency_index()
    hits = [hit for hit in (exact.get(form), folded.get(form.lower())) if hit is not None]
    return min(hits)[1] if hits else None


@functools.cache
def _currency_index() -> tuple[dict[str, tuple[int, str]], dict[str, tuple[int, str]]]:
    """Return {form: (row number, code)} for symbols/codes (matched exactly) and for words
    (matched lower-cased); the first row wins, as in a scan of ``_currency_rows()``."""
    exact: dict[str, tuple[int, str]] = {}
    folded: dict[str, tuple[int, str]] = {}
    for n, (f, kind, code) in enumerate(_currency_rows()):
        (folded if kind == "word" else exact).setdefault(f, (n, code))
    return exact, folded


_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_WORDNUM = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|"
    r"five|six|seven|eight|nine))?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|half\s+a|an?)"
)
_SCALE_LONG = r"(?:thousand|million|billion|trillion|lakh|crore)"
_SCALE_ANY = (
    r"(?:thousand|million|billion|trillion|lakh|crore|mln|mn|bln|bn|trn|tn|[mbk])(?![A-Za-z])"
)


_DIGIT = re.compile(r"\d")
_PERCENT_WORD = _AnyCase(r"%|percentage|per\s?cent|pct")
# a figure spelled with words needs a number word other than "a"/"an"/"half a", or a scale word
# ("a billion yuan"): text with neither and no digit holds no figure, whatever the patterns say
_NUMBER_WORD = _AnyCase(
    r"(?<![a-z])(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|thousand|million|billion|trillion|lakh|crore|mln|mn|bln|bn|"
    r"tn)(?![a-z])"
)
_LEAD = r"(?<![\w.,$€£¥])"  # a figure's number never continues a word or another number
# Where a figure's number can start: every figure pattern but the prefixed one begins with
# _LEAD and a number. A lookahead, so that starts inside a number are found too ("five" in
# "twenty-five").
_NUMBER_START = _AnyCase(rf"(?={_LEAD}(?:{_NUM}|{_WORDNUM}))")


@functools.cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """Return the compiled figure patterns: prefixed money, money words, percent, physical."""
    rows = _currency_rows()
    symbols = [re.escape(f).replace(r"\ ", r"\s?") for f, k, _ in rows if k == "symbol"]
    codes = [re.escape(f) for f, k, _ in rows if k == "code"]
    words = [re.escape(f).replace(r"\ ", r"\s+") for f, k, _ in rows if k == "word"]
    prefix = (
        r"(?P<cur>(?<![A-Za-z])(?:" + "|".join(codes) + r")\s?(?=[\d.])|"
        r"(?<![A-Za-z0-9])(?:" + "|".join(symbols) + r"))"
    )
    number = rf"(?P<num>{_NUM}|(?i:{_WORDNUM}))"
    lead = _LEAD
    # "$10-15 billion" / "$10 to $15 billion": the lower bound is captured and split off later.
    lower = (
        rf"(?:(?P<lo>{_NUM})\s*(?P<losep>-|–|—|\bto\b)\s*"
        rf"(?:{prefix.replace('?P<cur>', '?P<cur2>')})?\s?)?"
    )
    money_prefixed = re.compile(
        rf"{prefix}\s?{lower}(?P<num>{_NUM})(?:\s?(?P<scale>{_SCALE_ANY}))?"
        rf"(?:\s(?P<scale2>{_SCALE_LONG})(?![A-Za-z]))?"
    )
    money_words = re.compile(
        rf"{lead}{number}(?:[\s-](?P<scale>(?i:{_SCALE_LONG}|mln|mn|bln|bn|tn)))?"
        rf"(?:[\s-](?P<scale2>(?i:{_SCALE_LONG})))?[\s-]"
        rf"(?P<cur>(?i:{'|'.join(words)})(?![A-Za-z])|(?:{'|'.join(codes)})(?![A-Za-z]))"
    )
    percent = re.compile(
        rf"{lead}{number}\s?(?P<cur>%|(?i:percentage[\s-]points?|per\s?cent(?:age)?|pct)(?![A-Za-z]))"
    )
    units = "|".join(
        re.escape(u).replace(r"\ ", r"\s+") for u in sorted(PHYSICAL_UNITS, key=len, reverse=True)
    )
    physical = re.compile(
        rf"{lead}{number}(?:[\s-](?P<scale>(?i:{_SCALE_LONG}|mn|bn)))?\s(?P<cur>(?i:{units}))(?![A-Za-z])"
    )
    return money_prefixed, money_words, percent, physical


@functools.cache
def _currency_prefix_part() -> re.Pattern[str]:
    """Return a search for what every prefixed amount holds verbatim: a currency code, or the
    last part of a symbol (the "$" of "U.S. $", whose space is optional)."""
    parts = {form.split()[-1] for form, kind, _ in _currency_rows() if kind in ("code", "symbol")}
    return re.compile("|".join(re.escape(p) for p in sorted(parts, key=len, reverse=True)))


def parse_number(text: str) -> float | None:
    """Return the value of a written number ("1,234.5", "twenty-five", "a", "half a"), or None.

    >>> parse_number("1,234.5"), parse_number("twenty-five"), parse_number("half a")
    (1234.5, 25.0, 0.5)
    >>> parse_number("many") is None
    True
    """
    t = re.sub(r"\s+", " ", text.strip().lower())
    try:
        return float(Decimal(t.replace(",", "")))
    except InvalidOperation:
        pass
    if t in ("a", "an"):
        return 1.0
    if t == "half a":
        return 0.5
    parts = re.split(r"[\s-]", t)
    if parts and all(p in WORD_NUMBERS for p in parts) and len(parts) <= 2:
        return float(sum(WORD_NUMBERS[p] for p in parts))
    return None


def _scaled(num: str, *scales: str | None) -> float | None:
    """Return ``num`` times its scale words, computed in decimal so 8.5bn is exactly 8.5e9."""
    base = parse_number(num)
    if base is None:
        return None
    value = Decimal(repr(base))
    for s in scales:
        if s:
            value *= SCALES[s.lower()]
    return float(value)


def _yen_code(sentence: str, article: str) -> str:
    """Return CNY or JPY for a bare "¥": whichever country the sentence, else article, is about."""
    for text in (sentence, article):
        cn = len(re.findall(r"\b(?:China|Chinese|yuan|renminbi|RMB|Beijing)\b", text))
        jp = len(re.findall(r"\b(?:Japan|Japanese|yen|Tokyo)\b", text))
        if cn != jp:
            return "CNY" if cn > jp else "JPY"
    return "JPY"


def find_figures(text: str, *, context: str = "") -> list[Figure]:
    """Return the money figures, percentages and physical quantities in plain ``text``.

    ``context`` (e.g. the whole article) only decides what a bare "¥" means.

    >>> text = "up 60% to US$8.5bn"
    >>> [(text[f.start:f.end], f.value, f.unit) for f in find_figures(text)]
    [('60%', 60.0, '%'), ('US$8.5bn', 8500000000.0, 'USD')]
    >>> find_figures("In 2022, a 12-point plan, 1,000 troops and an ally")
    []
    """
    has_digit = _DIGIT.search(text) is not None
    if not has_digit and not _NUMBER_WORD.search(text):
        return []
    money_prefixed, money_words, percent, physical = _patterns()
    # every match of the last three patterns starts with a number: find where numbers can start
    # once, and try the patterns only there
    starts = [m.start() for m in _NUMBER_START.finditer(text)]
    found: list[Figure] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    def add(
        start: int, end: int, value: float | None, unit: str, flags: tuple[str, ...] = ()
    ) -> None:
        if value is None or not free(start, end):
            return
        taken.append((start, end))
        found.append(Figure(start, end, value, unit, flags))

    # a prefixed amount's number is digits, and its currency part is there as written: without
    # both the pattern cannot match
    for m in (money_prefixed.finditer(text)
              if has_digit and _currency_prefix_part().search(text) else ()):
        cur = re.sub(r"\s+", " ", m.group("cur").strip())
        code = currency_code(cur) or "USD"
        if cur == "¥":
            code = _yen_code(text, context)
        scales = (m.group("scale"), m.group("scale2"))
        if m.group("lo"):
            # "$10-15 billion": the lower bound shares the upper bound's scale and currency
            lo_end = m.start("lo") + len(m.group("lo"))
            add(m.start(), lo_end, _scaled(m.group("lo"), *scales), code, ("range",))
            add(m.start("cur2") if m.group("cur2") else m.start("num"), m.end(),
                _scaled(m.group("num"), *scales), code, ("range",))
        else:
            add(m.start(), m.end(), _scaled(m.group("num"), *scales), code)
    for m in _matches_at(money_words, text, starts):
        num, scale = m.group("num"), m.group("scale")
        if num.lower() in ("a", "an", "half a") and not scale:
            continue  # "an ally", "a dollar store": not figures
        code = currency_code(m.group("cur")) or "USD"
        if code == "KRW" and m.group("cur").lower() == "won" and not scale:
            continue  # "won" is usually the verb
        # "word": no scale word, so "top 15 yuan markets" (yuan as a modifier) is checked later
        add(m.start(), m.end(), _scaled(num, scale, m.group("scale2")), code,
            () if scale else ("word",))
    # every percent figure contains one of these words: a cheap search skips most sentences
    for m in (_matches_at(percent, text, starts) if _PERCENT_WORD.search(text) else ()):
        num = m.group("num")
        if num.lower() in ("a", "an", "half a"):
            continue
        unit = "pp" if m.group("cur").lower().startswith("percentage") else "%"
        add(m.start(), m.end(), _scaled(num), unit)
    for m in _matches_at(physical, text, starts):
        num, scale = m.group("num"), m.group("scale")
        if num.lower() in ("a", "an", "half a") and not scale:
            continue
        unit_word = re.sub(r"\s+", " ", m.group("cur").lower())
        value = _scaled(num, scale)
        if unit_word == "bcm" and value is not None:
            value *= 1e9
        add(m.start(), m.end(), value, PHYSICAL_UNITS[unit_word])
    found.sort(key=lambda f: f.start)
    return _mark_ranges(text, found)


def _matches_at(
    pattern: re.Pattern[str], text: str, starts: list[int]
) -> Iterator[re.Match[str]]:
    """Yield the matches ``pattern.finditer(text)`` yields, trying only the positions ``starts``
    (ascending), which must hold every position where a match of ``pattern`` can start."""
    end = 0
    for start in starts:
        if start >= end:  # finditer goes on from the end of the last match
            m = pattern.match(text, start)  # lookbehinds still see the text before ``start``
            if m:
                yield m
                end = m.end()


_BARE_LOWER = re.compile(rf"(?<![\w.,])(?P<lo>{_NUM})\s*(?P<sep>-|–|—|\bto\b|\band\b)\s*$")


def _mark_ranges(text: str, figures: list[Figure]) -> list[Figure]:
    """Return ``figures`` with ranges flagged and bare lower bounds ("10-15%") added."""
    out: list[Figure] = []
    for f in figures:
        prev = out[-1] if out else None
        gap_start = prev.end if prev else 0
        before = text[gap_start:f.start]
        joined = re.fullmatch(r"\s*(-|–|—|to|and)\s*", before)
        if prev and joined and prev.unit == f.unit and "range" not in prev.flags:
            opener = text[max(0, prev.start - 12):prev.start].lower()
            if joined.group(1) == "and" and not re.search(r"between\s*$", opener):
                out.append(f)
                continue
            if re.search(r"from\s*$", opener):  # "from $10bn to $15bn": a change, not a range
                out[-1] = Figure(
                    prev.start, prev.end, prev.value, prev.unit, prev.flags + ("from",)
                )
                out.append(Figure(f.start, f.end, f.value, f.unit, f.flags + ("to",)))
            else:
                out[-1] = Figure(
                    prev.start, prev.end, prev.value, prev.unit, prev.flags + ("range",)
                )
                out.append(Figure(f.start, f.end, f.value, f.unit, f.flags + ("range",)))
            continue
        bare = _BARE_LOWER.search(text[gap_start:f.start]) if "range" not in f.flags else None
        if bare and f.unit in ("%", "pp") or (bare and re.match(r"[\d.]", text[f.start])):
            lo_start = gap_start + bare.start("lo")
            opener = text[max(0, lo_start - 12):lo_start].lower()
            sep = bare.group("sep")
            if sep != "and" or re.search(r"between\s*$", opener):
                # the bare number's scale is the upper figure's: 10-15 billion yuan
                number = re.match(rf"{_NUM}|(?i:{_WORDNUM})", text[f.start:])
                upper = parse_number(number.group()) if number else None
                lower = parse_number(bare.group("lo"))
                if upper and lower is not None and lower <= upper:
                    kind = "from" if re.search(r"from\s*$", opener) else "range"
                    out.append(Figure(lo_start, gap_start + bare.end("lo"), f.value * lower / upper,
                                      f.unit, (kind,)))
                    out.append(Figure(f.start, f.end, f.value, f.unit,
                                      f.flags + ("to" if kind == "from" else "range",)))
                    continue
        out.append(f)
    return out


# --------------------------------------------------------------------------------------------
# Reading the parse: subject, year, qualifier


def _clause_root(tok):  # spacy Token -> Token
    """Return the head of the clause ``tok`` sits in (a verb, or the sentence root)."""
    seen = 0
    while tok.dep_ not in _CLAUSE_DEPS and tok.head.i != tok.i and seen < 50:
        if tok.dep_ == "conj" and tok.pos_ in ("VERB", "AUX"):
            break
        tok = tok.head
        seen += 1
    return tok


def _clause_chain(tok) -> list:
    """Return the clause heads from ``tok``'s own clause up to the sentence root."""
    chain, cur = [], _clause_root(tok)
    while cur not in chain:
        chain.append(cur)
        if cur.head.i == cur.i:
            break
        cur = _clause_root(cur.head)
    return chain


def _in_source_phrase(tok) -> bool:
    """Return True when ``tok`` sits in an attribution ("according to X", "X said")."""
    for anc in itertools.chain((tok,), tok.ancestors):  # lazily: most walks stop early
        if anc.lower_ in _SOURCE_WORDS or anc.lower_ in _ADJUNCT_PREPS:
            return True
        if anc.dep_ in _CLAUSE_DEPS:
            return False
    return False


def _span_root(tokens):  # list[Token] -> Token
    """Return the token of ``tokens`` whose head lies outside them (the phrase's syntactic root)."""
    ids = {t.i for t in tokens}
    for t in tokens:
        if t.head.i not in ids or t.head.i == t.i:
            return t
    return tokens[-1]


def _is_date_or_number(tok) -> bool:
    return (
        tok.ent_type_ in ("DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT")
        or tok.like_num
    )


def _of_object(tok, exclude: frozenset[int] = frozenset()):
    """Return the noun of an "of"/"in"/"worth of" phrase under ``tok``, or None.

    E.g. "trade" in "$5bn in trade".
    """
    for child in tok.children:
        word = child.lower_
        if child.dep_ == "prep" and word in ("of", "in") or word == "worth":
            if word == "worth":
                objs = [
                    g for c in child.children if c.lower_ == "of"
                    for g in c.children if g.dep_ == "pobj"
                ]
            else:
                objs = [c for c in child.children if c.dep_ == "pobj"]
            for obj in objs:
                if obj.i in exclude:
                    continue
                if obj.pos_ in ("NOUN", "PROPN") and not _is_date_or_number(obj):
                    if obj.lower_ in PLACEHOLDERS:
                        return _of_object(obj, exclude) or obj
                    return obj
    return None


def _subject_of(verb):
    """Return the grammatical subject of ``verb``, climbing through non-finite clauses."""
    for _ in range(4):
        for child in verb.children:
            if child.dep_ in ("nsubj", "nsubjpass", "csubj"):
                if child.tag_ == "WDT" and verb.dep_ == "relcl":  # "trade, which rose ..."
                    return verb.head
                return child
        if verb.dep_ in ("relcl", "acl") and verb.head.pos_ in ("NOUN", "PROPN"):
            return verb.head
        if verb.head.i == verb.i or verb.dep_ not in ("advcl", "xcomp", "conj", "ccomp"):
            return None
        verb = verb.head
    return None


def _head_noun(root, figure: frozenset[int]):
    """Return (noun the figure quantifies or None, governing verb or None, placeholder chain).

    ``figure`` holds the token indices of the figure itself.
    """
    chain = [root]
    noun = _of_object(root, figure)
    verb = None
    cur = root
    for _ in range(8):
        if noun is not None:
            break
        head = cur.head
        if head.i == cur.i:
            break
        dep = cur.dep_
        if head.pos_ in ("VERB", "AUX"):
            verb = head
            if dep == "prep" and cur.lower_ in ("to", "from", "by", "at") or (
                dep == "advmod" and cur.lower_ in ("up", "down")
            ):
                # "cut its growth forecast to 4.4%": the object is what changed
                objs = [
                    c for c in head.children
                    if c.dep_ in ("dobj", "nsubjpass") and c.i != root.i
                    and c.pos_ in ("NOUN", "PROPN") and c.lower_ not in PLACEHOLDERS
                ]
                if objs:
                    noun = objs[0]
                    break
            after = root.doc[max(figure) + 1] if max(figure) + 1 < len(root.doc) else None
            if (
                dep == "dobj" and after is not None
                and after.head.i == head.i and after.dep_ == "prep"
            ):
                # "sent £2.5m in aid": the parser hangs the "in" phrase on the verb
                noun = _of_object(head, figure | {c.i for c in head.children if c.i < after.i})
                if noun is not None and noun.i > after.i:
                    break
            noun = _subject_of(head)
            break
        if dep == "pobj" and head.dep_ == "prep":
            prep = head
            if prep.lower_ == "of" and prep.head.pos_ in ("NOUN", "PROPN"):
                if prep.head.lower_ in PLACEHOLDERS:
                    cur = prep.head
                    chain.append(cur)
                    noun = _of_object(cur, figure) if cur.lower_ != "tune" else None
                    continue
                noun = prep.head
                break
            cur = prep
            continue
        if head.pos_ in ("NOUN", "PROPN") and dep != "appos":
            if head.lower_ in PLACEHOLDERS:
                cur = head
                chain.append(cur)
                noun = _of_object(cur, figure)
                continue
            noun = head
            break
        cur = head
    if verb is None:
        for anc in [cur, *cur.ancestors]:
            if anc.pos_ in ("VERB", "AUX"):
                verb = anc
                break
    if noun is not None and (noun.pos_ == "PRON" or noun.tag_ in ("PRP", "WDT", "WP", "EX")):
        noun = None
    return noun, verb, chain


def _noun_phrase(noun, skip: set[int]) -> str:
    """Return the head noun with its compound and adjective modifiers, minus entity words."""
    keep = [noun]
    stack = [noun]
    while stack:
        t = stack.pop()
        for c in t.children:
            if c.i < noun.i and c.dep_ in ("compound", "amod", "nmod") and c.i not in skip:
                keep.append(c)
                stack.append(c)
    kept = [
        t for t in sorted(keep, key=lambda t: t.i)
        if t.i not in skip and t.lower_ not in ("record", "new", "such", "same", "own", "other")
    ]
    ids = {t.i for t in kept}
    # hyphens inside a kept compound ("hush-money", "sell-off") stay
    kept += [t.doc[i] for t in kept for i in (t.i + 1,)
             if i < len(t.doc) and t.doc[i].text == "-" and i + 1 in ids]
    kept.sort(key=lambda t: t.i)
    out = ""
    for k, t in enumerate(kept):
        word = t.text if (t.pos_ == "PROPN" or t.text.isupper()) else t.lower_
        nxt = kept[k + 1] if k + 1 < len(kept) else None
        out += word + (t.whitespace_ if nxt is not None and nxt.i == t.i + 1 else " ")
    return re.sub(r"\s+", " ", out).strip(" -–")


@dataclass(frozen=True)
class _Entity:
    start: int  # doc-level char offsets
    end: int
    name: str


def _fallback_entities(doc) -> list[_Entity]:
    """Return country-like entities straight from spaCy when no mentions are passed."""
    out = []
    for ent in doc.ents:
        if ent.label_ not in ("GPE", "ORG", "NORP"):
            continue
        name = re.sub(r"^(?:the)\s+", "", ent.text, flags=re.I)
        name = re.sub(r"[’']s?$", "", name).strip()
        canonical = _FALLBACK_CANONICAL.get(name.lower())
        if ent.label_ == "NORP" and canonical is None:
            continue  # "Muslim", "Democrats": not a state
        out.append(_Entity(ent.start_char, ent.end_char, canonical or name))
    return out


def _mention_entities(mentions: Sequence[Mention], shift: int) -> list[_Entity]:
    """Return mentions that name states or organisations, in doc char offsets."""
    out = []
    for m in mentions:
        if m.kind == "person":
            continue
        if m.label == "NORP" or m.kind in ("group", "other"):
            name = m.country or (m.canonical if m.kind == "country" else "")
        elif m.kind == "place":
            name = m.country or m.canonical
        else:
            name = m.canonical
        if name:
            out.append(_Entity(m.start - shift, m.end - shift, name))
    return out


def _entities_in(tokens: Iterable, entities: list[_Entity]) -> list[str]:
    """Return entity names covering any of ``tokens``, in text order, without repeats."""
    spans = sorted({(t.idx, t.idx + len(t)) for t in tokens})
    names: list[str] = []
    for ent in sorted(entities, key=lambda e: e.start):
        if any(a < ent.end and ent.start < b for a, b in spans) and ent.name not in names:
            names.append(ent.name)
    return names


def _clause_tokens(head) -> list:
    """Return the tokens of ``head``'s clause, without nested clauses or attributions."""
    out = []
    stack = [head]
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(c for c in t.children if not _leaves_clause(c))
    return out


def _leaves_clause(tok) -> bool:
    """Return True when ``tok`` heads a nested clause or is an attribution word: it and what
    hangs below it lie outside its head's clause."""
    return tok.dep_ in _CLAUSE_DEPS and tok.dep_ != "xcomp" or tok.lower_ in _SOURCE_WORDS


def _in_clause(tok, head) -> bool:
    """Return True when ``tok`` is one of ``_clause_tokens(head)``: the way up from ``tok`` to
    ``head`` passes no nested clause and no attribution."""
    while tok.i != head.i:
        if _leaves_clause(tok):
            return False
        if tok.head.i == tok.i:
            return False  # the sentence root, and ``head`` was not on the way
        tok = tok.head
    return True


def _under_clause(tok, top, deps: tuple[str, ...], *, with_top: bool) -> bool:
    """Return True when an ancestor of ``tok`` below ``top`` (``top`` too if ``with_top``) has a
    dependency in ``deps``; ``tok`` lies in ``top``'s subtree."""
    # The ancestors of a token of top.subtree inside that subtree are exactly its head chain up
    # to top: walking the chain avoids materialising the subtree once per ancestor.
    if tok.i == top.i:
        return False  # top's own ancestors lie outside its subtree
    for a in tok.ancestors:
        if a.i == top.i:
            return with_top and a.dep_ in deps
        if a.dep_ in deps:
            return True
    return False


def _span_ents(span, cache: dict[int, tuple[tuple, list[int]]]) -> list:
    """Return ``span.ents`` (the doc's entities inside the span), reading ``doc.ents`` once per
    doc through ``cache`` (spaCy's ``Span.ents`` rebuilds the doc's whole entity list)."""
    doc = span.doc
    cached = cache.get(id(doc))
    if cached is None:
        ents = tuple(doc.ents)
        cached = cache[id(doc)] = (ents, [ent.start for ent in ents])
    ents, starts = cached
    out = []
    # the same walk as spaCy's Span.ents, from the first entity starting in the span (entities
    # are sorted and do not overlap)
    for ent in ents[bisect_left(starts, span.start):]:
        if ent.end <= span.end:
            out.append(ent)
        else:
            break
    return out


def _subject_text(noun, chain_root, entities: list[_Entity], figure_ids: set[int], *,
                  token_bounds: tuple[Sequence[int], Sequence[int]] | None = None,
                  memo: dict | None = None) -> str:
    """Return "China–Russia trade": entity names of the noun phrase or clause plus the head noun.

    ``token_bounds`` are the char offsets where the doc's tokens start and end (computed when not
    given); ``memo`` keeps each clause's names for the next figure with the same ids and entities.
    """
    names: list[str] = []
    skip: set[int] = set(figure_ids)
    # Only tokens overlapping an entity can contribute a name: the attribution and currency tests
    # below run on those alone.
    touching: set[int] = set()
    if entities:
        starts, ends = token_bounds or _token_bounds(chain_root.doc)
        # offsets are sorted, so two bisections each: the tokens starting inside an entity, and
        # the tokens overlapping it
        for e in entities:
            skip.update(range(bisect_left(starts, e.start), bisect_left(starts, e.end)))
            touching.update(range(bisect_right(ends, e.start), bisect_left(starts, e.end)))
    phrase = ""
    if noun is not None:
        key = ("noun phrase", noun.i, id(figure_ids), id(entities))
        if memo is not None and key in memo:
            names, phrase = list(memo[key][0]), memo[key][1]
        else:
            np_tokens = [
                t for t in noun.subtree
                if t.i in touching and t.i not in figure_ids
                and not _under_clause(t, noun, ("acl", "advcl"), with_top=False)
                and not _in_source_phrase(t) and currency_code(t.head.lower_) is None
            ]
            names = _entities_in(np_tokens, entities)
            phrase = _noun_phrase(noun, skip)
            if memo is not None:
                memo[key] = (list(names), phrase)
    if not names and touching:
        doc = chain_root.doc
        candidates = [doc[i] for i in sorted(touching) if i not in figure_ids]
        for clause in _clause_chain(chain_root):
            key = ("clause names", clause.i, id(figure_ids), id(entities))
            if memo is not None and key in memo:
                names = list(memo[key])
            else:
                toks = [t for t in candidates
                        if _in_clause(t, clause)
                        and not _in_source_phrase(t) and currency_code(t.head.lower_) is None]
                names = _entities_in(toks, entities)
                if memo is not None:
                    memo[key] = list(names)
            if names:
                break
    names = [n for n in names if n.lower() not in phrase.lower().split()]
    label = "–".join(names)
    return f"{label} {phrase}".strip() if phrase else label


def _token_bounds(doc) -> tuple[list[int], list[int]]:
    """Return the char offsets where each of the doc's tokens starts and where it ends."""
    bounds = doc.to_array(["IDX", "LENGTH"])
    return bounds[:, 0].tolist(), (bounds[:, 0] + bounds[:, 1]).tolist()


_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|"
           "december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
# A figure for part of a year ("in the first eight months", "in August", "January-July") cannot
# be compared with an annual total.
_PART_OF_YEAR = _AnyCase(
    r"\b(?:first|last|past|opening|final)\s+(?:(?:\w+|\d+)\s+)?(?:months?|quarters?|half|weeks?)\b"
    r"|\b(?:the\s+)?(?:first|second|third|fourth)\s+quarter\b|\bq[1-4]\b|\bh[12]\b"
    rf"|\b(?:in|during|for|since)\s+(?:{_MONTHS})\b(?!\s+\d{{1,2}}\b)"
    rf"|\b(?:{_MONTHS})\s*[-–]\s*(?:{_MONTHS})\b|\b(?:year|month)\s+to\s+date\b|\bytd\b"
)


def part_of_year(sentence: str) -> str:
    """Return the phrase saying a figure covers part of a year, or "".

    >>> part_of_year("For the first eight months of this year, trade surged 31% to $117.2 billion.")
    'first eight months'
    >>> part_of_year("Its shipments jumped 26% to $8 billion in August.")
    'in August'
    >>> part_of_year("Trade topped a record $190 billion in 2022.")
    ''
    """
    match = _PART_OF_YEAR.search(sentence)
    return sentence[match.start():match.end()] if match else ""  # in its original case


_RELATIVE_YEAR = _AnyCase(r"\b(last|this|next) year\b")
_YEAR_SHIFT = {"last": -1, "this": 0, "next": 1}


def relative_year(sentence: str, published: str) -> int | None:
    """Return the year a sentence's "last/this/next year" means, counted from ``published``.

    >>> relative_year("Trade rose 30% last year.", "2023-02-27")
    2022
    >>> relative_year("Trade rose 30% last year.", "") is None
    True
    >>> relative_year("It will grow next year.", "2023-01-05")
    2024
    """
    match = _RELATIVE_YEAR.search(sentence)
    if not match or not re.match(r"\d{4}-", published or ""):
        return None
    return int(published[:4]) + _YEAR_SHIFT[match.group(1).lower()]


def _year_tokens(sent, sentence: str, figure_ids: set[int], published: str,
                 relative: bool) -> list:
    """Return ``(token, year)`` for each time reference of spaCy sentence ``sent`` outside the
    figures: a four-digit year, or the "year" of "last/this/next year" counted from
    ``published``. A year a change is measured from ("up 26% from 2022", "since 2014",
    "compared with 2021") is the base of a comparison, not the figure's year, and is left out.

    ``sentence`` is the sentence's text and ``relative`` whether ``relative_year`` found a
    relative year in it (the caller has asked already): without a year-like number or a
    relative year, the tokens are never read.
    """
    explicit = bool(_YEAR_IN_TEXT.search(sentence))
    if not explicit and not relative:
        return []
    found = []
    for t in sent:
        if explicit and _YEAR_RE.match(t.text) and t.i not in figure_ids \
                and not _is_base_year(t):
            found.append((t, int(t.text)))
        elif relative and t.lower_ == "year" and t.i > 0 \
                and t.doc[t.i - 1].lower_ in _YEAR_SHIFT:
            found.append((t, int(published[:4]) + _YEAR_SHIFT[t.doc[t.i - 1].lower_]))
    return found


# prepositions that make a year the base a change is measured from
_BASE_PREPOSITIONS = frozenset({"from", "since", "than", "versus", "vs", "vs."})


def _is_base_year(token) -> bool:
    head = token.head
    if head.i == token.i:
        return False
    if head.lower_ in _BASE_PREPOSITIONS:
        return True
    # "compared with 2021", "in comparison to 2021"
    return head.lower_ in ("with", "to") and head.head.lower_ in ("compared", "comparison")


def _year_for(root, years: list) -> int | None:
    """Return the year of the figure's clause or a governing clause, nearest first.

    ``years`` are the sentence's ``(token, year)`` time references (``_year_tokens``).
    """
    if not years:
        return None
    chain = _clause_chain(root)
    for level, clause in enumerate(chain):
        here = [y for y in years if _clause_root(y[0]).i == clause.i]
        if level == 0 and not here and len(chain) == 1:
            here = years  # a one-clause sentence: any year in it
        if here:
            best = min(here, key=lambda y: (abs(y[0].i - root.i) + (0 if y[0].i > root.i else 1)))
            return best[1]
    return None


# Any token whose lower form is "record", "all-time" or "unprecedented" matches this search (a
# character lower-cases to a letter of these words only where it matches that letter here).
_RECORD_WORD = _AnyCase(r"record|all-time|unprecedented")


def _record_words(chain: list, noun, base: int, memo: dict) -> list[tuple[int, str]]:
    """Return (offset, "record") for each word that makes a figure a record: before its noun,
    "on record" in its own clause, or anywhere in the clause governing it (not in a relative
    clause). ``base`` and ``memo`` are ``_qualifier``'s."""
    found = []
    top = chain[-1]
    if noun is not None:
        for t in noun.subtree:
            if t.lower_ in ("record", "all-time") and t.i < noun.i:
                found.append((t.idx + base, "record"))
    # "..., the largest monthly reduction on record": anywhere in the figure's own clause
    clause = _clause_root(chain[0])
    on_record = memo.get(("on record", clause.i))
    if on_record is None:
        on_record = memo[("on record", clause.i)] = [
            t.idx for t in _clause_tokens(clause)
            if t.lower_ == "record" and t.i > 0 and t.doc[t.i - 1].lower_ == "on"
        ]
    found += [(idx + base, "record") for idx in on_record]
    records = memo.get(("record", top.i))
    if records is None:
        records = memo[("record", top.i)] = [
            t.idx for t in top.subtree
            if t.lower_ in ("record", "all-time", "unprecedented")
            and not _under_clause(t, top, ("relcl", "acl"), with_top=True)
        ]
    found += [(idx + base, "record") for idx in records]
    return found


def _qualifier(text: str, rel_start: int, rel_end: int, flags: tuple[str, ...], verb,
               chain: list, base: int, noun=None, *, memo: dict | None = None) -> str:
    """Return the qualifier words around a figure in text order: "topped record", "at least".

    ``base`` turns a token's doc char offset into an offset in ``text`` (the sentence).
    ``memo`` keeps whether the sentence has record words at all, and the clause-wide "record"
    words, for the sentence's other figures.
    """
    if memo is None:
        memo = {}
    found: list[tuple[float, str]] = []
    window_start = max(0, rel_start - 60)
    before = text[window_start:rel_start]
    pos = len(before)
    for _ in range(4):
        m = _APPROX_RE.search(before[:pos])
        if not m:
            break
        word = re.sub(r"\s+", " ", m.group(1).lower())
        word = re.sub(r"^(?:a|an) ", "", word)
        if word == "new record":
            word = "record"
        found.append((window_start + m.start(1), word))
        pos = m.start(1)
    updown = _UPDOWN_RE.search(before[:pos])
    if updown:
        found.append((window_start + updown.start(1), re.sub(r"\s+", " ", updown.group(1).lower())))
    after = _AFTER_RE.match(text[rel_end:])
    if after:
        found.append((rel_end, after.group(1).lower()))
    if verb is not None and verb.lower_ in CHANGE_VERBS:
        found.append((verb.idx + base, verb.lower_))
    if "record words" not in memo:
        memo["record words"] = _RECORD_WORD.search(text) is not None
    if memo["record words"]:  # else no token of the sentence is one: skip the tree walks
        found += _record_words(chain, noun, base, memo)
    for flag in flags:
        if flag != "word":
            found.append((rel_end + 0.5, flag))
    words: list[str] = []
    for _, w in sorted(found, key=lambda p: p[0]):
        if w not in words:
            words.append(w)
    return " ".join(words)


# --------------------------------------------------------------------------------------------
# The extractor


def extract_amounts(parsed, mentions: Sequence[Mention] = ()) -> list[Amount]:
    """Return the money figures and percentages of a parsed article, in text order.

    ``parsed`` is a :class:`toolkit.nlp.Parsed`; ``mentions`` are the article's entity rows
    (``toolkit.extract.entities``): when given, subjects use their canonical names ("Beijing" as
    a government -> "China"); otherwise spaCy's GPE/ORG/NORP entities name them.
    """
    article = parsed.article
    text = article.text
    out: list[Amount] = []
    token_bounds: dict[int, tuple] = {}  # id(doc) -> its tokens' char offsets (docs live on)
    doc_ents: dict[int, tuple] = {}  # id(doc) -> doc.ents and where they start (_span_ents)
    by_start: list[int] | None = [m.start for m in mentions]
    if any(a > b for a, b in zip(by_start, by_start[1:], strict=False)):
        by_start = None
    for sent in parsed.sentences:
        s_text = text[sent.start:sent.end]
        doc = sent.span.doc
        shift = sent.offset  # article offset = doc char offset + shift
        figures = find_figures(s_text, context=text)
        covered = [(f.start, f.end) for f in figures]
        for ent in _span_ents(sent.span, doc_ents):  # spaCy's MONEY/PERCENT the patterns missed
            if ent.label_ not in ("MONEY", "PERCENT"):
                continue
            a, b = ent.start_char + shift - sent.start, ent.end_char + shift - sent.start
            if any(a < e and s < b for s, e in covered):
                continue
            for f in find_figures(s_text[a:b], context=text):
                figures.append(Figure(f.start + a, f.end + a, f.value, f.unit, f.flags))
        figures.sort(key=lambda f: f.start)
        if not figures:
            continue
        if mentions and by_start is not None:  # mentions sorted by start: bisect the sentence
            in_sent = list(mentions[bisect_left(by_start, sent.start):
                                    bisect_left(by_start, sent.end)])
        else:
            in_sent = [m for m in mentions if sent.start <= m.start < sent.end]
        entities = _mention_entities(in_sent, shift) if mentions else _fallback_entities(doc)
        spans = []
        for f in figures:
            d0, d1 = f.start + sent.start - shift, f.end + sent.start - shift
            span = doc.char_span(d0, d1, alignment_mode="expand")
            spans.append(list(span) if span is not None and len(span) else [])
        all_ids = {t.i for toks in spans for t in toks}
        # this sentence's work shared by its figures (keys hold ids of all_ids and entities,
        # which live as long as the memo)
        memo: dict = {}
        # what the sentence's words say about time holds for each of its figures
        period = part_of_year(s_text)
        sentence_year = relative_year(s_text, article.published)
        years = _year_tokens(sent.span, s_text, all_ids, article.published,
                             relative=sentence_year is not None)
        rows: list[tuple[Figure, str, int | None, str, object]] = []
        for f, toks in zip(figures, spans, strict=True):
            if not toks:
                rows.append((f, "", None, " ".join(f.flags), None))
                continue
            last = toks[-1]
            if "word" in f.flags and last.dep_ in ("compound", "amod", "nmod") \
                    and last.head.i > last.i and last.head.pos_ == "NOUN":
                continue  # "the top 15 yuan markets": the currency word modifies a noun
            root = _span_root(toks)
            noun, verb, chain = _head_noun(root, frozenset(t.i for t in toks))
            if entities and id(doc) not in token_bounds:
                token_bounds[id(doc)] = _token_bounds(doc)
            subject = _subject_text(noun, root, entities, all_ids,
                                    token_bounds=token_bounds.get(id(doc)), memo=memo)
            year = _year_for(root, years)
            if year is None:
                year = sentence_year
            qualifier = _qualifier(s_text, f.start, f.end, f.flags, verb, chain,
                                   shift - sent.start, noun, memo=memo)
            if period:
                qualifier = " ".join(w for w in [qualifier, f"period: {period}"] if w)
            rows.append((f, subject, year, qualifier, root))
        # A bracketed conversion repeats the figure before it: same subject and year.
        for i in range(1, len(rows)):
            f, _, _, qual, root = rows[i]
            pf, psubj, pyear, _, _ = rows[i - 1]
            gap = s_text[pf.end:f.start]
            if (
                re.fullmatch(
                    r"\s*[(\[]\s*(?:about|around|roughly|approximately|or|some|nearly)?\s*", gap
                )
                and f.unit != pf.unit and f.unit not in ("%", "pp") and pf.unit not in ("%", "pp")
            ):
                qual = " ".join(w for w in [qual, "equivalent"] if w)
                rows[i] = (f, psubj, pyear, qual, root)
        for f, subject, year, qualifier, _ in rows:
            start, end = sent.start + f.start, sent.start + f.end
            out.append(Amount(
                article_id=article.article_id, sentence_id=sent.sentence_id, start=start,
                end=end, text=text[start:end], value=f.value, unit=f.unit, year=year,
                subject=subject, qualifier=qualifier,
            ))
    return out
