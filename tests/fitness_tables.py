"""Seeded tables shared by the feature-fitness tests: a bank table with special categories and a
telecom table with a near-duplicate column."""
from __future__ import annotations

import numpy as np
import pandas as pd

N = 1500


def bank_table(seed: int = 0) -> pd.DataFrame:
    """Two groups that ethnicity tells apart exactly and balance roughly; religion is noise."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, N)
    return pd.DataFrame({
        "customer_id": [f"B{i:05d}" for i in range(N)],
        "age": rng.normal(45, 12, N).round().astype(int),
        "balance": rng.normal(np.where(group == 0, 10_000, 30_000), 5_000).round(2),
        "ethnicity": np.where(group == 0, "Asian", "White"),
        "religion": rng.choice(["Christian", "Muslim", "Hindu", "None"], N),
    })


def telecom_table(seed: int = 0) -> pd.DataFrame:
    """Light and heavy users; the day charge is the day minutes times a tariff (r = 1.00)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 2, N)
    minutes = np.where(group == 0, rng.normal(140, 25, N), rng.normal(260, 25, N)).clip(0).round(1)
    return pd.DataFrame({
        "phone": [f"P{i:05d}" for i in range(N)],
        "total_day_minutes": minutes,
        "total_day_calls": rng.poisson(100, N),
        "total_day_charge": (minutes * 0.17).round(2),
        "service_calls": rng.poisson(np.where(group == 0, 1, 3)),
    })


def features_of(result) -> list[str]:
    """The names of the columns a run used, in order."""
    return [f.name for f in result.dataset.features]
