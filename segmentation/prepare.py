"""Turn the tidy table into two matrices: scaled for clustering, original units for the rules.

Every choice (fill value, transform, grouped levels) is recorded on a `Feature`, because the rules,
their SQL and the result's `dataset.features` all have to state it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .cleaning import is_text
from .duplicates import near_duplicate_pairs, r_text
from .errors import InputError
from .roles import FEATURE_ROLES, LEFT_OUT_ROLES, ColumnRole, infer_role
from .sensitive import special_category

RARE_SHARE = 0.01        # levels rarer than this are grouped as "other"
MAX_KEPT_LEVELS = 12     # at most this many levels get their own column
SKEW_LOG = 1.0           # non-negative columns more skewed than this are log-transformed
POSITIVE_LABELS = ("yes", "true", "y", "t", "1", "active", "member")


@dataclass
class Feature:
    """One feature as prepared: how gaps were filled, how it was encoded, what the rules see."""

    name: str
    kind: str                      # numeric | categorical | binary
    transform: str                 # e.g. "log1p, standardised", "one-hot", "indicator"
    missing: int
    fill: float | str | None
    fill_method: str | None        # median | most frequent | None (nothing missing)
    text: bool = False             # values are labels (compared as text in SQL)
    levels: list = field(default_factory=list)         # categorical: own columns; binary: [neg, pos]
    other_levels: list = field(default_factory=list)   # categorical: grouped as "other"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class TreeColumn:
    """A column of the rule matrix: a numeric feature, or one level (or the 'other' group)."""

    feature: str
    level: object = None
    other: bool = False


@dataclass
class Prepared:
    """The matrices and the record of how they were made."""

    features: list[Feature]
    matrix: np.ndarray             # scaled, for clustering
    tree_matrix: np.ndarray        # original units, filled, one-hot: for the rules
    tree_columns: list[TreeColumn]
    filled: pd.DataFrame           # the feature columns, filled, in original units
    suggestions: list[str]


def _plain(value):
    """numpy scalars to plain Python, so the value goes into JSON and SQL as written."""
    return value.item() if hasattr(value, "item") else value


def _fill_numeric(series: pd.Series) -> tuple[pd.Series, float]:
    median = float(series.median())
    return series.fillna(median).astype("float64"), median


def _fill_label(series: pd.Series):
    counts = series.value_counts(dropna=True)
    top = counts.index[counts.to_numpy() == counts.max()]
    mode = _plain(sorted(top, key=str)[0])
    return series.fillna(mode), mode


def _numeric_feature(name, series, notes):
    filled, median = _fill_numeric(series)
    values = filled.to_numpy()
    skew = float(pd.Series(values[:200_000]).skew()) if len(values) > 2 else 0.0
    transform = "standardised"
    scaled = values
    if values.min() >= 0 and skew > SKEW_LOG:
        scaled = np.log1p(values)
        transform = f"log1p (skewness {skew:.1f}), standardised"
    std = scaled.std()
    scaled = (scaled - scaled.mean()) / (std if std > 0 else 1.0)
    feature = Feature(name, "numeric", transform, int(series.isna().sum()), median,
                      "median" if series.isna().any() else None, notes=notes)
    return feature, filled, scaled[:, None], [TreeColumn(name)], values[:, None]


def _level_order(levels) -> list:
    return sorted(levels, key=lambda v: (str(type(v)), v))


def _binary_feature(name, series, notes):
    filled, mode = _fill_label(series)
    levels = _level_order(filled.unique())
    positive = next((v for v in levels if str(v).lower() in POSITIVE_LABELS), levels[-1])
    negative = next(v for v in levels if v != positive)
    indicator = (filled == positive).to_numpy(dtype="float64")[:, None]
    feature = Feature(name, "binary", "indicator", int(series.isna().sum()), mode,
                      "most frequent" if series.isna().any() else None, text=is_text(series),
                      levels=[_plain(negative), _plain(positive)], notes=notes)
    return feature, filled, indicator, [TreeColumn(name, _plain(positive))], indicator


def _categorical_feature(name, series, notes):
    filled, mode = _fill_label(series)
    shares = filled.value_counts(normalize=True)
    shares = shares.iloc[np.lexsort((shares.index.astype(str), -shares.to_numpy()))]
    kept = [v for v in shares.index[:MAX_KEPT_LEVELS] if shares[v] >= RARE_SHARE]
    other = _level_order(v for v in shares.index if v not in set(kept))
    kept = _level_order(kept)
    columns = [TreeColumn(name, _plain(v)) for v in kept]
    blocks = [(filled == v).to_numpy(dtype="float64") for v in kept]
    if other:
        columns.append(TreeColumn(name, None, other=True))
        blocks.append((~filled.isin(kept)).to_numpy(dtype="float64"))
        notes = notes + [f"{len(other)} rare level(s) grouped as other"]
    onehot = np.column_stack(blocks)
    feature = Feature(name, "categorical", "one-hot", int(series.isna().sum()), mode,
                      "most frequent" if series.isna().any() else None, text=True,
                      levels=[_plain(v) for v in kept], other_levels=[_plain(v) for v in other],
                      notes=notes)
    return feature, filled, onehot, columns, onehot


BUILDERS = {"numeric": _numeric_feature, "binary": _binary_feature, "categorical": _categorical_feature}


def _near_duplicates(filled: pd.DataFrame, features: list[Feature]) -> list[str]:
    """Near-duplicate pairs among the features used (both were chosen explicitly: by default one
    of a pair is left out when roles are inferred)."""
    numeric = [f.name for f in features if f.kind == "numeric"]
    suggestions = []
    by_name = {f.name: f for f in features}
    for a, b, r in near_duplicate_pairs(filled[numeric]):
        by_name[b].notes.append(f"near duplicate of '{a}' (Spearman r = {r_text(r)}): both used "
                                "because both were chosen")
        suggestions.append(f"'{a}' and '{b}' are near duplicates (Spearman r = {r_text(r)}): leave "
                           f"'{b}' out for shorter rules")
    return suggestions


def _no_feature(roles: dict[str, ColumnRole]) -> InputError:
    left_out = [f"'{r.name}'" for r in roles.values() if r.role in LEFT_OUT_ROLES]
    if left_out:
        return InputError(f"no feature used by default: {', '.join(left_out)} are left out as "
                          "special-category attributes or near duplicates; name the columns to use "
                          "as features")
    reasons = "; ".join(f"'{r.name}': {r.role}" for r in roles.values())
    return InputError(f"no usable feature: every column is an id, text, date, constant or "
                      f"empty ({reasons}); add numeric or categorical columns")


def select_features(roles: dict[str, ColumnRole], *, requested: list[str] | None) -> list[str]:
    """The features to use: the requested ones (checked), else every column with a feature role.

    Special-category columns and near duplicates are used only when requested by name."""
    if not requested:
        chosen = [name for name, role in roles.items() if role.role in FEATURE_ROLES]
        if not chosen:
            raise _no_feature(roles)
        return chosen
    for name in requested:
        if name not in roles:
            raise InputError(f"unknown column '{name}' in the features; columns are: "
                             + ", ".join(map(str, roles)))
        role = roles[name]
        if role.role not in FEATURE_ROLES + LEFT_OUT_ROLES:
            detail = role.reason or role.role
            raise InputError(f"column '{name}' cannot be a feature: {detail}; pick other columns")
    return list(dict.fromkeys(requested))


def left_out_notes(roles: dict[str, ColumnRole], features: list[Feature]) -> list[str]:
    """Dataset notes: the columns left out by default, and the special-category ones used anyway."""
    used = {f.name for f in features}
    parts = []
    for role, label in (("sensitive", "special-category"), ("duplicate", "near duplicate")):
        names = [f"'{n}'" for n, r in roles.items() if r.role == role and n not in used]
        if names:
            parts.append(f"{label} {', '.join(names)}")
    notes = [f"Left out of the features by default ({'; '.join(parts)}): see the reasons under "
             "Left out; name a column in the features to use it"] if parts else []
    opted = [f"'{f.name}'" for f in features if any("chosen explicitly" in n for n in f.notes)]
    if opted:
        notes.append(f"Special-category column(s) {', '.join(opted)} used because they were "
                     "chosen explicitly")
    return notes


def _kind_and_notes(name: str, series: pd.Series, role: ColumnRole) -> tuple[str, list[str]]:
    """How to encode a chosen column, and the notes saying it was opted in.

    A column left out by default (special category, near duplicate) is used as what it holds."""
    kind = infer_role(name, series).role if role.role in LEFT_OUT_ROLES else role.role
    if kind not in BUILDERS:
        raise InputError(f"column '{name}' cannot be a feature: it was read as {kind}; "
                         "pick other columns")
    what = special_category(name, series)
    if not what:
        return kind, []
    return kind, [f"special-category attribute ({what}): used because it was chosen explicitly"]


def prepare(table: pd.DataFrame, *, features: list[str], roles: dict[str, ColumnRole]) -> Prepared:
    """Fill, encode, transform and scale the chosen features; record every choice."""
    made, filled, blocks, tree_blocks, tree_columns = [], {}, [], [], []
    for name in features:
        series = table[name]
        kind, notes = _kind_and_notes(name, series, roles[name])
        feature, column, block, columns, tree_block = BUILDERS[kind](name, series, notes)
        made.append(feature)
        filled[name] = column
        blocks.append(block)
        tree_blocks.append(tree_block)
        tree_columns.extend(columns)
    filled_frame = pd.DataFrame(filled, index=table.index)
    suggestions = _near_duplicates(filled_frame, made)
    return Prepared(made, np.hstack(blocks), np.hstack(tree_blocks), tree_columns,
                    filled_frame, suggestions)
