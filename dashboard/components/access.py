"""Which run a page or callback may show, decided on the server for every request.

The browser only ever sends back a reference ({"run": id} or {"token": token}); each request
re-checks it: a run id against the session (its own runs and public ones), a token against the
share table (a share reference never carries a run id that is trusted).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from segmentation.result import Result

from ..context import current_owner, get_store, visible_run

RUN_ID = re.compile(r"^[0-9a-f]{32}$")
MODES = ("owner", "reader", "shared")


@dataclass(frozen=True)
class View:
    """A run the current request may see, and how: its owner, a reader of a public run, or a link."""

    run: dict
    mode: str
    base_path: str

    @property
    def run_id(self) -> str:
        return self.run["id"]

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
    mode = "owner" if run["owner"] == current_owner() else "reader"
    return View(run=run, mode=mode, base_path=f"/runs/{run_id}")


def share_view(token) -> View | None:
    """The finished run a share token opens; None for a malformed, unknown, revoked or expired one."""
    if not isinstance(token, str):
        return None
    store = get_store()
    run_id = store.shared_run_id(token)
    run = store.run(run_id) if run_id else None
    if run is None or run["status"] != "done":
        return None
    return View(run=run, mode="shared", base_path=f"/share/{token}")


def view_from_ref(ref) -> View | None:
    """Resolve a reference sent back by the browser; a token wins and any run id beside it is ignored."""
    if not isinstance(ref, dict):
        return None
    if "token" in ref:
        return share_view(ref.get("token"))
    return run_view(ref.get("run"))


def load_result(view: View) -> Result | None:
    """The stored Result of a finished run (None if it is missing or unreadable)."""
    if view.run.get("status") != "done":
        return None
    text = get_store().result_json(view.run_id)
    if not text:
        return None
    try:
        return Result.from_json(text)
    except (ValueError, TypeError, KeyError):
        return None


def rules_sql_text(view: View) -> str:
    """The run's stored rules.sql, or an empty string."""
    content = get_store().artifact(view.run_id, "rules.sql")
    return content.decode("utf-8", errors="replace") if content else ""
