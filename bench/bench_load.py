"""Many editors at once: gunicorn (4 workers) and a job runner (2 runs at a time) on loopback.

A fresh instance gets N editor accounts (default 50). One real browser session (Debian's Chromium
through Playwright) is recorded first: the exact bodies it posts to /_dash-update-component for the
run page's routing call, a tab switch, the share page and the home page. Then N simulated users,
one thread and one requests.Session each, do what a person would: sign in, upload their own
generated customers (make_customers(300..800, seed=user)), start a run with automatic k, poll it to
done, open its page (the page, Dash's layout and dependencies, the recorded routing call with their
own run id, a switch to the rules tab), make a share link and open it without a session, and check
that they see only their own runs. In the same run, badly behaved clients (bench/hostile_clients.py):
--slow connections that send one header line every 3 s and never finish, one editor uploading a
--workbook-mb workbook from --previews threads at once (each waiting until the runner has read it), one editor flooding the run queue, and a
/healthz probe twice a second. Everything is bounded: at most --max-requests requests and
--max-seconds of wall time (hard caps 5,000 and 600 s), then every process started here is stopped.

    .venv/bin/python bench/bench_load.py [--users 50] [--workers 4] [--concurrency 2]
        [--poll-seconds 3] [--ramp-seconds 15] [--max-requests 4000] [--max-seconds 540]
        [--slow 8] [--previews 4] [--workbook-mb 12] [--flood-burst 30] [--seed 0] [--out bench/results]

Targets, for the well-behaved users: zero errors (any answer other than 2xx/3xx, or an exception;
the isolation checks' 404s are expected answers), page callbacks under 1 s at the 95th percentile
while runs are going on, /healthz under 1 s at the 99th; and the flooder held to its queued quota.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import hostile_clients as hostile_  # noqa: E402
from servers import Gunicorn, Worker  # noqa: E402

HARD_MAX_REQUESTS = 5_000
HARD_MAX_SECONDS = 600.0
PASSWORD = "load-test-password"
CAPTURE_USER = "capture"
PREVIEWER, FLOODER = "previewer", "flooder"
CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"]
RUN_SLOT, TOKEN_SLOT = "__RUN_ID__", "__SHARE_TOKEN__"
RUN_LINK = re.compile(r"/runs/([0-9a-f]{32})")
END_ID = re.compile(r'"end_id"\s*:\s*"([^"]+)"')
REQUEST_TIMEOUT = 30.0
ACTIVE = ("queued", "running")


class Stop(Exception):
    """The caps are reached: the user stops where it is."""


class UserFailed(Exception):
    """A step failed (already recorded as an error): the user cannot go on."""


# --- the instance, the servers, one recorded browser session ------------------------------------

def make_accounts(instance: Path, *, users: int):
    """A fresh store with the capture, previewer and flooder accounts and `users` editors;
    returns the RunStore and {name: user id}."""
    from service.accounts import Accounts
    from service.settings import Settings
    from service.store import RunStore

    store = RunStore(Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(instance)}).database_url)
    store.create_schema()
    accounts = Accounts(store)
    ids = {name: accounts.add(name, PASSWORD)
           for name in [CAPTURE_USER, PREVIEWER, FLOODER, *(user_name(i) for i in range(users))]}
    return store, ids


def user_name(index: int) -> str:
    """The account name of simulated user `index`."""
    return f"editor{index:03d}"


def customers_csv(index: int, *, seed: int) -> bytes:
    """User `index`'s own table: make_customers of 300-800 rows, seeded by the user."""
    import numpy as np
    from segmentation.synthetic import make_customers

    rows = int(np.random.default_rng(seed + index).integers(300, 801))
    table, _ = make_customers(rows, seed=seed + index)
    return table.to_csv(index=False).encode()


def sign_in(session: requests.Session, *, url: str, username: str) -> requests.Response:
    """The sign-in form, then its POST with the form's token (no redirect followed)."""
    form = session.get(f"{url}/signin", timeout=REQUEST_TIMEOUT)
    csrf = re.search(r"name='csrf' value='([^']+)'", form.text).group(1)
    return session.post(f"{url}/signin", data={"username": username, "password": PASSWORD,
                                               "csrf": csrf},
                        allow_redirects=False, timeout=REQUEST_TIMEOUT)


