"""The load benchmark's badly behaved clients, run beside the well-behaved editors.

Slow connections (a header line every few seconds, never finishing the request), one editor
uploading a large workbook from several threads at once, one editor flooding the run queue, and a
/healthz probe. Each keeps its own records: the well-behaved users' figures never include them.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

import requests

REQUEST_TIMEOUT = 30.0
SLOW_LINE_SECONDS = 3.0
HEALTH_EVERY_SECONDS = 0.5


@dataclass
class Hostile:
    """What the badly behaved clients did and met, for the report."""

    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    health: list = field(default_factory=list)        # {"seconds", "ok"}
    slow: dict = field(default_factory=lambda: {"connections": 0, "lines": 0, "closed_by_server": 0})
    previews: list = field(default_factory=list)      # {"answered", "seconds", "outcome"}
    flood: dict = field(default_factory=dict)
    threads: list = field(default_factory=list)

    def start(self, target, *args, name: str, **kwargs) -> None:
        """Run target(self, *args, **kwargs) in a daemon thread until `stop` is set."""
        thread = threading.Thread(target=target, args=(self, *args), kwargs=kwargs, name=name,
                                  daemon=True)
        thread.start()
        self.threads.append(thread)

    def finish(self) -> None:
        """Stop every client and wait for them."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=REQUEST_TIMEOUT + 5)


def probe_health(hostile: Hostile, url: str) -> None:
    """GET /healthz every HEALTH_EVERY_SECONDS, as a load balancer does; time each answer."""
    session = requests.Session()
    while not hostile.stop.wait(HEALTH_EVERY_SECONDS):
        start = time.monotonic()
        try:
            ok = session.get(f"{url}/healthz", timeout=REQUEST_TIMEOUT).status_code == 200
        except requests.RequestException:
            ok = False
        with hostile.lock:
            hostile.health.append({"seconds": round(time.monotonic() - start, 4), "ok": ok})


def slow_connection(hostile: Hostile, port: int, index: int) -> None:
    """A request whose headers never end: one more header line every SLOW_LINE_SECONDS; when the
    server closes the connection, open another."""
    while not hostile.stop.is_set():
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT)
        except OSError:
            hostile.stop.wait(1.0)
            continue
        with hostile.lock:
            hostile.slow["connections"] += 1
        try:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            line = 0
            while not hostile.stop.wait(SLOW_LINE_SECONDS):
                sock.sendall(f"X-Slow-{index}-{line}: x\r\n".encode())
                line += 1
                with hostile.lock:
                    hostile.slow["lines"] += 1
        except OSError:
            with hostile.lock:
                hostile.slow["closed_by_server"] += 1
        finally:
            sock.close()


