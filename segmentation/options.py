"""One run request: what the user asked for, checked once, with one set of limits.

The CLI, the form, the JSON API, the store and the runner all build a RunOptions. A bad value
raises OptionError naming the field (`k`, `orders.as_of`) and saying what is wrong in words that
fit every front end; each front end names the field its own way (the CLI `--k`, the form its
label, the API its JSON field). `checked_against(preview)` refuses column names the upload does
not have, so a bad request is refused before it becomes a run.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from .errors import InputError
from .roles import FEATURE_ROLES, LEFT_OUT_ROLES, ROLES

METHODS = ("kmeans", "hierarchical", "density")
K_MIN, K_MAX = 2, 16
DEPTH_MIN, DEPTH_MAX, DEFAULT_DEPTH = 2, 4, 3
MAX_SEED = 2**32 - 1
MAX_FEATURES = 200
MAX_CELLS = 20_000_000  # rows x columns a run reads (the table is refused right after reading)
ORDER_COLUMNS = ("customer", "date", "amount", "quantity", "category", "order")
REQUIRED_ORDER_COLUMNS = ("customer", "date", "amount")

PROBLEMS = {   # what a valid value looks like, per field: the message of any type or range error
    "method": f"must be one of {', '.join(METHODS)}",
    "k": f"must be auto or a whole number from {K_MIN} to {K_MAX}",
    "max_depth": f"must be a whole number from {DEPTH_MIN} to {DEPTH_MAX}",
    "seed": f"must be a whole number from 0 to {MAX_SEED}",
    "features": f"must be a list of at most {MAX_FEATURES} column names",
    "id_column": "must be a column name",
    "roles": f"must pair each column with a role, one of {', '.join(ROLES)}",
    "meanings": "must pair each column with a meaning",
    "orders": "must be true, false or the order log's columns by role",
    "orders.as_of": "must be a date like 2024-12-31",
    "source": "must be text",
    **{f"orders.{name}": "must be a column name" for name in ORDER_COLUMNS},
}


class OptionError(InputError):
    """A run option that must change: `field` names it (e.g. "k", "orders.as_of"), `problem`
    says what is wrong; the message is "field: problem"."""

    def __init__(self, field: str, problem: str):
        self.field, self.problem = field, problem
        super().__init__(f"{field}: {problem}")


def option_error(exc: ValidationError) -> OptionError:
    """The first error of a pydantic validation as an OptionError on its field."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"]]
    field = ".".join(loc[:2]) if loc[:1] == ["orders"] and len(loc) > 1 else (loc[0] if loc else "")
    if error["type"] == "extra_forbidden":
        return OptionError(field, "is not a run option")
    if error["type"] == "value_error":
        return OptionError(field, str(error["ctx"]["error"]))
    return OptionError(field, PROBLEMS.get(field, error["msg"]))


def size_problem(rows: int, columns: int) -> str | None:
    """What is wrong with a whole table of this size for a run, or None (more values than a run
    reads; the reader refuses such a table as soon as it knows its size)."""
    if rows * columns > MAX_CELLS:
        return (f"has {rows:,} rows of {columns:,} columns ({rows * columns:,} values); a run "
                f"reads at most {MAX_CELLS:,} values: upload a sample of the rows or fewer columns")
    return None


def _too_wide(columns: int) -> OptionError:
    """Features left to the run on a table with more columns than a run can use."""
    return OptionError("features", f"the table has {columns:,} columns and a run uses at most "
                                   f"{MAX_FEATURES}: choose the features (at most {MAX_FEATURES})")


def _pairs(value) -> tuple:
    """{column: value} or [(column, value), ...] as sorted pairs; anything else is left to fail."""
    if isinstance(value, dict):
        return tuple(sorted(value.items()))
    return value


class OrderLog(BaseModel):
    """The order log's columns by role (None: detected from the log) and the date recency is
    counted to (None: the last order date)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    customer: str | None = None
    date: str | None = None
    amount: str | None = None
    quantity: str | None = None
    category: str | None = None
    order: str | None = None
    as_of: dt.date | None = None

    @field_validator(*ORDER_COLUMNS, mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return None if value == "" else value

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_date(cls, value):
        """"2024-12-31" (or a date) as a date; blank as None."""
        if value in (None, ""):
            return None
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError(PROBLEMS["orders.as_of"]) from None
        return value if isinstance(value, dt.date) else _fail("orders.as_of")


def _fail(field: str):
    raise ValueError(PROBLEMS[field])


def _known(field: str, names: list[str], *, columns) -> None:
    """Refuse the first name that is not one of the upload's columns."""
    unknown = [name for name in names if name not in columns]
    if unknown:
        raise OptionError(field, f"the upload has no column {unknown[0]!r}: pick one of its columns")


def _usable(features, *, roles: dict[str, str], id_column: str | None) -> None:
    """Refuse a named feature that cannot be one, or a table with no feature at all."""
    for name in features or ():
        if name == id_column:
            raise OptionError("features", f"{name!r} is the id column: pick other features")
        if roles[name] not in FEATURE_ROLES + LEFT_OUT_ROLES:
            raise OptionError("features", f"{name!r} cannot be a feature (its role is "
                                          f"{roles[name]}): pick other columns or change its role")
    if not features and not any(role in FEATURE_ROLES for name, role in roles.items()
                                if name != id_column):
        raise OptionError("features", "no column can be a feature (numeric, categorical or yes / "
                                      "no): change a column's role or upload other data")


