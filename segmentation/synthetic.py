"""Seeded synthetic data for the demo, the tests and the benchmarks.

Each generator plants a known structure (customer groups, blobs, buying habits), so a run on its
output can be checked against the truth. The same seed always gives the same table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHANNELS = ("Web", "App", "Store", "Referral")
CATEGORIES = ("Books", "Electronics", "Fashion", "Home & Garden", "Sports")
_CATEGORY_PRICE = np.array([15.0, 180.0, 45.0, 60.0, 35.0])
_ORDER_DAYS = 730
_FIRST_ORDER_DAY = np.datetime64("2023-01-01", "D")

# The four planted customer groups, one entry per group:
# 0 careful (high income, low spending), 1 premium (high income, high spending),
# 2 enthusiasts (low income, high spending), 3 lapsing (average income and spending, long gone).
_GROUP_SHARE = np.array([0.25, 0.20, 0.25, 0.30])
_INCOME_MEAN = np.array([105.0, 112.0, 32.0, 60.0])  # thousand dollars
_INCOME_SD = np.array([12.0, 12.0, 6.0, 8.0])
_SPENDING_MEAN = np.array([20.0, 82.0, 78.0, 45.0])
_SPENDING_SD = np.array([7.0, 7.0, 8.0, 8.0])
_RECENCY_MEAN = np.array([30.0, 10.0, 14.0, 190.0])
_VISITS_MEAN = np.array([2.0, 6.0, 5.0, 0.6])
_AGE_MEAN = np.array([46.0, 40.0, 27.0, 50.0])
_LOYALTY_P = np.array([0.40, 0.80, 0.35, 0.15])
_CHANNEL_P = np.array([
    [0.35, 0.15, 0.40, 0.10],
    [0.30, 0.35, 0.15, 0.20],
    [0.25, 0.55, 0.05, 0.15],
    [0.40, 0.10, 0.40, 0.10],
])


def make_customers(n: int = 2000, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """A customer table with 4 planted groups (returned as ints 0..3), untidy like real exports.

    Groups differ in income, spending and recency; gender has stray spaces and gaps, ~2% of
    annual_income and visits_per_month are missing.
    """
    rng = np.random.default_rng(seed)
    counts = np.floor(_GROUP_SHARE * n).astype(np.int64)
    counts[-1] = n - counts[:-1].sum()
    labels = rng.permutation(np.repeat(np.arange(4), counts))
    income = rng.normal(_INCOME_MEAN[labels], _INCOME_SD[labels]).clip(20.0, 150.0) * 1000.0
    spending = rng.normal(_SPENDING_MEAN[labels], _SPENDING_SD[labels]).clip(1, 100)
    recency = _customer_recency(rng, labels)
    table = pd.DataFrame({
        "customer_id": _ids("C", np.arange(1, n + 1), width=6),
        "age": rng.normal(_AGE_MEAN[labels], 9.0).clip(18, 80).round().astype(np.int64),
        "gender": _untidy_gender(rng, n),
        "annual_income": _with_gaps(rng, np.round(income, -2)),
        "spending_score": np.round(spending).astype(np.int64),
        "visits_per_month": _with_gaps(rng, _visits(rng, labels)),
        "loyalty_member": np.where(rng.random(n) < _LOYALTY_P[labels], "Yes", "No"),
        "signup_channel": _pick_channels(rng, labels),
        "days_since_last_purchase": recency,
    })
    return table, labels


def _visits(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    return np.round(rng.gamma(4.0, _VISITS_MEAN[labels] / 4.0), 1)


def _customer_recency(rng: np.random.Generator, labels: np.ndarray) -> np.ndarray:
    active = rng.gamma(3.0, _RECENCY_MEAN[labels] / 3.0)
    lapsing = rng.normal(_RECENCY_MEAN[labels], 35.0).clip(90, None)
    return np.round(np.where(labels == 3, lapsing, active)).astype(np.int64)


def _untidy_gender(rng: np.random.Generator, n: int) -> pd.Series:
    """Female/Male, ~3% with a stray space (" Female", "Male ") and ~2% missing."""
    gender = np.where(rng.random(n) < 0.55, "Female", "Male").astype(object)
    roll = rng.random(n)
    gender[roll < 0.015] = np.char.add(" ", gender[roll < 0.015].astype(str))
    stray_end = (roll >= 0.015) & (roll < 0.03)
    gender[stray_end] = np.char.add(gender[stray_end].astype(str), " ")
    gender[(roll >= 0.03) & (roll < 0.05)] = None
    return pd.Series(gender, dtype="str")


def _with_gaps(rng: np.random.Generator, values: np.ndarray, share: float = 0.02) -> np.ndarray:
    return np.where(rng.random(len(values)) < share, np.nan, values)


def _pick_channels(rng: np.random.Generator, labels: np.ndarray) -> pd.Series:
    cumulative = np.cumsum(_CHANNEL_P, axis=1)[labels]
    picks = (rng.random(len(labels))[:, None] > cumulative).sum(axis=1).clip(0, len(CHANNELS) - 1)
    return _labels(picks, CHANNELS)


def _ids(prefix: str, numbers: np.ndarray, *, width: int) -> pd.Series:
    return prefix + pd.Series(numbers).astype("str").str.zfill(width)


def make_blobs_table(
    n: int, *, n_features: int = 10, k: int = 4, seed: int = 0, separation: float = 8.0
) -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric-only, well separated Gaussian blobs: `id` then f01.., all positive; labels 0..k-1.

    Centres sit at least `separation` within-blob standard deviations apart; fast at 1M x 10.
    """
    rng = np.random.default_rng(seed)
    centres = _spread_centres(rng, k, n_features, separation)
    labels = rng.integers(0, k, size=n)
    scale = np.round(10.0 ** rng.uniform(0.0, 2.0, n_features), 1)
    offset = 8.0 - centres.min(axis=0)
    points = rng.standard_normal((n, n_features))
    points += centres[labels] + offset
    points *= scale
    points.round(2, out=points)
    width = max(2, len(str(n_features)))
    names = [f"f{j + 1:0{width}d}" for j in range(n_features)]
    table = pd.DataFrame(points, columns=names, copy=False)
    table.insert(0, "id", np.arange(1, n + 1, dtype=np.int64))
    return table, labels