def form_token(session: requests.Session, *, url: str) -> dict:
    """The session's form token, as the page's forms send it with an upload."""
    return {"csrf": session.get(f"{url}/csrf-token", timeout=REQUEST_TIMEOUT).json()["csrf"]}


def capture_run(url: str) -> tuple[str, str]:
    """The capture user's finished run and share token, made through the API: (run id, token)."""
    session = requests.Session()
    assert sign_in(session, url=url, username=CAPTURE_USER).status_code == 302
    data = customers_csv(999, seed=0)
    upload = session.post(f"{url}/upload", files={"file": ("capture.csv", data)},
                          data=form_token(session, url=url), allow_redirects=False, timeout=60)
    upload_id = upload.headers["Location"].split("upload=")[1]
    if hostile_.wait_read(session, url, upload_id, stop=threading.Event()) != "parsed":
        raise RuntimeError("the capture user's upload could not be read")
    run_id = session.post(f"{url}/api/runs", json={"upload_id": upload_id, "k": "auto"},
                          timeout=REQUEST_TIMEOUT).json()["id"]
    end = time.monotonic() + 180
    status = f"{url}/api/runs/{run_id}"
    while session.get(status, timeout=REQUEST_TIMEOUT).json()["status"] != "done":
        if time.monotonic() > end:
            raise RuntimeError("the capture run did not finish in 180 s")
        time.sleep(0.5)
    token = session.post(f"{url}/api/runs/{run_id}/shares", json={},
                         timeout=REQUEST_TIMEOUT).json()["url"].rsplit("/", 1)[1]
    return run_id, token


@dataclass(frozen=True)
class Bodies:
    """Callback bodies as the browser posted them, with the run id and token made into slots."""

    home: str
    run: str
    tab: str
    share: str

    def fill(self, name: str, *, run_id: str = "", token: str = "") -> dict:
        """Body `name` with this user's run id or token in its slots."""
        return json.loads(getattr(self, name).replace(RUN_SLOT, run_id).replace(TOKEN_SLOT, token))


def record_callbacks(page, *, go, until: str) -> list[dict]:
    """The JSON bodies the page posts to /_dash-update-component from `go()` until the element
    `until` is drawn and the network is quiet."""
    posted = []

    def keep(request):
        if "/_dash-update-component" in request.url and request.post_data:
            posted.append(json.loads(request.post_data))

    page.on("request", keep)
    go()
    page.wait_for_selector(until)
    page.wait_for_load_state("networkidle")
    page.remove_listener("request", keep)
    return posted


def routing_call(posted: list[dict], *, path: str) -> dict:
    """The page routing call among the posted bodies, for pathname `path`."""
    for body in posted:
        values = [item.get("value") for item in body.get("inputs", [])]
        if "_pages_content" in body.get("output", "") and path in values:
            return body
    raise RuntimeError(f"the browser posted no routing call for {path}: {posted}")


def as_template(body: dict, *, run_id: str, token: str) -> str:
    """The body as JSON text with the run id and the token replaced by their slots."""
    return json.dumps(body).replace(run_id, RUN_SLOT).replace(token, TOKEN_SLOT)