class RunOptions(BaseModel):
    """What the user asked for; defaults are the product's defaults. Validated when built:
    a bad value raises OptionError (an InputError) naming the field."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["kmeans", "hierarchical", "density"] = "kmeans"
    max_depth: StrictInt = Field(DEFAULT_DEPTH, ge=DEPTH_MIN, le=DEPTH_MAX)
    k: StrictInt | None = Field(None, ge=K_MIN, le=K_MAX)   # None: chosen among 2..10 (auto)
    seed: StrictInt = Field(0, ge=0, le=MAX_SEED)
    features: tuple[str, ...] | None = Field(None, max_length=MAX_FEATURES)
    id_column: str | None = None
    roles: tuple[tuple[str, str], ...] = ()      # (column, role) overrides
    meanings: tuple[tuple[str, str], ...] = ()   # (column, meaning) overrides: explain/playbook.json
    orders: OrderLog | None = None               # set: the upload is an order log
    source: str = ""                             # the upload's name, for the report

    def __init__(self, **data):
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise option_error(exc) from None

    @field_validator("k", mode="before")
    @classmethod
    def _auto_k(cls, value):
        return None if value == "auto" else value

    @field_validator("k")
    @classmethod
    def _k_fits_the_depth(cls, k, info):
        depth = info.data.get("max_depth")
        if k is not None and depth is not None and k > 2**depth:
            need = (k - 1).bit_length()
            raise ValueError(f"k = {k} needs a rule depth of {need}: depth {depth} gives at most "
                             f"{2**depth} segments; raise the rule depth or lower k")
        return k

    @field_validator("features", mode="before")
    @classmethod
    def _no_empty_features(cls, value):
        return None if value in ((), []) else value

    @field_validator("id_column", mode="before")
    @classmethod
    def _blank_id(cls, value):
        return None if value == "" else value

    @field_validator("roles", "meanings", mode="before")
    @classmethod
    def _as_pairs(cls, value):
        return () if value is None else _pairs(value)

    @field_validator("roles")
    @classmethod
    def _known_roles(cls, pairs):
        for column, role in pairs:
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r} for {column!r}: use one of {', '.join(ROLES)}")
        return pairs

    @field_validator("orders", mode="before")
    @classmethod
    def _orders(cls, value):
        if value is True:
            return {}
        if value is False or value is None:
            return None
        return value if isinstance(value, (dict, OrderLog)) else _fail("orders")

    def checked_against(self, preview: dict) -> "RunOptions":
        """These options with their column names checked against the upload's preview; for an
        order log, the columns not given are filled with those the preview detected."""
        if self.orders is not None:
            return self._order_log_checked(preview)
        columns = {c["name"]: c["role"] for c in preview.get("columns") or []}
        if self.features is None and (preview.get("columns_total") or 0) > MAX_FEATURES:
            raise _too_wide(preview["columns_total"])
        for field, names in (("id_column", [self.id_column] if self.id_column else []),
                             ("roles", [c for c, _ in self.roles]),
                             ("meanings", [c for c, _ in self.meanings]),
                             ("features", list(self.features or ()))):
            _known(field, names, columns=columns)
        _usable(self.features, roles={**columns, **dict(self.roles)}, id_column=self.id_column)
        return self

    def _order_log_checked(self, preview: dict) -> "RunOptions":
        """An order log: no table options, its columns among the raw ones, the required ones set."""
        for field in ("features", "id_column", "roles"):
            if getattr(self, field):
                raise OptionError(field, "does not apply to an order log: its features are "
                                         "computed from the log; leave it out")
        raw = [str(c) for c in (preview.get("head") or {}).get("columns") or []]
        detected = preview.get("order_columns") or {}
        given = self.orders.model_fields_set
        filled = {name: getattr(self.orders, name) if name in given else detected.get(name)
                  for name in ORDER_COLUMNS}
        for name, column in filled.items():
            _known(f"orders.{name}", [column] if column else [], columns=raw)
        priced = bool(detected.get("price") and filled.get("quantity"))  # amount = quantity x price
        missing = [name for name in REQUIRED_ORDER_COLUMNS
                   if not filled[name] and not (name == "amount" and priced)]
        if missing:
            raise OptionError(f"orders.{missing[0]}", "an order log needs this column: name it")
        return self.model_copy(update={"orders": self.orders.model_copy(update=filled)})

    def check_table(self, rows: int, columns: int) -> None:
        """Refuse a table read for a run that the run cannot take: more values than MAX_CELLS
        (InputError), or features left to the run with more columns than MAX_FEATURES
        (OptionError on `features`)."""
        problem = size_problem(rows, columns)
        if problem:
            raise InputError(f"the table {problem}")
        if self.features is None and self.orders is None and columns > MAX_FEATURES:
            raise _too_wide(columns)

    def check(self) -> None:
        """Validate again (a copy made with model_copy(update=...) skips validation)."""
        RunOptions(**self.__dict__)

    def to_stored(self) -> dict:
        """The JSON the store keeps: roles and meanings as {column: value}, as_of as ISO text."""
        stored = self.model_dump(mode="json")
        stored["roles"], stored["meanings"] = dict(self.roles), dict(self.meanings)
        stored["features"] = list(self.features) if self.features is not None else None
        return stored

    @classmethod
    def from_stored(cls, stored: dict) -> "RunOptions":
        """Options as the store keeps them, including those stored before this model (keys it
        does not know are ignored; "auto" k, empty strings and a missing field take the defaults)."""
        known = {key: value for key, value in stored.items() if key in cls.model_fields}
        return cls(**known)
