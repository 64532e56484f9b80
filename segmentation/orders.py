"""Order log -> one row per customer: recency, frequency, monetary value, tenure and more.

An order log has one row per order or order line. `detect_order_columns` guesses which columns
hold the customer id, date, amount, quantity, category, order id, order status and (without an
amount) unit price; `aggregate_orders` turns the log into the per-customer feature table that
segmentation runs on, and says in plain sentences what it did. Cancelled orders are neither orders
nor revenue and returns are taken off (segmentation.order_status says how each row counts).
Everything is vectorised (factorize + bincount), so a few million order rows take seconds.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from segmentation.errors import InputError
from segmentation.numbers import choose_decimal, decimal_evidence, to_numbers
from segmentation.order_status import classify, find_status_column

ROLES = ("customer", "date", "amount", "quantity", "category", "order", "status", "price")
MAX_CATEGORY_LEVELS = 12
NEAR_CONSTANT = 0.9
CONTENT_SHARE = 0.9  # share of readable values that lets content alone decide a role
NAME_SHARE = 0.5  # share of readable values a column matched by name needs
SAMPLE_ROWS = 5000

_ROLE_LABELS = {
    "customer": "customer id",
    "date": "order date",
    "amount": "amount",
    "quantity": "quantity",
    "category": "category",
    "order": "order id",
    "status": "order status",
    "price": "unit price",
}
_ROLE_FLAGS = {"customer": "--customer", "date": "--date", "amount": "--amount"}
# Roles are matched by name in this order: "order_date" is a date, "total_quantity" a quantity.
_NAME_ORDER = ("order", "customer", "date", "quantity", "category", "amount")
_EXACT_NAMES = {
    "order": ("order_id", "orderid", "order_no", "order_number", "order_nr", "invoice_no",
              "invoice", "invoice_id", "invoice_number", "invoiceno", "order", "transaction_id",
              "receipt_id", "basket_id", "ticket_id"),
    "customer": ("customer_id", "customerid", "customer", "cust_id", "custid", "client_id",
                 "client", "user_id", "userid", "user", "member_id", "account_id", "buyer_id",
                 "shopper_id", "customer_no", "customer_number", "customer_code", "customer_key"),
    "date": ("order_date", "date", "purchase_date", "invoice_date", "transaction_date", "sale_date",
             "order_datetime", "order_timestamp", "timestamp", "datetime", "order_time",
             "purchase_time", "invoice_time", "created_at", "ordered_at", "purchased_at", "time"),
    "quantity": ("quantity", "qty", "units", "quantity_ordered", "item_count", "num_items",
                 "n_items", "items", "cds", "count", "pieces", "pcs", "units_sold", "unit_count",
                 "quantity_sold", "qty_ordered", "number_of_items", "num_units", "n_units"),
    "category": ("category", "product_category", "category_name", "product_type", "department",
                 "categories", "product_group", "product_line"),
    "amount": ("amount", "total", "total_amount", "order_total", "revenue", "sales", "sale_amount",
               "order_value", "order_amount", "net_amount", "line_total", "total_price", "subtotal",
               "spend", "value", "payment_value", "turnover"),
}
_ID_TOKENS = frozenset({"id", "no", "nr", "number", "num", "code", "key", "ref"})
_NAME_TOKENS = {
    "order": (frozenset({"order", "invoice", "transaction", "txn", "receipt", "basket", "ticket"}),
              _ID_TOKENS),
    "customer": (frozenset({"customer", "cust", "client", "user", "member", "buyer", "shopper",
                            "account", "consumer"}), _ID_TOKENS),
    "date": (frozenset({"date", "datetime", "timestamp"}), None),
    "quantity": (frozenset({"quantity", "qty", "units", "items", "pieces", "pcs"}), None),
    "category": (frozenset({"category", "categories", "department"}), None),
    "amount": (frozenset({"amount", "revenue", "sales", "total", "spend", "payment"}), None),
}
_NOT_ORDER_DATE = frozenset({"birth", "dob", "signup", "registration", "registered", "joined",
                             "join"})
_NOT_MONEY = frozenset({"age", "year", "month", "day", "days", "zip", "postcode", "phone", "score",
                        "rating", "lat", "lon", "latitude", "longitude", "pct", "percent", "rate"})
_PER_UNIT = frozenset({"price", "unit", "cost"})
_CURRENCY_CHARS = r"[$€£¥₹₩₽¢]"


@dataclass(frozen=True, eq=False)
class OrderAggregation:
    """The per-customer table built from an order log, the columns used and what was done."""

    customers: pd.DataFrame
    columns: dict
    notes: list[str]
    as_of: str


@dataclass(frozen=True, eq=False)
class _Log:
    """The usable order rows as arrays: customer codes, day numbers, amounts and row positions.

    `amount` is what a row adds to monetary (0 for a cancelled or returned order); `purchase` marks
    the rows that are orders; `returned` and `gross` are the money returned and bought per row.
    """

    cust: np.ndarray
    ids: pd.Index
    day: np.ndarray
    amount: np.ndarray
    rows: np.ndarray
    as_of_day: int
    purchase: np.ndarray
    cancelled: np.ndarray
    returned: np.ndarray
    gross: np.ndarray


# ----------------------------------------------------------------------------------- detection


def detect_order_columns(df: pd.DataFrame) -> dict:
    """Guess which columns of an order log hold each role, by name first and content second.

    Returns {"customer", "date", "amount", "quantity", "category", "order", "status", "price"} ->
    column name or None; a unit price is only looked for when there is a quantity and no amount.
    """
    return _detect(df, {})


def _detect(df: pd.DataFrame, fixed: dict) -> dict:
    found = dict(fixed)
    used = set(fixed.values())
    sample = _sample_rows(df)
    for role in _NAME_ORDER:
        if role not in found:
            found[role] = _match_by_name(sample, role, used)
            used.add(found[role])
    if found["date"] is None:
        found["date"] = _first_date_column(sample, used)
        used.add(found["date"])
    if found["amount"] is None:
        found["amount"] = _first_amount_column(sample, used, per_unit=found["quantity"] is not None)
        used.add(found["amount"])
    if "status" not in found:
        found["status"] = find_status_column(sample, used)
        used.add(found["status"])
    if found["amount"] is None and found["quantity"] is not None:
        found["price"] = _price_column(sample, used)  # amount = quantity x unit price
    return {role: found.get(role) for role in ROLES}


def _sample_rows(df: pd.DataFrame) -> pd.DataFrame:
    if len(df) <= SAMPLE_ROWS:
        return df
    return df.iloc[np.unique(np.linspace(0, len(df) - 1, SAMPLE_ROWS).astype(np.int64))]


def _normalise(name) -> str:
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", str(name))
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _match_by_name(sample: pd.DataFrame, role: str, used: set):
    """The best column for a role by name: a known name first, then one with a telling word."""
    free = [c for c in sample.columns if c not in used]
    names = {c: _normalise(c) for c in free}
    for exact in _EXACT_NAMES[role]:
        for col in free:
            if names[col] == exact and _content_fits(sample[col], role, NAME_SHARE):
                return col
    words, needed = _NAME_TOKENS[role]
    for col in free:
        tokens = set(names[col].split("_"))
        if not tokens & words or (needed is not None and not tokens & needed):
            continue
        if role == "date" and tokens & _NOT_ORDER_DATE:
            continue
        if _content_fits(sample[col], role, NAME_SHARE):
            return col
    return None


def _content_fits(values: pd.Series, role: str, share: float) -> bool:
    """Whether at least `share` of the non-missing values read as the role needs."""
    if role == "date":
        return _looks_like_dates(values, share)
    if role == "quantity":
        return _small_whole_numbers(values, share)
    if role == "amount":
        present = values.dropna()
        return len(present) > 0 and np.isfinite(_to_numbers(present)).mean() >= share
    return True


def _small_whole_numbers(values: pd.Series, share: float) -> bool:
    """Counts of units: mostly whole numbers, mostly positive, typically below a thousand."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return False
    numbers = _to_numbers(values.dropna())
    numbers = numbers[np.isfinite(numbers)]
    if len(numbers) == 0 or len(numbers) < share * len(values.dropna()):
        return False
    whole = np.mean(numbers == np.round(numbers)) >= CONTENT_SHARE
    return bool(whole and np.mean(numbers > 0) >= 0.5 and np.median(np.abs(numbers)) <= 1000)


