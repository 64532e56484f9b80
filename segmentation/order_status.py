"""Which order rows are purchases, cancellations or returns, from a status column and the signs.

What each kind does to the per-customer features (orders.py):
- purchase: counts as an order and its amount adds to monetary;
- cancelled (cancelled, canceled, cancelado, storniert, failed, void, declined ..., or an order id
  "C536379" as in the UCI Online Retail log): never an order, adds nothing to monetary; a
  cancellation row with a negative amount reverses an earlier order and is subtracted;
- returned (returned, refunded, retoure, devuelto ...): the order came back, so it is not counted as
  an order and adds nothing to monetary;
- return line (a negative amount or a negative quantity): subtracts its amount from monetary and is
  no order.
"""
from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

PURCHASE, CANCELLED, RETURNED = 0, 1, 2
MAX_STATUS_LEVELS = 30
_CANCELLED = re.compile(r"cancel|storn|annul|fail|void|declin|reject|abort|ungultig")
_RETURNED = re.compile(r"return|refund|retour|devuel|devolu|reembols|rembours|erstatt|zuruck|"
                       r"ruckgabe|chargeback")
_NOT_A_STATUS = re.compile(r"^(not|no|non|un|kein|nicht)[ _-]?(cancel|return|refund)")
_STATUS_WORDS = frozenset({"status", "state", "stage", "outcome", "disposition", "fulfillment",
                           "fulfilment", "estado", "zustand", "statut"})
_CANCEL_PREFIX = re.compile(r"^[Cc]\d+$")
_PLAIN_ORDER = re.compile(r"^\d+$")


def label_kind(label: str) -> int:
    """PURCHASE, CANCELLED or RETURNED for one status label, in any case, accents or none."""
    text = _fold(label)
    if not text or _NOT_A_STATUS.match(text):
        return PURCHASE
    if _CANCELLED.search(text):
        return CANCELLED
    if _RETURNED.search(text):
        return RETURNED
    return PURCHASE


def _fold(label) -> str:
    """Lower case, accents dropped, runs of spaces, dashes and underscores as one space."""
    text = unicodedata.normalize("NFKD", str(label)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s_-]+", " ", text.strip().lower())


def _levels(values: pd.Series) -> list[str] | None:
    """The distinct labels of a text column with few levels, else None."""
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return None
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return None
    levels = values.dropna().astype(str).str.strip().unique()
    return [str(level) for level in levels] if 0 < len(levels) <= MAX_STATUS_LEVELS else None


def is_status_column(name, values: pd.Series) -> bool:
    """A few text levels of which at least one says cancelled or returned; named like a status
    (status, state, order_status ...), or else with every level a status word we know."""
    levels = _levels(values)
    if levels is None:
        return False
    kinds = [label_kind(level) for level in levels]
    if not any(kind != PURCHASE for kind in kinds):
        return False
    tokens = set(re.sub(r"[^a-z0-9]+", " ", _split_camel(name).lower()).split())
    if tokens & _STATUS_WORDS:
        return True
    return sum(kind != PURCHASE for kind in kinds) >= max(1, len(levels) // 3)


def _split_camel(name) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(name))


def find_status_column(sample: pd.DataFrame, used: set):
    """The first column that reads as an order status (None when there is none)."""
    for col in sample.columns:
        if col not in used and is_status_column(col, sample[col]):
            return col
    return None


def status_kinds(values: pd.Series) -> np.ndarray:
    """Each row's kind from its status label (missing: purchase)."""
    codes, uniques = pd.factorize(values)
    kinds = np.array([label_kind(level) for level in uniques] + [PURCHASE], dtype=np.int8)
    return kinds[codes]


def cancel_prefix(order_ids: pd.Series, amounts: np.ndarray) -> np.ndarray:
    """Rows whose order id is "C" + digits among plain-digit ids and mostly negative: cancellations
    (the UCI Online Retail convention). All False when the log does not follow it."""
    text = order_ids.astype(str).str.strip().where(order_ids.notna(), "")
    prefixed = text.str.match(_CANCEL_PREFIX).to_numpy(dtype=bool)
    if not prefixed.any():
        return prefixed
    plain = text.str.match(_PLAIN_ORDER).to_numpy(dtype=bool)
    others = ~prefixed & (text != "").to_numpy(dtype=bool)
    follows = plain[others].mean() >= 0.9 if others.any() else False
    negative = (amounts[prefixed] < 0).mean() >= 0.9
    return prefixed if follows and negative else np.zeros(len(text), dtype=bool)


