"""gunicorn with several workers and a separate job runner: nothing lost on restart, jobs queue."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from servers import ROOT, Gunicorn, Worker, server_env, upload_sample, wait_run


@pytest.fixture
def instance(tmp_path):
    return tmp_path / "instance"


def test_restart_loses_no_run_and_no_link(instance):
    web, worker = Gunicorn(instance, workers=2).start(), Worker(instance).start()
    try:
        alice = requests.Session()
        upload_id = upload_sample(alice, web.url)
        r = alice.post(f"{web.url}/api/runs", json={"upload_id": upload_id, "k": 3}, timeout=90)
        assert r.status_code == 201, r.text
        run_id = r.json()["id"]
        assert wait_run(alice, web.url, run_id)["status"] == "done"
        link = alice.post(f"{web.url}/api/runs/{run_id}/shares", json={}, timeout=90).json()["url"]
        token = link.rsplit("/", 1)[1]
        before = alice.get(f"{web.url}/runs/{run_id}/download/assignments.csv", timeout=90)
        assert before.status_code == 200 and b"segment_name" in before.content

        web.stop()
        web.start()  # same port, same database
        alice.close()  # drop kept-alive connections to the old server; the cookies stay

        assert alice.get(f"{web.url}/api/runs/{run_id}", timeout=90).json()["status"] == "done"
        after = alice.get(f"{web.url}/runs/{run_id}/download/assignments.csv", timeout=90)
        assert after.content == before.content
        report = requests.get(f"{web.url}/share/{token}/report.html", timeout=90)
        assert report.status_code == 200 and b"<html" in report.content[:500].lower()
        assert report.headers["Cache-Control"] == "no-store"
        # someone else sees none of it
        bob = requests.Session()
        assert bob.get(f"{web.url}/api/runs/{run_id}", timeout=90).status_code == 404
        assert bob.get(f"{web.url}/runs/{run_id}/download/assignments.csv", timeout=90).status_code == 404
        assert bob.post(f"{web.url}/api/runs/{run_id}/shares", json={}, timeout=90).status_code == 404
        assert requests.get(f"{web.url}/share/{'x' * 43}/report.html", timeout=90).status_code == 404
    finally:
        web.stop()
        worker.stop()


def test_more_runs_than_the_runner_limit_queue_and_all_finish(instance):
    web, worker = Gunicorn(instance, workers=2).start(), Worker(instance, concurrency=2).start()
    try:
        s = requests.Session()
        upload_id = upload_sample(s, web.url)
        ids = [s.post(f"{web.url}/api/runs", json={"upload_id": upload_id, "k": k}, timeout=90)
               .json()["id"] for k in (2, 3, 4, 5, 3)]
        seen_queued, peak = False, 0
        end = time.monotonic() + 300
        while time.monotonic() < end:
            states = [s.get(f"{web.url}/api/runs/{i}", timeout=10).json()["status"] for i in ids]
            seen_queued |= "queued" in states
            peak = max(peak, states.count("running"))
            if all(st in ("done", "failed") for st in states):
                break
            time.sleep(0.2)
        assert states == ["done"] * 5
        assert seen_queued and 1 <= peak <= 2
    finally:
        web.stop()
        worker.stop()


def test_upload_over_the_limit_is_refused_with_413(instance):
    web = Gunicorn(instance, workers=2, CLEARSEG_MAX_UPLOAD_MB="0.01").start()
    try:
        body = b"a,b\n" + b"1,2\n" * 10_000
        r = requests.post(f"{web.url}/upload", files={"file": ("big.csv", body)}, timeout=30,
                          allow_redirects=False)
        assert r.status_code == 413 and "File too large" in r.text
        assert "Uploads are limited to 0 MB" in r.text and r.headers["Content-Type"].startswith("text/html")
    finally:
        web.stop()


def test_gunicorn_without_a_secret_key_refuses_to_start(instance):
    env = server_env(instance)
    env.pop("CLEARSEG_SECRET_KEY")
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "server:server", "--workers", "1",
                           "--bind", "127.0.0.1:0"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert "CLEARSEG_SECRET_KEY is not set" in proc.stdout + proc.stderr


def test_exposed_gunicorn_without_an_account_refuses_and_says_how(instance):
    env = server_env(instance)
    proc = subprocess.run([sys.executable, "-m", "gunicorn", "server:server", "--workers", "1",
                           "--bind", "0.0.0.0:0"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode != 0
    assert "python -m service users add" in proc.stdout + proc.stderr
