"""One view of a Result: the rows and strings every page and the standalone report show.

`result_view(result)` reads a RunResult's attributes (duck-typed: this package does not import
the core's models at run time) and returns plain text in frozen dataclasses; the Dash components
and the report's template only lay it out, so both say the same thing in the same words. Nothing here is markup: each layout escapes
(Dash by construction, the report's Jinja2 template by autoescaping).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

from .figures import UNUSUAL_ID, segment_colours
from .format import feature_label, human_number, human_ratio, human_share
from .view_text import (Verdict, depth_costs_text, fill_text, kept_text, levels_text, percent,
                        tightness_sentence, transform_text, verdict)

if TYPE_CHECKING:
    from segmentation.result import RunResult

METHOD_NAMES = {"kmeans": "k-means", "hierarchical": "Ward hierarchical clustering",
                "density": "density clustering (HDBSCAN)"}
KEY_NUMBERS = 3
AGREEMENT = "of customers are put by the rules in the segment of their own cluster"
RULES_NOTE = ("Precision: share of the customers a rule selects that are in its cluster. "
              "Coverage: share of the cluster the rule selects.")
NO_REASON = "No reason was stored for this run."
K_COLUMNS = (("inertia", "Inertia"), ("silhouette", "Silhouette"),
             ("calinski_harabasz", "Calinski-Harabasz"), ("davies_bouldin", "Davies-Bouldin"),
             ("stability", "Stability"))
__all__ = ["ResultView", "SegmentView", "FeatureRow", "Dropped", "KTable", "Verdict", "result_view",
           "kept_text", "percent", "METHOD_NAMES", "AGREEMENT", "RULES_NOTE"]


@dataclass(frozen=True)
class SegmentView:
    """One segment as read: its label, name, size, rule, figures, key numbers and strategy."""

    id: int
    label: str
    name: str
    colour: str
    size: str
    customers: str
    rule: str
    sql: str
    precision: str
    coverage: str
    key_numbers: tuple[str, ...]
    headline: str
    actions: tuple[str, ...]
    kpi: str
    rationale: str


@dataclass(frozen=True)
class FeatureRow:
    """One feature of the dataset table."""

    name: str
    kind: str
    levels: str
    transform: str
    missing: str


@dataclass(frozen=True)
class Dropped:
    """Something left out of the run: a column (named) or rows, and why."""

    column: str | None
    text: str


@dataclass(frozen=True)
class KTable:
    """The candidate k with their metrics: column titles, and per row its cells and whether it
    is the chosen k."""

    columns: tuple[str, ...]
    rows: tuple[tuple[tuple[str, ...], bool], ...]


@dataclass(frozen=True)
class ResultView:
    """Everything a run's pages and report say about it, as text."""

    title: str
    facts: tuple[tuple[str, str], ...]
    verdict: Verdict | None
    kept: str | None
    tightness: str | None
    depth_costs: str | None
    suggestion: tuple[str, str] | None
    agreement: str
    depth: str
    rule_notes: tuple[str, ...]
    k_reason: str
    k_table: KTable
    segments: tuple[SegmentView, ...]
    features: tuple[FeatureRow, ...]
    dropped: tuple[Dropped, ...]
    suggestions: tuple[str, ...]
    data_notes: tuple[str, ...]
    footer: str


def _numeric_fact(profile, *, feature) -> str | None:
    """'annual income 85k vs 52k': the segment's mean against all customers'."""
    entry = next((e for e in profile.numeric if e.feature == feature), None)
    if entry is None:
        return None
    return f"{feature_label(feature)} {human_number(entry.mean)} vs {human_number(entry.base_mean)}"


def _level_fact(profile, *, feature, level) -> str | None:
    """'signup channel Store: 36% vs 26%': the level's share in the segment against all."""
    entry = next((e for e in profile.categorical if e.feature == feature and e.level == level),
                 None)
    if entry is None:
        return None
    return (f"{feature_label(feature)} {level}: {human_share(entry.share)} vs "
            f"{human_share(entry.base_share)}")


def key_numbers(segment) -> tuple[str, ...]:
    """The segment's most distinctive features as 'name value vs base' sentences."""
    profile, out = segment.profile, []
    for trait in profile.distinctive[:KEY_NUMBERS]:
        if trait.direction == "level":
            fact = _level_fact(profile, feature=trait.feature, level=getattr(trait, "level", None))
        else:
            fact = _numeric_fact(profile, feature=trait.feature)
        if fact:
            out.append(fact)
    return tuple(out)


