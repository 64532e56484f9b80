"""Core benchmark: time and memory of one segmentation run, against the naive notebook approach.

For each table size a synthetic blobs table is written to CSV; every measurement then runs in a
fresh child process (so its peak RSS is its own): read the CSV, run the pipeline (auto k), write the
run's files. The naive baseline (k-means for k = 2..10 with silhouette on all rows; Ward linkage on
all rows) runs where it fits and finishes; beyond, it is estimated from measured growth.

    .venv/bin/python bench/bench_core.py [--sizes 10000,100000,1000000] [--repeat 3]
        [--naive-max 100000] [--out bench/results]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
METHODS = ("kmeans", "hierarchical")
STAGES = ("preparing", "choosing_k", "clustering", "explaining", "profiling")
NAIVE_KS = tuple(range(2, 11))
GIB = 2 ** 30
MACHINE_GIB = 24                # the benchmark never plans to use more than this
WARD_MAX_ROWS = 50_000          # Ward on all rows is never started above this
WARD_COPIES = 2                 # scipy's nn_chain copies the condensed distances: 2 arrays at peak
RSS_PRIOR = (0.5 * GIB, 3_000)  # bytes fixed + bytes per row, until two sizes are measured
CHILD_TIMEOUT = 4 * 3600
PROBE_MAX_ROWS = 20_000         # silhouette probes, when fewer than two sizes were measured


# --- shared helpers ---------------------------------------------------------------------------

def available_bytes() -> int:
    """Memory the kernel says is available now (MemAvailable), capped at the machine budget."""
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return min(int(line.split()[1]) * 1024, MACHINE_GIB * GIB)
    return MACHINE_GIB * GIB


def ward_bytes(n: int) -> int:
    """The condensed distance matrix of n rows: n(n-1)/2 doubles."""
    return n * (n - 1) // 2 * 8


def size_label(n: int) -> str:
    """10000 -> '10k', 1000000 -> '1M'."""
    for unit, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= unit and n % unit == 0:
            return f"{n // unit}{suffix}"
    return f"{n:,}"


def parse_size(text: str) -> int:
    """'10000', '10k' or '1M' as a row count."""
    text = text.strip().lower().replace("_", "")
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


# --- child side: one measurement per process ---------------------------------------------------

def _limit_memory() -> None:
    """A hard net under every child: allocations beyond what is available fail, not the machine."""
    limit = max(available_bytes() - GIB // 2, GIB)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _write_files(out_dir: Path, *, output, has_report: bool) -> list[str]:
    """The run's files; without explain.report, the three files that do not need it."""
    from segmentation.outputs import csv_text, rules_sql, write_outputs

    if has_report:
        return [p.name for p in write_outputs(out_dir, result=output.result,
                                              assignments=output.assignments)]
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"result.json": output.result.to_json() + "\n",
             "assignments.csv": csv_text(output.assignments), "rules.sql": rules_sql(output.result)}
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    return list(files)


def _has_report() -> bool:
    try:
        import explain.report  # noqa: F401  (imported here so the write timing excludes it)
    except ModuleNotFoundError as exc:
        if exc.name != "explain.report":
            raise
        return False
    return True


def child_make(spec: dict) -> dict:
    """Write the synthetic table to CSV and its planted labels to .npy."""
    import numpy as np
    from segmentation.synthetic import make_blobs_table

    start = time.perf_counter()
    table, labels = make_blobs_table(spec["n"], n_features=10, k=spec["planted_k"], seed=spec["seed"])
    table.to_csv(spec["csv"], index=False)
    np.save(spec["labels"], labels)
    return {"seconds": time.perf_counter() - start, "bytes": os.path.getsize(spec["csv"])}


