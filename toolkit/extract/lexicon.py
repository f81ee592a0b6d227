"""The name tables of ``toolkit/data`` (aliases, capitals, cities, demonyms, family-first
surnames), read once and indexed, and the lookups every layer shares.

The tables are knowledge, kept apart from the layers that use them (``entities`` for places and
kinds, ``people`` for who a name or a description refers to), so that each word list has one
home and both layers read the same one.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from ..paths import DATA_DIR


def read_table(name: str) -> list[dict[str, str]]:
    """Return the rows of a CSV table in ``toolkit/data``, skipping its ``#`` comment lines."""
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if not line.startswith("#") and line.strip()]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]


@dataclass(frozen=True)
class Tables:
    """The editable name tables, indexed for lookup."""

    aliases: dict[str, tuple[str, str]]  # variant -> (canonical, kind); exact
    aliases_folded: dict[str, tuple[str, str]]  # casefolded variant -> ..., for mixed-case variants
    capitals: dict[str, tuple[str, bool]]  # city -> (country, may stand for the government)
    cities: dict[str, str]  # other city -> country
    countries: frozenset[str]
    demonyms: dict[str, tuple[str, str]]  # casefolded demonym -> (demonym, country)
    family_first: frozenset[str]
    keep_upper: frozenset[str]  # acronyms kept in capitals when a headline is restored


@functools.cache
def load_tables() -> Tables:
    """Return the alias, capital, city, demonym and surname tables from ``toolkit/data``."""
    aliases: dict[str, tuple[str, str]] = {}
    folded: dict[str, tuple[str, str]] = {}
    for row in read_table("aliases.csv"):
        value = (row["canonical"], row["kind"])
        aliases[norm(row["alias"])] = value
        if not row["alias"].isupper():
            folded[norm(row["alias"]).casefold()] = value
    capitals = {
        norm(r["capital"]): (r["country"], r.get("metonymy", "1") != "0")
        for r in read_table("capitals.csv")
    }
    cities = {norm(r["city"]): r["country"] for r in read_table("cities.csv")}
    demonyms = {
        norm(r["demonym"]).casefold(): (r["demonym"], r["country"])
        for r in read_table("demonyms.csv")
    }
    countries = {c for c, _ in capitals.values()}
    countries |= {c for _, c in demonyms.values() if c}
    countries |= {c for c, k in aliases.values() if k == "country"}
    family_first = frozenset(r["surname"] for r in read_table("surnames_family_first.csv"))
    keep_upper = frozenset(a for a in aliases if a.replace(".", "").isupper() and " " not in a)
    return Tables(
        aliases, folded, capitals, cities, frozenset(countries), demonyms, family_first, keep_upper
    )


def norm(text: str) -> str:
    """Return ``text`` with straight apostrophes and single spaces, for table lookups.

    >>> norm("Xi  Jinping’s")
    "Xi Jinping's"
    """
    return " ".join(text.replace("’", "'").split())


def lookup_place(text: str, tables: Tables | None = None) -> tuple[str, str, str]:
    """Return ``(kind, canonical, country)`` for a place or country name, or ``("", text, "")``.

    >>> lookup_place("the United States")
    ('country', 'United States', 'United States')
    >>> lookup_place("Beijing")
    ('place', 'Beijing', 'China')
    >>> lookup_place("EU")
    ('organization', 'European Union', '')
    """
    tables = tables or load_tables()
    name = norm(text)
    if name[:4].lower() == "the ":
        name = name[4:]
    hit = tables.aliases.get(name) or tables.aliases_folded.get(name.casefold())
    if hit:
        canonical, kind = hit
        return kind, canonical, canonical if kind == "country" else ""
    if name in tables.capitals:
        return "place", name, tables.capitals[name][0]
    if name in tables.countries:
        return "country", name, name
    if name in tables.cities:
        return "place", name, tables.cities[name]
    return "", text, ""


def lookup_demonym(text: str, tables: Tables | None = None) -> tuple[str, str] | None:
    """Return ``(demonym, country)`` for a nationality word or its plural, else None.

    >>> lookup_demonym("Russians")
    ('Russian', 'Russia')
    >>> lookup_demonym("Chinese")
    ('Chinese', 'China')
    """
    tables = tables or load_tables()
    key = norm(text).casefold()
    if key.startswith("the "):
        key = key[4:]
    if key in tables.demonyms:
        return tables.demonyms[key]
    if key.endswith("s") and key[:-1] in tables.demonyms:
        return tables.demonyms[key[:-1]]
    return None