def segment_view(segment, *, colour: str) -> SegmentView:
    """One segment's card, rule and figures as text."""
    sid, rule, card = segment.id, segment.rule, segment.strategy
    if card is None:
        card = SimpleNamespace(headline="", actions=(), kpi="", rationale="")
    return SegmentView(
        id=sid, label="Unusual" if sid == UNUSUAL_ID else f"Segment {sid}",
        name=str(segment.name), colour=colour,
        size=f"{segment.size or 0:,} customers · {human_share(segment.share)}",
        customers=human_number(segment.size), rule=str(rule.text), sql=str(rule.sql),
        precision=percent(segment.precision), coverage=percent(segment.coverage),
        key_numbers=key_numbers(segment), headline=str(card.headline or ""),
        actions=tuple(str(a) for a in card.actions), kpi=str(card.kpi or ""),
        rationale=str(card.rationale or ""))


def _dropped(dataset) -> tuple[Dropped, ...]:
    """What the run left out and why."""
    return tuple(Dropped(None, f"{d.count or 0:,} rows: {d.reason}") if d.what == "rows"
                 else Dropped(str(d.name if d.name is not None else ""), str(d.reason))
                 for d in dataset.dropped)


def _features(dataset) -> tuple[FeatureRow, ...]:
    return tuple(FeatureRow(name=str(f.name), kind=str(f.kind), levels=levels_text(f),
                            transform=transform_text(f), missing=fill_text(f))
                 for f in dataset.features)


def _metric(value) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"


def k_table(k_selection) -> KTable:
    """One row per candidate k with the metrics any candidate has; the chosen k marked."""
    candidates = sorted(k_selection.candidates, key=lambda row: row.k)
    shown = [(key, title) for key, title in K_COLUMNS
             if any(getattr(row, key) is not None for row in candidates)]
    rows = tuple((tuple([str(row.k)] + [_metric(getattr(row, key)) for key, _ in shown]),
                  row.k == k_selection.chosen_k) for row in candidates)
    return KTable(columns=("k",) + tuple(title for _, title in shown), rows=rows)


def _suggestion(k_selection) -> tuple[str, str] | None:
    """('k = 5', its reason) where the best k is 2 and a finer k is suggested."""
    best = k_selection.best_k_3_8
    if best is None:
        return None
    return f"k = {best.k}", str(best.reason or "")


def _facts(result, title: str) -> tuple[tuple[str, str], ...]:
    """The run's key facts: source, rows, method, k and why, agreement, depth, date."""
    data, clustering, ex = result.dataset, result.clustering, result.explanation
    method, unusual = clustering.method or "", clustering.unusual or 0
    return (("Source", title),
            ("Rows used", f"{data.rows_used or 0:,} of {data.rows_read or 0:,} rows read"),
            ("Method", METHOD_NAMES.get(method, str(method))),
            ("Segments", f"k = {clustering.k}"
             + (f", plus {unusual:,} unusual customers" if unusual else "")),
            ("Why this k", str(result.k_selection.reason or NO_REASON)),
            ("Agreement with the unconstrained clusters", f"{percent(ex.fidelity)} {AGREEMENT}"),
            ("Rule depth", f"{ex.depth} ({ex.leaves} leaves); rule partition cost "
                           f"{human_ratio(ex.cost_ratio)} that of the clusters"))


def result_view(result: "RunResult") -> ResultView:
    """The view of a Result every page and the report lay out."""
    data, ex, ks = result.dataset, result.explanation, result.k_selection
    title = str(result.params.source or "") or "Customer segmentation"
    colours = segment_colours(result)
    return ResultView(
        title=title, facts=_facts(result, title) + (("Created", result.created_at or "n/a"),),
        verdict=verdict(ks), kept=kept_text(ex.cost_ratio),
        tightness=tightness_sentence(ex.cost_ratio, structure=ks.structure),
        depth_costs=depth_costs_text(ex.depth_costs), suggestion=_suggestion(ks),
        agreement=percent(ex.fidelity), depth=f"Rule depth {ex.depth} ({ex.leaves} leaves).",
        rule_notes=tuple(str(n) for n in ex.notes), k_reason=str(ks.reason or NO_REASON),
        k_table=k_table(ks),
        segments=tuple(segment_view(s, colour=colours[s.id]) for s in result.segments),
        features=_features(data), dropped=_dropped(data),
        suggestions=tuple(str(s) for s in data.suggestions),
        data_notes=tuple(str(n) for n in data.notes),
        footer=f"Made by Clearseg · {len(result.segments)} segments · "
               f"{human_number(data.rows_used)} customers")
