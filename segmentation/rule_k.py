"""Judge each candidate k by its RULE segments: the k-leaf tree's own silhouette, tightness and cost.

The clusters of every k are fitted first (kselect); here each gets its cheapest k-leaf tree, and
the figures that choose k are those of the segments a user will actually get.
"""
from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

from explain.segment_rules import fit_segments
from explain.tree import apply_tree
from explain.tree_choice import RuleData

from .clustering import kmeans_on_summary, order_by_size, refine_kmeans
from .kselect import CRITERIA, K_RANGE, STABLE, choose_k, kmeans_candidates, ward_candidates
from .metrics import davies_bouldin_rows, total_sse
from .verdict import WEAK, gaps

BEST_OF = range(3, 9)     # when k = 2 wins, the best k in this range is named too
GAP_TOLERANCE = 0.15      # a k within this share of the largest gap counts as close to it
GAP_STABLE = 0.6          # candidates at least this stable compete on the gap
GAP_SLACK = 0.04          # ... or within this much of it, whichever is wider
FAINT_MAX_K = 6           # where the largest gap is under 0.2, auto k stays at or below this
FEWEST_RANGES = 3         # where no k shows structure, auto k stays at or below this


def _sse(X: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(within-segment, total) sum of squares of all rows."""
    counts = np.bincount(labels).astype("float64")
    sums = np.column_stack([np.bincount(labels, weights=X[:, d], minlength=len(counts))
                            for d in range(X.shape[1])])
    used = counts > 0
    sq = float(np.einsum("ij,ij->", X, X))
    within = sq - float((np.einsum("ij,ij->i", sums[used], sums[used]) / counts[used]).sum())
    grand = sums.sum(axis=0)
    return max(within, 0.0), sq - float(grand @ grand) / len(X)


def rule_metrics(X: np.ndarray, rule: np.ndarray, *, k: int, sample) -> dict:
    """Silhouette (sampled), Calinski-Harabasz and Davies-Bouldin of a rule partition."""
    within, total = _sse(X, rule)
    n = len(X)
    ch = ((total - within) / (k - 1)) / (within / (n - k)) if within > 0 and n > k else float("inf")
    return {"rule_silhouette": sample.silhouette(rule[sample.rows]), "rule_calinski_harabasz": float(ch),
            "rule_davies_bouldin": davies_bouldin_rows(X, rule, k), "rule_inertia": within}


def kmeans_reference(summary, k: int, *, seed: int) -> np.ndarray:
    """Row labels of the best unconstrained k-means the summary gives (the cost ratio's baseline)."""
    micro, _ = kmeans_on_summary(summary, k, seed=seed)
    return micro[summary.member]


def rule_candidates(X, found: dict, summary, data: RuleData, *, depth: int, seed: int, sample,
                    method: str, progress=None) -> dict:
    """For each k: the cheapest tree, its segments' figures and its cost over k-means."""
    with threadpool_limits(limits=1):    # many small fits: threads cost more than they save
        return _rule_candidates(X, found, summary, data, depth=depth, seed=seed, sample=sample,
                                method=method, progress=progress)


def _rule_candidates(X, found, summary, data, *, depth, seed, sample, method, progress) -> dict:
    out = {}
    ks = sorted(k for k in found if k <= 2 ** depth)
    gap_of = gaps(X, ks, seed=seed)
    data.quick_search(depth=depth, leaves=max(ks, default=1))   # one search serves every k
    for i, k in enumerate(ks):
        labels = found[k]["labels"][summary.member]
        fit = fit_segments(data, labels, k=k, depth=depth, seed=seed)
        _, rule = np.unique(apply_tree(fit.tree, data.T), return_inverse=True)
        reference = labels if method == "kmeans" else kmeans_reference(summary, k, seed=seed)
        ref_cost = data.labels_cost(reference)
        metrics = rule_metrics(X, rule, k=k, sample=sample)
        metrics["cost_ratio"] = float(fit.cost / ref_cost) if ref_cost > 0 else None
        metrics["gap"] = gap_of[k]
        out[k] = {"fit": fit, "labels": labels, "reference": reference, "metrics": metrics}
        if progress:
            progress((i + 1) / len(ks), f"rules for k = {k}")
    return out


RULE_CRITERIA = CRITERIA + (("gap", True, "largest gap over structureless data"),)


def _by_rules(row: dict) -> dict:
    """A candidate as choose_k reads it: the rule segments' figures, the clusters' stability."""
    return {"k": row["k"], "silhouette": row["rule_silhouette"],
            "calinski_harabasz": row["rule_calinski_harabasz"],
            "davies_bouldin": row["rule_davies_bouldin"], "stability": row.get("stability", 1.0),
            "gap": row["gap"]}


def _without_structure(table: list[dict]) -> tuple[int, str] | None:
    """Where no k beats structureless data nor comes back on resampling, the k whose rule
    segments separate best, and why."""
    top = max(row["gap"] for row in table)
    if top >= WEAK["gap"] or any(row.get("stability", 0.0) >= STABLE for row in table):
        return None
    best = max(table, key=lambda row: (row["rule_silhouette"], -row["k"]))
    return best["k"], (f"k = {best['k']}: no candidate k tightens this data more than structureless "
                       f"data (largest gap {top:.2f}), so no number of segments finds groups; "
                       f"of at most {FEWEST_RANGES} ranges, the {best['k']} whose rules separate "
                       f"best are shown.")


def _by_gap(table: list[dict]) -> tuple[int, str] | None:
    """Among stable candidates, the smallest k that comes close to the largest gap, if any k shows
    structure (the gap statistic's rule: more segments only where they find more structure)."""
    pool = [row for row in table if row.get("stability", 1.0) >= GAP_STABLE] or table
    top = max(pool, key=lambda row: row["gap"])
    if top["gap"] < WEAK["gap"]:
        return None
    if top["gap"] < 2 * WEAK["gap"]:      # faint structure: no more segments than a team can use
        pool = [row for row in pool if row["k"] <= FAINT_MAX_K] or pool
        top = max(pool, key=lambda row: row["gap"])
    close = top["gap"] - max(GAP_TOLERANCE * top["gap"], GAP_SLACK)
    best = min((row for row in pool if row["gap"] >= close), key=lambda row: row["k"])
    shown = min(row["k"] for row in table), max(row["k"] for row in table)
    return best["k"], (
        f"k = {best['k']}: the smallest k among k = {shown[0]}-{shown[1]} (stability {GAP_STABLE} or "
        f"more) whose segments come "
        f"close to the largest gap over structureless data (gap {best['gap']:.2f}; "
        f"largest {top['gap']:.2f} at k = {top['k']}); rule-segment silhouette "
        f"{best['rule_silhouette']:.2f}, stability {best.get('stability', 1.0):.2f}.")


def choose_rule_k(table: list[dict]) -> tuple[int, str, dict | None]:
    """(k, reason, best k in 3..8 when k = 2 wins) judged on the rule segments. Where no k
    beats structureless data, only k up to FEWEST_RANGES compete: a uniform cube's octants are
    stable and separate well, yet more of them are only more cuts of the same continuum."""
    if max(row["gap"] for row in table) < WEAK["gap"]:
        table = [row for row in table if row["k"] <= FEWEST_RANGES] or table
    plain = _by_gap(table) or _without_structure(table)
    if plain is not None:
        k, reason = plain
    else:
        k, reason = choose_k([_by_rules(row) for row in table], criteria=RULE_CRITERIA)
        reason = reason.replace(f"k = {k}: ", f"k = {k} (judged on the rule segments): ", 1)
    if k != 2 or max(row["gap"] for row in table) < WEAK["gap"]:
        return k, reason, None        # no finer k to suggest where no k shows any structure
    rest = [row for row in table if row["k"] in BEST_OF]
    if not rest:
        return k, reason, None
    k3, _ = choose_k([_by_rules(row) for row in rest], criteria=RULE_CRITERIA)
    row = next(r for r in rest if r["k"] == k3)
    ratio = row["cost_ratio"]
    text = (f"Best k from 3 to 8 for a finer split: k = {k3} (rule-segment silhouette "
            f"{row['rule_silhouette']:.2f}" + (f", cost ratio {ratio:.2f}" if ratio else "") + ").")
    return k, reason, {"k": int(k3), "reason": text}


def _fixed_reason(k: int, row: dict, auto_reason: str) -> str:
    return (f"k = {k} was set by the user (rule-segment silhouette {row['rule_silhouette']:.2f}, "
            f"Davies-Bouldin {row['rule_davies_bouldin']:.2f}); automatic choice: {auto_reason}")


def choose_clusters(X, summary, tree, *, options, ks, data: RuleData, sample, stages):
    """(row labels of the chosen k, k-selection record, rule candidates per k) for k-means or Ward."""
    total = total_sse(summary)
    ks = [k for k in ks if k <= 2 ** options.max_depth]
    first_half = lambda f, m: stages.report(f / 2, m)          # noqa: E731
    if options.method == "kmeans":
        found = kmeans_candidates(X, summary, ks, sample=sample, total=total, seed=options.seed,
                                  progress=first_half)
    else:
        found = ward_candidates(X, summary, tree, ks, sample=sample, total=total, seed=options.seed,
                                progress=first_half)
    rules = rule_candidates(X, found, summary, data, depth=options.max_depth, seed=options.seed,
                            sample=sample, method=options.method,
                            progress=lambda f, m: stages.report(0.5 + f / 2, m))
    table = [{**found[k]["metrics"], **rules[k]["metrics"]} for k in sorted(rules)]
    auto = [row for row in table if row["k"] in K_RANGE] or table
    k, reason, finer = choose_rule_k(auto)
    if options.k is not None:
        k, reason = options.k, _fixed_reason(options.k, rules[options.k]["metrics"], reason)
    stages.start("clustering", f"{options.method} with k = {k}")
    if options.method == "kmeans" and not summary.direct:
        labels = refine_kmeans(X, found[k]["centres"], seed=options.seed)
    else:
        labels = found[k]["labels"][summary.member]
    record = {"candidates": table, "chosen_k": int(k), "reason": reason, "best_k_3_8": finer,
              "stability": found[k]["metrics"].get("stability"),
              "silhouette_sample": int(len(sample.rows)), "summary_points": int(summary.size)}
    return order_by_size(labels), record, rules
