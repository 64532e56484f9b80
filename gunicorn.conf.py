"""gunicorn settings read on start (gunicorn loads ./gunicorn.conf.py by itself).

Workers are threaded (gthread) and recycled after a bounded number of requests; the application
itself refuses large non-upload bodies before reading them (dashboard/request_limits.py).

A server reachable from other machines holds customer data: with no editor account it refuses to
start and says how to add one. On loopback it runs in single-user local mode.
"""
import sys

LOOPBACK = ("127.", "localhost", "[::1]", "::1", "unix:")

# Threaded workers: a slow client or a long upload preview holds one thread, not a whole worker,
# so pages and /healthz keep answering beside them (--threads on the command line overrides).
worker_class = "gthread"
threads = 16
# Each answer closes its connection, as the sync workers' did: no idle kept-alive connections to
# hold, and no reused connection the server is closing just as a client sends on it.
keepalive = 0
# A worker is replaced after about this many requests (spread so they do not all restart at once),
# so memory a long-lived worker gathers is given back.
max_requests = 2000
max_requests_jitter = 200


def _migrate(store) -> None:
    """Migrate once, in the master, before any worker starts (the workers then find it current);
    a database that is away now is left to the workers, which wait for it."""
    try:
        store.migrate_when_reachable(meanwhile="the workers will migrate it when it is")
    finally:
        store.engine.dispose()  # no connection of the master's is inherited by a worker


def on_starting(server):
    from service.accounts import Accounts
    from service.settings import Settings
    from service.store import RunStore

    settings = Settings.from_env()
    store = RunStore(settings.database_url, busy_ms=settings.sqlite_busy_ms)
    _migrate(store)
    exposed = [b for b in server.cfg.bind if not b.startswith(LOOPBACK)]
    if not exposed:
        return
    if not Accounts(store).any_user():
        print(f"Clearseg will not serve {', '.join(exposed)} without an editor account: add one with "
              "'python -m service users add NAME', or bind to 127.0.0.1 for local use.",
              file=sys.stderr, flush=True)
        sys.exit(3)
