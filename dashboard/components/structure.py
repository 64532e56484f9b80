"""How much structure the run found, and what its rules cost: the verdict above the segments, the
tightness the rules keep, the price of each rule depth, and a switcher between candidate k.

Every part reads optional fields of the Result (`k_selection.structure`, `.options`,
`.best_k_3_8`, `explanation.cost_ratio`, `.depth_costs`) and is left out when a run lacks them.
"""
from __future__ import annotations

import math

import dash_bootstrap_components as dbc
from dash import html

from explain.format import human_number, human_share

from . import page_ids
from .common import table

VERDICTS = {"strong": ("success", "Strong structure"), "moderate": ("info", "Moderate structure"),
            "weak": ("warning", "Weak structure")}
WEAK = ("The segments are cuts of a continuum rather than distinct groups: customers near a "
        "boundary differ little from those just across it.")


def _ratio(value) -> float | None:
    try:
        ratio = float(value)
    except (TypeError, ValueError):
        return None
    return ratio if math.isfinite(ratio) and ratio > 0 else None


def kept_text(cost_ratio) -> str | None:
    """The share of the clusters' tightness rules keep (100 / cost ratio), as '97.9%'."""
    ratio = _ratio(cost_ratio)
    if ratio is None:
        return None
    return f"{min(100.0, 100.0 / ratio):.1f}%"


def tightness_sentence(explanation: dict) -> str | None:
    """'These rules keep 97.9% of the clusters' tightness', or None without a cost ratio."""
    kept = kept_text(explanation.get("cost_ratio"))
    return f"These rules keep {kept} of the clusters' tightness" if kept else None


def depth_costs_sentence(explanation: dict) -> str | None:
    """'depth 2 keeps 71%, depth 3 keeps 88% ... of the clusters' tightness', or None."""
    costs = explanation.get("depth_costs")
    if not isinstance(costs, dict):
        return None
    parts = []
    for depth in sorted(costs, key=lambda d: int(d) if str(d).isdigit() else 99):
        ratio = _ratio(costs[depth])
        if ratio is not None:
            parts.append(f"depth {depth} keeps {min(100.0, 100.0 / ratio):.0f}%")
    if not parts:
        return None
    return "Rule depth and tightness: " + ", ".join(parts) + " of the clusters' tightness."


def depth_costs_line(explanation: dict) -> html.P | None:
    """The depth trade-off in one line (id page_ids.DEPTH_COSTS)."""
    text = depth_costs_sentence(explanation)
    return html.P(text, id=page_ids.DEPTH_COSTS, className="small mb-2") if text else None


def _suggestion(k_selection: dict) -> html.P | None:
    best = k_selection.get("best_k_3_8")
    if not isinstance(best, dict) or best.get("k") is None:
        return None
    return html.P([html.Span(f"Suggestion: k = {best['k']}. ", className="fw-semibold"),
                   str(best.get("reason") or "")], className="small mb-0 best-k")


def verdict(result) -> html.Div | None:
    """The structure verdict (id page_ids.STRUCTURE_VERDICT), with what to try when it is weak."""
    record = result.k_selection
    kind = record.get("structure")
    if kind not in VERDICTS:
        return None
    colour, title = VERDICTS[kind]
    reason = str(record.get("structure_reason") or "")
    named = reason.lower().startswith(title.lower())
    parts = [html.Strong(title + ("" if named else ". ")), reason[len(title):] if named else reason]
    body = [html.P(parts, className="mb-1")]
    if kind != "weak":
        return dbc.Alert(body, color=colour, id=page_ids.STRUCTURE_VERDICT,
                         class_name="structure-verdict small mb-2")
    advice = str(record.get("advice") or "")
    if "continuum" not in f"{reason} {advice}".lower():
        body.append(html.P(WEAK, className="mb-1 fw-semibold"))
    if advice:  # the engine's advice may itself say that the segments are cuts of a continuum
        lead = "" if "continuum" in advice.lower() else "What to try: "
        body.append(html.P([lead, advice], className="mb-1 fw-semibold" if not lead else "mb-1"))
    return dbc.Alert(body, color=colour, id=page_ids.STRUCTURE_VERDICT,
                     class_name="structure-verdict small mb-2")


