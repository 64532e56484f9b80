"""One run, stage by stage: tidy, prepare, choose k, cluster, explain, profile -> Result.

`progress(stage, fraction, message)` is called as the run goes; it may raise to cancel the run.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import numpy as np
import pandas as pd

from explain.surrogate import explain_segments

from .assemble import UNUSUAL, build_result
from .cleaning import clean_table, require_numbers
from .clustering import density_labels, density_record, order_by_size, refine_kmeans, ward_tree
from .errors import InputError
from .kselect import K_RANGE, choose_k, kmeans_candidates, ward_candidates
from .metrics import SampleDistances, silhouette_sample, total_sse
from .options import METHODS, RunOptions  # noqa: F401  (METHODS: re-exported)
from .prepare import prepare, select_features
from .result import Result
from .roles import ROLES, ColumnRole, infer_roles
from .summaries import summarize

STAGES = ("reading", "preparing", "choosing_k", "clustering", "explaining", "profiling")
Progress = Callable[[str, float, str], None]


@dataclass
class RunOutput:
    result: Result
    assignments: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)


class _Stages:
    """Reports progress and times each stage."""

    def __init__(self, progress: Progress | None):
        self.progress, self.timings, self._stage, self._t = progress, {}, None, time.perf_counter()

    def start(self, stage: str, message: str = "") -> None:
        self._close()
        self._stage, self._t = stage, time.perf_counter()
        self.report(0.0, message)

    def report(self, fraction: float, message: str = "") -> None:
        if self.progress:
            self.progress(self._stage, fraction, message)

    def _close(self) -> None:
        if self._stage:
            self.timings[self._stage] = time.perf_counter() - self._t

    def finish(self) -> dict[str, float]:
        self._close()
        self._stage = None
        return self.timings


def _candidate_ks(n: int, k: int | None) -> list[int]:
    if k is not None and k > n - 1:
        raise InputError(f"{n} usable rows cannot make {k} segments: use a smaller --k or more rows")
    ks = [c for c in K_RANGE if c <= n - 1]
    if k is not None and k not in ks:
        ks.append(k)
    if not ks:
        raise InputError(f"only {n} usable rows: segmentation needs at least 3")
    return ks


def _apply_role_overrides(roles: dict, overrides) -> dict:
    """The user's role changes over the inferred roles, each checked."""
    for name, role in overrides:
        if name not in roles:
            raise InputError(f"unknown column '{name}' in role settings")
        if role not in ROLES:
            raise InputError(f"unknown role '{role}' for '{name}': use one of {', '.join(ROLES)}")
        old = roles[name]
        roles[name] = ColumnRole(name, role, old.missing, old.unique, "set by the user")
    return roles


def _cluster(X, summary, options: RunOptions, ks: list[int], stages: _Stages):
    """(labels 0..k-1 with -1 for outliers, k-selection record, notes, tree)."""
    stages.start("choosing_k", f"summarising {len(X):,} rows")
    sample = SampleDistances(X, silhouette_sample(len(X), seed=options.seed))
    total = total_sse(summary)
    tree = ward_tree(summary.centres, summary.counts)
    if options.method == "density":
        stages.start("clustering", "density clustering")
        labels, notes = density_labels(X, seed=options.seed)
        return labels, density_record(labels), notes, tree
    if options.method == "kmeans":
        found = kmeans_candidates(X, summary, ks, sample=sample, total=total, seed=options.seed,
                                  progress=stages.report)
    else:
        found = ward_candidates(X, summary, tree, ks, sample=sample, total=total, seed=options.seed,
                                progress=stages.report)
    table = [found[k]["metrics"] for k in sorted(found)]
    auto = [row for row in table if row["k"] in K_RANGE] or table
    k, reason = choose_k(auto)
    if options.k is not None:
        k = options.k
        row = found[k]["metrics"]
        reason = (f"k = {k} was set by the user (silhouette {row['silhouette']:.2f}, "
                  f"Davies-Bouldin {row['davies_bouldin']:.2f}); automatic choice: {reason}")
    stages.start("clustering", f"{options.method} with k = {k}")
    chosen = found[k]
    if options.method == "kmeans" and not summary.direct:
        labels = refine_kmeans(X, chosen["centres"], seed=options.seed)
    else:
        labels = chosen["labels"][summary.member]
    record = {"candidates": table, "chosen_k": int(k), "reason": reason,
              "silhouette_sample": int(len(sample.rows)), "summary_points": int(summary.size)}
    return order_by_size(labels), record, [], tree


def run_segmentation(raw: pd.DataFrame, *, options: RunOptions = RunOptions(),
                     progress: Progress | None = None, extra: dict | None = None) -> RunOutput:
    """Segment a raw customer table; `extra` adds dataset notes (e.g. from order-log aggregation)."""
    options.check()
    stages = _Stages(progress)
    stages.start("preparing", "tidying and typing columns")
    table, notes = clean_table(raw)
    if options.id_column is not None and options.id_column not in table.columns:
        raise InputError(f"unknown id column '{options.id_column}'; columns are: "
                         + ", ".join(map(str, table.columns)))
    roles = _apply_role_overrides(infer_roles(table, id_column=options.id_column), options.roles)
    table = require_numbers(table, roles)
    features = select_features(roles, requested=list(options.features or ()))
    ks = _candidate_ks(len(table), options.k)
    prepared = prepare(table, features=features, roles=roles)
    summary = summarize(prepared.matrix, seed=options.seed)
    labels, k_selection, cluster_notes, tree = _cluster(prepared.matrix, summary, options, ks, stages)
    y = np.where(labels >= 0, labels + 1, UNUSUAL)
    stages.start("explaining", "fitting rules")
    id_column = next((n for n, r in roles.items() if r.role == "id"), None)
    explained = explain_segments(prepared, y, depth=options.max_depth, seed=options.seed)
    stages.start("profiling", "profiles, names and strategy cards")
    result, assignments = build_result(
        raw=raw, table=table, roles=roles, prepared=prepared, summary=summary, tree=tree, y=y,
        explained=explained, k_selection=k_selection, id_column=id_column, options=options,
        notes=notes + cluster_notes + list((extra or {}).get("notes", [])),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return RunOutput(result, assignments, stages.finish())