def _spread_centres(rng: np.random.Generator, k: int, d: int, separation: float) -> np.ndarray:
    """k centres whose closest pair is at least `separation` apart (redrawn until it is)."""
    centres = rng.normal(0.0, separation, (k, d))
    for _ in range(1000):
        gaps = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=2)
        if k < 2 or gaps[np.triu_indices(k, 1)].min() >= separation:
            break
        centres = rng.normal(0.0, separation, (k, d))
    return centres


def make_orders(
    n_customers: int = 500, *, seed: int = 0, with_returns: bool = True
) -> pd.DataFrame:
    """An order log over two years (one row per order line) with customer attributes repeated.

    Columns: order_id, customer_id, order_date (ISO), amount, quantity, category, age, gender,
    loyalty_member; with_returns adds a few return rows (negative amount and quantity).
    """
    rng = np.random.default_rng(seed)
    people = _order_customers(rng, n_customers)
    lines = _order_lines(rng, people)
    if with_returns:
        lines = pd.concat([lines, _returns(rng, lines)], ignore_index=True)
    order = np.lexsort((lines["number"], lines["returned"], lines["day"]))
    lines = lines.take(order).reset_index(drop=True)
    person = lines["person"].to_numpy()
    attributes = {name: people[name].take(person).reset_index(drop=True)
                  for name in ("customer_id", "age", "gender", "loyalty_member")}
    all_days = np.datetime_as_string(_FIRST_ORDER_DAY + np.arange(_ORDER_DAYS))
    prefix = pd.Series(np.where(lines["returned"], "R", "O"), dtype="str")
    return pd.DataFrame({
        "order_id": prefix + lines["number"].astype("str").str.zfill(7),
        "customer_id": attributes.pop("customer_id"),
        "order_date": _labels(lines["day"], all_days),
        "amount": lines["amount"],
        "quantity": lines["quantity"],
        "category": _labels(lines["category"], CATEGORIES),
        **attributes,
    })


