"""One run, stage by stage: tidy, prepare, choose k, cluster, explain, profile -> Result.

`progress(stage, fraction, message)` is called as the run goes; it may raise to cancel the run.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

import numpy as np
import pandas as pd

from explain.tree_choice import RuleData

from .assemble import build_result
from .cleaning import clean_table, require_numbers
from .clustering import density_labels, density_record, ward_tree
from .errors import InputError
from .findings import explain_chosen, k_options
from .kselect import K_RANGE
from .metrics import SampleDistances, silhouette_sample
from .options import METHODS, RunOptions  # noqa: F401  (METHODS: re-exported)
from .prepare import prepare, select_features
from .rule_k import choose_clusters
from .result import RunResult
from .result_models import KSelection, jsonable
from .roles import ROLES, ColumnRole, infer_roles
from .summaries import summarize

STAGES = ("reading", "preparing", "choosing_k", "clustering", "explaining", "profiling")
Progress = Callable[[str, float, str], None]


@dataclass
class RunOutput:
    """A run's result, its assignments and the seconds each stage took."""

    result: RunResult
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


def _candidate_ks(n: int, k: int | None, depth: int) -> list[int]:
    """The k to try: 2..10 within what n rows and rules of `depth` conditions can hold."""
    if k is not None and k > 2 ** depth:
        raise InputError(f"k = {k} needs a rule depth of {math.ceil(math.log2(k))}: depth {depth} "
                         f"gives at most {2 ** depth} segments; raise the rule depth or lower k")
    if k is not None and k > n - 1:
        raise InputError(f"{n} usable rows cannot make {k} segments: use a smaller k or more rows")
    ks = [c for c in K_RANGE if c <= min(n - 1, 2 ** depth)]
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


@dataclass
class _Clustered:
    """The chosen clusters and what the rules of every candidate k were built from."""

    labels: np.ndarray            # 0..k-1, -1 for unusual rows (density)
    record: dict                  # the k-selection record
    notes: list[str]
    tree: np.ndarray              # Ward linkage of the summary (the dendrogram)
    data: RuleData
    sample: SampleDistances
    rules: dict                   # k -> that k's cheapest tree and figures


def _cluster(prepared, summary, options: RunOptions, ks: list[int], stages: _Stages) -> _Clustered:
    """Cluster, and choose k by the rule segments each k gives."""
    X = prepared.matrix
    stages.start("choosing_k", f"summarising {len(X):,} rows")
    sample = SampleDistances(X, silhouette_sample(len(X), seed=options.seed))
    tree = ward_tree(summary.centres, summary.counts)
    data = RuleData.build(X, prepared.tree_matrix, seed=options.seed)
    if options.method == "density":
        stages.start("clustering", "density clustering")
        labels, notes = density_labels(X, seed=options.seed)
        return _Clustered(labels, density_record(labels), notes, tree, data, sample, {})
    labels, record, rules = choose_clusters(X, summary, tree, options=options, ks=ks, data=data,
                                            sample=sample, stages=stages)
    return _Clustered(labels, record, [], tree, data, sample, rules)


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
    ks = _candidate_ks(len(table), options.k, options.max_depth)
    prepared = prepare(table, features=features, roles=roles)
    summary = summarize(prepared.matrix, seed=options.seed)
    found = _cluster(prepared, summary, options, ks, stages)
    k_selection = KSelection.model_validate(jsonable(found.record))
    stages.start("explaining", "fitting rules")
    id_column = next((n for n, r in roles.items() if r.role == "id"), None)
    explained = explain_chosen(prepared, found.labels, k_selection, options=options, summary=summary,
                               data=found.data, sample=found.sample)
    y = explained.clusters
    stages.start("profiling", "profiles, names and strategy cards")
    k_selection.options = k_options(table, prepared, found.rules, explained, k_selection,
                                       options=options, data=found.data, sample=found.sample)
    result, assignments = build_result(
        raw=raw, table=table, roles=roles, prepared=prepared, summary=summary, tree=found.tree, y=y,
        explained=explained, k_selection=k_selection, id_column=id_column, options=options,
        notes=notes + found.notes + list((extra or {}).get("notes", [])),
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    return RunOutput(result, assignments, stages.finish())
