"""What a user can do, each written once: store an upload, submit, cancel, retry, share, open a
link, set who sees a run, delete. The pages, the API and the CLI call these and translate a
`UseCaseError` their own way (JSON 4xx, a message on the form, exit code 2).

Every function takes the store (its repositories), the acting user's id where one acts, and the
settings where a limit or switch applies; none knows about requests.
"""
from __future__ import annotations

import math
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from segmentation.errors import InputError
from segmentation.options import OptionError, RunOptions

from .ids import new_id
from .previews import clean_upload_name, safe_preview
from .repositories import RunRecord, ShareRecord, UploadRecord
from .settings import Settings
from .store import ACTIVE, RunStore

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")
VISIBILITIES = ("private", "team", "public")
NO_RUN = "no such run"
NO_UPLOAD = "no such upload: upload a file first"
STILL_READING = ("this upload is still being read: wait until its preview is shown, then start "
                 "the run")


class UseCaseError(InputError):
    """A request the service refuses: `message` says what to do, `field` names the option at
    fault (if one is), `status` is the HTTP status a web front end answers with."""

    def __init__(self, message: str, *, field: str | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.field, self.status = message, field, status


@dataclass(frozen=True)
class NewShare:
    """A link just made: its token (shown once), full address and stored record."""

    token: str
    url: str
    share: ShareRecord


@dataclass(frozen=True)
class Deleted:
    """What a delete removed: the run (if one) and the upload (if it went too)."""

    run_id: str | None
    upload_id: str | None


# --- uploads -----------------------------------------------------------------------------------

def _mb(size: float) -> str:
    return f"{size / 2**20:,.1f} MB"


def quota_message(*, used: int, count: int, adding: int, quota: int) -> str:
    """The refusal of an upload over the quota: what is used, what it needs, what to delete."""
    return (f"Your storage is full: your {count} upload(s) use {_mb(used)} of your {_mb(quota)}"
            f" and this file needs {_mb(adding)}. Delete runs you no longer need (the Delete "
            "button on a run's page removes its uploaded file too) or uploads "
            "(DELETE /api/uploads/<id>), then upload again.")


def _check_quota(store: RunStore, settings: Settings, *, owner: str, adding: int) -> None:
    """Refuse (413) when the owner's uploads plus `adding` bytes exceed the storage quota."""
    quota = int(settings.storage_quota_mb * 2**20)
    used, count = store.uploads.used_bytes(owner)
    if used + adding > quota or (adding == 0 and used >= quota):
        raise UseCaseError(quota_message(used=used, count=count, adding=adding, quota=quota),
                           field="file", status=413)


def upload_folder(settings: Settings, upload_id: str) -> Path:
    """Where an upload's file lives (one folder per upload, named by its id)."""
    return settings.upload_dir / upload_id


def store_upload(store: RunStore, settings: Settings, *, owner: str, filename: str,
                 save: Callable[[Path], object]) -> UploadRecord:
    """Save a file under a fresh id (`save(path)` writes it), within the owner's quota, and record
    it for a runner to read (`read_upload`); nothing is left on disk when it is refused or fails.
    Reading a large workbook takes seconds: it never holds up the request that sent it."""
    _check_quota(store, settings, owner=owner, adding=0)
    upload_id, name = new_id(), clean_upload_name(filename)
    suffix = Path(name).suffix.lower()
    folder = upload_folder(settings, upload_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ("data" + (suffix if suffix in SUFFIXES else ""))
    try:
        save(path)
        size = path.stat().st_size
        _check_quota(store, settings, owner=owner, adding=size)
        return store.uploads.add(owner=owner, filename=name or "upload", path=str(path),
                                 size_bytes=size, upload_id=upload_id, pending=True)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def preview_of(settings: Settings, upload: UploadRecord) -> dict:
    """What reading the upload's file in a limited child found: its preview, or the error that
    says why it cannot be used (as finish_preview takes them)."""
    preview, error = safe_preview(upload.path, name=upload.filename, settings=settings)
    return {"preview": preview, "error": error}


def read_upload(store: RunStore, settings: Settings, upload: UploadRecord, *,
                runner: str | None = None) -> bool:
    """Preview the upload and store the outcome; with `runner`, only while that runner still
    holds the upload. True when stored."""
    return store.uploads.finish_preview(upload.id, **preview_of(settings, upload), runner=runner)


def delete_upload(store: RunStore, settings: Settings, *, owner: str, upload_id: str) -> Deleted:
    """Remove the owner's upload, row and folder; refused (409) while a queued or running run
    still reads it. Finished runs keep their results."""
    upload = store.uploads.get(str(upload_id), owner=owner)
    if upload is None:
        raise UseCaseError(NO_UPLOAD, status=404)
    if store.uploads.active_runs(upload.id):
        raise UseCaseError("a queued or running run still needs this upload: wait for it to end "
                           "or cancel it, then delete the upload", status=409)
    if not store.uploads.delete(upload.id, owner=owner):
        raise UseCaseError("a run started on this upload just now: try again once it ends",
                           status=409)
    shutil.rmtree(upload_folder(settings, upload.id), ignore_errors=True)
    return Deleted(run_id=None, upload_id=upload.id)


def sweep_orphan_uploads(store: RunStore, settings: Settings, *, now: float,
                         older_than: float = 3600.0) -> list[str]:
    """Remove upload folders with no upload row, untouched for `older_than` seconds (left by a
    worker that died mid-upload); returns the names removed."""
    root = settings.upload_dir
    if not root.is_dir():
        return []
    known, removed = store.uploads.ids(), []
    for folder in root.iterdir():
        if folder.name in known or not folder.is_dir() or len(folder.name) != 32:
            continue
        if now - folder.stat().st_mtime >= older_than:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return sorted(removed)


# --- runs --------------------------------------------------------------------------------------

def _own_run(store: RunStore, *, owner: str, run_id) -> RunRecord:
    run = store.runs.get(str(run_id), owner=owner) if isinstance(run_id, str) else None
    if run is None:
        raise UseCaseError(NO_RUN, status=404)
    return run


def _queue_full(limit: int) -> UseCaseError:
    """The refusal of a run beyond the owner's queued quota."""
    return UseCaseError(f"You already have {limit} runs waiting for a runner, the most one user "
                        "may queue: wait until one starts or cancel one, then try again.",
                        status=429)


def _check_queue(store: RunStore, settings: Settings | None, *, owner: str) -> int:
    """Refuse (429) a run beyond the owner's queued quota (settings: from the environment);
    returns the quota."""
    limit = (settings or Settings.from_env()).max_queued_per_user
    if store.queue.queued_count(owner) >= limit:
        raise _queue_full(limit)
    return limit


def submit_run(store: RunStore, *, owner: str, upload_id,
               options_for: Callable[[UploadRecord], RunOptions],
               settings: Settings | None = None, title: str | None = None) -> RunRecord:
    """Queue a run of the owner's readable upload with the options `options_for(upload)` builds
    (and checks against its preview); a bad option is refused (422) before any run exists, a
    run beyond the owner's queued quota too (429). The run is titled after the upload unless
    `title` is given."""
    upload = store.uploads.get(str(upload_id), owner=owner) if upload_id else None
    if upload is None:
        raise UseCaseError(NO_UPLOAD, status=404)
    if upload.being_read:
        raise UseCaseError(STILL_READING, status=409)
    if upload.error:
        raise UseCaseError(upload.error, status=400)
    limit = _check_queue(store, settings, owner=owner)
    try:
        options = options_for(upload)
    except OptionError as exc:
        raise UseCaseError(str(exc), field=exc.field, status=422) from exc
    except InputError as exc:
        raise UseCaseError(str(exc), status=422) from exc
    run_id = store.runs.submit(owner=owner, title=title or upload.filename, options=options,
                               upload_id=upload.id)
    if store.queue.withdraw_over_quota(run_id, owner=owner, limit=limit):  # raced past the check
        raise _queue_full(limit)
    return store.runs.get(run_id)


def cancel_run(store: RunStore, *, owner: str, run_id) -> RunRecord:
    """Cancel the owner's queued run at once, or ask a running one to stop (409 once ended)."""
    run = _own_run(store, owner=owner, run_id=run_id)
    if not store.queue.request_cancel(run.id, owner=owner):
        raise UseCaseError("this run has already ended", status=409)
    return store.runs.get(run.id)


def retry_run(store: RunStore, *, owner: str, run_id,
              settings: Settings | None = None) -> RunRecord:
    """Queue the owner's failed or cancelled run again, if its upload is still there and the
    owner's queued quota allows."""
    run = _own_run(store, owner=owner, run_id=run_id)
    if run.status not in ("failed", "cancelled"):
        raise UseCaseError("only a failed or cancelled run can run again", status=409)
    limit = _check_queue(store, settings, owner=owner)
    if run.upload_id is None or store.uploads.get(run.upload_id, owner=owner) is None:
        raise UseCaseError("the uploaded file of this run was deleted: upload it again",
                           status=409)
    outcome = store.queue.retry(run.id, owner=owner, limit=limit)
    if outcome == "over quota":                     # raced past the check: put back as it was
        raise _queue_full(limit)
    if outcome != "queued":
        raise UseCaseError("this run changed just now: reload the page", status=409)
    return store.runs.get(run.id)


def set_visibility(store: RunStore, *, owner: str, run_id, visibility) -> RunRecord:
    """private (only the owner), team (every signed-in editor) or public (anyone, read-only)."""
    if visibility not in VISIBILITIES:
        raise UseCaseError("visibility must be private, team or public", field="visibility")
    run = _own_run(store, owner=owner, run_id=run_id)
    store.runs.set_visibility(run.id, owner=owner, visibility=visibility)
    return store.runs.get(run.id)


def delete_run(store: RunStore, settings: Settings, *, owner: str, run_id,
               with_upload: bool = False) -> Deleted:
    """Remove the owner's ended run: its row, files, links and names; `with_upload` removes its
    upload too unless another run uses it. A queued or running run must be cancelled first."""
    run = _own_run(store, owner=owner, run_id=run_id)
    if run.status in ACTIVE or not store.runs.delete(run.id, owner=owner):
        raise UseCaseError("this run is queued or running: cancel it first, then delete it",
                           status=409)
    upload_gone = None
    if with_upload and run.upload_id and not store.runs.others_using(run.upload_id, run_id=run.id):
        try:
            upload_gone = delete_upload(store, settings, owner=owner,
                                        upload_id=run.upload_id).upload_id
        except UseCaseError:
            upload_gone = None
    return Deleted(run_id=run.id, upload_id=upload_gone)


# --- share links -------------------------------------------------------------------------------

def share_url(settings: Settings, token: str, *, request_base: str) -> str:
    """A link's full address: on the configured public URL when there is one (never on the
    request's Host header then), else on the address this request came to (a local install)."""
    base = settings.public_url or request_base
    return f"{base.rstrip('/')}/share/{token}"


def _expiry(days) -> float | None:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not math.isfinite(days) \
            or days <= 0:
        raise UseCaseError("expires_in_days must be a positive number", field="expires_in_days")
    return float(days)


def create_share(store: RunStore, settings: Settings, *, owner: str, run_id, expires_in_days=None,
                 request_base: str) -> NewShare:
    """A read-only link to the owner's finished run (only a finished run opens in a share view)."""
    days = _expiry(expires_in_days)
    if not settings.sharing:
        raise UseCaseError("sharing is turned off on this server", status=403)
    run = _own_run(store, owner=owner, run_id=run_id)
    if run.status != "done":
        raise UseCaseError("only a finished run can be shared: wait until it is done",
                           status=409)
    token, share = store.shares.add(run.id, expires_in_days=days)
    return NewShare(token=token, url=share_url(settings, token, request_base=request_base),
                    share=share)


def revoke_share(store: RunStore, *, owner: str, run_id, share_id) -> ShareRecord:
    """Revoke one link of the owner's run; it stops opening at once, on every worker."""
    run = _own_run(store, owner=owner, run_id=run_id)
    links = {s.id: s for s in store.shares.of_run(run.id)}
    if str(share_id) not in links:
        raise UseCaseError("no such link", status=404)
    store.shares.revoke(str(share_id), owner=owner)
    return next(s for s in store.shares.of_run(run.id) if s.id == str(share_id))


def open_share(store: RunStore, settings: Settings, *, token) -> RunRecord:
    """The finished run a link opens; refused (404) for a malformed, unknown, revoked or expired
    token and for a run that is not done, and (403) while sharing is off."""
    if not settings.sharing:
        raise UseCaseError("sharing is turned off on this server", status=403)
    run_id = store.shares.run_id_of(token)
    run = store.runs.get(run_id) if run_id else None
    if run is None or run.status != "done":
        raise UseCaseError("this link is not valid", status=404)
    return run