def large_workbook(path: Path, *, megabytes: float, seed: int) -> Path:
    """A workbook of random customers of about `megabytes` on disk (written once, reused)."""
    if path.exists():
        return path
    import numpy as np
    from openpyxl import Workbook

    rng = np.random.default_rng(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("customers")
    sheet.append(["customer_id", *[f"feature_{j}" for j in range(9)]])
    rows = int(megabytes * 11_000)   # about 90 bytes a row once zipped
    for i, values in enumerate(rng.normal(100, 30, size=(rows, 9)).round(6)):
        sheet.append([f"C{i:07d}", *values.tolist()])
    book.save(path)
    return path


def wait_read(session: requests.Session, url: str, upload_id: str, *, stop) -> str:
    """Poll the upload until the runner has read it: parsed, refused (a message) or stopped."""
    while not stop.is_set():
        status = session.get(f"{url}/api/uploads/{upload_id}", timeout=REQUEST_TIMEOUT).json()
        if status["preview_state"] == "done":
            return "refused" if status["error"] else "parsed"
        stop.wait(0.5)
    return "stopped"


def _upload_once(session: requests.Session, url: str, data: bytes, *, form: dict,
                 stop) -> dict:
    """One upload of the workbook: how long the upload itself took to answer, and how it was
    read (the upload is deleted afterwards so the editor's storage quota never fills)."""
    start = time.monotonic()
    r = session.post(f"{url}/upload", files={"file": ("big.xlsx", data)}, data=form,
                     allow_redirects=False, timeout=120)
    answered = round(time.monotonic() - start, 3)
    location = unquote(r.headers.get("Location", ""))
    if r.status_code != 302 or "upload=" not in location or "upload_error" in location:
        return {"answered": answered, "seconds": answered,
                "outcome": "refused" if r.status_code in (302, 413) else f"HTTP {r.status_code}"}
    upload_id = location.split("upload=")[1]
    outcome = wait_read(session, url, upload_id, stop=stop)
    session.delete(f"{url}/api/uploads/{upload_id}", timeout=REQUEST_TIMEOUT)
    return {"answered": answered, "seconds": round(time.monotonic() - start, 3),
            "outcome": outcome}


def preview_loop(hostile: Hostile, session: requests.Session, url: str, workbook: Path, *,
                 form: dict) -> None:
    """Upload the large workbook again and again, each time waiting until it is read, until
    stopped; `form` holds the session's form token."""
    data = workbook.read_bytes()
    while not hostile.stop.is_set():
        try:
            record = _upload_once(session, url, data, form=form, stop=hostile.stop)
        except requests.RequestException as exc:
            record = {"answered": None, "seconds": None, "outcome": type(exc).__name__}
        with hostile.lock:
            hostile.previews.append(record)
        hostile.stop.wait(1.0)


def _submit(session: requests.Session, url: str, upload_id: str) -> dict:
    try:
        r = session.post(f"{url}/api/runs", json={"upload_id": upload_id, "k": 3},
                         timeout=REQUEST_TIMEOUT)
        return {"status": r.status_code, "error": r.json().get("error") if r.status_code >= 400
                else None}
    except (requests.RequestException, ValueError) as exc:
        return {"status": None, "error": type(exc).__name__}


def flood_queue(hostile: Hostile, session: requests.Session, url: str, *, upload_id: str,
                burst: int) -> None:
    """Submit `burst` runs as fast as the API answers, then one more every two seconds until
    stopped; keep what each answer said."""
    answers = [_submit(session, url, upload_id) for _ in range(burst)]
    while not hostile.stop.wait(2.0):
        answers.append(_submit(session, url, upload_id))
    with hostile.lock:
        hostile.flood.update(submitted=len(answers), answers=answers,
                             accepted=sum(a["status"] == 201 for a in answers))


def watch_owner(hostile: Hostile, store, owner: str) -> None:
    """The flooder's queued and running runs, from the store once a second (the peaks kept)."""
    peak = {"queued": 0, "running": 0}
    while not hostile.stop.wait(1.0):
        try:
            with store.engine.connect() as con:
                rows = con.exec_driver_sql(
                    "SELECT status, COUNT(*) FROM runs WHERE owner = ? GROUP BY status"
                    if store.engine.dialect.name == "sqlite" else
                    "SELECT status, COUNT(*) FROM runs WHERE owner = %s GROUP BY status",
                    (owner,)).all()
        except Exception:  # a busy database: try again next second
            continue
        counts = dict(rows)
        for status in peak:
            peak[status] = max(peak[status], int(counts.get(status, 0)))
        with hostile.lock:
            hostile.flood["peak"] = dict(peak)
            hostile.flood["final"] = {k: int(v) for k, v in counts.items()}


def upload_small(session: requests.Session, url: str, data: bytes, *, form: dict) -> str:
    """Upload a small table (`form`: the session's form token); returns its upload id."""
    r = session.post(f"{url}/upload", files={"file": ("flood.csv", data)}, data=form,
                     allow_redirects=False, timeout=60)
    found = re.search(r"upload=([0-9a-f]{32})", r.headers.get("Location", ""))
    if not found:
        raise RuntimeError(f"the flooder's upload was refused: {unquote(r.headers.get('Location', ''))}")
    if wait_read(session, url, found.group(1), stop=threading.Event()) != "parsed":
        raise RuntimeError("the flooder's upload could not be read")
    return found.group(1)


def counts(items: list[dict], key: str) -> dict:
    """How many items have each value of `key`."""
    out: dict = {}
    for item in items:
        out[item[key]] = out.get(item[key], 0) + 1
    return out


def flood_summary(flood: dict, *, quota: int | None) -> dict:
    """Accepted and refused submissions, the refusal messages, the peaks against the quota."""
    answers = flood.get("answers", [])
    refused = [a for a in answers if a["status"] != 201]
    peak = flood.get("peak", {"queued": 0, "running": 0})
    return {"submitted": len(answers), "accepted": flood.get("accepted", 0),
            "refused": len(refused), "refusal_statuses": counts(refused, "status"),
            "refusal_messages": sorted({str(a["error"]) for a in refused})[:3],
            "peak": peak, "final": flood.get("final", {}), "quota": quota,
            "held": quota is not None and peak["queued"] <= quota}
