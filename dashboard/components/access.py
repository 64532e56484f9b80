"""Which run a page or callback may show, decided on the server for every request.

The browser only ever sends back a reference ({"run": id} or {"token": token}); each request
re-checks it: a run id against the session (its own runs and public ones), a token against the
share table (a share reference never carries a run id that is trusted). A shared view sees a
filtered copy of the run and its Result (`dashboard.sharing`): no owner, no file name, no ids.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace

import flask

from segmentation.outputs import rules_sql
from segmentation.result import RunResult

from service.repositories import RunRecord
from service.segment_names import names_of
from service.usecases import UseCaseError, open_share

from ..context import current_owner, get_settings, get_store, visible_run
from ..renaming import named_result
from ..sharing import record_share_failure, share_blocked, share_result

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
MODES = ("owner", "reader", "shared")
SHARED_TITLE = "Customer segments"


@dataclass(frozen=True)
class View:
    """A run the current request may see, and how: its owner, a reader of a public run, or a link."""

    run: RunRecord
    mode: str
    base_path: str

    @property
    def run_id(self) -> str:
        return self.run.id

    @property
    def is_owner(self) -> bool:
        return self.mode == "owner"

    @property
    def is_shared(self) -> bool:
        return self.mode == "shared"

    def ref(self) -> dict:
        """What the page keeps in the browser to name this view (checked again on every call)."""
        if self.is_shared:
            return {"token": self.base_path.rsplit("/", 1)[-1]}
        return {"run": self.run_id}


def run_view(run_id) -> View | None:
    """The run behind /runs/<run_id> if this session may see it, else None."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        return None
    run = visible_run(run_id)
    if run is None:
        return None
    mode = "owner" if run.owner == current_owner() else "reader"
    return View(run=run, mode=mode, base_path=f"/runs/{run_id}")


def client_address() -> str:
    """The address failed link attempts are counted under (the peer of the connection)."""
    return flask.request.remote_addr or "unknown"


def _shared_run(run: RunRecord) -> RunRecord:
    """The part of a run record a share view may use: no owner, no upload, no file name, no
    runner, no message."""
    return replace(run, owner="", upload_id=None, title=SHARED_TITLE, options={}, message="",
                   runner=None)


def lookup_share(token, *, count: bool = True) -> tuple[View | None, str]:
    """(view, "ok") for a working link, else (None, "off" | "blocked" | "invalid").

    No lookup is made while sharing is off or the client is cooling down after too many failed
    attempts; `count` adds a failed attempt to the client's count.
    """
    settings, store, address = get_settings(), get_store(), client_address()
    if not settings.sharing:
        return None, "off"
    if share_blocked(store, address=address):
        return None, "blocked"
    try:
        run = open_share(store, settings, token=token)
    except UseCaseError:
        if count:
            record_share_failure(store, address=address, limit=settings.share_failure_limit)
        return None, "invalid"
    return View(run=_shared_run(run), mode="shared", base_path=f"/share/{token}"), "ok"


def share_view(token, *, count: bool = True) -> View | None:
    """The finished run a share token opens; None for a malformed, unknown, revoked or expired
    one, while sharing is off, and while this client cools down after too many failed attempts."""
    return lookup_share(token, count=count)[0]


def view_from_ref(ref) -> View | None:
    """Resolve a reference sent back by the browser; a token wins and any run id beside it is ignored."""
    if not isinstance(ref, dict):
        return None
    if "token" in ref:
        return share_view(ref.get("token"))
    return run_view(ref.get("run"))


def stored_result(run_id: str) -> RunResult | None:
    """A run's stored Result with the owner's segment names (None if missing or unreadable)."""
    store = get_store()
    text = store.runs.result_json(run_id)
    if not text:
        return None
    try:
        result = RunResult.from_json(text)
    except (ValueError, TypeError, KeyError):
        return None
    return named_result(result, names_of(store, run_id))


def load_result(view: View) -> RunResult | None:
    """The stored Result of a finished run, with the owner's segment names (None if it is missing
    or unreadable); a shared view gets the filtered copy of `share_result`."""
    if view.run.status != "done":
        return None
    result = stored_result(view.run_id)
    if result is None:
        return None
    return share_result(result) if view.is_shared else result


def rules_sql_text(view: View) -> str:
    """The run's rules.sql, or an empty string; a shared view's is rebuilt without the id column,
    and so is a renamed run's (its comments name the segments)."""
    if view.is_shared or names_of(get_store(), view.run_id):
        result = load_result(view)
        return rules_sql(result) if result is not None else ""
    content = get_store().runs.artifact(view.run_id, "rules.sql")
    return content.decode("utf-8", errors="replace") if content else ""