def _labels(codes, names) -> pd.Series:
    """Text labels (str dtype) for integer codes into `names`."""
    return pd.Series(pd.Categorical.from_codes(codes, categories=list(names))).astype("str")


def _order_customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Who buys: attributes, an active window inside the two years, a buying rate, tastes."""
    loyal = rng.random(n) < 0.35
    start = rng.integers(0, int(_ORDER_DAYS * 0.7), n)
    lapsed = rng.random(n) < 0.25
    stop = start + ((_ORDER_DAYS - 1 - start) * rng.uniform(0.1, 0.6, n)).astype(np.int64)
    gender = np.where(rng.random(n) < 0.55, "Female", "Male").astype(object)
    gender[rng.random(n) < 0.02] = None
    tastes = np.cumsum(rng.dirichlet(np.full(len(CATEGORIES), 0.8), n), axis=1)
    people = pd.DataFrame({
        "customer_id": _ids("C", np.arange(1, n + 1), width=6),
        "age": rng.normal(42.0, 13.0, n).clip(18, 85).round().astype(np.int64),
        "gender": pd.Series(gender, dtype="str"),
        "loyalty_member": np.where(loyal, "Yes", "No"),
        "start": start,
        "stop": np.where(lapsed, stop, _ORDER_DAYS - 1),
        "rate": rng.gamma(1.5, 3.0, n) * np.where(loyal, 1.6, 1.0),
    })
    for j in range(len(CATEGORIES) - 1):
        people[f"taste_{j}"] = tastes[:, j]
    return people


def _order_lines(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    """Orders spread over each customer's window, 1-4 lines each, categories by taste."""
    start, stop = people["start"].to_numpy(), people["stop"].to_numpy()
    span = stop - start + 1
    orders_each = 1 + rng.poisson(people["rate"].to_numpy() * span / 365)
    owner = np.repeat(np.arange(len(people)), orders_each)
    day = start[owner] + (rng.random(len(owner)) * span[owner]).astype(np.int64)
    number = np.empty(len(owner), dtype=np.int64)
    number[np.lexsort((owner, day))] = np.arange(1, len(owner) + 1)
    line_of = np.repeat(np.arange(len(owner)), 1 + rng.poisson(0.5, len(owner)).clip(0, 3))
    person = owner[line_of]
    roll = rng.random(len(line_of))
    category = np.zeros(len(line_of), dtype=np.int64)
    for j in range(len(CATEGORIES) - 1):
        category += roll > people[f"taste_{j}"].to_numpy()[person]
    quantity = 1 + rng.poisson(0.4, len(line_of))
    price = _CATEGORY_PRICE[category] * rng.lognormal(0.0, 0.35, len(line_of))
    return pd.DataFrame({
        "number": number[line_of],
        "returned": np.zeros(len(line_of), dtype=bool),
        "person": person,
        "day": day[line_of],
        "amount": np.round(quantity * price, 2),
        "quantity": quantity,
        "category": category,
    })


def _returns(rng: np.random.Generator, lines: pd.DataFrame, share: float = 0.03) -> pd.DataFrame:
    """About `share` of the lines come back 2-30 days later, as negative rows with an R-number."""
    back = lines[rng.random(len(lines)) < share].copy()
    back["day"] = np.minimum(back["day"] + rng.integers(2, 31, len(back)), _ORDER_DAYS - 1)
    back["amount"] = -back["amount"]
    back["quantity"] = -back["quantity"]
    back["returned"] = True
    return back
