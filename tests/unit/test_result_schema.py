"""The typed Result: the same result.json as the dict builder wrote, stored files written back
unchanged, old files still load, and the published JSON Schema is current and refuses what a
reader could not trust."""
from __future__ import annotations

import copy
import json

import jsonschema
import numpy as np
import pytest

import result_checks
from explain.describe import describe_segments
from explain.rules import clauses_text
from explain.sql import clauses_sql
from explain.segment_rules import ROUNDING_TOLERANCE, UNUSUAL
from seeded_runs import make_untidy
from segmentation import assemble, pipeline, plotdata
from segmentation.options import RunOptions
from segmentation.pipeline import run_segmentation
from segmentation.prepare import left_out_notes
from segmentation.result import RunResult, jsonable
from segmentation.result_schema import PUBLISHED, result_schema, schema_text


def dict_segments(a) -> list[dict]:
    """The segments as the dict builder made them from the same findings."""
    specs = [{"name": f.name, "kind": f.kind} for f in a["prepared"].features]
    ex, ids = a["explained"], assemble._segment_ids(a["explained"].segment)
    described = describe_segments(a["table"], features=specs, labels=ex.segment, segment_ids=ids,
                                  unusual_id=UNUSUAL if UNUSUAL in ids else None,
                                  overrides=a["options"].meanings)
    by_name = {f.name: f for f in a["prepared"].features}
    out = []
    for sid in ids:
        clauses = ex.clauses.get(sid, [])
        card = described["cards"][sid]
        if a["k_selection"].structure == "weak":
            card["rationale"] = assemble.CONTINUUM + (card.get("rationale") or "")
        out.append({"id": sid, "name": described["names"][sid],
                    **assemble._rule_figures(sid, a["y"], ex.segment),
                    "rule": {"text": clauses_text(clauses), "sql": clauses_sql(clauses, by_name),
                             "clauses": [[c.to_dict() for c in conj] for conj in clauses]},
                    "profile": described["profiles"][sid], "strategy": card})
    return out


def dict_form(a) -> dict:
    """result.json as the dict builder wrote it before the typed models, from build_result's input."""
    X, ex, options = a["prepared"].matrix, a["explained"], a["options"]
    ks = a["k_selection"].to_dict()
    sse = assemble._sse(X, a["y"])
    explanation = {"method": ex.method, "max_depth": options.max_depth, "depth": ex.depth,
                   "leaves": ex.leaves, "cost_ratio": ex.cost_ratio, "candidates": ex.candidates,
                   "depth_costs": ex.depth_costs, "fidelity": ex.fidelity,
                   "fidelity_meaning": "agreement with the unconstrained clusters",
                   "cluster_cost_ratio": assemble._sse(X, ex.segment) / sse,
                   "rounding_tolerance": ROUNDING_TOLERANCE, "notes": ex.notes}
    clustering = {"method": options.method, "k": int(ks["chosen_k"]),
                  "unusual": int((ex.segment == UNUSUAL).sum()),
                  "quality": assemble._quality(X, np.where(a["y"] > 0, a["y"] - 1, -1),
                                               seed=options.seed)}
    params = {"method": options.method, "k": options.k or "auto",
              "features": list(options.features or []), "id_column": options.id_column,
              "max_depth": options.max_depth, "seed": options.seed, "source": options.source}
    return jsonable({"dataset": dict_dataset(a), "k_selection": ks, "clustering": clustering,
                     "explanation": explanation, "segments": dict_segments(a), "params": params,
                     "plots": dict_plots(a), "created_at": a["created_at"], "schema_version": 2})


def dict_dataset(a) -> dict:
    raw, table, prepared, id_column = a["raw"], a["table"], a["prepared"], a["id_column"]
    dropped = []
    if len(raw) > len(table):
        dropped.append({"what": "rows", "count": len(raw) - len(table), "reason": "exact duplicates"})
    used = {f.name for f in prepared.features}
    for name, role in a["roles"].items():
        if name == id_column:
            dropped.append({"what": "column", "name": name,
                            "reason": "identifies a customer: kept as the id, not a feature"})
        elif name not in used:
            dropped.append({"what": "column", "name": name, "reason": role.reason or role.role})
    return {"rows_read": len(raw), "rows_used": len(table), "id_column": id_column,
            "columns": [r.to_dict() for r in a["roles"].values()],
            "features": [f.to_dict() for f in prepared.features],
            "dropped": dropped, "suggestions": prepared.suggestions,
            "notes": a["notes"] + left_out_notes(a["roles"], prepared.features)}


def dict_plots(a) -> dict:
    prepared, segment = a["prepared"], a["explained"].segment
    numeric = [f.name for f in prepared.features if f.kind == "numeric"]
    telling = plotdata.telling_features(prepared.filled, numeric, segment)
    pair = telling[:plotdata.PAIR_FEATURES] or [f.name for f in prepared.features][:plotdata.PAIR_FEATURES]
    columns = list(dict.fromkeys(telling[:8] + pair))
    return {"telling_features": telling,
            "points": plotdata.point_sample(a["table"], columns, segment, seed=a["options"].seed),
            "distributions": plotdata.distributions(prepared.filled, prepared.features, segment),
            "correlation": plotdata.correlation(prepared.filled, numeric),
            "dendrogram": plotdata.dendrogram_data(a["tree"], a["summary"].member, a["y"])}


@pytest.fixture(scope="module")
def seeded():
    """A seeded run and what its Result was built from (build_result's arguments)."""
    seen, build = {}, pipeline.build_result
    pipeline.build_result = lambda **kwargs: seen.update(kwargs) or build(**kwargs)
    try:
        table, _ = make_untidy(300, seed=3)
        out = run_segmentation(table, options=RunOptions(k=3, seed=3))
    finally:
        pipeline.build_result = build
    return out, seen