def capture_bodies(url: str, *, run_id: str, token: str) -> Bodies:
    """Drive Chromium once: sign in, home, run page, the rules tab, the share page (no session)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            page = browser.new_context().new_page()
            page.goto(f"{url}/signin")
            page.fill("#username", CAPTURE_USER)
            page.fill("#password", PASSWORD)
            home = record_callbacks(page, go=lambda: page.click("#signin-button"), until="#my-runs")
            run = record_callbacks(page, go=lambda: page.goto(f"{url}/runs/{run_id}"),
                                   until="#segment-cards")
            tab = record_callbacks(page, go=page.get_by_role("tab", name="Rules").click,
                                   until="#rules-table")
            visitor = browser.new_context().new_page()
            share = record_callbacks(visitor, go=lambda: visitor.goto(f"{url}/share/{token}"),
                                     until="#segment-cards")
        finally:
            browser.close()
    switch = [b for b in tab if "tab-content" in b.get("output", "")]
    if not switch:
        raise RuntimeError(f"the browser posted no tab switch: {tab}")
    slots = {"run_id": run_id, "token": token}
    return Bodies(home=as_template(routing_call(home, path="/"), **slots),
                  run=as_template(routing_call(run, path=f"/runs/{run_id}"), **slots),
                  tab=as_template(switch[0], **slots),
                  share=as_template(routing_call(share, path=f"/share/{token}"), **slots))


# --- measuring ----------------------------------------------------------------------------------

class Activity:
    """How many runs are queued or running, read from the store four times a second."""

    def __init__(self, store):
        self.store, self.active, self.samples = store, 0, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="activity", daemon=True)

    def _watch(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(0.25):
            try:
                self.active = sum(self.store.runs.count(status) for status in ACTIVE)
            except Exception:  # a busy database: keep the last figure
                continue
            self.samples.append((round(time.monotonic() - start, 2), self.active))

    def start(self) -> "Activity":
        """Start watching in a daemon thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching."""
        self._stop.set()
        self._thread.join(timeout=5)


@dataclass
class Recorder:
    """Every request of the load phase; refuses new ones past the caps."""

    max_requests: int
    deadline: float
    activity: Activity
    records: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    t0: float = field(default_factory=time.monotonic)

    def _admit(self) -> int:
        """A slot for one more request, or Stop past the caps."""
        with self.lock:
            if len(self.records) >= self.max_requests or time.monotonic() >= self.deadline:
                raise Stop
            self.records.append(None)
            return len(self.records) - 1

    def call(self, session, *, method: str, url: str, kind: str, user: int, expected=None,
             **kwargs) -> requests.Response:
        """One request, timed; an unexpected answer or an exception is an error (UserFailed)."""
        slot = self._admit()
        during = self.activity.active > 0
        start = time.monotonic()
        try:
            response = session.request(method, url, allow_redirects=False,
                                       timeout=REQUEST_TIMEOUT, **kwargs)
            status, problem = response.status_code, None
        except requests.RequestException as exc:
            response, status, problem = None, None, f"{type(exc).__name__}: {exc}"[:300]
        ok = problem is None and (status in expected if expected else 200 <= status < 400)
        self.records[slot] = {"kind": kind, "user": user, "start": round(start - self.t0, 3),
                              "seconds": round(time.monotonic() - start, 4), "status": status,
                              "during_runs": during, "ok": ok}
        if not ok:
            self._error(kind, user=user, detail=problem or f"HTTP {status} for {method} {url}")
        return response

    def _error(self, kind: str, *, user: int, detail: str) -> None:
        with self.lock:
            self.errors.append({"kind": kind, "user": user, "detail": detail})
        raise UserFailed(detail)

    def note(self, kind: str, *, user: int, detail: str) -> None:
        """A wrong answer with a 2xx/3xx status (a page without what it must show)."""
        with self.lock:
            self.errors.append({"kind": kind, "user": user, "detail": detail})


# --- one simulated user ---------------------------------------------------------------------------

@dataclass
class Shared:
    """What the users share: where to go, the recorded bodies, the recorder, the run ids."""

    url: str
    bodies: Bodies
    recorder: Recorder
    capture_run: str
    poll_seconds: float
    seed: int
    runs: dict = field(default_factory=dict)       # user -> run id
    outcomes: dict = field(default_factory=dict)   # user -> what happened
    activity_samples: list = field(default_factory=list)  # (seconds, runs queued or running)


class User:
    """One editor in a browser: its own session, its own data, its own run."""

    def __init__(self, index: int, *, shared: Shared):
        self.index, self.shared = index, shared
        self.session = requests.Session()
        self.rng = random.Random(shared.seed * 1000 + index)
        self.outcome = {"user": index, "finished": False, "isolation": None}
        self.end_id: str | None = None

    def call(self, request: str, *, kind: str, **kwargs) -> requests.Response:
        """`request` is "METHOD /path"; timed and checked by the recorder."""
        method, path = request.split(" ", 1)
        return self.shared.recorder.call(self.session, method=method, url=self.shared.url + path,
                                         kind=kind, user=self.index, **kwargs)

    def think(self) -> None:
        """A person's pause between two steps (seeded)."""
        time.sleep(self.rng.uniform(0.2, 0.6))

    def sign_in(self) -> None:
        """The sign-in form, then its POST with the form's token."""
        form = self.call("GET /signin", kind="sign in")
        csrf = re.search(r"name='csrf' value='([^']+)'", form.text).group(1)
        self.call("POST /signin", kind="sign in", data={"username": user_name(self.index),
                                                           "password": PASSWORD, "csrf": csrf})

    def upload_and_start(self) -> str:
        """Upload this user's table, start a run with automatic k; returns the run id."""
        data = customers_csv(self.index, seed=self.shared.seed)
        token = form_token(self.session, url=self.shared.url)
        posted = self.call("POST /upload", kind="upload", files={"file": ("customers.csv", data)},
                           data=token)
        upload_id = posted.headers["Location"].split("upload=")[1]
        while self.call(f"GET /api/uploads/{upload_id}",   # polled like the run, below
                        kind="api: poll upload").json()["preview_state"] != "done":
            time.sleep(self.shared.poll_seconds)
        self.think()
        started = self.call("POST /api/runs", kind="api: start run",
                            json={"upload_id": upload_id, "k": "auto", "method": "kmeans"})
        run_id = started.json()["id"]
        self.shared.runs[self.index] = run_id
        return run_id

    def wait_done(self, run_id: str) -> dict:
        """Poll the run until it ends; a run that does not end done is an error."""
        while True:
            status = self.call(f"GET /api/runs/{run_id}", kind="api: poll").json()
            if status["status"] in ("done", "failed", "cancelled"):
                self.outcome["run"] = status
                if status["status"] != "done":
                    detail = status.get("message") or status["status"]
                    self.shared.recorder.note("run", user=self.index, detail=detail)
                    raise UserFailed(f"run {status['status']}")
                return status
            time.sleep(self.shared.poll_seconds)

    def open_page(self, path: str, *, body: dict, page: str) -> str:
        """What the browser does on a page load: the page, layout, dependencies, routing call."""
        html = self.call(f"GET {path}", kind=f"page: {page}").text
        found = END_ID.search(html)
        self.end_id = found.group(1) if found else None  # the page's token, echoed by callbacks
        self.call("GET /_dash-layout", kind="dash layout and dependencies")
        self.call("GET /_dash-dependencies", kind="dash layout and dependencies")
        return self.callback(body, kind=f"callback: {page} routing")

    def callback(self, body: dict, *, kind: str) -> str:
        """POST a callback body with the current page's endId, as the browser does."""
        query = f"?endId={self.end_id}" if self.end_id else ""
        return self.call(f"POST /_dash-update-component{query}", kind=kind, json=body).text

    def expect(self, text: str, *, needle: str, kind: str) -> None:
        """Note an error when a 2xx answer lacks the element it must show."""
        if needle not in text:
            self.shared.recorder.note(kind, user=self.index, detail=f"'{needle}' missing")

    def view_run(self, run_id: str) -> None:
        """Open the run page, then switch to the rules tab."""
        bodies = self.shared.bodies
        body = bodies.fill("run", run_id=run_id)
        routed = self.open_page(f"/runs/{run_id}", body=body, page="run")
        self.expect(routed, needle="segment-cards", kind="callback: run routing")
        self.think()
        tab = self.callback(bodies.fill("tab", run_id=run_id), kind="callback: tab switch")
        self.expect(tab, needle="rules-table", kind="callback: tab switch")

    def share(self, run_id: str) -> None:
        """Make a share link, then open it without a session."""
        made = self.call(f"POST /api/runs/{run_id}/shares", kind="api: share", json={})
        token = made.json()["url"].rsplit("/", 1)[1]
        self.think()
        visitor = User(self.index, shared=self.shared)  # no session: whoever holds the link
        body = self.shared.bodies.fill("share", token=token)
        routed = visitor.open_page(f"/share/{token}", body=body, page="share")
        visitor.expect(routed, needle="segment-cards", kind="callback: share routing")

    def check_isolation(self, run_id: str) -> dict:
        """Another editor's run answers 404 and is not found; the home page lists only our run."""
        others = [run for user, run in sorted(dict(self.shared.runs).items()) if user != self.index]
        other = others[self.index % len(others)] if others else self.shared.capture_run
        answered = range(200, 500)  # any answer but a server error: the verdict is below
        api = self.call(f"GET /api/runs/{other}", kind="isolation", expected=answered).status_code
        download = self.call(f"GET /runs/{other}/download/assignments.csv", kind="isolation",
                             expected=answered).status_code
        page = self.callback(self.shared.bodies.fill("run", run_id=other), kind="isolation")
        home = self.open_page("/", body=self.shared.bodies.fill("home"), page="home")
        listed = set(RUN_LINK.findall(home.replace("\\u002f", "/")))  # Dash escapes slashes
        not_found = "run-not-found" in page and "segment-cards" not in page
        return {"other_run": other, "api_status": api, "download_status": download,
                "other_page_not_found": not_found, "home_lists": sorted(listed),
                "passed": api == 404 and download == 404 and not_found and listed == {run_id}}

    def live(self) -> None:
        """The whole visit; stops at the caps or at the first failed step."""
        try:
            self.sign_in()
            self.think()
            run_id = self.upload_and_start()
            self.wait_done(run_id)
            self.view_run(run_id)
            self.think()
            self.share(run_id)
            self.think()
            self.outcome["isolation"] = self.check_isolation(run_id)
            self.outcome["finished"] = True
        except (Stop, UserFailed) as exc:
            self.outcome["stopped"] = f"{type(exc).__name__}: {exc}"[:300]
        except Exception as exc:  # a bug in the load test itself: keep it visible
            self.shared.recorder.note("load test", user=self.index, detail=repr(exc)[:300])
            self.outcome["stopped"] = repr(exc)[:300]
        finally:
            self.shared.outcomes[self.index] = self.outcome