def kind_labels(values: pd.Series, kinds: np.ndarray, kind: int, limit: int = 4) -> list[str]:
    """The labels of one kind, most frequent first, for the notes."""
    chosen = values[kinds == kind].dropna().astype(str).str.strip()
    return [str(label) for label in chosen.value_counts().index[:limit]]


def classify(amount: np.ndarray, *, status: pd.Series | None, status_column=None,
             order_ids: pd.Series | None, quantity: np.ndarray | None) -> tuple[dict, list[str]]:
    """Per row: what it adds to monetary, whether it is an order, money returned and bought.

    Returns the arrays as keyword arguments for the order log, and notes saying what was found.
    """
    notes = []
    amount = amount.copy()
    if quantity is not None:
        flipped = (quantity < 0) & (amount > 0)
        amount[flipped] = -amount[flipped]
        if flipped.any():
            notes.append(f"Counted {_rows(int(flipped.sum()))} with a negative quantity and a "
                         "positive amount as returns (their amount is subtracted).")
    kinds = np.zeros(len(amount), dtype=np.int8)
    if status is not None:
        kinds = status_kinds(status)
        notes += _status_notes(status, kinds, status_column)
    if order_ids is not None:
        prefixed = cancel_prefix(order_ids, amount) & (kinds != CANCELLED)
        kinds[prefixed] = CANCELLED
        if prefixed.any():
            notes.append(f"Recognised {_rows(int(prefixed.sum()))} whose order id starts with 'C' "
                         f"(for example {str(order_ids[prefixed].iloc[0])!r}) as cancellations, as "
                         "in the UCI Online Retail log.")
    return _arrays(amount, kinds), notes


def _arrays(amount: np.ndarray, kinds: np.ndarray) -> dict:
    """The per-row arrays of the order log from the signed amounts and the row kinds."""
    cancelled = kinds == CANCELLED
    whole_return = (kinds == RETURNED) & (amount > 0)
    line_return = (amount < 0) & ~cancelled
    counted = np.where(cancelled, np.minimum(amount, 0.0), np.where(whole_return, 0.0, amount))
    return {"amount": counted, "purchase": (amount >= 0) & ~cancelled & ~whole_return,
            "cancelled": cancelled,
            "returned": np.where(whole_return, amount, np.where(line_return, -amount, 0.0)),
            "gross": np.where(((amount >= 0) & ~cancelled), amount, 0.0)}


def _status_notes(status: pd.Series, kinds: np.ndarray, column) -> list[str]:
    """What the status column marked, with row counts and labels, and how each kind counts."""
    cancelled, returned = int((kinds == CANCELLED).sum()), int((kinds == RETURNED).sum())
    if not cancelled and not returned:
        return [f"The order status column {column!r} marks no row as cancelled or returned."]
    parts = []
    if cancelled:
        labels = _quoted(status, kinds, CANCELLED)
        parts.append(f"{_rows(cancelled)} cancelled or failed ({labels})")
    if returned:
        parts.append(f"{_rows(returned)} returned or refunded ({_quoted(status, kinds, RETURNED)})")
    return [f"Read the order status column {column!r}: " + " and ".join(parts) + ". Cancelled "
            "orders count neither as orders nor toward monetary (one with a negative amount "
            "reverses an earlier order and is subtracted); a returned order with a positive "
            "amount came back whole, so it is no order and adds nothing; a negative amount is "
            "a return and is subtracted from monetary."]


def _quoted(status: pd.Series, kinds: np.ndarray, kind: int) -> str:
    return ", ".join(repr(label) for label in kind_labels(status, kinds, kind))


def _rows(count: int) -> str:
    return f"{count:,} row" if count == 1 else f"{count:,} rows"
