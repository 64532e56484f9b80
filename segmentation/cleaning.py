"""Tidy a raw table the same way the exported rules do: trim labels, unify missing markers.

Everything done here is reproduced by the SQL of the rules (TRIM, the marker list), so a rule
evaluated on the table as uploaded selects the same rows as it does on the cleaned table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from explain.nulls import NULL_MARKERS

from .errors import InputError
from .numbers import choose_decimal, decimal_evidence, parse_column, to_numbers


def is_text(series: pd.Series) -> bool:
    """True for columns holding labels (str or object dtype), not numbers or dates."""
    return pd.api.types.is_string_dtype(series) or series.dtype == object


def clean_labels(series: pd.Series) -> pd.Series:
    """Trim spaces around labels and turn null markers into missing values."""
    text = series.astype("str").where(series.notna())
    trimmed = text.str.strip(" ")
    marker = trimmed.str.lower().isin(NULL_MARKERS)
    return trimmed.mask(marker)


def _numeric_if_all_parse(series: pd.Series) -> pd.Series | None:
    """The column as numbers when every present value is a number ("1.234,56" and "1,234.56"
    included), else None. Codes with leading zeros ("00017") are ids, never numbers."""
    if series.dropna().empty:
        return None
    decimal = choose_decimal(decimal_evidence(series))
    numbers = parse_column(series, decimal=decimal)
    return None if numbers is None else numbers.astype("float64")


LARGEST = 3.0e38   # beyond this, values do not survive the rule tree's single precision


def _check_finite(name: str, series: pd.Series) -> None:
    """Infinite or absurdly large values have no place in a mean or a distance: refuse them."""
    values = series.to_numpy(dtype="float64", na_value=np.nan)
    bad = np.isinf(values)
    kind = "infinite"
    if not bad.any():
        bad, kind = np.abs(np.nan_to_num(values)) > LARGEST, "too large (beyond 3e38)"
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 2  # 1-based, after the header line
        raise InputError(
            f"column '{name}' holds {int(bad.sum())} {kind} value(s) (first on line {row}): "
            "replace them with numbers or leave the cells empty"
        )


def clean_table(raw: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Return the tidy table and notes on what changed (markers, parsed numbers, duplicates)."""
    notes: list[str] = []
    columns = {}
    for name in raw.columns:
        series = raw[name]
        if is_text(series):
            series = clean_labels(series)
            numbers = _numeric_if_all_parse(series)
            if numbers is not None:
                series = numbers
                notes.append(f"column '{name}' read as numbers")
        elif pd.api.types.is_bool_dtype(series):
            series = series.map({True: "True", False: "False"}).astype("str")
        if pd.api.types.is_numeric_dtype(series):
            _check_finite(name, series)
        columns[name] = series
    table = pd.DataFrame(columns, index=raw.index)
    duplicated = table.duplicated()
    if duplicated.any():
        notes.append(f"dropped {int(duplicated.sum())} exact duplicate row(s)")
        table = table.loc[~duplicated]
    return table, notes  # the index keeps each row's position in the upload


def require_numbers(table: pd.DataFrame, roles: dict) -> pd.DataFrame:
    """The table with every column given the numeric role read as numbers ("12,5" included).

    A column holding values that are no numbers is refused, naming the column and such a value.
    """
    out = table.copy()
    for name, role in roles.items():
        series = table[name]
        if role.role != "numeric" or not is_text(series):
            continue
        decimal = choose_decimal(decimal_evidence(series))
        numbers = to_numbers(series, decimal=decimal)
        bad = series.notna().to_numpy() & np.isnan(numbers)
        if bad.any():
            example = str(series[bad].iloc[0])[:40]
            raise InputError(
                f"column '{name}' is set as numeric but holds values that are no numbers, such as "
                f"'{example}' ({int(bad.sum()):,} of {int(series.notna().sum()):,}): give it "
                "another role, or correct those values and upload the file again")
        out[name] = numbers
    return out


def id_values(series: pd.Series) -> pd.Series:
    """Ids as the upload wrote them: whole-number floats (an id column with gaps) as integers."""
    if pd.api.types.is_float_dtype(series.dtype):
        present = series.dropna()
        if (present == np.round(present)).all() and (present.abs() < 2**53).all():
            return series.astype("Int64")
    return series
