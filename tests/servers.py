"""Start the real thing for tests: gunicorn with several workers and the job runner, on loopback."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-secret-key-" + "0" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(instance: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARSEG_")}
    env.update(CLEARSEG_INSTANCE_DIR=str(instance), CLEARSEG_SECRET_KEY=SECRET,
               CLEARSEG_SECURE_COOKIES="0", CLEARSEG_RUNNER_CONCURRENCY="2", PYTHONUNBUFFERED="1")
    env.update({k: str(v) for k, v in extra.items()})
    return env


class Gunicorn:
    """gunicorn server:server on 127.0.0.1:port with `workers` workers."""

    def __init__(self, instance: Path, *, port: int | None = None, workers: int = 2, **env):
        self.instance, self.port, self.workers = instance, port or free_port(), workers
        self.env = server_env(instance, **env)
        self.proc: subprocess.Popen | None = None
        self.log = instance / f"gunicorn-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, wait: bool = True) -> "Gunicorn":
        self.instance.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "gunicorn", "server:server", "--workers", str(self.workers),
               "--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "5",
               "--no-control-socket"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if wait:
            wait_healthy(self.url, proc=self.proc, log=self.log)
        return self

    def stop(self) -> None:
        stop_process(self.proc)


class Worker:
    """python -m service worker against the same instance."""

    def __init__(self, instance: Path, *, concurrency: int = 2, **env):
        self.env = server_env(instance, CLEARSEG_RUNNER_CONCURRENCY=concurrency, **env)
        self.log = instance / "worker.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Worker":
        self.proc = subprocess.Popen([sys.executable, "-m", "service", "worker"], cwd=ROOT,
                                     env=self.env, stdout=self.log.open("ab"),
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def stop(self) -> None:
        stop_process(self.proc)


def stop_process(proc: subprocess.Popen | None) -> None:
    """SIGTERM, and SIGKILL if it has not gone after 20 s."""
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until(predicate, *, timeout: float = 240.0, every: float = 0.1) -> bool:
    """Poll until `predicate()` holds; False only if it never does within `timeout` seconds, a
    guard against a hang (no test times a step with it)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    return False


def wait_healthy(url: str, *, proc=None, log: Path | None = None, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:] if log else ''}")
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server not healthy after {timeout}s")


def csrf_token(session: requests.Session, url: str) -> str:
    """The form token of this client's session: what the page's forms send as `csrf`."""
    r = session.get(f"{url}/csrf-token", allow_redirects=False, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()["csrf"]


def upload_sample(session: requests.Session, url: str, name: str = "customers") -> str:
    """Pick a sample data set and wait until the runner has read it; returns the upload id."""
    r = session.post(f"{url}/samples/{name}", data={"csrf": csrf_token(session, url)},
                     allow_redirects=False, timeout=60)
    assert r.status_code == 302, r.text
    return wait_upload(session, url, r.headers["Location"].split("upload=")[1])["id"]


def wait_upload(session: requests.Session, url: str, upload_id: str, *,
                timeout: float = 120) -> dict:
    """Poll GET /api/uploads/<id> until the runner has read the file; returns its status."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = session.get(f"{url}/api/uploads/{upload_id}", timeout=10).json()
        if status["preview_state"] == "done":
            return status
        time.sleep(0.2)
    raise AssertionError(f"upload {upload_id} was not read in {timeout}s")


def wait_run(session: requests.Session, url: str, run_id: str, *, timeout: float = 240) -> dict:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        status = session.get(f"{url}/api/runs/{run_id}", timeout=10).json()
        if status["status"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not finish in {timeout}s")
