"""Seeded order logs for the tests: status labels in many spellings, returns, zero-padded ids."""
from __future__ import annotations

import numpy as np
import pandas as pd

PLACED = ("Completed", "completed ", "SHIPPED", "Delivered", "pending")
CANCELLED = ("Cancelled", "CANCELED", "cancelado", "Storniert", "failed", "Void", "Payment failed")
RETURNED = ("Returned", "refunded", "RETOURE")


def make_status_log(n_customers: int = 200, *, seed: int = 0) -> pd.DataFrame:
    """One row per order with a status; some orders have a later return line (negative amount).

    Customer ids are zero-padded text ("00042"); `cds` counts the units of each order.
    """
    rng = np.random.default_rng(seed)
    rows, order_no = [], 500000
    for number in range(1, n_customers + 1):
        cancel_share = rng.choice([0.05, 0.3, 0.6])
        for _ in range(int(rng.integers(1, 10))):
            order_no += 1
            rows += _order_rows(rng, f"{number:05d}", f"O{order_no}", cancel_share)
    return pd.DataFrame(rows, columns=["order_id", "customer_id", "order_date", "cds", "amount",
                                       "status"])


def _order_rows(rng, customer: str, order: str, cancel_share: float) -> list[tuple]:
    day = pd.Timestamp("2024-01-01") + pd.Timedelta(days=int(rng.integers(0, 365)))
    units = int(rng.integers(1, 6))
    amount = round(units * float(rng.uniform(8, 20)), 2)
    draw = rng.random()
    if draw < cancel_share:
        status = str(rng.choice(CANCELLED))
    elif draw < cancel_share + 0.08:
        status = str(rng.choice(RETURNED))
    else:
        status = str(rng.choice(PLACED))
    rows = [(order, customer, day.date().isoformat(), units, amount, status)]
    if status in PLACED and rng.random() < 0.15:  # one unit sent back a few days later
        later = (day + pd.Timedelta(days=3)).date().isoformat()
        rows.append((order, customer, later, -1, -round(amount / units, 2), "Refunded"))
    return rows


def expected_figures(log: pd.DataFrame) -> pd.DataFrame:
    """Frequency and monetary by plain pandas: cancelled orders left out, a returned order adds
    nothing, a return line (negative amount) is subtracted and is no order."""
    status = log["status"].str.strip().str.lower()
    cancelled = status.str.contains("cancel|storn|fail|void")
    whole_return = status.isin(["returned", "refunded", "retoure"]) & (log["amount"] > 0)
    counted = log[~cancelled & ~whole_return]
    monetary = counted.groupby("customer_id")["amount"].sum()
    orders = counted[counted["amount"] > 0].groupby("customer_id")["order_id"].nunique()
    placed = log[(log["amount"] > 0)].groupby("customer_id")["order_id"].nunique()
    cancels = log[cancelled].groupby("customer_id")["order_id"].nunique()
    ids = sorted(log["customer_id"].unique())
    return pd.DataFrame({"frequency": orders.reindex(ids, fill_value=0),
                         "monetary": monetary.reindex(ids, fill_value=0.0),
                         "cancel_rate": (cancels.reindex(ids, fill_value=0)
                                         / placed.reindex(ids))}, index=pd.Index(ids))