def child_run(spec: dict) -> dict:
    """Read, segment (auto k) and write, timing each step; ARI against the planted labels."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score
    from segmentation.pipeline import RunOptions, run_segmentation
    from segmentation.readers import read_table

    has_report = _has_report()
    options = RunOptions(method=spec["method"], k=None, id_column="id", seed=spec["seed"])
    t0 = time.perf_counter()
    raw = read_table(spec["csv"])
    t1 = time.perf_counter()
    output = run_segmentation(raw, options=options)
    t2 = time.perf_counter()
    written = _write_files(Path(spec["out_dir"]), output=output, has_report=has_report)
    t3 = time.perf_counter()
    planted = np.load(spec["labels"])
    ids = output.assignments["id"].to_numpy() - 1
    return {"reading": t1 - t0, **output.timings, "writing": t3 - t2, "end_to_end": t3 - t0,
            "pipeline": t2 - t1, "chosen_k": int(output.result.clustering.k),
            "ari": float(adjusted_rand_score(planted[ids], output.assignments["cluster"])),
            "ari_rules": float(adjusted_rand_score(planted[ids], output.assignments["segment"])),
            "fidelity": float(output.result.explanation.fidelity),
            "files": written, "report_html": has_report}


def _naive_matrix(spec: dict):
    """The scaled matrix the pipeline clusters, made by the pipeline's own preparation."""
    from segmentation.cleaning import clean_table
    from segmentation.prepare import prepare, select_features
    from segmentation.readers import read_table
    from segmentation.roles import infer_roles

    table, _ = clean_table(read_table(spec["csv"]))
    roles = infer_roles(table, id_column="id")
    return prepare(table, features=select_features(roles, requested=None), roles=roles).matrix


def _best_by_silhouette(X, *, labelings: dict, planted) -> dict:
    """Silhouette on ALL rows for each k's labels; the k with the highest one."""
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    scores, seconds = {}, {}
    for k, labels in labelings.items():
        start = time.perf_counter()
        scores[k] = float(silhouette_score(X, labels))
        seconds[k] = time.perf_counter() - start
    best = max(scores, key=lambda k: (scores[k], -k))
    return {"silhouette": scores, "silhouette_seconds": seconds,
            "silhouette_total": sum(seconds.values()), "chosen_k": best,
            "ari": float(adjusted_rand_score(planted, labelings[best]))}


def child_naive_kmeans(spec: dict) -> dict:
    """KMeans(n_clusters=k, random_state=0) for k = 2..10, then silhouette on all rows (if asked)."""
    import numpy as np
    from sklearn.cluster import KMeans

    X, planted = _naive_matrix(spec), np.load(spec["labels"])
    labelings, fit_seconds = {}, {}
    for k in NAIVE_KS:
        start = time.perf_counter()
        labelings[k] = KMeans(n_clusters=k, random_state=0).fit(X).labels_
        fit_seconds[k] = time.perf_counter() - start
    out = {"fit_seconds": fit_seconds, "fit_total": sum(fit_seconds.values())}
    if spec["silhouette"]:
        out.update(_best_by_silhouette(X, labelings=labelings, planted=planted))
        out["total"] = out["fit_total"] + out["silhouette_total"]
    return out


def child_naive_ward(spec: dict) -> dict:
    """linkage(X, 'ward') on all rows, then a cut and silhouette on all rows for k = 2..10."""
    import numpy as np
    from scipy.cluster.hierarchy import fcluster, linkage

    X, planted = _naive_matrix(spec), np.load(spec["labels"])
    start = time.perf_counter()
    tree = linkage(X, "ward")
    fit = time.perf_counter() - start
    labelings = {k: fcluster(tree, k, criterion="maxclust") for k in NAIVE_KS}
    out = {"fit_total": fit, **_best_by_silhouette(X, labelings=labelings, planted=planted)}
    out["total"] = fit + out["silhouette_total"]
    return out


def child_silhouette_probe(spec: dict) -> dict:
    """One silhouette_score on all rows of an n-row blobs table (for the growth estimate)."""
    from sklearn.metrics import silhouette_score
    from sklearn.preprocessing import StandardScaler
    from segmentation.synthetic import make_blobs_table

    table, labels = make_blobs_table(spec["n"], n_features=10, k=spec["planted_k"], seed=spec["seed"])
    X = StandardScaler().fit_transform(table.drop(columns="id").to_numpy())
    start = time.perf_counter()
    silhouette_score(X, labels)
    return {"seconds": time.perf_counter() - start}


CHILDREN = {"make": child_make, "run": child_run, "naive_kmeans": child_naive_kmeans,
            "naive_ward": child_naive_ward, "silhouette_probe": child_silhouette_probe}


def child_main(text: str) -> None:
    """Entry point of a child process: one JSON spec in, one JSON line out."""
    sys.path.insert(0, str(ROOT))
    _limit_memory()
    started = time.perf_counter()
    spec = json.loads(text)
    load = os.getloadavg()[0]
    out = CHILDREN[spec["kind"]](spec)
    out.update(peak_rss=_peak_rss(), load_1min=load, process_seconds=time.perf_counter() - started)
    print(json.dumps(out))


