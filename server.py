"""Clearseg's web server.

`gunicorn server:server` serves it in production (set CLEARSEG_SECRET_KEY; run the job runner with
`python -m service worker`). `python server.py` runs it locally with the embedded defaults: a
SQLite file under instance/, a job runner in-process and a demo run, on http://127.0.0.1:8050.
"""
from __future__ import annotations

import os
import threading

from dashboard.app import create_app

LOCAL = __name__ == "__main__"

app = create_app(local=LOCAL)
server = app.server


def main() -> None:
    from dashboard.context import EXTENSION
    from dashboard.samples import ensure_demo_run
    from service.jobs import Runner

    ext = server.extensions[EXTENSION]
    store, settings = ext["store"], ext["settings"]
    stop = threading.Event()
    runner = Runner(store, concurrency=settings.runner_concurrency)
    threading.Thread(target=runner.serve, args=(stop,), kwargs={"recover_all": True},
                     name="clearseg-runner", daemon=True).start()
    ensure_demo_run(store, settings)
    port = int(os.environ.get("PORT", "8050"))
    print(f"Clearseg on http://127.0.0.1:{port}  (data in {settings.database_url})", flush=True)
    try:
        app.run(host="127.0.0.1", port=port, debug=False)
    finally:
        stop.set()


if LOCAL:
    main()