def run_users(shared: Shared, *, users: int, ramp_seconds: float) -> None:
    """Start the users spread over `ramp_seconds`; wait for them all (each stops at the caps)."""
    threads = []
    for index in range(users):
        user = User(index, shared=shared)
        thread = threading.Thread(target=user.live, name=f"user-{index}", daemon=True)
        thread.start()
        threads.append(thread)
        time.sleep(ramp_seconds / max(users, 1))
    for thread in threads:
        thread.join(timeout=max(shared.recorder.deadline - time.monotonic(), 0) + REQUEST_TIMEOUT)


# --- the report -----------------------------------------------------------------------------------

def percentile(values: list[float], *, q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def latency(records: list[dict]) -> dict:
    """Count, p50/p95/p99 and max of the records' seconds."""
    seconds = [r["seconds"] for r in records]
    return {"count": len(seconds), **{f"p{q}": percentile(seconds, q=q) for q in (50, 95, 99)},
            "max": max(seconds, default=None)}


def summarize(shared: Shared, *, args, wall: float) -> dict:
    """Every figure of the report, from the recorded requests and the users' outcomes."""
    records = [r for r in shared.recorder.records if r is not None]
    span = (max(r["start"] + r["seconds"] for r in records) - min(r["start"] for r in records)
            if records else 0.0)
    callbacks = [r for r in records if r["kind"].startswith("callback")]
    outcomes = [shared.outcomes.get(i, {"user": i, "finished": False}) for i in range(args.users)]
    isolation = [o.get("isolation") for o in outcomes]
    runs = [o["run"] for o in outcomes if o.get("run")]
    kinds = sorted({r["kind"] for r in records})
    return {
        "users": args.users, "workers": args.workers, "concurrency": args.concurrency,
        "requests": len(records), "span_seconds": round(span, 1), "wall_seconds": round(wall, 1),
        "requests_per_second": round(len(records) / span, 1) if span else None,
        "callbacks": latency(callbacks),
        "callbacks_during_runs": latency([r for r in callbacks if r["during_runs"]]),
        "callbacks_after_runs": latency([r for r in callbacks if not r["during_runs"]]),
        "by_kind": {kind: latency([r for r in records if r["kind"] == kind]) for kind in kinds},
        "errors": shared.recorder.errors,
        "http_errors": sum(not r["ok"] for r in records),
        "users_finished": sum(o["finished"] for o in outcomes),
        "isolation_checked": sum(i is not None for i in isolation),
        "isolation_passed": sum(bool(i and i["passed"]) for i in isolation),
        "runs_done": sum(r["status"] == "done" for r in runs),
        "run_seconds": run_seconds(runs),
        "capped": (len(records) >= args.max_requests
                   or any("Stop" in o.get("stopped", "") for o in outcomes)),
    }


def run_seconds(runs: list[dict]) -> dict:
    """Queued-to-finished time of the runs, from the store's timestamps (whole seconds)."""
    from datetime import datetime

    spans = [(datetime.fromisoformat(r["finished_at"]) - datetime.fromisoformat(r["created_at"]))
             .total_seconds() for r in runs if r.get("finished_at") and r.get("created_at")]
    return {"p50": percentile(spans, q=50), "max": max(spans, default=None)}


def queued_quota() -> int | None:
    """The per-user queued-run quota the servers run with (None where there is none)."""
    from service.settings import Settings

    return getattr(Settings.from_env(dict(os.environ)), "max_queued_per_user", None)


def hostile_summary(hostile: hostile_.Hostile, *, args, workbook: Path) -> dict:
    """The figures of the badly behaved clients and of the /healthz probe."""
    parsed = [p for p in hostile.previews if p["outcome"] == "parsed"]
    return {"healthz": latency(hostile.health),
            "healthz_failed": sum(not h["ok"] for h in hostile.health),
            "slow": {"count": args.slow, **hostile.slow},
            "previews": {"threads": args.previews,
                         "workbook_mb": round(workbook.stat().st_size / 2**20, 1),
                         "outcomes": hostile_.counts(hostile.previews, "outcome"),
                         "answered": latency([{"seconds": p["answered"]} for p in hostile.previews
                                              if p["answered"] is not None]),
                         "parsed": latency(parsed)},
            "flood": hostile_.flood_summary(hostile.flood, quota=queued_quota())}


def hostile_lines(h: dict) -> list[str]:
    """The table of the badly behaved clients and the /healthz probe."""
    health, previews, flood = h["healthz"], h["previews"], h["flood"]
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(previews["outcomes"].items())) or "none"
    refusals = ", ".join(f"HTTP {k}: {v}" for k, v in flood["refusal_statuses"].items()) or "none"
    return [
        "| badly behaved clients, and /healthz | value |", "|---|---|",
        f"| /healthz probe, twice a second: p50 / p95 / p99 / max (ms) | {ms(health['p50'])} / "
        f"{ms(health['p95'])} / {ms(health['p99'])} / {ms(health['max'])} ({health['count']} "
        f"checks, {h['healthz_failed']} failed) |",
        f"| slow connections (a header line every 3 s, never finished) | {h['slow']['count']} at "
        f"once; {h['slow']['connections']} opened, {h['slow']['lines']} lines sent, "
        f"{h['slow']['closed_by_server']} closed by the server |",
        f"| one editor uploading a {previews['workbook_mb']} MB workbook from {previews['threads']}"
        f" threads, each waiting until it is read | {outcomes}; upload answered in p50 "
        f"{ms(previews['answered']['p50'])} ms, max {ms(previews['answered']['max'])} ms; read "
        f"(upload to preview) in p50 {ms(previews['parsed']['p50'])} ms, max "
        f"{ms(previews['parsed']['max'])} ms |",
        f"| one editor flooding the queue (burst, then one every 2 s) | {flood['submitted']} "
        f"submitted, {flood['accepted']} accepted, refused: {refusals}; peak {flood['peak']['queued']}"
        f" queued / {flood['peak']['running']} running at once (quota {flood['quota']} queued) |",
        *[f"| refusal message | {m} |" for m in flood["refusal_messages"]], ""]


