"""Infer what each column is for: an id, a feature (numeric, categorical, binary), or ignored."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .cleaning import is_text
from .duplicates import resolve
from .sensitive import special_category

ID_NAME = re.compile(r"(^|_|\b)(id|uuid|guid|key|code|number|no|nr)$|^(customer|client|user|account)s?$",
                     re.IGNORECASE)
MAX_LEVELS = 50          # a categorical with more levels is too fine to segment on
TEXT_MIN_LENGTH = 30     # labels this long on average are free text, not categories
ROLES = ("id", "numeric", "categorical", "binary", "date", "text", "constant", "empty",
         "sensitive", "duplicate")
FEATURE_ROLES = ("numeric", "categorical", "binary")
LEFT_OUT_ROLES = ("sensitive", "duplicate")   # left out by default; naming the column opts it in
LEFT_OUT = "left out of the features unless named in them"


def id_named(name) -> bool:
    """Named like an identifier: "id", "customer_id", "CustomerID", "client no", "account"."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name).strip())
    return bool(ID_NAME.search(re.sub(r"[\s-]+", "_", text)))


@dataclass(frozen=True)
class ColumnRole:
    """What a column is, with the figures the decision rests on."""

    name: str
    role: str
    missing: int
    unique: int
    reason: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _looks_like_dates(series: pd.Series) -> bool:
    """Text of which at least 90% parses as dates (checked on a sample); digit codes ("00017")
    are ids or codes, not dates."""
    sample = series.dropna().head(500)
    text = sample.astype(str).str.strip()
    if sample.empty or not text.str.contains(r"\d").all() or text.str.fullmatch(r"\d+").all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def _is_id(name: str, series: pd.Series, unique: int, present: int) -> bool:
    """Unique per row and named or shaped like an identifier."""
    if present < 2 or unique < present:
        return False
    if id_named(name):
        return True
    if is_text(series):
        return True
    values = series.dropna()
    if pd.api.types.is_numeric_dtype(series) and (values % 1 == 0).all():
        steps = np.diff(values.to_numpy(dtype="float64"))
        return bool(len(steps) and (np.all(steps == 1) or np.all(steps == -1)))  # a row counter
    return False


def infer_role(name: str, series: pd.Series) -> ColumnRole:
    """Decide one column's role from its dtype, distinct values and name."""
    missing = int(series.isna().sum())
    present = len(series) - missing
    unique = int(series.nunique(dropna=True))

    def role(kind: str, reason: str = "") -> ColumnRole:
        return ColumnRole(name, kind, missing, unique, reason)

    if present == 0:
        return role("empty", "every value is missing")
    if unique == 1:
        return role("constant", "a single value throughout")
    if is_text(series) and series.dropna().astype(str).str.len().mean() >= TEXT_MIN_LENGTH \
            and unique > min(MAX_LEVELS, present // 2):
        return role("text", "free text")
    if _is_id(name, series, unique, present):
        return role("id", "unique per row, identifies a customer")
    if pd.api.types.is_datetime64_any_dtype(series):
        return role("date", "dates are not used as features (an order log gives recency)")
    if unique == 2:
        return role("binary")
    if pd.api.types.is_numeric_dtype(series):
        return role("numeric")
    if _looks_like_dates(series):
        return role("date", "dates are not used as features (an order log gives recency)")
    if unique > MAX_LEVELS:
        return role("text", f"{unique} distinct labels: too many to segment on (at most {MAX_LEVELS})")
    return role("categorical")


def infer_roles(table: pd.DataFrame, *, id_column: str | None = None) -> dict[str, ColumnRole]:
    """Roles of every column. One id at most: the named one, else the best id-like column
    (named like an id first); other id-like columns are left out as text."""
    roles = {name: infer_role(name, table[name]) for name in table.columns}
    candidates = [n for n, r in roles.items() if r.role == "id"]
    if id_column is not None:
        series = table[id_column]
        roles[id_column] = ColumnRole(id_column, "id", int(series.isna().sum()),
                                      int(series.nunique(dropna=True)), "named as the id column")
        chosen = id_column
    else:
        named = [n for n in candidates if id_named(n)]
        chosen = (named or candidates or [None])[0]
    for name in candidates:
        if name != chosen:
            old = roles[name]
            roles[name] = ColumnRole(name, "text", old.missing, old.unique,
                                     "unique per row like an id; not a feature")
    return _left_out_by_default(table, roles)


def _left_out_by_default(table: pd.DataFrame, roles: dict[str, ColumnRole]) -> dict[str, ColumnRole]:
    """Special-category columns, then the near duplicates among the numeric ones, get a role that
    keeps them out of the default features (segmentation.sensitive, segmentation.duplicates)."""
    roles = dict(roles)
    for name, old in roles.items():
        what = special_category(name, table[name]) if old.role in FEATURE_ROLES else None
        if what:
            roles[name] = ColumnRole(name, "sensitive", old.missing, old.unique,
                                     f"special-category attribute ({what}); {LEFT_OUT}")
    numeric = [name for name, role in roles.items() if role.role == "numeric"]
    for name, twin in resolve(table[numeric]).items():
        old = roles[name]
        roles[name] = ColumnRole(name, "duplicate", old.missing, old.unique,
                                 f"{twin.reason()}; {LEFT_OUT}")
    return roles