# --- parent side ------------------------------------------------------------------------------

def run_child(spec: dict) -> dict:
    """Run one measurement in a fresh interpreter; failures come back as {'error': ...}."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)]
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {CHILD_TIMEOUT} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall_seconds"] = time.perf_counter() - start
    return out


def estimate_rss(n: int, *, measured: dict[int, int]) -> float:
    """Peak RSS of a run at n rows, extrapolated linearly from the two largest measured sizes."""
    sizes = sorted(measured)
    if len(sizes) < 2:
        fixed, per_row = RSS_PRIOR
        return fixed + per_row * n if not sizes else max(measured[sizes[0]] / sizes[0] * n,
                                                         fixed + per_row * n)
    a, b = sizes[-2], sizes[-1]
    slope = max((measured[b] - measured[a]) / (b - a), 0.0)
    return measured[b] + slope * (n - b)


def log(message: str) -> None:
    """Progress on stderr, time-stamped, so stdout holds only the report."""
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def measure_ours(n: int, *, paths: dict, repeat: int, seed: int) -> dict:
    """`repeat` runs of each method, interleaved, each in its own process."""
    runs = {m: [] for m in METHODS}
    for i in range(repeat):
        for method in METHODS:
            out_dir = Path(paths["dir"]) / f"out-{method}-{i}"
            out = run_child({"kind": "run", "method": method, "seed": seed, "csv": paths["csv"],
                             "labels": paths["labels"], "out_dir": str(out_dir)})
            runs[method].append(out)
            _remove_tree(out_dir)
            log(f"{size_label(n)} {method} run {i + 1}/{repeat}: "
                + (out["error"] if "error" in out else
                   f"{out['end_to_end']:.2f} s, {out['peak_rss'] / GIB:.2f} GiB, k = {out['chosen_k']}"))
    return runs


def _remove_tree(path: Path) -> None:
    if path.exists():
        for item in path.iterdir():
            item.unlink()
        path.rmdir()


def summarize_runs(runs: list[dict]) -> dict:
    """Medians of every timing, the highest peak RSS, and k / ARI as found."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"error": runs[0]["error"] if runs else "no run"}
    keys = ("reading", *STAGES, "writing", "end_to_end", "pipeline")
    med = {key: statistics.median(r[key] for r in good) for key in keys}
    return {"median": med, "runs": len(good), "failed": len(runs) - len(good),
            "end_to_end_all": [r["end_to_end"] for r in good],
            "peak_rss": max(r["peak_rss"] for r in good),
            "chosen_k": sorted({r["chosen_k"] for r in good}),
            "ari": statistics.median(r["ari"] for r in good),
            "ari_rules": statistics.median(r["ari_rules"] for r in good),
            "fidelity": statistics.median(r["fidelity"] for r in good),
            "report_html": all(r["report_html"] for r in good),
            "load_1min": [r["load_1min"] for r in good]}


# --- the naive baseline -----------------------------------------------------------------------