def ms(value) -> str:
    """Seconds as whole milliseconds for the tables."""
    return "—" if value is None else f"{value * 1000:,.0f}"


def markdown(summary: dict, *, machine: str) -> str:
    """The report: the summary table, the table per kind of request, the targets."""
    cb, during = summary["callbacks"], summary["callbacks_during_runs"]
    iso = f"{summary['isolation_passed']}/{summary['isolation_checked']} users"
    iso_ok = summary["isolation_checked"] == summary["users"] == summary["isolation_passed"]
    lines = [
        f"{summary['users']} simulated editors, gunicorn {summary['workers']} workers, runner "
        f"concurrency {summary['concurrency']}; {machine}.", "",
        "| measure | value |", "|---|---|",
        f"| requests | {summary['requests']:,} in {summary['span_seconds']:.0f} s |",
        f"| requests per second | {summary['requests_per_second']} |",
        f"| users finished | {summary['users_finished']}/{summary['users']} |",
        f"| runs done | {summary['runs_done']}/{summary['users']} (queued to done: median "
        f"{summary['run_seconds']['p50']} s, longest {summary['run_seconds']['max']} s) |",
        f"| page callbacks, all: p50 / p95 / p99 (ms) | {ms(cb['p50'])} / {ms(cb['p95'])} / "
        f"{ms(cb['p99'])} ({cb['count']} calls) |",
        f"| page callbacks while runs were going on: p50 / p95 / p99 (ms) | {ms(during['p50'])} / "
        f"{ms(during['p95'])} / {ms(during['p99'])} ({during['count']} calls) |",
        f"| errors | {len(summary['errors'])} |",
        f"| isolation (other's run 404 by API and download, not found as a page; home lists only "
        f"its own run) | {'PASS' if iso_ok else 'FAIL'}: {iso} |", "",
        *(hostile_lines(summary["hostile"]) if "hostile" in summary else []),
        "| request | count | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, row in summary["by_kind"].items():
        lines.append(f"| {kind} | {row['count']} | {ms(row['p50'])} | {ms(row['p95'])} | "
                     f"{ms(row['p99'])} | {ms(row['max'])} |")
    return "\n".join(lines + ["", *targets(summary, iso_ok=iso_ok)])


def targets(summary: dict, *, iso_ok: bool) -> list[str]:
    """Each target with its figure and PASS / FAIL, then the first errors."""
    p95 = summary["callbacks_during_runs"]["p95"]
    errors = len(summary["errors"])
    lines = [f"- zero errors: {errors} ({'PASS' if not errors else 'FAIL'})",
             f"- page callbacks while runs are going on, p95 < 1 s: {ms(p95)} ms "
             f"({'PASS' if p95 is not None and p95 < 1 else 'FAIL'})",
             f"- each user sees only its own runs: {'PASS' if iso_ok else 'FAIL'}"]
    if "hostile" in summary:
        health, flood = summary["hostile"]["healthz"]["p99"], summary["hostile"]["flood"]
        lines += [f"- /healthz p99 < 1 s beside the badly behaved clients: {ms(health)} ms "
                  f"({'PASS' if health is not None and health < 1 else 'FAIL'})",
                  f"- the flooder held to its queued quota ({flood['quota']}): peak "
                  f"{flood['peak']['queued']} queued ({'PASS' if flood['held'] else 'FAIL'})"]
    if summary["capped"]:
        lines.append("- **the request or time cap was reached: not every user finished**")
    for error in summary["errors"][:10]:
        lines.append(f"- error ({error['kind']}, user {error['user']}): {error['detail']}")
    return lines


def machine_line() -> str:
    """Processor, cores, Python and the load when the benchmark starts."""
    load = os.getloadavg()[0]
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}, 1-minute load {load:.1f} at the start")