def _looks_like_dates(values: pd.Series, share: float = CONTENT_SHARE) -> bool:
    """True when the column is a datetime or enough of its non-missing text reads as dates."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return True
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return False
    present = values.dropna()
    if present.empty or np.isfinite(_to_numbers(present)).mean() > 0.5:
        return False
    return bool((~np.isnat(_parse_dates(present))).mean() >= share)


def _first_date_column(sample: pd.DataFrame, used: set):
    for col in sample.columns:
        if col not in used and _looks_like_dates(sample[col]):
            return col
    return None


def _first_amount_column(sample: pd.DataFrame, used: set, *, per_unit: bool):
    """A numeric column that is no id: one with cents first, else the first whole-number one.

    With a quantity column, a price is per unit and no order amount, so it is passed over.
    """
    candidates = []
    skip = _ID_TOKENS | _NOT_MONEY | (_PER_UNIT if per_unit else frozenset())
    for col in sample.columns:
        tokens = set(_normalise(col).split("_"))
        values = sample[col]
        if col in used or tokens & skip or not _is_numeric_like(values):
            continue
        numbers = _to_numbers(values.dropna())
        numbers = numbers[np.isfinite(numbers)]
        if pd.api.types.is_integer_dtype(values.dtype) and len(np.unique(numbers)) == len(values):
            continue  # every value distinct: a row number or an id
        candidates.append((bool(np.all(numbers == np.round(numbers))), col))
    with_cents = [col for whole, col in candidates if not whole]
    return (with_cents or [col for _, col in candidates] or [None])[0]


def _is_numeric_like(values: pd.Series) -> bool:
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return False
    return _content_fits(values, "amount", CONTENT_SHARE)


# ----------------------------------------------------------------------------------- parsing


def _to_numbers(values: pd.Series) -> np.ndarray:
    """Numbers as float64; text such as "1,234.50", "1.234,50", "$12.00", "12 EUR" or "(5.00)" too.

    The decimal mark is judged on the column's own values (a point when nothing tells).
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return np.full(len(values), np.nan)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    codes, uniques = pd.factorize(values)
    text = _as_text(pd.Series(uniques))
    negative = text.str.match(r"^\(.*\)$").to_numpy(dtype=bool, na_value=False)
    cleaned = text.str.replace(r"[()]", "", regex=True).str.replace(_CURRENCY_CHARS, "", regex=True)
    cleaned = cleaned.str.replace(r"^[A-Za-z]+\.?|[A-Za-z]+$", "", regex=True).str.strip()
    numbers = to_numbers(cleaned, decimal=choose_decimal(decimal_evidence(cleaned)))
    numbers = np.where(negative, -numbers, numbers)
    return _take(numbers, codes, np.nan)


