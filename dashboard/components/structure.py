"""How much structure the run found, and what its rules cost: the verdict above the segments, the
tightness the rules keep, the price of each rule depth, and a switcher between candidate k.

The words come from the Result's view (explain.view), the report's too; every part is left out
when a run lacks its fields (`k_selection.structure`, `.options`, `.best_k_3_8`,
`explanation.cost_ratio`, `.depth_costs`).
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from explain.format import human_number, human_share
from explain.view import ResultView, kept_text, result_view

from . import page_ids
from .common import table

__all__ = ["verdict", "structure_block", "depth_costs_line", "k_switcher"]
COLOURS = {"strong": "success", "moderate": "info", "weak": "warning"}


def depth_costs_line(view: ResultView) -> html.P | None:
    """The depth trade-off in one line (id page_ids.DEPTH_COSTS)."""
    if not view.depth_costs:
        return None
    return html.P(f"Rule depth and tightness: {view.depth_costs}.", id=page_ids.DEPTH_COSTS,
                  className="small mb-2")


def _suggestion(view: ResultView) -> html.P | None:
    if view.suggestion is None:
        return None
    k, reason = view.suggestion
    return html.P([html.Span(f"Suggestion: {k}. ", className="fw-semibold"), reason],
                  className="small mb-0 best-k")


def verdict(result, *, view: ResultView | None = None) -> html.Div | None:
    """The structure verdict (id page_ids.STRUCTURE_VERDICT), with what to try when it is weak."""
    found = (view or result_view(result)).verdict
    if found is None:
        return None
    bold, rest = found.opening
    body = [html.P([html.Strong(bold), rest], className="mb-1")]
    if found.continuum:
        body.append(html.P(found.continuum, className="mb-1 fw-semibold"))
    if found.advice:  # the engine's advice may itself say that the segments are cuts of a continuum
        body.append(html.P([found.advice_lead, found.advice],
                           className="mb-1" if found.advice_lead else "mb-1 fw-semibold"))
    return dbc.Alert(body, color=COLOURS[found.kind], id=page_ids.STRUCTURE_VERDICT,
                     class_name="structure-verdict small mb-2")


def structure_block(result) -> html.Div | None:
    """The verdict, the tightness the rules keep, the k suggestion and the k switcher, or None."""
    view = result_view(result)
    parts = [verdict(result, view=view),
             html.P(view.tightness + ".", className="mb-2 tightness fw-semibold")
             if view.tightness else None,
             _suggestion(view), k_switcher(result)]
    parts = [p for p in parts if p is not None]
    return html.Div(parts, className="structure mb-4") if parts else None


# --- switching between candidate k -------------------------------------------------------------

def k_options(result) -> list:
    """The stored candidate segmentations (k, cost ratio, silhouette, segments), by k."""
    return sorted(result.k_selection.options, key=lambda o: o.k)


def k_switcher(result) -> html.Div | None:
    """One button per candidate k (a radio group, id page_ids.K_SWITCHER), the run's k marked,
    and each candidate's segments below, the picked one shown (switched in the browser, so it
    needs no request and no re-run)."""
    options = k_options(result)
    if len(options) < 2:
        return None
    chosen = result.k_selection.chosen_k
    radio = dbc.RadioItems(
        id=page_ids.K_SWITCHER, value=chosen, inline=True,
        options=[{"label": f"k = {o.k}" + (" (this run)" if o.k == chosen else ""),
                  "value": o.k} for o in options],
        class_name="btn-group flex-wrap k-switcher", input_class_name="btn-check",
        label_class_name="btn btn-outline-primary btn-sm",
        label_checked_class_name="active")
    details = [html.Div(k_option_detail(result, k=o.k), id=page_ids.k_option(o.k),
                        hidden=o.k != chosen, className="k-option")
               for o in options]
    return html.Div([
        html.Div("Other numbers of segments", className="label", id="k-switcher-label"),
        html.Div(radio, role="radiogroup", **{"aria-labelledby": "k-switcher-label"}),
        html.Div(details, id=page_ids.K_OPTIONS, className="mt-2", **{"aria-live": "polite"}),
    ], className="k-switch")


def _option_segments(result, option) -> list:
    """The run's own (possibly renamed) segments for its k, else the candidate's stored ones."""
    if option.k == result.k_selection.chosen_k:
        return result.segments
    return option.segments


def _rule_text(segment) -> str:
    """A segment's rule text: a candidate's segment stores it as text, the run's own as a rule."""
    rule = segment.rule
    return str(getattr(rule, "text", rule) or "")


def k_option_detail(result, *, k) -> list:
    """Sizes, names and rules of the candidate with `k` segments, and what its rules keep."""
    option = next((o for o in k_options(result) if o.k == k), None)
    if option is None:
        return [html.P("Pick a number of segments.", className="small text-muted mb-0")]
    facts = [f"k = {option.k}"]
    if kept_text(option.cost_ratio):
        facts.append(f"rules keep {kept_text(option.cost_ratio)} of the clusters' tightness")
    if isinstance(option.silhouette, (int, float)):
        facts.append(f"silhouette {option.silhouette:.2f}")
    if option.k == result.k_selection.chosen_k:
        facts.append("the segmentation of this run, shown below")
    rows = [[str(s.name), human_number(s.size), human_share(s.share),
             html.Code(_rule_text(s), className="rule-text")]
            for s in _option_segments(result, option)]
    return [html.P(" · ".join(facts), className="small mb-1 k-option-facts"),
            table(["Segment", "Size", "Share", "Rule"], rows=rows, numeric=(1, 2),
                  class_name="k-option-table")]
