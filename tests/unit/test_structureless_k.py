"""Where no k beats structureless data, auto k offers a few ranges, and says so: a uniform cube's
octants are stable and separate well, yet eight of them are no more real than two."""
from __future__ import annotations

import numpy as np
import pandas as pd

from segmentation.cli import main as cli_main
from segmentation.rule_k import FEWEST_RANGES, choose_rule_k


def _row(k: int, *, silhouette: float, stability: float, gap: float) -> dict:
    return {"k": k, "rule_silhouette": silhouette, "rule_calinski_harabasz": 100.0 * k,
            "rule_davies_bouldin": 1.0 / k, "stability": stability, "gap": gap,
            "cost_ratio": 1.0}


def test_stable_cuts_of_structureless_data_do_not_make_many_segments():
    # as for uniform noise in three columns: k = 8 (octants) is the most stable and separates best
    table = [_row(k, silhouette=0.2 + 0.01 * k, stability=0.5 + 0.05 * k, gap=0.01)
             for k in range(2, 9)]
    k, reason, finer = choose_rule_k(table)
    assert k <= FEWEST_RANGES and finer is None
    assert "no number of segments finds groups" in reason


def test_stable_cuts_are_judged_among_few_ranges_only():
    table = [_row(k, silhouette=0.2 + 0.01 * k, stability=0.9, gap=0.01) for k in range(2, 9)]
    k, reason, _ = choose_rule_k(table)      # every k stable: the criteria decide, among 2-3
    assert k <= FEWEST_RANGES and "among k = 2-3" in reason


def test_planted_groups_still_choose_their_k():
    table = [_row(k, silhouette=0.3, stability=0.9, gap=0.9 if k == 5 else 0.2)
             for k in range(2, 9)]
    assert choose_rule_k(table)[0] == 5


def test_the_cli_calls_weak_segments_ranges_not_groups(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 2_000
    pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)],
                  "spend": rng.uniform(0, 500, n).round(2), "visits": rng.uniform(0, 20, n),
                  "age": rng.uniform(18, 80, n).round(0)}).to_csv(tmp_path / "c.csv", index=False)
    assert cli_main(["run", str(tmp_path / "c.csv"), "--out", str(tmp_path / "out"),
                     "--quiet"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(("2 ranges of a continuum, not distinct groups",
                             "3 ranges of a continuum, not distinct groups")), first