# --- main -------------------------------------------------------------------------------------------

def parse_args() -> argparse.Namespace:
    """The options, with the request and time caps held to their hard limits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--poll-seconds", type=float, default=3.0)
    parser.add_argument("--ramp-seconds", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=4_000)
    parser.add_argument("--max-seconds", type=float, default=540.0)
    parser.add_argument("--slow", type=int, default=8, help="slow connections")
    parser.add_argument("--previews", type=int, default=4, help="concurrent large previews")
    parser.add_argument("--workbook-mb", type=float, default=12.0)
    parser.add_argument("--flood-burst", type=int, default=30, help="runs the flooder submits at once")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    args.max_requests = min(args.max_requests, HARD_MAX_REQUESTS)
    args.max_seconds = min(args.max_seconds, HARD_MAX_SECONDS)
    return args


def signed_in(url: str, username: str) -> requests.Session:
    """A session of `username`, signed in."""
    session = requests.Session()
    assert sign_in(session, url=url, username=username).status_code == 302, username
    return session


def start_hostile(url: str, store, *, args, ids: dict, workbook: Path) -> hostile_.Hostile:
    """The badly behaved clients, all started: the /healthz probe, the slow connections, the
    previewer's threads and the flooder (with a watch on its runs in the store)."""
    hostile = hostile_.Hostile()
    hostile.start(hostile_.probe_health, url, name="healthz")
    port = int(url.rsplit(":", 1)[1])
    for index in range(args.slow):
        hostile.start(hostile_.slow_connection, port, index, name=f"slow-{index}")
    for index in range(args.previews):
        session = signed_in(url, PREVIEWER)
        hostile.start(hostile_.preview_loop, session, url, workbook,
                      form=form_token(session, url=url), name=f"preview-{index}")
    flooder = signed_in(url, FLOODER)
    upload_id = hostile_.upload_small(flooder, url, customers_csv(998, seed=args.seed),
                                      form=form_token(flooder, url=url))
    hostile.start(hostile_.watch_owner, store, ids[FLOODER], name="flood-watch")
    hostile.start(hostile_.flood_queue, flooder, url, name="flood", upload_id=upload_id,
                  burst=args.flood_burst)
    return hostile


