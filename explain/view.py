"""One view of a Result: the rows and strings every page and the standalone report show.

`result_view(result)` reads a Result (its parts as dicts, or typed parts with `to_dict()`) and
returns plain text in frozen dataclasses; the Dash components and the report's template only lay
it out, so both say the same thing in the same words. Nothing here is markup: each layout escapes
(Dash by construction, the report's Jinja2 template by autoescaping).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from .figures import UNUSUAL_ID, segment_colours
from .format import feature_label, human_number, human_ratio, human_share
from .view_text import (Verdict, depth_costs_text, fill_text, kept_text, levels_text, percent,
                        tightness_sentence, transform_text, verdict)

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


def _part(value):
    """A Result part as plain dicts and lists (typed parts give theirs with `to_dict()`)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [_part(v) for v in value]
    return value if value is not None else {}


def _numeric_fact(profile: dict, *, feature: str) -> str | None:
    """'annual income 85k vs 52k': the segment's mean against all customers'."""
    entry = next((e for e in profile.get("numeric") or [] if e.get("feature") == feature), None)
    if entry is None:
        return None
    return (f"{feature_label(feature)} {human_number(entry.get('mean'))} vs "
            f"{human_number(entry.get('base_mean'))}")


def _level_fact(profile: dict, *, feature: str, level) -> str | None:
    """'signup channel Store: 36% vs 26%': the level's share in the segment against all."""
    entry = next((e for e in profile.get("categorical") or []
                  if e.get("feature") == feature and e.get("level") == level), None)
    if entry is None:
        return None
    return (f"{feature_label(feature)} {level}: {human_share(entry.get('share'))} vs "
            f"{human_share(entry.get('base_share'))}")


def key_numbers(segment: dict) -> tuple[str, ...]:
    """The segment's most distinctive features as 'name value vs base' sentences."""
    profile = segment.get("profile") or {}
    out = []
    for trait in (profile.get("distinctive") or [])[:KEY_NUMBERS]:
        if trait.get("direction") == "level":
            fact = _level_fact(profile, feature=trait.get("feature"), level=trait.get("level"))
        else:
            fact = _numeric_fact(profile, feature=trait.get("feature"))
        if fact:
            out.append(fact)
    return tuple(out)


def segment_view(segment: dict, *, colour: str) -> SegmentView:
    """One segment's card, rule and figures as text."""
    sid, rule, card = int(segment["id"]), segment.get("rule") or {}, segment.get("strategy") or {}
    return SegmentView(
        id=sid, label="Unusual" if sid == UNUSUAL_ID else f"Segment {sid}",
        name=str(segment.get("name", "")), colour=colour,
        size=f"{segment.get('size') or 0:,} customers · {human_share(segment.get('share'))}",
        customers=human_number(segment.get("size")),
        rule=str(rule.get("text", "")), sql=str(rule.get("sql", "")),
        precision=percent(segment.get("precision")), coverage=percent(segment.get("coverage")),
        key_numbers=key_numbers(segment), headline=str(card.get("headline") or ""),
        actions=tuple(str(a) for a in card.get("actions") or []),
        kpi=str(card.get("kpi") or ""), rationale=str(card.get("rationale") or ""))


def _dropped(dataset: dict) -> tuple[Dropped, ...]:
    """What the run left out and why."""
    return tuple(Dropped(None, f"{d.get('count', 0):,} rows: {d.get('reason', '')}")
                 if d.get("what") == "rows" else Dropped(str(d.get("name", "")),
                                                         str(d.get("reason", "")))
                 for d in dataset.get("dropped") or [])


def _features(dataset: dict) -> tuple[FeatureRow, ...]:
    return tuple(FeatureRow(name=str(f.get("name", "")), kind=str(f.get("kind", "")),
                            levels=levels_text(f), transform=transform_text(f),
                            missing=fill_text(f))
                 for f in dataset.get("features") or [])


def _metric(value) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3f}"


