"""The typed Result: same result.json as the dict form, old files still load, and the published
JSON Schema is current and refuses what a reader could not trust."""
from __future__ import annotations

import copy
import json

import jsonschema
import pytest

from seeded_runs import make_untidy
from segmentation.options import RunOptions
from segmentation.pipeline import run_segmentation
from segmentation.result import Result, RunResult
from segmentation.result_schema import PUBLISHED, result_schema, schema_text


@pytest.fixture(scope="module")
def stored() -> dict:
    """result.json of a seeded run as the dict form writes it (a v2 file from before the models)."""
    table, _ = make_untidy(300, seed=3)
    out = run_segmentation(table, options=RunOptions(k=3, seed=3))
    return json.loads(json.dumps(out.result.to_dict()))


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


def test_the_typed_result_writes_the_same_json_as_the_dict_form(stored):
    typed = RunResult.from_dict(stored)
    assert typed.to_dict() == stored
    assert typed.to_json() == Result.from_dict(stored).to_json()     # same keys in the same order
    assert Result.of(typed).to_dict() == stored
    assert Result.from_dict(stored).typed() == typed


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
    assert Result.from_dict(old).segments[0]["rule"]["clauses"] == old["segments"][0]["rule"]["clauses"]


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
    with pytest.raises(ValueError, match=field):
        Result.from_dict(bad)


def test_an_unknown_schema_version_is_refused_saying_which_are_read(stored):
    with pytest.raises(ValueError, match="schema version 99 is not supported .*reads 1, 2"):
        RunResult.from_dict({**stored, "schema_version": 99})
