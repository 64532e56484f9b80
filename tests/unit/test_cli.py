"""The command line: files per the contract, same seed same bytes, bad input -> exit 2 + one line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seeded_runs import run_cli

ROOT = Path(__file__).resolve().parents[2]


def test_run_writes_every_file_of_the_contract(untidy_run):
    for name in ("result.json", "assignments.csv", "rules.sql", "report.html"):
        assert (untidy_run / name).stat().st_size > 0
    result = json.loads((untidy_run / "result.json").read_text())
    assert result["schema_version"] == 2
    assert result["k_selection"]["chosen_k"] == 3 and len(result["segments"]) == 3
    assignments = pd.read_csv(untidy_run / "assignments.csv")
    assert list(assignments.columns) == ["customer_id", "cluster", "segment", "segment_name"]
    dropped = {d.get("name"): d["reason"] for d in result["dataset"]["dropped"]}
    assert "note" in dropped and "free text" in dropped["note"]
    assert result["dataset"]["id_column"] == "customer_id"


def test_same_seed_same_bytes_apart_from_timestamp(untidy_csv, tmp_path, capsys):
    outs = []
    for name in ("a", "b"):
        code, _, _ = run_cli(["run", untidy_csv, "--out", tmp_path / name, "--seed", "3", "--quiet"],
                             capsys)
        assert code == 0
        outs.append(tmp_path / name)
    for name in ("assignments.csv", "rules.sql"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes()
    results = [json.loads((o / "result.json").read_text()) for o in outs]
    for r in results:
        r.pop("created_at")
    assert results[0] == results[1]


def test_progress_lines_on_stderr_and_summary_on_stdout(untidy_csv, tmp_path, capsys):
    code, out, err = run_cli(["run", untidy_csv, "--out", tmp_path, "--k", "3"], capsys)
    assert code == 0
    for stage in ("reading", "preparing", "choosing k", "clustering", "explaining", "profiling"):
        assert stage in err
    assert "3 segments" in out and "of the clusters' tightness" in out and "structure" in out


def _write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def _blobs_csv(tmp_path, rows=40, **extra) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows), **extra})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    return path


BAD_INPUTS = {
    "empty file": (lambda p: _write(p, "e.csv", ""), [], "empty"),
    "not a table": (lambda p: _write(p, "x.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20),
                    [], "not a table"),
    "single row": (lambda p: _write(p, "one.csv", "a,b\n1,2\n"), [], "at least 2 rows"),
    "fewer rows than k": (lambda p: _write(p, "few.csv", "a,b\n1,2\n3,4\n5,7\n"), ["--k", "5"],
                          "cannot make 5 segments"),
    "no usable feature": (lambda p: _write(p, "ids.csv", "customer_id,comment\n"
                                           + "".join(f"C{i},only text {i} here\n" for i in range(30))),
                          [], "no usable feature"),
    "all values missing": (lambda p: _blobs_csv(p, empty=[None] * 40), ["--features", "a,empty"],
                           "every value is missing"),
    "constant column": (lambda p: _blobs_csv(p, flat=[5] * 40), ["--features", "flat,a"],
                        "single value"),
    "infinities": (lambda p: _write(p, "inf.csv", "a,b\n1,2\ninf,3\n4,5\n6,7\n"), [], "infinite"),
    "duplicate column names": (lambda p: _write(p, "dup.csv", "age,age\n1,2\n3,4\n5,6\n"), [],
                               "duplicate column names"),
    "unknown feature": (lambda p: _blobs_csv(p), ["--features", "a,nope"], "unknown column 'nope'"),
    "unknown id column": (lambda p: _blobs_csv(p), ["--id-column", "nope"], "unknown id column"),
    "order log without date": (lambda p: _write(p, "o.csv", "customer_id,amount\n"
                                                + "".join(f"C{i % 5},{i}.5\n" for i in range(30))),
                               ["--orders"], "date"),
    "order log without amount": (lambda p: _write(p, "o2.csv", "customer_id,order_date\n"
                                                  + "".join(f"C{i % 5},2024-01-{i % 28 + 1:02d}\n"
                                                            for i in range(30))),
                                 ["--orders"], "amount"),
    "bad k": (lambda p: _blobs_csv(p), ["--k", "many"], "--k: must be 'auto'"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_exit_2_with_one_clear_line(case, tmp_path, capsys):
    make, args, message = BAD_INPUTS[case]
    path = make(tmp_path)
    code, out, err = run_cli(["run", path, "--out", tmp_path / "out", "--quiet", *args], capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in err and str(tmp_path) not in lines[0]
    assert not (tmp_path / "out" / "result.json").exists()


def test_bad_input_from_a_real_process_has_no_traceback(tmp_path):
    path = _write(tmp_path, "e.csv", "")
    proc = subprocess.run([sys.executable, "-m", "segmentation", "run", str(path), "--out",
                           str(tmp_path / "o")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("error: 'e.csv' is empty") and "Traceback" not in proc.stderr


def test_order_log_mode_writes_customers_csv_that_the_sql_reproduces(tmp_path, capsys):
    from seeded_runs import sql_segments
    from segmentation.synthetic import make_orders

    log = tmp_path / "orders.csv"
    make_orders(300, seed=2).to_csv(log, index=False)
    code, out, err = run_cli(["run", log, "--orders", "--category", "category", "--out",
                              tmp_path / "o", "--quiet"], capsys)
    assert code == 0, err
    customers = pd.read_csv(tmp_path / "o" / "customers.csv")
    assert {"recency_days", "frequency", "monetary", "avg_order_value", "tenure_days"} <= set(customers)
    assert customers["customer_id"].is_unique
    got = sql_segments(customers, (tmp_path / "o" / "rules.sql").read_text(), key="customer_id")
    assignments = pd.read_csv(tmp_path / "o" / "assignments.csv").set_index("customer_id")
    assert (got.sort_index().astype(int) == assignments["segment"].sort_index()).all()


@pytest.mark.parametrize("fmt", ["xlsx", "parquet"])
def test_xlsx_and_parquet_inputs_run(fmt, tmp_path, capsys):
    from segmentation.synthetic import make_customers

    table, _ = make_customers(300, seed=4)
    path = tmp_path / f"c.{fmt}"
    table.to_excel(path, index=False) if fmt == "xlsx" else table.to_parquet(path, index=False)
    code, out, err = run_cli(["run", path, "--out", tmp_path / "o", "--k", "4", "--quiet"], capsys)
    assert code == 0, err
    assert len(pd.read_csv(tmp_path / "o" / "assignments.csv")) == 300


def test_near_duplicate_and_constant_features_are_flagged(tmp_path, capsys):
    rng = np.random.default_rng(0)
    a = rng.normal(50, 10, 200)
    frame = pd.DataFrame({"spend": a, "spend_copy": a * 1.01 + rng.normal(0, 0.1, 200),
                          "visits": rng.normal(5, 1, 200), "country": ["FR"] * 200})
    path = tmp_path / "t.csv"
    frame.to_csv(path, index=False)
    code, _, err = run_cli(["run", path, "--out", tmp_path / "o", "--k", "2", "--quiet"], capsys)
    assert code == 0, err
    result = json.loads((tmp_path / "o" / "result.json").read_text())
    assert [f["name"] for f in result["dataset"]["features"]] == ["spend", "visits"]
    dropped = {d.get("name"): d["reason"] for d in result["dataset"]["dropped"]}
    assert dropped["spend_copy"].startswith("near duplicate of 'spend' (Spearman r = 1.00)")
    assert "single value" in dropped["country"]