def _parse_dates(values: pd.Series) -> np.ndarray:
    """Dates as datetime64[D]; ISO first, then pandas' mixed-format reader; unreadable -> NaT.

    Times with a time zone count on their UTC date. Repeated values are parsed once.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        stamps = values.dt.tz_convert(None) if values.dt.tz is not None else values
        return stamps.to_numpy().astype("datetime64[D]")
    if _mostly_distinct(values):
        return _parse_text_dates(_as_text(values))
    codes, uniques = pd.factorize(values)
    return _take(_parse_text_dates(_as_text(pd.Series(uniques))), codes, np.datetime64("NaT", "D"))


def _parse_text_dates(text: pd.Series) -> np.ndarray:
    has_digit = text.str.contains(r"\d", regex=True).to_numpy(dtype=bool, na_value=False)
    parsed = pd.to_datetime(text.where(has_digit), format="ISO8601", errors="coerce", utc=True)
    retry = parsed.isna().to_numpy() & has_digit
    if retry.any():
        parsed[retry] = pd.to_datetime(text[retry], format="mixed", errors="coerce", utc=True)
    return parsed.dt.tz_convert(None).to_numpy().astype("datetime64[D]")


def _mostly_distinct(values: pd.Series, head: int = 10_000) -> bool:
    first = values.iloc[:head].dropna()
    return first.nunique() > 0.5 * len(first)


def _as_text(values: pd.Series) -> pd.Series:
    """Values as text with surrounding spaces removed; missing values stay missing."""
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype(object).astype("str")
    return values.str.strip()


def _take(values: np.ndarray, codes: np.ndarray, fill) -> np.ndarray:
    """values[codes], with `fill` where the code is -1 (pandas' code for a missing value)."""
    return np.append(values, np.array([fill], dtype=values.dtype))[codes]


def _clean_ids(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Customer ids as sorted codes (-1 = missing): text stripped, whole-number floats as ints."""
    codes, uniques = pd.factorize(values)
    dtype = uniques.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        cleaned = pd.Series(uniques)
        whole = cleaned.dropna()
        if pd.api.types.is_float_dtype(cleaned.dtype) and (whole == np.round(whole)).all():
            cleaned = cleaned.astype("Int64")
    else:
        cleaned = _as_text(pd.Series(uniques))
        cleaned = cleaned.mask(cleaned == "")
    final_codes, final = pd.factorize(cleaned, sort=True)
    if isinstance(final.dtype, pd.Int64Dtype):
        final = final.astype(np.int64)
    return _take(final_codes, codes, -1), final


# ----------------------------------------------------------------------------------- columns


def _resolve_columns(df: pd.DataFrame, given: dict) -> tuple[dict, list[str]]:
    """Check the columns given, detect the others, and fail clearly when a core role has none."""
    fixed = {role: col for role, col in given.items() if col is not None}
    for role, col in fixed.items():
        if col not in df.columns:
            raise InputError(
                f"column {col!r} given as the {_ROLE_LABELS[role]} column is not in the table; "
                f"available columns: {_column_list(df)}"
            )
    _check_distinct(fixed)
    columns = _detect(df, fixed)
    for role in ("customer", "date", "amount"):
        if columns[role] is None and not (role == "amount" and columns.get("price")):
            raise InputError(
                f"no {_ROLE_LABELS[role]} column found: name it with {_ROLE_FLAGS[role]} COL "
                f"(available columns: {_column_list(df)})"
            )
    detected = [f"{_ROLE_LABELS[r]} {columns[r]!r}" for r in ROLES if r not in fixed and columns[r]]
    notes = [f"Detected columns: {', '.join(detected)}."] if detected else []
    if columns.get("price"):
        notes.append(f"Computed each row's amount as {columns['quantity']!r} × "
                     f"{columns['price']!r}: the log has a unit price and no amount column.")
    return columns, notes


def _price_column(sample: pd.DataFrame, used: set):
    """A numeric column named as a unit price (UnitPrice, price, price_each ...), else None."""
    for col in sample.columns:
        tokens = set(_normalise(col).split("_"))
        if col not in used and "price" in tokens and _is_numeric_like(sample[col]):
            return col
    return None


def _amounts(df: pd.DataFrame, columns: dict) -> tuple[pd.Series, np.ndarray]:
    """The amount column (or the unit price) and each row's amount as a number."""
    if columns["amount"] is not None:
        values = df[columns["amount"]]
        return values, _to_numbers(values)
    values = df[columns["price"]]
    return values, _to_numbers(values) * _to_numbers(df[columns["quantity"]])


def _check_distinct(fixed: dict) -> None:
    seen = {}
    for role, col in fixed.items():
        if col in seen:
            raise InputError(
                f"column {col!r} is given both as the {_ROLE_LABELS[seen[col]]} and the "
                f"{_ROLE_LABELS[role]} column; give each role its own column"
            )
        seen[col] = role


def _column_list(df: pd.DataFrame) -> str:
    return ", ".join(str(c) for c in df.columns) or "(none)"


# ----------------------------------------------------------------------------------- rows


def _clean_log(df: pd.DataFrame, columns: dict, as_of) -> tuple[_Log, list[str]]:
    """Drop rows without customer, readable date or amount (and after as_of), saying how many."""
    notes = []
    codes, ids = _clean_ids(df[columns["customer"]])
    keep = codes >= 0
    _note_dropped(notes, ~keep, "no customer id")
    day = _parse_dates(df[columns["date"]])
    bad = keep & np.isnat(day)
    _note_dropped(notes, bad, "a missing or unreadable order date", df[columns["date"]])
    keep &= ~bad
    values, amount = _amounts(df, columns)
    _check_some_numbers(values, amount)
    bad = keep & ~np.isfinite(amount)
    _note_dropped(notes, bad, "a missing or non-numeric amount", values)
    keep &= ~bad
    if not keep.any():
        raise InputError("no usable order rows: every row lacks a customer id, a readable date "
                         "or a numeric amount; check the --customer, --date and --amount columns")
    day = day.astype(np.int64)
    as_of_day = _as_of_day(as_of, day[keep])
    late = keep & (day > as_of_day)
    _note_dropped(notes, late, f"a date after the as-of date {_iso(as_of_day)}")
    keep &= ~late
    if not keep.any():
        raise InputError(f"no orders on or before the as-of date {_iso(as_of_day)}; "
                         "give a later as-of date")
    rows = np.flatnonzero(keep)
    cust, ids = _compact(codes[rows], ids)
    amount = amount[rows]
    sign_only = np.zeros(len(rows), dtype=bool)
    log = _Log(cust, ids, day[rows], amount, rows, as_of_day, purchase=amount >= 0,
               cancelled=sign_only, returned=np.where(amount < 0, -amount, 0.0),
               gross=np.where(amount >= 0, amount, 0.0))
    return log, notes


def _classify(orders: pd.DataFrame, columns: dict, log: _Log) -> tuple[_Log, list[str]]:
    """Mark cancelled, returned and return rows (segmentation.order_status) on the usable rows."""
    quantity = _kept(orders, columns["quantity"], log)
    arrays, notes = classify(log.amount, status=_kept(orders, columns["status"], log),
                             status_column=columns["status"],
                             order_ids=_kept(orders, columns["order"], log),
                             quantity=None if quantity is None else _to_numbers(quantity))
    return replace(log, **arrays), notes


def _cancel_rate(log: _Log, order_ids: pd.Series | None) -> tuple[dict, list[str]]:
    """Share of each customer's orders that were cancelled (0..1); only when some were."""
    if not log.cancelled.any():
        return {}, []
    n = len(log.ids)
    key = _order_keys(log, order_ids)
    placed = log.purchase | log.cancelled | (log.returned > 0) & (log.gross > 0)
    orders = _distinct_per_customer(log.cust[placed], key[placed], n)
    cancelled = _distinct_per_customer(log.cust[log.cancelled], key[log.cancelled], n)
    rate = np.divide(cancelled, orders, out=np.zeros(n), where=orders > 0)
    return {"cancel_rate": np.clip(rate, 0.0, 1.0)}, [
        "cancel_rate: the share of each customer's orders that were cancelled."]


def _check_some_numbers(values: pd.Series, numbers: np.ndarray) -> None:
    """Refuse an amount column without a single number, naming it and one of its values."""
    if np.isfinite(numbers).any():
        return
    shown = values.dropna()
    example = f" (for example {str(shown.iloc[0])[:40]!r})" if len(shown) else " (it is empty)"
    raise InputError(f"the amount column {values.name!r} holds no numbers{example}: choose the "
                     "column with each order's amount (--amount COL)")


def _note_dropped(notes: list[str], mask: np.ndarray, reason: str, values=None) -> None:
    count = int(mask.sum())
    if count == 0:
        return
    example = ""
    if values is not None:
        shown = values[mask].dropna()
        if len(shown):
            example = f" (for example {str(shown.iloc[0])!r})"
    notes.append(f"Dropped {_plural(count, 'row')} with {reason}{example}.")


def _as_of_day(as_of, days: np.ndarray) -> int:
    if as_of is None:
        return int(days.max())
    try:
        stamp = pd.Timestamp(as_of)
    except (ValueError, TypeError) as exc:
        raise InputError(f"as-of date {as_of!r} is not a date: give it as YYYY-MM-DD") from exc
    if stamp is pd.NaT:
        raise InputError(f"as-of date {as_of!r} is not a date: give it as YYYY-MM-DD")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(None)
    return int(np.datetime64(stamp.date(), "D").astype(np.int64))


def _compact(codes: np.ndarray, ids: pd.Index) -> tuple[np.ndarray, pd.Index]:
    present = np.bincount(codes, minlength=len(ids)) > 0
    remap = np.cumsum(present) - 1
    return remap[codes], ids[present]


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}" if count == 1 else f"{count:,} {word}s"


# ----------------------------------------------------------------------------------- features


def aggregate_orders(
    orders: pd.DataFrame,
    *,
    customer: str | None = None,
    date: str | None = None,
    amount: str | None = None,
    quantity: str | None = None,
    category: str | None = None,
    order: str | None = None,
    as_of: str | pd.Timestamp | None = None,
    status: str | None = None,
) -> OrderAggregation:
    """Turn an order log into one row per customer: recency, frequency, monetary value and more.

    Columns not given are detected; as_of defaults to the log's last date; rows sorted by id.
    """
    if len(orders) == 0:
        raise InputError("the order log has no rows: upload a log with one row per order")
    given = {"customer": customer, "date": date, "amount": amount, "quantity": quantity,
             "category": category, "order": order, "status": status}
    columns, notes = _resolve_columns(orders, given)
    log, row_notes = _clean_log(orders, columns, as_of)
    log, kind_notes = _classify(orders, columns, log)
    notes += row_notes + kind_notes
    features = {columns["customer"]: log.ids}
    quantity_col, category_col = columns["quantity"], columns["category"]
    for part in (_core_features(log, _kept(orders, columns["order"], log)),
                 _quantity_total(log, _kept(orders, quantity_col, log), quantity_col),
                 _return_rate(log),
                 _cancel_rate(log, _kept(orders, columns["order"], log)),
                 _category_shares(log, _kept(orders, category_col, log), category_col)):
        features.update(part[0])
        notes += part[1]
    carried, carried_notes = _carried_attributes(orders, log, columns, set(features))
    features.update(carried)
    notes += carried_notes
    table = pd.DataFrame(features)
    return OrderAggregation(table, dict(columns), notes, _iso(log.as_of_day))


def _kept(orders: pd.DataFrame, column, log: _Log) -> pd.Series | None:
    """The column's values on the usable rows (None when there is no such column)."""
    if column is None:
        return None
    return orders[column] if len(log.rows) == len(orders) else orders[column].take(log.rows)


def _core_features(log: _Log, order_ids: pd.Series | None) -> tuple[dict, list[str]]:
    """Recency, frequency (orders, returns left out), net monetary value, average order, tenure."""
    n = len(log.ids)
    purchase = log.purchase
    first, last = _first_last(log, purchase)
    frequency = _frequency(log, purchase, order_ids)
    monetary = np.bincount(log.cust, weights=log.amount, minlength=n)
    average = np.divide(monetary, frequency, out=np.zeros(n), where=frequency > 0)
    features = {
        "recency_days": log.as_of_day - last,
        "frequency": frequency,
        "monetary": np.round(monetary, 6),
        "avg_order_value": np.round(average, 6),
        "tenure_days": log.as_of_day - first,
    }
    return features, _return_notes(log, frequency, monetary)


def _first_last(log: _Log, purchase: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last purchase day per customer; customers without one use their other rows."""
    n = len(log.ids)
    never, ever = np.iinfo(np.int64).max, np.iinfo(np.int64).min
    first, last = np.full(n, never), np.full(n, ever)
    np.minimum.at(first, log.cust[purchase], log.day[purchase])
    np.maximum.at(last, log.cust[purchase], log.day[purchase])
    only_returns = first == never
    if only_returns.any():
        rows = only_returns[log.cust]
        np.minimum.at(first, log.cust[rows], log.day[rows])
        np.maximum.at(last, log.cust[rows], log.day[rows])
    return first, last


def _frequency(log: _Log, purchase: np.ndarray, order_ids: pd.Series | None) -> np.ndarray:
    """Distinct orders per customer: order ids when known (a row without one: its day), or days."""
    key = _order_keys(log, order_ids)
    return _distinct_per_customer(log.cust[purchase], key[purchase], len(log.ids))


def _order_keys(log: _Log, order_ids: pd.Series | None) -> np.ndarray:
    """A whole-number key per row naming its order: the order id, or the day without one."""
    day = log.day - log.day.min()
    if order_ids is None:
        return day
    codes, uniques = pd.factorize(order_ids)
    return np.where(codes >= 0, codes, len(uniques) + day)


def _distinct_per_customer(cust: np.ndarray, key: np.ndarray, n: int) -> np.ndarray:
    """How many distinct keys each customer has; fast when most keys belong to one customer."""
    if len(key) == 0:
        return np.zeros(n, dtype=np.int64)
    owner = np.full(int(key.max()) + 1, -1, dtype=np.int64)
    owner[key] = cust  # some customer holding each key
    counts = np.bincount(owner[owner >= 0], minlength=n)
    shared = cust != owner[key]
    if shared.any():
        width = int(key.max()) + 1
        pairs, _ = _pair_counts(cust[shared].astype(np.int64) * width + key[shared], n * width)
        counts += np.bincount(pairs // width, minlength=n)
    return counts.astype(np.int64)


def _return_notes(log: _Log, frequency: np.ndarray, monetary: np.ndarray) -> list[str]:
    returns = int(((log.amount < 0) & ~log.cancelled).sum())
    if returns == 0:
        return []
    notes = [f"Counted {_plural(returns, 'row')} with a negative amount as returns: they reduce "
             "monetary but do not count as orders."] if returns else []
    only = int((frequency == 0).sum())
    if only:
        notes.append(f"Kept {_plural(only, 'customer')} with only returns or cancellations, with "
                     "frequency 0 and avg_order_value 0; their recency and tenure count from "
                     "those rows.")
    negative = int((monetary < 0).sum())
    if negative:
        notes.append(f"{_plural(negative, 'customer')} returned more than they bought within the "
                     "log: their monetary value is negative.")
    return notes


def _return_rate(log: _Log) -> tuple[dict, list[str]]:
    """Share of each customer's gross spend that came back (0..1); only when the log has returns."""
    if not (log.returned > 0).any():
        return {}, []
    n = len(log.ids)
    gross = np.bincount(log.cust, weights=log.gross, minlength=n)
    returned = np.bincount(log.cust, weights=log.returned, minlength=n)
    rate = np.where(returned > 0, 1.0, 0.0)
    np.divide(returned, gross, out=rate, where=gross > 0)
    return {"return_rate": np.clip(rate, 0.0, 1.0)}, []


def _quantity_total(log: _Log, values: pd.Series | None, column) -> tuple[dict, list[str]]:
    """Net units bought per customer (returns taken off); unreadable quantities count as 0."""
    if values is None:
        return {}, []
    quantity = _to_numbers(values)
    readable = np.isfinite(quantity)
    notes = []
    if not readable.all():
        notes.append(f"Counted {_plural(int((~readable).sum()), 'row')} with a missing or "
                     f"non-numeric quantity in {column!r} as 0 units.")
    quantity = np.where(readable, quantity, 0.0)
    # units of orders count, units of returns are taken off; cancelled or returned orders add none
    quantity = np.where(log.amount < 0, -np.abs(quantity), np.where(log.purchase, quantity, 0.0))
    total = np.bincount(log.cust, weights=quantity, minlength=len(log.ids))
    if np.all(quantity == np.round(quantity)):
        total = np.round(total).astype(np.int64)
    return {"total_quantity": total}, notes


# ----------------------------------------------------------------------------------- categories


def _category_shares(log: _Log, values: pd.Series | None, column) -> tuple[dict, list[str]]:
    """Spend share per category level (returns left out); small levels are pooled in share_other."""
    if values is None:
        return {}, []
    codes, levels = _clean_labels(values)
    if not levels:
        return {}, [f"Made no spend shares: the category column {column!r} has no values."]
    spend = np.where(log.amount > 0, log.amount, 0.0)
    level_spend = np.bincount(codes[codes >= 0], weights=spend[codes >= 0], minlength=len(levels))
    kept = _top_levels(levels, level_spend)
    slot = np.full(len(levels) + 1, len(kept))
    slot[kept] = np.arange(len(kept))
    width = len(kept) + 1
    n = len(log.ids)
    spend_by = np.bincount(log.cust * width + slot[codes], weights=spend, minlength=n * width)
    spend_by = spend_by.reshape(n, width)
    total = spend_by.sum(axis=1, keepdims=True)
    shares = np.divide(spend_by, total, out=np.zeros_like(spend_by), where=total > 0)
    with_other = bool(spend_by[:, -1].sum() > 0)
    reserved = {"share_other"} if with_other else set()
    names = _share_names([levels[i] for i in kept], reserved=reserved)
    features = {name: shares[:, j] for j, name in enumerate(names)}
    if with_other:
        features["share_other"] = shares[:, -1]
    pooled = int((level_spend > 0).sum()) - len(kept)
    return features, _category_notes(column, names, pooled, codes, spend)


def _top_levels(levels: list[str], level_spend: np.ndarray) -> np.ndarray:
    """The (at most 12) levels with the most spend, in name order; a level "Other" is pooled."""
    top = []
    for i in np.argsort(-level_spend, kind="stable"):
        if len(top) == MAX_CATEGORY_LEVELS or level_spend[i] <= 0:
            break
        if _slug(levels[i]) != "other":
            top.append(i)
    return np.sort(np.asarray(top, dtype=np.int64))


def _clean_labels(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Category labels as text without stray spaces; codes index the sorted levels (-1 = none)."""
    codes, uniques = pd.factorize(values)
    text = _as_text(pd.Series(uniques))
    level_codes, levels = pd.factorize(text.mask(text == ""), sort=True)
    return _take(level_codes, codes, -1), [str(level) for level in levels]


def _share_names(levels: list[str], *, reserved: set) -> list[str]:
    """SQL-safe snake_case column names share_<level>, made unique with _2, _3 ..."""
    taken, names = set(reserved), []
    for level in levels:
        base = "share_" + (_slug(level) or "blank")
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        names.append(name)
    return names


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _normalise(ascii_text)


def _category_notes(column, names: list[str], pooled: int, codes, spend) -> list[str]:
    notes = [f"Spend shares by {column!r} (returns left out): {', '.join(names)}."]
    if pooled > 0:
        notes.append(f"{column!r} has {len(names) + pooled} levels with spend: the "
                     f"{len(names)} largest have their own column, the other {pooled} are pooled "
                     "in share_other.")
    unlabeled = int(((codes < 0) & (spend > 0)).sum())
    if unlabeled:
        notes.append(f"Counted {_plural(unlabeled, 'row')} with no {column!r} in share_other.")
    return notes


# ----------------------------------------------------------------------------------- attributes


def _carried_attributes(orders: pd.DataFrame, log: _Log, columns: dict, taken: set):
    """Keep columns (near) constant per customer as their most frequent value; drop the others."""
    used = {col for col in columns.values() if col is not None}
    rows_per = np.bincount(log.cust, minlength=len(log.ids))
    judged = rows_per >= 2 if (rows_per >= 2).any() else rows_per >= 1
    carried, dropped = {}, {"varying": [], "clashing": [], "empty": []}
    for col in orders.columns:
        if col in used:
            continue
        values = _kept(orders, col, log)
        if col in taken:
            dropped["clashing"].append(col)
        elif values.isna().all():
            dropped["empty"].append(col)
        else:
            mode = _carried_value(log, values, rows_per, judged)
            if mode is None:
                dropped["varying"].append(col)
            else:
                carried[col] = mode
    return carried, _attribute_notes(list(carried), dropped)


def _carried_value(log: _Log, values: pd.Series, rows_per: np.ndarray, judged: np.ndarray):
    """The most frequent value per customer if the column is near-constant per customer, else None.

    A quick test against one row's value per customer settles most columns without counting pairs.
    """
    n = len(log.ids)
    codes, uniques = _factorize_sorted(values)
    some = np.full(n, -1, dtype=np.int64)
    some[log.cust] = codes  # the value of one of the customer's rows
    agreement = np.bincount(log.cust, weights=codes == some[log.cust], minlength=n) / rows_per
    if _near_constant(agreement, judged):
        mode, mixed = some, agreement < 1.0
        if mixed.any():
            rows = mixed[log.cust]
            mixed_mode, _ = _modes(log.cust[rows], codes[rows], len(uniques), n)
            mode[mixed] = mixed_mode[mixed]
    else:
        mode, coverage = _modes(log.cust, codes, len(uniques), n)
        if not _near_constant(coverage, judged):
            return None
    return pd.api.extensions.take(uniques.array, mode, allow_fill=True)


def _near_constant(coverage: np.ndarray, judged: np.ndarray) -> bool:
    return bool((coverage[judged] >= NEAR_CONSTANT).mean() >= NEAR_CONSTANT)


def _modes(cust: np.ndarray, codes: np.ndarray, n_values: int, n: int):
    """Most frequent non-missing code per customer (ties: the smallest, none: -1) and its row share.

    The share counts missing values as a value of their own.
    """
    width = n_values + 1
    key = cust.astype(np.int64) * width + np.where(codes >= 0, codes, n_values)
    pairs, counts = _pair_counts(key, n * width)
    owner, value = pairs // width, pairs % width
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    coverage = np.zeros(n)
    coverage[owner[starts]] = np.maximum.reduceat(counts, starts)
    coverage /= np.maximum(np.bincount(cust, minlength=n), 1)
    known = value < n_values
    order = np.lexsort((value[known], -counts[known], owner[known]))
    ranked_owner, ranked_value = owner[known][order], value[known][order]
    first = np.r_[True, ranked_owner[1:] != ranked_owner[:-1]][: len(ranked_owner)]
    mode = np.full(n, -1, dtype=np.int64)
    mode[ranked_owner[first]] = ranked_value[first]
    return mode, coverage


def _factorize_sorted(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    try:
        return pd.factorize(values, sort=True)
    except TypeError:  # mixed types that do not compare: sort by their text
        codes, uniques = pd.factorize(values)
        text_codes, text = pd.factorize(pd.Series(uniques, dtype=object).astype(str), sort=True)
        order = np.argsort(text_codes, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        return _take(rank, codes, -1), uniques[order]


def _pair_counts(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and how often each occurs."""
    if size <= 2 * len(key) + (1 << 16):
        counts = np.bincount(key, minlength=size)
        present = np.flatnonzero(counts)
        return present, counts[present]
    ordered = np.sort(key)
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]][: len(ordered)])
    return ordered[starts], np.diff(np.r_[starts, len(ordered)])


def _attribute_notes(carried: list, dropped: dict) -> list[str]:
    notes = []
    if carried:
        notes.append("Carried over customer attributes (most frequent value per customer): "
                     f"{_names(carried)}.")
    reasons = {"varying": "vary within a customer's orders", "empty": "have no values",
               "clashing": "have names taken by computed features"}
    for key, reason in reasons.items():
        if dropped[key]:
            notes.append(f"Dropped columns that {reason}: {_names(dropped[key])}.")
    return notes


def _names(columns: list) -> str:
    return ", ".join(str(col) for col in columns)
