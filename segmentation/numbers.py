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
_GROUPING = {".": re.compile(rf"[,{GROUP_SPACES}]"), ",": re.compile(rf"[.{GROUP_SPACES}]")}


def is_text(series: pd.Series) -> bool:
    """True for columns holding text (str or object dtype), not numbers, dates or booleans."""
    return pd.api.types.is_string_dtype(series.dtype) or series.dtype == object


def has_leading_zero(text: pd.Series) -> bool:
    """True when some value is a number-like code with a leading zero ("007", "00123")."""
    present = text.dropna().astype(str).str.strip()
    return bool(present.str.match(_LEADING_ZERO).any())


def decimal_evidence(text: pd.Series) -> dict[str, int]:
    """How many distinct values only a decimal comma, or only a decimal point, can read."""
    values = pd.Series(text.dropna().astype(str).str.strip().unique())
    return {mark: int(values.str.contains(says).sum()) for mark, says in _SAYS.items()}


def choose_decimal(evidence: dict[str, int], *, sep: str = ",") -> str:
    """The decimal mark with more evidence; without any, a comma only in semicolon files."""
    if evidence.get(",", 0) != evidence.get(".", 0):
        return "," if evidence.get(",", 0) > evidence.get(".", 0) else "."
    return "," if sep == ";" else "."


def to_numbers(text: pd.Series, *, decimal: str) -> np.ndarray:
    """Each value as a float64 read with this decimal mark; NaN where it is no number."""
    codes, uniques = pd.factorize(text)
    words = pd.Series(uniques, dtype=object).astype(str).str.strip()
    shaped = words.str.fullmatch(_SHAPES[decimal]).to_numpy(dtype=bool)
    plain = words.str.replace(_GROUPING[decimal], "", regex=True)
    if decimal == ",":
        plain = plain.str.replace(",", ".", regex=False)
    numbers = pd.to_numeric(plain.where(shaped), errors="coerce").to_numpy(dtype=np.float64)
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
    written = text[present].astype(str)
    whole = not written.str.contains(f"[eE{re.escape(decimal)}]", regex=True).any()
    if present.all() and whole and np.all(numbers == np.round(numbers)) \
            and np.all(np.abs(numbers) < 2**53):
        return column.astype(np.int64)
    return column


def number_shaped(text: pd.Series) -> bool:
    """True when every present value reads as a number with one decimal mark or the other."""
    words = pd.Series(text.dropna().astype(str).str.strip().unique())
    if words.empty:
        return False
    fits = words.str.fullmatch(_SHAPES["."]) | words.str.fullmatch(_SHAPES[","])
    return bool(fits.all())


def table_decimal(frame: pd.DataFrame, *, sep: str = ",") -> str:
    """The decimal mark of a table of text, judged on its number-shaped columns only."""
    evidence = {",": 0, ".": 0}
    for name in frame.columns:
        column = frame[name]
        if is_text(column) and number_shaped(column) and not has_leading_zero(column):
            for mark, count in decimal_evidence(column).items():
                evidence[mark] += count
    return choose_decimal(evidence, sep=sep)


def code_columns(frame: pd.DataFrame) -> list:
    """Text columns of digits with leading zeros ("00017"): codes that must stay text."""
    return [name for name in frame.columns if is_text(frame[name]) and _is_code(frame[name])]


def _is_code(text: pd.Series) -> bool:
    """Only digits, and at least one value starts with a zero followed by more digits."""
    words = pd.Series(text.dropna().astype(str).str.strip().unique())
    return bool(len(words) and words.str.fullmatch(r"\d+").all()
                and words.str.match(r"0\d").any())


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
    commas = [name for name in converted if frame[name].astype(str).str.contains(",").any()]
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
        example = frame[name].dropna().astype(str).str.strip()
        example = example[example.str.match(_LEADING_ZERO)].iloc[0]
        notes.append(f"Kept '{name}' as text, not numbers: its values have leading zeros "
                     f"(for example '{example}').")
    return notes


def _has_grouping(text: pd.Series, *, decimal: str) -> bool:
    return bool(text.dropna().astype(str).str.strip().str.contains(_GROUPING[decimal]).any())


def comma_columns(frame: pd.DataFrame) -> tuple[list, str | None, list]:
    """Columns of a decimal-comma table pandas can read itself (decimal=",", thousands="."):
    number-shaped text grouped with points or not at all; whether points group thousands; and
    which of those columns are written with a comma or a point (for the notes)."""
    fast, grouped, written = [], False, []
    for name in frame.columns:
        column = frame[name]
        if not is_text(column) or has_leading_zero(column) or not number_shaped(column):
            continue
        words = column.dropna().astype(str).str.strip()
        if words.str.fullmatch(_SHAPES[","]).all() and not words.str.contains(_SPACE).any():
            fast.append(name)
            grouped = grouped or bool(words.str.contains(".", regex=False).any())
            if words.str.contains(r"[.,]").any():
                written.append(name)
    return fast, "." if grouped else None, written