def load_phase(url: str, store, *, args, ids: dict, workbook: Path,
               deadline: float) -> tuple[Shared, hostile_.Hostile]:
    """Record the browser's bodies, start the badly behaved clients, then let the users loose
    until done or capped."""
    capture, token = capture_run(url)
    bodies = capture_bodies(url, run_id=capture, token=token)
    print(f"recorded the browser's callbacks; {args.users} users start", file=sys.stderr, flush=True)
    activity = Activity(store).start()
    recorder = Recorder(max_requests=args.max_requests, deadline=deadline, activity=activity)
    shared = Shared(url=url, bodies=bodies, recorder=recorder, capture_run=capture,
                    poll_seconds=args.poll_seconds, seed=args.seed)
    hostile = start_hostile(url, store, args=args, ids=ids, workbook=workbook)
    try:
        run_users(shared, users=args.users, ramp_seconds=args.ramp_seconds)
    finally:
        hostile.finish()
        activity.stop()
    shared.activity_samples = activity.samples
    return shared, hostile


def main() -> None:
    """Set up, load, stop every process started here, report."""
    args = parse_args()
    started = time.monotonic()
    deadline = started + args.max_seconds - 30  # leaves time to stop everything and report
    machine = machine_line()
    instance = Path(tempfile.mkdtemp(prefix="clearseg-load-")) / "instance"
    instance.mkdir(parents=True)
    store, ids = make_accounts(instance, users=args.users)
    workbook = hostile_.large_workbook(instance.parent / "big.xlsx", megabytes=args.workbook_mb,
                                       seed=args.seed)
    web = Gunicorn(instance, workers=args.workers)
    worker = Worker(instance, concurrency=args.concurrency)
    assert web.url.startswith("http://127.0.0.1:"), web.url  # loopback only
    try:
        web.start()
        worker.start()
        shared, hostile = load_phase(web.url, store, args=args, ids=ids, workbook=workbook,
                                     deadline=deadline)
    finally:
        worker.stop()
        web.stop()
    summary = summarize(shared, args=args, wall=time.monotonic() - started)
    summary["hostile"] = hostile_summary(hostile, args=args, workbook=workbook)
    text = markdown(summary, machine=machine)
    print(text)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "load.md").write_text(text + "\n")
    raw = {"summary": summary, "machine": machine, "args": vars(args),
           "healthz": hostile.health, "previews": hostile.previews, "flood": hostile.flood,
           "outcomes": [shared.outcomes.get(i) for i in range(args.users)],
           "activity": shared.activity_samples, "requests": shared.recorder.records}
    (out / "load.json").write_text(json.dumps(raw, indent=1, default=str))


if __name__ == "__main__":
    main()
