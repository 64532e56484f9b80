"""Recognise special-category attributes (racial or ethnic origin, religion, health, political
opinion, trade union membership, sexual orientation, genetic or biometric data) by name and levels.

Such columns are left out of a segmentation unless the user names them: a targeting rule on
ethnicity or health is rarely lawful and never what a marketer means by "a segment". The test is on
the column's words (several languages' common spellings, accents dropped) and, for label columns, on
its levels ("Christian / Muslim / Hindu", "Asian / Black / White").
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

MAX_LEVELS = 50          # label columns with more levels are not checked by their levels
LEVELS_MATCHED = 2       # at least this many distinct levels from one vocabulary ...
LEVEL_COVERAGE = 0.5     # ... holding at least this share of the present values
LEVELS_QUOTED = 3


@dataclass(frozen=True)
class Category:
    """One special category: the words that name it and the labels that are its levels."""

    label: str
    tokens: frozenset = frozenset()       # whole words of the name
    stems: tuple = ()                     # parts of the name with separators removed
    pairs: tuple = ()                     # two words that together name it ("union", "member")
    blockers: frozenset = frozenset()     # words that make the name mean something else
    levels: frozenset = frozenset()       # words of the column's labels
    weak_levels: frozenset = frozenset()  # level words that count only beside a strong one


def _words(*text: str) -> frozenset:
    return frozenset(" ".join(text).split())


CATEGORIES = (
    Category(
        "racial or ethnic origin",
        tokens=_words("race racial races ethnicity ethnic ethnie etnia etnico etnica raza raca "
                      "razza rasse"),
        stems=("ethni", "etnic", "etnia"),
        blockers=_words("time distance pace track entries finish horse car bike"),
        levels=_words("asian hispanic latino latina latinx caucasian african arab indigenous "
                      "aboriginal islander multiracial biracial maori"),
        weak_levels=_words("black white brown")),
    Category(
        "religion or belief",
        tokens=_words("faith creed confession konfession"),
        stems=("religi", "konfession"),
        levels=_words("christian christianity catholic protestant orthodox anglican baptist "
                      "methodist lutheran evangelical mormon muslim islam islamic sunni shia hindu "
                      "hinduism buddhist buddhism jewish judaism sikh jain atheist agnostic shinto "
                      "taoist christlich katholisch evangelisch muslimisch judisch chretien "
                      "catholique musulman juif bouddhiste cristiano catolico cattolico musulmano "
                      "ebreo judio budista ateo")),
    Category(
        "health",
        tokens=_words("health disability disabilities handicap handicapped medical "
                      "illness illnesses disease diseases hiv diabetes diabetic sante salud saude "
                      "salute medication medications bmi allergy allergies mental chronic"),
        stems=("gesundheit", "behinder", "krankheit", "disabilit", "discapacid", "diagnos",
               "pregnan", "schwanger"),
        blockers=_words("score index account customer client credit financial insurance insured "
                        "plan policy product check club food app portfolio wallet system network "
                        "device vehicle engine"),
        levels=_words("diabetes diabetic asthma hypertension cancer hiv depression "
                      "dementia epilepsy arthritis")),
    Category(
        "political opinion",
        tokens=_words("voter voting partei partido partito"),
        stems=("politi",),
        pairs=(("party", "affiliation"), ("party", "preference"), ("party", "member")),
        levels=_words("democrat democrats democratic republican republicans conservative labour "
                      "tory libertarian socialist communist")),
    Category(
        "trade union membership",
        tokens=_words("unionised unionized unionist syndique syndicat sindicato sindacato "
                      "sindical gewerkschaft"),
        stems=("gewerkschaft", "tradeunion", "labourunion", "laborunion", "unionmember"),
        pairs=(("union", "member"), ("union", "membership"), ("union", "dues"),
               ("trade", "union"), ("labour", "union"), ("labor", "union")),
        blockers=_words("credit european eu customs student")),
    Category(
        "sexual orientation",
        tokens=_words("gay lesbian queer lgbt lgbtq lgbtqi"),
        stems=("sexual", "sexuel", "sessual", "lgbt"),
        levels=_words("heterosexual homosexual bisexual gay lesbian asexual pansexual queer")),
    Category(
        "genetic or biometric data",
        tokens=_words("dna genome genotype"),
        stems=("genetic", "genetisch", "genetique", "genetico", "genom", "genotyp", "biometr",
               "fingerprint", "faceprint"),
    ),
)


def _plain_words(text: str) -> list[str]:
    """Lower-case words without accents; camelCase and any punctuation split words."""
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(text))
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return [w for w in re.split(r"[^a-z0-9]+", text.casefold()) if w]


def _named(category: Category, words: list[str]) -> bool:
    """The column's name speaks of this category (and no word gives it another meaning)."""
    present = set(words)
    if present & category.blockers:
        return False
    joined = "".join(words)
    return bool(present & category.tokens
                or any(stem in joined for stem in category.stems)
                or any(a in present and b in present for a, b in category.pairs))


def _levels_matched(category: Category, shares: pd.Series) -> list[str]:
    """The labels of this category's vocabulary, if they are what the column holds."""
    if not category.levels:
        return []
    strong, weak, covered = [], [], 0.0
    for label, share in shares.items():
        words = set(_plain_words(label))
        if words & category.levels:
            strong.append(str(label))
        elif words & category.weak_levels:
            weak.append(str(label))
        else:
            continue
        covered += float(share)
    matched = strong + weak
    if not strong or len(matched) < LEVELS_MATCHED or covered < LEVEL_COVERAGE:
        return []
    return matched


def _label_shares(series: pd.Series) -> pd.Series | None:
    """Each label's share of the present values, for label columns with few levels."""
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
        return None
    shares = series.dropna().astype(str).str.strip().value_counts(normalize=True)
    return shares if 0 < len(shares) <= MAX_LEVELS else None


def _quoted(labels: list[str]) -> str:
    shown = ", ".join(f"'{label[:40]}'" for label in labels[:LEVELS_QUOTED])
    return shown + (", ..." if len(labels) > LEVELS_QUOTED else "")


def special_category(name: str, series: pd.Series) -> str | None:
    """What special category the column is, and how that was recognised; None if it is not one."""
    words = _plain_words(name)
    for category in CATEGORIES:
        if _named(category, words):
            return f"{category.label}, recognised from its name"
    shares = _label_shares(series)
    if shares is None:
        return None
    for category in CATEGORIES:
        matched = _levels_matched(category, shares)
        if matched:
            return f"{category.label}, recognised from its levels {_quoted(matched)}"
    return None