def k_table(k_selection: dict) -> KTable:
    """One row per candidate k with the metrics any candidate has; the chosen k marked."""
    candidates = sorted((c for c in k_selection.get("candidates") or [] if "k" in c),
                        key=lambda row: row["k"])
    shown = [(key, title) for key, title in K_COLUMNS
             if any(row.get(key) is not None for row in candidates)]
    chosen = k_selection.get("chosen_k")
    rows = tuple((tuple([str(row["k"])] + [_metric(row.get(key)) for key, _ in shown]),
                  row["k"] == chosen) for row in candidates)
    return KTable(columns=("k",) + tuple(title for _, title in shown), rows=rows)


def _suggestion(k_selection: dict) -> tuple[str, str] | None:
    """('k = 5', its reason) where the best k is 2 and a finer k is suggested."""
    best = k_selection.get("best_k_3_8")
    if not isinstance(best, dict) or best.get("k") is None:
        return None
    return f"k = {best['k']}", str(best.get("reason") or "")


def _facts(parts: SimpleNamespace, title: str) -> tuple[tuple[str, str], ...]:
    """The run's key facts: source, rows, method, k and why, agreement, depth, date."""
    data, clustering, ex = parts.dataset, parts.clustering, parts.explanation
    method, unusual = clustering.get("method") or "", clustering.get("unusual") or 0
    return (("Source", title),
            ("Rows used", f"{data.get('rows_used') or 0:,} of {data.get('rows_read') or 0:,} "
                          "rows read"),
            ("Method", METHOD_NAMES.get(method, str(method))),
            ("Segments", f"k = {clustering.get('k')}"
             + (f", plus {unusual:,} unusual customers" if unusual else "")),
            ("Why this k", str(parts.k_selection.get("reason") or NO_REASON)),
            ("Agreement with the unconstrained clusters",
             f"{percent(ex.get('fidelity'))} {AGREEMENT}"),
            ("Rule depth", f"{ex.get('depth')} ({ex.get('leaves')} leaves); rule partition cost "
                           f"{human_ratio(ex.get('cost_ratio'))} that of the clusters"))


def _parts(result) -> SimpleNamespace:
    names = ("dataset", "k_selection", "clustering", "explanation", "params")
    parts = {name: _part(getattr(result, name, None)) for name in names}
    return SimpleNamespace(**parts, segments=_part(list(getattr(result, "segments", []) or [])))


def result_view(result) -> ResultView:
    """The view of a Result every page and the report lay out."""
    parts = _parts(result)
    data, ex, ks = parts.dataset, parts.explanation, parts.k_selection
    title = str(parts.params.get("source") or "") or "Customer segmentation"
    colours = segment_colours(SimpleNamespace(segments=parts.segments))
    created = ("Created", str(getattr(result, "created_at", None) or "n/a"))
    return ResultView(
        title=title, facts=_facts(parts, title) + (created,), verdict=verdict(ks),
        kept=kept_text(ex.get("cost_ratio")), tightness=tightness_sentence(ex.get("cost_ratio"),
                                                       structure=ks.get("structure")),
        depth_costs=depth_costs_text(ex.get("depth_costs")), suggestion=_suggestion(ks),
        agreement=percent(ex.get("fidelity")),
        depth=f"Rule depth {ex.get('depth')} ({ex.get('leaves')} leaves).",
        rule_notes=tuple(str(n) for n in ex.get("notes") or []),
        k_reason=str(ks.get("reason") or NO_REASON), k_table=k_table(ks),
        segments=tuple(segment_view(s, colour=colours[int(s["id"])]) for s in parts.segments),
        features=_features(data), dropped=_dropped(data),
        suggestions=tuple(str(s) for s in data.get("suggestions") or []),
        data_notes=tuple(str(n) for n in data.get("notes") or []),
        footer=f"Made by Clearseg · {len(parts.segments)} segments · "
               f"{human_number(data.get('rows_used'))} customers")
