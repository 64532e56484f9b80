"""gunicorn settings read on start (gunicorn loads ./gunicorn.conf.py by itself).

A server reachable from other machines holds customer data: with no editor account it refuses to
start and says how to add one. On loopback it runs in single-user local mode.
"""
import sys

LOOPBACK = ("127.", "localhost", "[::1]", "::1", "unix:")


def on_starting(server):
    from service.accounts import Accounts
    from service.settings import Settings
    from service.store import RunStore

    exposed = [b for b in server.cfg.bind if not b.startswith(LOOPBACK)]
    if not exposed:
        return
    store = RunStore(Settings.from_env().database_url)
    store.create_schema()
    if not Accounts(store).any_user():
        print(f"Clearseg will not serve {', '.join(exposed)} without an editor account: add one with "
              "'python -m service users add NAME', or bind to 127.0.0.1 for local use.",
              file=sys.stderr, flush=True)
        sys.exit(3)
