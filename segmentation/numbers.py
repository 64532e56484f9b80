"""Numbers written as text in the common locales: "1.234,56", "1,234.56", "12,5", "1 234,56".

A file has one decimal mark, decided from the values that can only be read one way ("12,5" and
"1.234,56" say comma, "12.50" and "1,234.5" say point). Values with a leading zero ("00123") are
identifiers, not numbers, and dates never match the number shapes, so neither is turned into one.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

GROUP_SPACES = " \u00a0\u202f\u2009"  # space, no-break space, narrow no-break space, thin space
_SPACE = f"[{GROUP_SPACES}]"
_EXPONENT = r"(?:[eE][+-]?\d+)?"
_SHAPES = {
    ".": re.compile(rf"[+-]?(?:[1-9]\d{{0,2}}(?:,\d{{3}})+|[1-9]\d{{0,2}}(?:{_SPACE}\d{{3}})+|\d+)"
                    rf"(?:\.\d*)?{_EXPONENT}|[+-]?\.\d+{_EXPONENT}"),
    ",": re.compile(rf"[+-]?(?:[1-9]\d{{0,2}}(?:\.\d{{3}})+|[1-9]\d{{0,2}}(?:{_SPACE}\d{{3}})+|\d+)"
                    rf"(?:,\d*)?{_EXPONENT}|[+-]?,\d+{_EXPONENT}"),
}
# Values only one decimal mark can read: a mark followed by other than three digits, a leading
# "0" before the mark, a point before a comma (or the reverse), or the same mark twice.
_SAYS = {
    ",": re.compile(r"\d,(?:\d{1,2}|\d{4,})$|^[+-]?0,\d|\.\d{3},\d|\d\.\d{3}\.\d{3}"),
    ".": re.compile(r"\d\.(?:\d{1,2}|\d{4,})$|^[+-]?0\.\d|,\d{3}\.\d|\d,\d{3},\d{3}"),
}
_LEADING_ZERO = re.compile(rf"^[+-]?0\d[\d.,{GROUP_SPACES}]*$")
_DIGITS = re.compile(r"\d+")
_SPACED = re.compile(_SPACE)
_GROUPING = {".": re.compile(rf"[,{GROUP_SPACES}]"), ",": re.compile(rf"[.{GROUP_SPACES}]")}


def distinct_words(text: pd.Series) -> list[str]:
    """The distinct present values as stripped strings. The shape checks below run compiled
    patterns over these in Python: pandas' string methods re-parse a pattern on every call, which
    made a 300-column file take seconds to read."""
    values = pd.unique(text.to_numpy(dtype=object, na_value=None))
    return list(dict.fromkeys(str(v).strip() for v in values if v is not None))


def _all(pattern: re.Pattern, words: list[str]) -> bool:
    return all(pattern.fullmatch(w) for w in words)


def _any(pattern: re.Pattern, words: list[str]) -> bool:
    return any(pattern.search(w) for w in words)


def is_text(series: pd.Series) -> bool:
    """True for columns holding text (str or object dtype), not numbers, dates or booleans."""
    return pd.api.types.is_string_dtype(series.dtype) or series.dtype == object


def has_leading_zero(text: pd.Series) -> bool:
    """True when some value is a number-like code with a leading zero ("007", "00123")."""
    return _leading_zero(distinct_words(text))


def _leading_zero(words: list[str]) -> bool:
    return any(_LEADING_ZERO.match(w) for w in words)


def decimal_evidence(text: pd.Series) -> dict[str, int]:
    """How many distinct values only a decimal comma, or only a decimal point, can read."""
    return _evidence(distinct_words(text))


def _evidence(values: list[str]) -> dict[str, int]:
    return {mark: sum(1 for v in values if says.search(v)) for mark, says in _SAYS.items()}


def choose_decimal(evidence: dict[str, int], *, sep: str = ",") -> str:
    """The decimal mark with more evidence; without any, a comma only in semicolon files."""
    if evidence.get(",", 0) != evidence.get(".", 0):
        return "," if evidence.get(",", 0) > evidence.get(".", 0) else "."
    return "," if sep == ";" else "."


def to_numbers(text: pd.Series, *, decimal: str) -> np.ndarray:
    """Each value as a float64 read with this decimal mark; NaN where it is no number."""
    codes, uniques = pd.factorize(text)
    shape, grouping = _SHAPES[decimal], _GROUPING[decimal]
    plain = []
    for word in (str(v).strip() for v in uniques):
        word = grouping.sub("", word) if shape.fullmatch(word) else None
        plain.append(word.replace(",", ".") if word is not None and decimal == "," else word)
    numbers = pd.to_numeric(pd.Series(plain, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64)
    return np.append(numbers, np.nan)[codes]


def parse_column(text: pd.Series, *, decimal: str) -> pd.Series | None:
    """The column as numbers when every present value reads as one and none is a code, else None.

    Whole numbers written without a decimal part come back as int64 when nothing is missing.
    """
    present = text.notna().to_numpy()
    if not present.any() or has_leading_zero(text):
        return None
    numbers = to_numbers(text, decimal=decimal)
    if np.isnan(numbers[present]).any():
        return None
    column = pd.Series(numbers, index=text.index, name=text.name)
    whole = not _any(re.compile(f"[eE{re.escape(decimal)}]"), distinct_words(text))
    if present.all() and whole and np.all(numbers == np.round(numbers)) \
            and np.all(np.abs(numbers) < 2**53):
        return column.astype(np.int64)
    return column


def number_shaped(text: pd.Series) -> bool:
    """True when every present value reads as a number with one decimal mark or the other."""
    return _shaped(distinct_words(text))


def _shaped(words: list[str]) -> bool:
    point, comma = _SHAPES["."], _SHAPES[","]
    return bool(words) and all(point.fullmatch(w) or comma.fullmatch(w) for w in words)


def table_decimal(frame: pd.DataFrame, *, sep: str = ",") -> str:
    """The decimal mark of a table of text, judged on its number-shaped columns only."""
    evidence = {",": 0, ".": 0}
    for name in frame.columns:
        if not is_text(frame[name]):
            continue
        words = distinct_words(frame[name])
        if _shaped(words) and not _leading_zero(words):
            for mark, count in _evidence(words).items():
                evidence[mark] += count
    return choose_decimal(evidence, sep=sep)


def code_columns(frame: pd.DataFrame) -> list:
    """Text columns of digits with leading zeros ("00017"): codes that must stay text."""
    return [name for name in frame.columns if is_text(frame[name]) and _is_code(frame[name])]


def _is_code(text: pd.Series) -> bool:
    """Only digits, and at least one value starts with a zero followed by more digits."""
    words = distinct_words(text)
    return bool(words) and _all(_DIGITS, words) and any(w.startswith("0") and len(w) > 1
                                                         for w in words)


def type_numbers(frame: pd.DataFrame, *, decimal: str, codes: list,
                 parsed: list = ()) -> tuple[pd.DataFrame, list]:
    """Text columns that read wholly as numbers become numbers; codes stay text. Returns notes;
    `parsed` names columns already read as decimal-comma numbers (by pandas), for the notes."""
    converted = {}
    for name in frame.columns:
        column = frame[name]
        if name in codes or not is_text(column) or not _quick_fit(column):
            continue
        numbers = parse_column(column, decimal=decimal)
        if numbers is not None:
            converted[name] = numbers
    notes = _typing_notes(frame, converted, decimal=decimal, codes=codes, parsed=list(parsed))
    if converted:
        frame = frame.copy()
        for name, values in converted.items():
            frame[name] = values
    return frame, notes


def _quick_fit(column: pd.Series, head: int = 200) -> bool:
    """A cheap first look: the first present values are number-shaped."""
    return number_shaped(column.dropna().head(head))


def _typing_notes(frame: pd.DataFrame, converted: dict, *, decimal: str, codes: list,
                  parsed: list) -> list:
    """Sentences for the dataset notes: which columns were read in which notation, which kept."""
    notes = []
    grouped = [name for name in converted if _has_grouping(frame[name], decimal=decimal)]
    commas = [name for name in converted if any("," in w for w in distinct_words(frame[name]))]
    if decimal == "," and (parsed or commas or grouped):
        listed = [name for name in frame.columns if name in set(parsed + commas + grouped)]
        notes.append("Read numbers written with a decimal comma (1.234,56 = 1234.56) in: "
                     + ", ".join(f"'{name}'" for name in listed) + "; the rules and rules.sql "
                     "speak of them as plain numbers: load them into a database as numbers.")
    elif grouped:
        notes.append("Read numbers written with thousands separators (1,234.56 = 1234.56) in: "
                     + ", ".join(f"'{name}'" for name in grouped) + "; the rules and rules.sql "
                     "speak of them as plain numbers: load them into a database as numbers.")
    for name in codes:
        example = next(w for w in distinct_words(frame[name]) if _LEADING_ZERO.match(w))
        notes.append(f"Kept '{name}' as text, not numbers: its values have leading zeros "
                     f"(for example '{example}').")
    return notes


def _has_grouping(text: pd.Series, *, decimal: str) -> bool:
    return _any(_GROUPING[decimal], distinct_words(text))


def comma_columns(frame: pd.DataFrame) -> tuple[list, str | None, list]:
    """Columns of a decimal-comma table pandas can read itself (decimal=",", thousands="."):
    number-shaped text grouped with points or not at all; whether points group thousands; and
    which of those columns are written with a comma or a point (for the notes)."""
    fast, grouped, written = [], False, []
    for name in frame.columns:
        if not is_text(frame[name]):
            continue
        words = distinct_words(frame[name])
        if _leading_zero(words) or not _shaped(words):
            continue
        if _all(_SHAPES[","], words) and not _any(_SPACED, words):
            fast.append(name)
            grouped = grouped or any("." in w for w in words)
            if any("." in w or "," in w for w in words):
                written.append(name)
    return fast, "." if grouped else None, written
