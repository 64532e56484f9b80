"""Load what a run segments: the uploaded table, or an order log turned into one row per customer.

The CLI and the job runner both load through here, so an upload means the same thing to both.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .orders import aggregate_orders
from .readers import XLSX_MAX_UNPACKED_MB, read_table

ORDER_KEYS = ("customer", "date", "amount", "quantity", "category", "order", "as_of", "status")


@dataclass
class Loaded:
    """The table to segment; in order-log mode also the per-customer table and its id column."""

    table: pd.DataFrame
    customers: pd.DataFrame | None = None
    id_column: str | None = None
    notes: list[str] = field(default_factory=list)


def load_input(path, *, orders: dict | None, progress,
               xlsx_max_unpacked_mb: float = XLSX_MAX_UNPACKED_MB,
               name: str | None = None) -> Loaded:
    """Read `path`; with `orders` (column names, any may be None) aggregate it per customer.

    `name` is the file's name as the user knows it (an upload's original name) for the messages.
    """
    progress("reading", 0.0, "reading the upload")
    raw = read_table(path, xlsx_max_unpacked_mb=xlsx_max_unpacked_mb, name=name)
    reading = list(raw.attrs.get("notes", []))
    if orders is None:
        return Loaded(raw, notes=reading)
    progress("reading", 0.5, "aggregating the order log per customer")
    agg = aggregate_orders(raw, **{k: orders.get(k) or None for k in ORDER_KEYS})
    return Loaded(agg.customers, agg.customers, agg.columns["customer"], reading + agg.notes)
