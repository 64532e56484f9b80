"""gunicorn settings read on start (gunicorn loads ./gunicorn.conf.py by itself).

A server reachable from other machines holds customer data: with no editor account it refuses to
start and says how to add one. On loopback it runs in single-user local mode.
"""
import sys

LOOPBACK = ("127.", "localhost", "[::1]", "::1", "unix:")


def _migrate(store) -> None:
    """Migrate once, in the master, before any worker starts (the workers then find it current);
    a database that is away now is left to the workers, which wait for it."""
    from service.store import database_unavailable

    try:
        store.create_schema()
    except Exception as exc:
        if not database_unavailable(exc):
            raise
        print("clearseg: the database is not reachable; the workers will migrate it when it is",
              file=sys.stderr, flush=True)
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
