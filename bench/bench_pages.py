"""How fast the run and share pages of a large run load: server time per request, bytes, render.

A run of N customers (default 1,000,000) is computed once and stored in a fresh instance; gunicorn
serves it with two workers; Debian's Chromium opens the run page (every tab) and the share page a few
times. gunicorn's access log gives the server time of every request (%(D)s); the browser gives bytes
transferred, time to first byte and time until the view's main element is drawn.

    .venv/bin/python bench/bench_pages.py [--rows 1000000] [--repeat 3] [--out bench/results]

Targets: every callback under 1 s of server time; a page under 5 MB transferred.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from servers import SECRET, Gunicorn  # noqa: E402

VIEWS = {  # name -> (query, element that means "drawn")
    "run: segments": ("?tab=segments", "#segment-cards"),
    "run: rules": ("?tab=rules", "#rules-table"),
    "run: dendrogram": ("?tab=dendrogram", "#dendrogram-graph .main-svg"),
    "run: pair plot": ("?tab=pairs", "#pair-plot-graph .main-svg"),
    "run: profiles": ("?tab=profiles", "#profile-graph .main-svg"),
    "run: choosing k": ("?tab=k", "#k-selection-graph .main-svg"),
    "run: data": ("?tab=data", "#data-graph .main-svg"),
}
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def store_run(instance: Path, rows: int) -> tuple[str, str, str]:
    """Compute and store a run of `rows` customers; returns (owner, run id, share token)."""
    from segmentation.outputs import csv_text, rules_sql
    from segmentation.pipeline import RunOptions, run_segmentation
    from service.settings import Settings
    from service.store import RunStore, new_id
    from segmentation.synthetic import make_blobs_table
    from explain.report import report_html

    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(instance)})
    store = RunStore(settings.database_url)
    store.create_schema()
    table, _ = make_blobs_table(rows, n_features=10, k=5, seed=0)
    t = time.perf_counter()
    out = run_segmentation(table, options=RunOptions(id_column="id", source="bench.csv"))
    print(f"computed the {rows:,}-row run in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    owner = new_id()
    run_id = store.runs.submit(owner=owner, title="bench.csv", options={"method": "kmeans"},
                               upload_id=None)
    store.queue.claim("bench")
    store.queue.finish(run_id, result_json=out.result.to_json(), message="done",
                       files={"assignments.csv": csv_text(out.assignments).encode(),
                              "rules.sql": rules_sql(out.result).encode(),
                              "report.html": report_html(out.result).encode()})
    token, _share = store.shares.add(run_id)
    return owner, run_id, token


def session_cookie(owner: str) -> str:
    """A session cookie for `owner`, signed with the server's key (as the server would make it)."""
    import flask
    app = flask.Flask("bench")
    app.secret_key = SECRET
    return app.session_interface.get_signing_serializer(app).dumps({"uid": owner})


def server_times(log: Path, since: int) -> list[tuple[str, float, int]]:
    """(path, server seconds, bytes) of each request logged after byte offset `since`."""
    out = []
    with log.open() as f:
        f.seek(since)
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[1].isdigit():
                out.append((parts[0], int(parts[1]) / 1e6, int(parts[2]) if parts[2].isdigit() else 0))
    return out


def measure(browser, web, url: str, selector: str, cookie: str | None) -> dict:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    if cookie:
        context.add_cookies([{"name": "session", "value": cookie, "url": web.url}])
    page = context.new_page()
    sizes = []  # bytes on the wire (compressed bodies as sent, plus headers)
    page.on("requestfinished", lambda req: sizes.append(req.sizes()["responseBodySize"]
                                                        + req.sizes()["responseHeadersSize"]))
    mark = web.access_log.stat().st_size if web.access_log.exists() else 0
    t = time.perf_counter()
    page.goto(url)
    page.wait_for_selector(selector, timeout=120_000)
    page.wait_for_load_state("networkidle")
    render = time.perf_counter() - t
    ttfb = page.evaluate("() => { const n = performance.getEntriesByType('navigation')[0];"
                         " return n.responseStart - n.requestStart; }") / 1000
    context.close()
    time.sleep(0.3)
    calls = [s for p, s, _ in server_times(web.access_log, mark) if "_dash-update-component" in p]
    return {"render": render, "ttfb": ttfb, "bytes": sum(sizes), "callbacks": len(calls),
            "callback_max": max(calls, default=0.0), "callback_median": statistics.median(calls or [0])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    instance = Path(tempfile.mkdtemp(prefix="clearseg-bench-")) / "instance"
    owner, run_id, token = store_run(instance, args.rows)
    web = Gunicorn(instance, workers=2)
    web.access_log = instance / "access.log"
    web.env["GUNICORN_CMD_ARGS"] = (f"--access-logfile {web.access_log} "
                                    "--access-logformat '%(U)s %(D)s %(B)s'")
    web.start()
    cookie = session_cookie(owner)
    views = {name: (f"{web.url}/runs/{run_id}{q}", sel, cookie) for name, (q, sel) in VIEWS.items()}
    views["share page"] = (f"{web.url}/share/{token}", "#segment-cards", None)
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for name, (url, sel, ck) in views.items():
                runs = [measure(browser, web, url, sel, ck) for _ in range(args.repeat)]
                med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                rows.append({"view": name, **med})
            browser.close()
    finally:
        web.stop()
    table = ["| view | TTFB (ms) | drawn after (s) | transferred (MB) | callbacks | "
             "slowest callback, server (ms) | median callback, server (ms) |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        table.append(f"| {r['view']} | {r['ttfb'] * 1000:.0f} | {r['render']:.2f} | "
                     f"{r['bytes'] / 1e6:.2f} | {r['callbacks']:.0f} | {r['callback_max'] * 1000:.0f} | "
                     f"{r['callback_median'] * 1000:.0f} |")
    text = (f"Run of {args.rows:,} customers, medians of {args.repeat} loads, gunicorn 2 workers.\n\n"
            + "\n".join(table))
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "pages.md").write_text(text + "\n")
    (out / "pages.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