def _median_naive(runs: list[dict]) -> dict:
    """The run with the median total (so its parts add up), plus every total."""
    good = [r for r in runs if "error" not in r]
    if not good:
        return {"status": "failed", "error": runs[0]["error"]}
    key = "total" if "total" in good[0] else "fit_total"
    ordered = sorted(good, key=lambda r: r[key])
    pick = dict(ordered[(len(ordered) - 1) // 2])
    pick.update(status="measured" if key == "total" else "fits_only",
                totals=[r[key] for r in good])
    return pick


def naive_kmeans(n: int, *, paths: dict, naive_max: int, repeat: int, seed: int) -> dict:
    """Measured up to naive_max rows; beyond, the fits are measured and the silhouette estimated."""
    full = n <= naive_max
    spec = {"kind": "naive_kmeans", "csv": paths["csv"], "labels": paths["labels"],
            "seed": seed, "silhouette": full}
    runs = []
    for i in range(repeat if full else 1):
        runs.append(run_child(spec))
        log(f"{size_label(n)} naive k-means {i + 1}: "
            + str(runs[-1].get("error") or f"{runs[-1].get('total', runs[-1]['fit_total']):.1f} s"))
    return _median_naive(runs)


def ward_fits(n: int) -> tuple[bool, float]:
    """Whether Ward on all n rows may be started, and the GiB of its n^2/2 doubles."""
    need = ward_bytes(n)
    ok = n <= WARD_MAX_ROWS and WARD_COPIES * need + GIB < 0.8 * available_bytes()
    return ok, need / GIB


def naive_ward(n: int, *, paths: dict, naive_max: int, repeat: int, seed: int) -> dict:
    """Measured where the distances fit and n <= naive_max; otherwise why not."""
    ok, gib = ward_fits(n)
    if not ok:
        return {"status": "does_not_fit", "condensed_gib": gib, "peak_gib": WARD_COPIES * gib}
    if n > naive_max:
        return {"status": "not_run", "condensed_gib": gib}
    spec = {"kind": "naive_ward", "csv": paths["csv"], "labels": paths["labels"], "seed": seed}
    runs = []
    for i in range(repeat):
        runs.append(run_child(spec))
        log(f"{size_label(n)} naive Ward {i + 1}: "
            + str(runs[-1].get("error") or f"{runs[-1]['total']:.1f} s"))
    out = _median_naive(runs)
    out["condensed_gib"] = gib
    return out


def silhouette_points(results: dict, *, planted_k: int, seed: int, naive_max: int) -> dict:
    """Measured seconds of the 9 silhouettes on all rows, by size; probes if fewer than two."""
    points = {n: r["naive"]["kmeans"]["silhouette_total"] for n, r in results.items()
              if r.get("naive", {}).get("kmeans", {}).get("status") == "measured"}
    if len(points) >= 2:
        return {"points": points, "source": "measured"}
    probes, top = {}, min(PROBE_MAX_ROWS, naive_max)
    for n in sorted({max(1_000, top // 4), max(2_000, top)}):
        out = run_child({"kind": "silhouette_probe", "n": n, "planted_k": planted_k, "seed": seed})
        if "error" not in out:
            probes[n] = out["seconds"] * len(NAIVE_KS)
    return {"points": probes, "source": "probe"}


def estimate_silhouette(n: int, *, growth: dict) -> dict | None:
    """Seconds of 9 silhouettes at n rows: t(n) = t(b) * (n / b)^p, p from the two largest points."""
    sizes = sorted(growth["points"])
    if len(sizes) < 2 or sizes[-1] == sizes[-2]:
        return None
    a, b = sizes[-2], sizes[-1]
    ta, tb = growth["points"][a], growth["points"][b]
    power = math.log(tb / ta) / math.log(b / a)
    return {"seconds": tb * (n / b) ** power, "power": power, "from": [a, b],
            "source": growth["source"], "quadratic_seconds": tb * (n / b) ** 2}


def complete_naive(results: dict, *, planted_k: int, seed: int, naive_max: int) -> None:
    """Add the silhouette estimate to every k-means baseline that only had its fits measured."""
    pending = [r["naive"]["kmeans"] for r in results.values()
               if r.get("naive", {}).get("kmeans", {}).get("status") == "fits_only"]
    if not pending:
        return
    growth = silhouette_points(results, planted_k=planted_k, seed=seed, naive_max=naive_max)
    for n, r in results.items():
        naive = r.get("naive", {}).get("kmeans", {})
        if naive.get("status") != "fits_only":
            continue
        est = estimate_silhouette(n, growth=growth)
        if est is not None:
            naive.update(status="estimated", silhouette_estimate=est,
                         total=naive["fit_total"] + est["seconds"])


# --- one size, all of it ----------------------------------------------------------------------

def measure_size(n: int, *, args, measured_rss: dict) -> dict:
    """Write the table, run both methods `repeat` times, then the naive baseline."""
    est = estimate_rss(n, measured=measured_rss)
    if est > 0.85 * available_bytes():
        log(f"{size_label(n)}: does not fit (est. {est / GIB:.1f} GiB), not started")
        return {"does_not_fit": est}
    repeat = args.repeat or (3 if n <= 100_000 else 1)
    with tempfile.TemporaryDirectory(prefix="clearseg-bench-") as tmp:
        paths = {"dir": tmp, "csv": str(Path(tmp) / f"blobs_{n}.csv"),
                 "labels": str(Path(tmp) / f"labels_{n}.npy")}
        made = run_child({"kind": "make", "n": n, "planted_k": args.planted_k, "seed": args.seed,
                          **paths})
        if "error" in made:
            return {"error": made["error"]}
        log(f"{size_label(n)}: table written ({made['bytes'] / 2**20:.1f} MiB CSV)")
        runs = measure_ours(n, paths=paths, repeat=repeat, seed=args.seed)
        ours = {m: {**summarize_runs(r), "all": r} for m, r in runs.items()}
        peaks = [o["peak_rss"] for o in ours.values() if "peak_rss" in o]
        if peaks:
            measured_rss[n] = max(peaks)
        naive_args = {"paths": paths, "naive_max": args.naive_max, "repeat": args.naive_repeat,
                      "seed": args.seed}
        naive = {"kmeans": naive_kmeans(n, **naive_args), "hierarchical": naive_ward(n, **naive_args)}
    return {"repeat": repeat, "csv_bytes": made["bytes"], "ours": ours, "naive": naive}


# --- report -----------------------------------------------------------------------------------

def fmt_seconds(s: float | None) -> str:
    """Seconds as the table shows them: s below 2 min, min below 2 h, h above."""
    if s is None:
        return "—"
    if s >= 7200:
        return f"{s / 3600:.1f} h"
    if s >= 120:
        return f"{s / 60:.1f} min"
    return f"{s:.2f} s" if s < 10 else f"{s:.1f} s"


def fmt_bytes(b: float) -> str:
    """Bytes as MiB below 1 GiB, GiB above."""
    return f"{b / 2**20:.0f} MiB" if b < GIB else f"{b / GIB:.2f} GiB"


def naive_cells(naive: dict, *, ours_e2e: float | None) -> tuple[str, str, str]:
    """(time, chosen k, ratio naive/ours) for one naive baseline."""
    status = naive.get("status")
    if status == "does_not_fit":
        return f"does not fit ({naive['condensed_gib']:,.1f} GiB of n²/2 doubles)", "—", "—"
    if status == "not_run":
        return "not run (> --naive-max)", "—", "—"
    if status == "fits_only":
        return "no estimate (silhouette growth unknown)", "—", "—"
    if status in ("failed", None):
        return f"failed: {naive.get('error', 'no estimate')}", "—", "—"
    ratio = naive["total"] / ours_e2e if ours_e2e else None
    if status == "estimated":
        return (f"est. ~{fmt_seconds(naive['total'])}", "—",
                f"est. ~{ratio:,.0f}x" if ratio else "—")
    return fmt_seconds(naive["total"]), str(naive["chosen_k"]), f"{ratio:,.1f}x" if ratio else "—"


HEADER = ("| rows | method | read | preparing | choosing k | clustering | explaining | profiling "
          "| write | end to end | peak RSS | k | ARI | naive | naive k | naive / ours |")


def table_rows(results: dict) -> list[str]:
    """The markdown table: one row per size and method."""
    lines = [HEADER, "|" + "---|" * (HEADER.count("|") - 1)]
    for n, r in sorted(results.items()):
        if "does_not_fit" in r or "error" in r:
            why = (f"does not fit (est. {fmt_bytes(r['does_not_fit'])})" if "does_not_fit" in r
                   else f"failed: {r['error']}")
            lines.append(f"| {size_label(n)} | both | {why} |" + " |" * 13)
            continue
        for method in METHODS:
            lines.append(_method_row(n, method=method, ours=r["ours"][method], naive=r["naive"][method]))
    return lines


def _method_row(n: int, *, method: str, ours: dict, naive: dict) -> str:
    if "error" in ours:
        return f"| {size_label(n)} | {method} | failed: {ours['error']} |" + " |" * 13
    med = ours["median"]
    cells = [fmt_seconds(med[key]) for key in ("reading", *STAGES, "writing", "end_to_end")]
    k = "/".join(map(str, ours["chosen_k"]))
    cells += [fmt_bytes(ours["peak_rss"]), k, f"{ours['ari']:.3f}",
              *naive_cells(naive, ours_e2e=med["end_to_end"])]
    return f"| {size_label(n)} | {method} | " + " | ".join(cells) + " |"


def naive_details(results: dict) -> list[str]:
    """One line per naive baseline: what its time is made of, and how ours compares stage-wise."""
    lines = []
    for n, r in sorted(results.items()):
        for method in METHODS:
            naive, ours = r.get("naive", {}).get(method), r.get("ours", {}).get(method, {})
            if not naive or "median" not in ours:
                continue
            lines.append(f"- {size_label(n)} {method}: " + _naive_detail(method, naive=naive, med=ours["median"]))
    return lines


def _naive_detail(method: str, *, naive: dict, med: dict) -> str:
    status = naive.get("status")
    fit = "9 k-means fits" if method == "kmeans" else "Ward linkage"
    if status == "does_not_fit":
        return (f"Ward on all rows not started: the condensed distances alone are "
                f"{naive['condensed_gib']:,.1f} GiB (scipy holds about {WARD_COPIES}x that at peak; "
                f"the machine has {MACHINE_GIB} GiB).")
    if status == "estimated":
        est = naive["silhouette_estimate"]
        a, b = (size_label(x) for x in est["from"])
        return (f"{fit} measured {fmt_seconds(naive['fit_total'])}; silhouette on all rows for 9 k "
                f"ESTIMATED {fmt_seconds(est['seconds'])} (time grows as n^{est['power']:.2f}, "
                f"{est['source']} at {a} and {b} rows; pure n^2 from {b} would give "
                f"{fmt_seconds(est['quadratic_seconds'])}); not run.")
    if status == "not_run":
        return "not run: the size is above --naive-max."
    if status == "fits_only":
        return (f"{fit} measured {fmt_seconds(naive['fit_total'])}; silhouette not estimated "
                "(its growth could not be measured at two sizes).")
    if status != "measured":
        return f"{status}: {naive.get('error', '')}"
    core = med["choosing_k"] + med["clustering"]
    return (f"{fit} {fmt_seconds(naive['fit_total'])} + silhouette on all rows for 9 k "
            f"{fmt_seconds(naive['silhouette_total'])} = {fmt_seconds(naive['total'])}; "
            f"naive chose k = {naive['chosen_k']} (ARI {naive['ari']:.3f}); against our choosing k "
            f"+ clustering alone ({fmt_seconds(core)}) the ratio is {naive['total'] / core:,.1f}x.")


def spread(results: dict) -> list[str]:
    """Every end-to-end time behind each median, and what the rules made of the clusters."""
    lines = []
    for n, r in sorted(results.items()):
        for method, o in r.get("ours", {}).items():
            if "median" in o:
                times = ", ".join(f"{t:.2f}" for t in o["end_to_end_all"])
                lines.append(f"- {size_label(n)} {method}: end to end {times} s; rules fidelity "
                             f"{o['fidelity']:.3f}, ARI of the rule segments {o['ari_rules']:.3f}")
    return lines


def check_targets(results: dict) -> list[str]:
    """The stated targets, each with the measured figure and PASS / FAIL (or not measured)."""
    def ours(n, m):
        return results.get(n, {}).get("ours", {}).get(m, {})

    lines = []
    for m in METHODS:
        o = ours(10_000, m)
        if "median" in o:
            e2e = o["median"]["end_to_end"]
            lines.append(f"- 10k {m}: end to end {fmt_seconds(e2e)} < 3 s: "
                         + ("PASS" if e2e < 3 else "FAIL"))
        o = ours(1_000_000, m)
        if "median" in o:
            e2e, rss = o["median"]["end_to_end"], o["peak_rss"]
            ok = e2e < 30 and rss < 4 * GIB and o["report_html"]
            lines.append(f"- 1M {m}: end to end {fmt_seconds(e2e)} < 30 s, peak {fmt_bytes(rss)} "
                         f"< 4 GiB" + ("" if o["report_html"] else " (without report.html)")
                         + ": " + ("PASS" if ok else "FAIL"))
    o, naive = ours(100_000, "kmeans"), results.get(100_000, {}).get("naive", {}).get("kmeans", {})
    if "median" in o and naive.get("status") == "measured":
        ratio = naive["total"] / o["median"]["end_to_end"]
        same = o["chosen_k"] == [naive["chosen_k"]]
        lines.append(f"- 100k kmeans: naive/ours {ratio:,.1f}x >= 20x, k {o['chosen_k']} vs naive "
                     f"{naive['chosen_k']}: " + ("PASS" if ratio >= 20 and same else "FAIL"))
    return lines


def machine_info() -> dict:
    """CPU, cores, memory, library versions and load: what the numbers depend on."""
    import numpy
    import pandas
    import scipy
    import sklearn

    with open("/proc/cpuinfo", encoding="ascii") as handle:
        cpu = next((line.split(":", 1)[1].strip() for line in handle
                    if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_available_gib": available_bytes() / GIB,
            "python": platform.python_version(), "numpy": numpy.__version__,
            "pandas": pandas.__version__, "scikit-learn": sklearn.__version__,
            "scipy": scipy.__version__, "load_at_start": os.getloadavg()}


def render(results: dict, *, meta: dict) -> str:
    """The markdown report: table, naive details, targets, conditions."""
    loads = [x for r in results.values() for o in r.get("ours", {}).values()
             for x in o.get("load_1min", [])]
    no_report = any(not o.get("report_html", True) for r in results.values()
                    for o in r.get("ours", {}).values())
    info = meta["machine"]
    out = [f"# Core benchmark ({meta['finished'][:16].replace('T', ' ')} UTC)", "",
           f"{info['cpu']}, {info['cores']} cores, {info['mem_available_gib']:.1f} GiB available; "
           f"Python {info['python']}, numpy {info['numpy']}, pandas {info['pandas']}, "
           f"scikit-learn {info['scikit-learn']}, scipy {info['scipy']}. Shared machine: 1-minute "
           f"load at the start of each run {min(loads, default=0):.1f}-{max(loads, default=0):.1f}. "
           f"Times are medians of {meta['repeat_note']}; peak RSS is the highest of the runs.",
           "", *table_rows(results), "",
           "Stage columns are medians on their own; end to end (read -> write, in one process, "
           "interpreter start-up excluded) is the median of the end-to-end times. ARI: adjusted "
           f"Rand index of the clusters against the {meta['planted_k']} planted blobs. Naive: model "
           "fitting and k selection only (no reading, scaling, rules or files); naive / ours divides "
           "it by our end to end."]
    if no_report:
        out += ["", "**report.html was not written** (explain/report.py missing at run time): "
                    "the write column covers result.json, assignments.csv and rules.sql only."]
    out += ["", "## Naive baseline", "", *naive_details(results), "", "## Spread", "",
            *spread(results), "", "## Targets", "",
            *(check_targets(results) or ["- none of the target sizes was measured"]), ""]
    return "\n".join(out)


# --- entry point ------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring); --child is internal."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000,1000000", help="row counts, e.g. 10k,100k,1M")
    p.add_argument("--repeat", type=int, default=None,
                   help="runs per size and method (default 3 up to 100k rows, 1 above)")
    p.add_argument("--naive-max", type=parse_size, default=100_000,
                   help="largest size the naive baseline is run at (default 100000)")
    p.add_argument("--naive-repeat", type=int, default=1, help="naive runs per size (default 1)")
    p.add_argument("--planted-k", type=int, default=5, help="blobs planted in the table (default 5)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=HERE / "results", help="folder for core.md, core.json")
    p.add_argument("--child", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def repeat_note(results: dict) -> str:
    """How many runs each median is of, e.g. '3 runs (10k, 100k) and 1 run (1M)'."""
    by_repeat: dict[int, list[str]] = {}
    for n, r in sorted(results.items()):
        if "repeat" in r:
            by_repeat.setdefault(r["repeat"], []).append(size_label(n))
    return " and ".join(f"{k} run{'s' if k > 1 else ''} ({', '.join(v)})"
                        for k, v in sorted(by_repeat.items(), reverse=True)) or "no runs"


def save(results: dict, *, meta: dict, out: Path) -> str:
    """Write core.json (everything) and core.md (the report); return the report."""
    out.mkdir(parents=True, exist_ok=True)
    meta = {**meta, "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "repeat_note": repeat_note(results)}
    (out / "core.json").write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n",
                                   encoding="utf-8")
    report = render(results, meta=meta)
    (out / "core.md").write_text(report, encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    """Measure every size in turn, saving after each, then estimate and print the report."""
    args = parse_args(argv)
    if args.child:
        child_main(args.child)
        return 0
    sizes = sorted({parse_size(s) for s in args.sizes.split(",") if s.strip()})
    meta = {"started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine_info(), "planted_k": args.planted_k, "seed": args.seed,
            "argv": sys.argv[1:], "naive_max": args.naive_max}
    results, measured_rss = {}, {}
    for n in sizes:
        results[n] = measure_size(n, args=args, measured_rss=measured_rss)
        save(results, meta=meta, out=args.out)
    complete_naive(results, planted_k=args.planted_k, seed=args.seed, naive_max=args.naive_max)
    print(save(results, meta=meta, out=args.out))
    log(f"wrote {args.out / 'core.md'} and {args.out / 'core.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