@pytest.fixture(scope="module")
def stored(seeded) -> dict:
    """result.json of the seeded run as written."""
    return json.loads(seeded[0].result.to_json())


def test_a_run_writes_the_result_json_the_dict_builder_wrote(seeded, stored):
    out, built_from = seeded
    old = dict_form(built_from)
    assert stored == old
    assert out.result.to_json() == json.dumps(old, indent=1, allow_nan=False)   # same key order
    assert out.result.to_dict() == old
    assert list(stored["k_selection"]) == [       # the record as choosing k, then the verdict, made it
        "candidates", "chosen_k", "reason", "best_k_3_8", "stability", "silhouette_sample",
        "summary_points", "structure", "structure_reason", "structure_figures", "options"]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(PUBLISHED.read_text(encoding="utf-8")))


def version_one(stored: dict) -> dict:
    """A version 1 result: no verdict, no cost search, a rule that is an OR-chain."""
    old = copy.deepcopy(stored)
    old["schema_version"] = 1
    for key in ("structure", "structure_reason", "structure_figures", "advice", "options",
                "best_k_3_8"):
        old["k_selection"].pop(key, None)
    for key in ("method", "candidates", "depth_costs", "fidelity_meaning"):
        old["explanation"].pop(key, None)
    rule = old["segments"][0]["rule"]
    rule["clauses"] = rule["clauses"] * 2
    return old


def test_the_published_schema_is_current_and_a_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(result_schema())
    assert PUBLISHED.read_text(encoding="utf-8") == schema_text(), \
        "run `python -m segmentation.result_schema` to regenerate docs/result.schema.json"


def test_a_stored_result_json_is_written_back_byte_for_byte(stored):
    text = json.dumps(stored, indent=1, allow_nan=False)
    typed = RunResult.from_json(text)
    assert typed.to_dict() == stored
    assert typed.to_json() == text     # the same keys in the same order, numbers as they were


def test_the_typed_parts_read_as_attributes(stored):
    typed = RunResult.from_dict(stored)
    first = typed.segments[0]
    assert first.name == stored["segments"][0]["name"]
    assert first.rule.clauses[0][0].op == stored["segments"][0]["rule"]["clauses"][0][0]["op"]
    assert typed.segment(first.id) is first and typed.segment(999) is None
    assert typed.k_selection.chosen_k == typed.clustering.k == 3
    assert typed.explanation.fidelity == stored["explanation"]["fidelity"]
    assert set(typed.plots.distributions) == {f["name"] for f in stored["dataset"]["features"]}


def test_keys_the_models_do_not_know_are_kept_through_a_load_and_a_save(stored):
    newer = copy.deepcopy(stored)
    newer["extra_part"] = {"from": "a newer version"}
    newer["segments"][0]["badge"] = "gold"
    newer["segments"][0]["rule"]["clauses"][0][0]["unit"] = "EUR"
    again = RunResult.from_dict(newer).to_dict()
    assert again["extra_part"] == {"from": "a newer version"}
    assert again["segments"][0]["badge"] == "gold"
    assert again["segments"][0]["rule"]["clauses"][0][0]["unit"] == "EUR"


def test_a_density_record_keeps_its_own_key_order():
    record = {"candidates": [], "sampled": False, "chosen_k": 2, "reason": "k = 2: found by density",
              "structure": "weak", "structure_reason": "Weak structure.", "advice": "Try k-means."}
    data = {"dataset": {}, "k_selection": record, "clustering": {"method": "density", "k": 2},
            "explanation": {}, "segments": [], "schema_version": 2}
    assert list(RunResult.from_dict(data).to_dict()["k_selection"]) == list(record)


def test_a_version_one_result_still_loads_and_matches_the_schema(stored, validator):
    old = version_one(stored)
    typed = RunResult.from_dict(old)
    assert typed.schema_version == 1 and typed.k_selection.structure is None
    assert len(typed.segments[0].rule.clauses) == 2
    assert typed.to_dict() == old
    assert list(validator.iter_errors(old)) == []
    text = json.dumps(old, indent=1, allow_nan=False)
    assert RunResult.from_json(text).to_json() == text


@pytest.mark.parametrize("change, field", [
    (lambda d: d["segments"][0]["rule"]["clauses"][0][0].update(op=">="), "op"),
    (lambda d: d["segments"][0].update(share=1.5), "share"),
    (lambda d: d["k_selection"].update(structure="huge"), "structure"),
    (lambda d: d["segments"][0].pop("rule"), "rule"),
    (lambda d: d.pop("dataset"), "dataset"),
])
def test_a_result_a_reader_could_not_trust_is_refused_naming_the_field(stored, validator, change,
                                                                       field):
    bad = copy.deepcopy(stored)
    change(bad)
    assert list(validator.iter_errors(bad)), "the published schema lets it through"
    with pytest.raises(ValueError, match=field):
        RunResult.from_dict(bad)


def test_an_unknown_schema_version_is_refused_saying_which_are_read(stored):
    with pytest.raises(ValueError, match="schema version 99 is not supported .*reads 1, 2"):
        RunResult.from_dict({**stored, "schema_version": 99})


def test_the_suite_checks_every_result_it_writes_against_the_schema():
    hook = result_checks            # tests/conftest.py wraps RunResult.to_dict
    bad = RunResult.from_dict({"dataset": {}, "k_selection": {}, "clustering": {},
                               "explanation": {}, "segments": [], "schema_version": 2})
    bad.k_selection.structure = "huge"     # set after validation: only the schema check sees it
    bad.to_json()
    found, hook.INVALID_RESULTS[:] = list(hook.INVALID_RESULTS), []
    assert len(found) == 1 and found[0].startswith("k_selection/structure: 'huge'")
