"""What a share link may show, and how often an address may try links that do not work.

A share view renders a filtered copy of the RunResult built from allowlists of its JSON keys
(the copy is made from `to_dict()` and read back as a RunResult): segments with their
rules, profiles and strategy cards, the figures' data and the dataset's statistics, without the
upload's name, the id column or any id value, and with the point sample binned per segment, so it
shows no individual customer. Failed link attempts are counted per client address by the
service's one throttle (service.throttle, re-exported here for the pages).
Nothing here imports Dash or Flask.
"""
from __future__ import annotations

import copy
import math
import re

from explain.density import density_grids, nice_step
from segmentation.result import RunResult
from service.throttle import clear_share_failures, record_share_failure, share_blocked

SEGMENT_KEYS = ("id", "name", "size", "share", "cluster_size", "precision", "coverage", "rule",
                "profile", "strategy")
RULE_KEYS = ("text", "sql", "clauses")
FEATURE_KEYS = ("name", "kind", "transform", "missing", "fill", "fill_method", "text", "levels",
                "other_levels", "notes")
COLUMN_KEYS = ("name", "role", "missing", "unique", "reason")
PARAM_KEYS = ("method", "k", "features", "max_depth", "seed")
PLOT_KEYS = ("telling_features", "points", "distributions", "correlation", "dendrogram")
EXAMPLE = re.compile(r" \(for example .*\)(?=\.?$)")
PATH_LIKE = re.compile(r"[\\/]")


# --- the share payload -------------------------------------------------------------------------

def _pick(record: dict, *, keys: tuple[str, ...]) -> dict:
    """A deep copy of the allowlisted keys of a dict."""
    return {k: copy.deepcopy(record[k]) for k in keys if k in record}


def _id_names(dataset) -> set[str]:
    """The id column and every other column read as an id."""
    names = {c.name for c in dataset.columns if c.role == "id"}
    return {str(n) for n in names | {dataset.id_column} if n}


def _withheld(result: RunResult) -> list[re.Pattern]:
    """Patterns of what a shared view must not name: the upload's file and the id columns."""
    source = str(result.params.source or "").strip()
    names = {source, re.split(r"[\\/]", source)[-1]} if source else set()
    names |= _id_names(result.dataset)
    return [re.compile(rf"(?<!\w){re.escape(n)}(?!\w)", re.IGNORECASE) for n in names if n]


def _clean_lines(lines, *, withheld: list[re.Pattern]) -> list[str]:
    """Notes without example values; notes naming a withheld name or a path are left out."""
    out = []
    for line in lines or []:
        text = EXAMPLE.sub("", str(line))
        if not PATH_LIKE.search(text) and not any(p.search(text) for p in withheld):
            out.append(text)
    return out


def _shared_dataset(typed, *, withheld: list[re.Pattern]) -> dict:
    """Counts, features and what was left out, without the id columns."""
    ids, dataset = _id_names(typed), typed.to_dict()
    dropped = [_pick(d, keys=("what", "count", "reason")) if d.get("what") == "rows"
               else _pick(d, keys=("what", "name", "reason"))
               for d in dataset.get("dropped") or [] if d.get("name") not in ids]
    return {"rows_read": dataset.get("rows_read", 0), "rows_used": dataset.get("rows_used", 0),
            "id_column": None,
            "columns": [_pick(c, keys=COLUMN_KEYS) for c in dataset.get("columns") or []
                        if c.get("name") not in ids],
            "features": [_pick(f, keys=FEATURE_KEYS) for f in dataset.get("features") or []
                         if f.get("name") not in ids],
            "dropped": dropped,
            "suggestions": _clean_lines(dataset.get("suggestions"), withheld=withheld),
            "notes": _clean_lines(dataset.get("notes"), withheld=withheld)}


def _shared_segment(segment: dict) -> dict:
    out = _pick(segment, keys=SEGMENT_KEYS)
    out["rule"] = _pick(segment.get("rule") or {}, keys=RULE_KEYS)
    return out


def _round_outer_edges(distributions: dict) -> dict:
    """Numeric distributions with their outer edges (the lowest and highest customers' values)
    moved out to round numbers; every count stays in its bin."""
    for data in distributions.values():
        edges = data.get("edges") if isinstance(data, dict) else None
        if isinstance(edges, list) and len(edges) > 1 and data.get("kind") == "numeric":
            step = nice_step(float(edges[-1]) - float(edges[0]), bins=len(edges) - 1)
            data["edges"] = ([math.floor(edges[0] / step) * step] + edges[1:-1]
                             + [math.ceil(edges[-1] / step) * step])
            if edges[0] >= 0:
                data["edges"][0] = max(0.0, data["edges"][0])
    return distributions


def _shared_plots(plots, *, ids: set[str]) -> dict:
    """The figures' data with the point sample binned per segment (`explain.density`): a shared
    view shows no customer's values, and no id column."""
    out = _pick(plots.to_dict(), keys=PLOT_KEYS)
    if out.pop("points", None) is not None:
        out["density"] = density_grids(plots.points,
                                       columns=[c for c in plots.points.columns if c not in ids])
    if isinstance(out.get("distributions"), dict):
        out["distributions"] = _round_outer_edges(out["distributions"])
    return out


def share_result(result: RunResult) -> RunResult:
    """The copy of a Result a share link shows: cards, rules, figures and statistics only.

    Leaves out the upload's file name, the id column's name and every id value; the input is not
    changed.
    """
    withheld = _withheld(result)
    explanation = result.explanation.to_dict()
    explanation["notes"] = _clean_lines(result.explanation.notes, withheld=withheld)
    return RunResult.model_validate({
        "dataset": _shared_dataset(result.dataset, withheld=withheld),
        "k_selection": result.k_selection.to_dict(), "clustering": result.clustering.to_dict(),
        "explanation": explanation,
        "segments": [_shared_segment(s.to_dict()) for s in result.segments],
        "params": _pick(result.params.to_dict(), keys=PARAM_KEYS),
        "plots": _shared_plots(result.plots, ids=_id_names(result.dataset)),
        "created_at": result.created_at, "schema_version": result.schema_version})


# --- failed link attempts: counted by the service's one throttle --------------------------------

__all__ = ["clear_share_failures", "record_share_failure", "share_blocked", "share_result"]
