"""How tight are the rule segments? Cost ratio (k-means cost of the segments over the best k-means)
of the rule trees on tables shipped with scikit-learn and on generated customer-like tables.

    .venv/bin/python bench/bench_rules.py [--quick]

Columns: the notebook surrogate (CART on the cluster labels, depth 3, leaves merged by majority),
CART with exactly k leaves (depth <= 3), IMM (any depth; its depth is shown), an exhaustive search
over 16 binned thresholds per column (depth 3), and ours at depth 2, 3 and 4 (before rounding; the
rounded rules stay within 0.5% of it), conditions per segment, and our search time. "meets" checks
the targets: k <= 4: ours <= IMM (where IMM's depth is <= 3) and <= CART-k; k > 4: ours <= CART-k
and <= exhaustive-16; well-separated at the planted k: ours <= 1.05.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn import datasets
from sklearn.cluster import KMeans
from sklearn.tree import DecisionTreeClassifier

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from explain.cost_search import search                            # noqa: E402
from explain.split_stats import Space                               # noqa: E402
from explain.bins import bin_columns                                # noqa: E402
from explain.tree_choice import THOROUGH, RuleData, _imm, best_tree, node_tree  # noqa: E402
from segmentation.cleaning import clean_table                       # noqa: E402
from segmentation.prepare import prepare, select_features          # noqa: E402
from segmentation.roles import infer_roles                          # noqa: E402


def sklearn_tables():
    for name, loader in (("iris", datasets.load_iris), ("wine", datasets.load_wine),
                         ("breast cancer", datasets.load_breast_cancer)):
        data = loader(as_frame=True)
        yield name, data.frame.drop(columns=["target"]), len(np.unique(data.target))


def generated_tables(rng):
    n = 4000
    c = rng.normal(0, 8, (4, 5))
    g = rng.integers(0, 4, n)
    yield "well separated", pd.DataFrame(c[g] + rng.normal(0, 1, (n, 5)), columns=list("abcde")), 4
    c = rng.normal(0, 1.5, (4, 5))
    yield "overlapping", pd.DataFrame(c[g] + rng.normal(0, 1, (n, 5)), columns=list("abcde")), 4
    yield "skewed RFM", pd.DataFrame({
        "recency": rng.gamma(2, np.array([120, 40, 15, 200])[g]).round(),
        "frequency": rng.poisson(np.array([1.5, 4, 9, 2])[g]),
        "monetary": np.exp(rng.normal(3.5, 0.6, n) + np.array([0, 1.0, 2.0, 0.5])[g]).round(2),
        "tenure": rng.integers(1, 2000, n)}), 4
    yield "mixed-type", pd.DataFrame({
        "income": (np.array([30, 60, 110, 45])[g] * 1000 + rng.normal(0, 9000, n)).round(),
        "plan": np.where(rng.uniform(size=n) < 0.8, np.array(["basic", "plus", "premium", "plus"])[g], "basic"),
        "app": np.where(rng.uniform(size=n) < np.array([0.2, 0.5, 0.9, 0.4])[g], "yes", "no"),
        "visits": rng.poisson(np.array([2, 6, 12, 4])[g])}), 4


def matrices(frame: pd.DataFrame):
    table, _ = clean_table(frame)
    roles = infer_roles(table, id_column=None)
    prepared = prepare(table, features=select_features(roles, requested=None), roles=roles)
    return prepared.matrix, prepared.tree_matrix


def surrogate_ratio(data, labels, ref):
    """CART of depth 3 on the labels; each leaf goes to its majority cluster (segments = unions)."""
    rows = data.search_rows
    clf = DecisionTreeClassifier(max_depth=3, random_state=0).fit(data.T[rows], labels[rows])
    return data.labels_cost(clf.predict(data.T)) / ref


def exhaustive16(data, k):
    """Every root split over 16 bins, each child's best depth-2 subtree (exact over the bins)."""
    rows = data.search_rows
    bins = bin_columns(data.T[rows], n_bins=16)
    X = data.X[rows]
    space = Space(X, np.einsum("ij,ij->i", X, X), bins.codes, bins.width, data.coarse.min_rows)
    found = search(space, np.arange(len(rows)), depth=3, max_leaves=k, cols=np.arange(data.T.shape[1]),
                   breadth=10 ** 6)
    return node_tree(found[k][1], bins.edges) if k in found else None


def row(name, frame, k, seed=0, *, classes=None):
    X, T = matrices(frame)
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(X)
    data = RuleData.build(X, T, seed=seed)
    ref = data.labels_cost(labels)
    out = {"table": name, "rows": len(X), "k": k}
    started = time.perf_counter()
    ours = {d: best_tree(data, labels, k=k, depth=d, seed=seed, breadth=THOROUGH) if 2 ** d >= k else None
            for d in (2, 3, 4)}
    out["ours time s"] = round((time.perf_counter() - started) / 3, 2)
    fit3 = ours[3]
    out["surrogate d3"] = surrogate_ratio(data, labels, ref)
    out["CART k leaves"] = fit3.costs["cart"] / ref
    imm = _imm(data, labels)
    out["IMM"] = data.cost(imm) / ref if imm is not None else None
    out["IMM depth"] = imm.depth() if imm is not None else None
    tree16 = exhaustive16(data, k)
    out["exhaustive16 d3"] = data.cost(tree16) / ref if tree16 is not None else None
    for d in (2, 3, 4):
        out[f"ours d{d}"] = ours[d].cost / ref if ours[d] else None
    out["method d3"] = fit3.method
    out["conditions per segment"] = round(float(np.mean([_conditions(fit3.tree, leaf)
                                                         for leaf in fit3.tree.leaves()])), 2)
    out["meets"] = _meets(out, k, name, planted=k == classes)
    return out


def _conditions(tree, leaf) -> int:
    depth, node = 0, leaf
    parents = {int(c): i for i in tree.internal for c in (tree.left[i], tree.right[i])}
    while node in parents:
        node, depth = parents[node], depth + 1
    return depth


def _meets(out, k, name, *, planted: bool) -> bool:
    ours, tol = out["ours d3"], 1e-9
    ok = ours <= out["CART k leaves"] + tol
    if k <= 4 and out["IMM"] is not None and out["IMM depth"] <= 3:
        ok &= ours <= out["IMM"] + tol
    if k > 4 and out["exhaustive16 d3"] is not None:
        ok &= ours <= out["exhaustive16 d3"] + tol
    if name == "well separated" and planted:     # <= 1.05 at the k of the planted groups
        ok &= ours <= 1.05
    return bool(ok)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="only the k of the classes")
    args = ap.parse_args()
    rng = np.random.default_rng(2026)
    rows = []
    for name, frame, classes in list(sklearn_tables()) + list(generated_tables(rng)):
        ks = [classes] if args.quick else sorted({classes, 4, 5, 6, 8})
        for k in ks:
            rows.append(row(name, frame, k, classes=classes))
            print(_fmt(rows[-1]), flush=True)
    print()
    print(markdown(rows))


def markdown(rows: list[dict]) -> str:
    """The rows as a Markdown table, ratios to three decimals."""
    cols = list(rows[0])
    cell = lambda v: f"{v:.3f}" if isinstance(v, float) else ("-" if v is None else str(v))  # noqa: E731
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def _fmt(r: dict) -> str:
    return " | ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items())


if __name__ == "__main__":
    main()