def structure_block(result) -> html.Div | None:
    """The verdict, the tightness the rules keep, the k suggestion and the k switcher, or None."""
    tightness = tightness_sentence(result.explanation)
    parts = [verdict(result),
             html.P(tightness + ".", className="mb-2 tightness fw-semibold") if tightness else None,
             _suggestion(result.k_selection), k_switcher(result)]
    parts = [p for p in parts if p is not None]
    return html.Div(parts, className="structure mb-4") if parts else None


# --- switching between candidate k -------------------------------------------------------------

def k_options(result) -> list[dict]:
    """The stored candidate segmentations ({"k", "cost_ratio", "silhouette", "segments"})."""
    options = result.k_selection.get("options")
    if not isinstance(options, list):
        return []
    return sorted((o for o in options if isinstance(o, dict) and isinstance(o.get("k"), int)),
                  key=lambda o: o["k"])


def k_switcher(result) -> html.Div | None:
    """One button per candidate k (a radio group, id page_ids.K_SWITCHER), the run's k marked,
    and each candidate's segments below, the picked one shown (switched in the browser, so it
    needs no request and no re-run)."""
    options = k_options(result)
    if len(options) < 2:
        return None
    chosen = result.k_selection.get("chosen_k")
    radio = dbc.RadioItems(
        id=page_ids.K_SWITCHER, value=chosen, inline=True,
        options=[{"label": f"k = {o['k']}" + (" (this run)" if o["k"] == chosen else ""),
                  "value": o["k"]} for o in options],
        class_name="btn-group flex-wrap k-switcher", input_class_name="btn-check",
        label_class_name="btn btn-outline-primary btn-sm",
        label_checked_class_name="active")
    details = [html.Div(k_option_detail(result, k=o["k"]), id=page_ids.k_option(o["k"]),
                        hidden=o["k"] != chosen, className="k-option")
               for o in options]
    return html.Div([
        html.Div("Other numbers of segments", className="label", id="k-switcher-label"),
        html.Div(radio, role="radiogroup", **{"aria-labelledby": "k-switcher-label"}),
        html.Div(details, id=page_ids.K_OPTIONS, className="mt-2", **{"aria-live": "polite"}),
    ], className="k-switch")


def _option_segments(result, option: dict) -> list[dict]:
    """The run's own (possibly renamed) segments for its k, else the candidate's stored ones."""
    if option.get("k") == result.k_selection.get("chosen_k"):
        return result.segments
    return [s for s in option.get("segments") or [] if isinstance(s, dict)]


def _rule_text(segment: dict) -> str:
    rule = segment.get("rule")
    return str(rule.get("text", "")) if isinstance(rule, dict) else str(rule or "")


def k_option_detail(result, *, k) -> list:
    """Sizes, names and rules of the candidate with `k` segments, and what its rules keep."""
    option = next((o for o in k_options(result) if o["k"] == k), None)
    if option is None:
        return [html.P("Pick a number of segments.", className="small text-muted mb-0")]
    facts = [f"k = {option['k']}"]
    if kept_text(option.get("cost_ratio")):
        facts.append(f"rules keep {kept_text(option['cost_ratio'])} of the clusters' tightness")
    if isinstance(option.get("silhouette"), (int, float)):
        facts.append(f"silhouette {option['silhouette']:.2f}")
    if option["k"] == result.k_selection.get("chosen_k"):
        facts.append("the segmentation of this run, shown below")
    rows = [[str(s.get("name", "")), human_number(s.get("size")), human_share(s.get("share")),
             html.Code(_rule_text(s), className="rule-text")]
            for s in _option_segments(result, option)]
    return [html.P(" · ".join(facts), className="small mb-1 k-option-facts"),
            table(["Segment", "Size", "Share", "Rule"], rows=rows, numeric=(1, 2),
                  class_name="k-option-table")]
