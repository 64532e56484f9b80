"""A small JSON API over the same use cases as the pages, for users' own automation: start runs,
poll uploads and runs, share, delete. The session cookie decides the owner, as for the pages; ids from the request
are always checked against it, and a refused request answers JSON with a 4xx status.
"""
from __future__ import annotations

import flask

from segmentation.options import OptionError, RunOptions
from service import usecases
from service.usecases import UseCaseError

from .context import current_owner, get_settings, get_store

api = flask.Blueprint("clearseg_api", __name__, url_prefix="/api")


@api.before_request
def json_bodies_only():
    """A call that changes something must send JSON: a form on another site cannot, without the
    browser asking this server first (which it refuses), so no site can make links or runs."""
    if flask.request.method in ("POST", "PUT", "PATCH") and not flask.request.is_json:
        return _error("send the body as JSON (Content-Type: application/json)", 415)
    return None


def _error(message: str, status: int, **extra):
    return flask.jsonify(error=message, **extra), status


@api.errorhandler(UseCaseError)
def _refused(exc: UseCaseError):
    """A use case's refusal, raised in any call here, as JSON: the message, and the field when one
    is at fault, with the status the use case gave."""
    extra = {"field": exc.field} if exc.field else {}
    return _error(exc.message, exc.status, **extra)


def _body() -> dict | None:
    """The request's JSON object ({} when there is none); None when it is not an object."""
    body = flask.request.get_json(silent=True)
    body = {} if body is None else body
    return body if isinstance(body, dict) else None


def clean_options(body: dict, *, upload) -> RunOptions:
    """The run options of a request body (every key but upload_id; null means the default),
    checked against the upload's preview; OptionError names the JSON field to fix."""
    raw = {key: value for key, value in body.items() if key != "upload_id" and value is not None}
    if "source" in raw:
        raise OptionError("source", "is set by the server from the upload's name; leave it out")
    options = RunOptions(**raw, source=upload.filename)
    return options.checked_against(upload.preview) if upload.preview else options


@api.post("/runs")
def create_run():
    """Queue a run of one of this session's uploads; 422 names a bad option's JSON field."""
    body = _body()
    if body is None:
        return _error("send a JSON object: {\"upload_id\": ..., and any run options}", 400)
    run = usecases.submit_run(get_store(), owner=current_owner(), settings=get_settings(),
                              upload_id=str(body.get("upload_id", "")),
                              options_for=lambda upload: clean_options(body, upload=upload))
    return flask.jsonify(id=run.id, url=f"/runs/{run.id}"), 201


@api.get("/runs/<run_id>")
def run_status(run_id: str):
    """One of this session's runs: status, stage, progress and message (404 for any other)."""
    run = get_store().runs.get(run_id, owner=current_owner())
    if run is None:
        return _error("no such run", 404)
    return flask.jsonify({k: getattr(run, k) for k in ("id", "title", "status", "stage",
                                                        "progress", "message", "created_at",
                                                        "finished_at")})


def _deleted(delete, **target):
    """Call a delete use case on this session's own run or upload; the id of what it removed."""
    gone = delete(get_store(), get_settings(), owner=current_owner(), **target)
    return flask.jsonify(deleted=gone.run_id or gone.upload_id)   # a run, else an upload


@api.delete("/runs/<run_id>")
def delete_run(run_id: str):
    """Delete one of this session's ended runs with its files and links (409 while active)."""
    return _deleted(usecases.delete_run, run_id=run_id)


@api.get("/uploads/<upload_id>")
def upload_status(upload_id: str):
    """One of this session's uploads, to poll after POST /upload: `preview_state` is pending or
    reading until the runner has read it, then done, with its columns or the error."""
    upload = get_store().uploads.get(upload_id, owner=current_owner())
    if upload is None:
        return _error(usecases.NO_UPLOAD, 404)
    preview = upload.preview or {}
    return flask.jsonify(id=upload.id, filename=upload.filename, size_bytes=upload.size_bytes,
                         created_at=upload.created_at, preview_state=upload.preview_state,
                         error=upload.error, rows_previewed=preview.get("rows_previewed"),
                         columns=[c.get("name") for c in preview.get("columns", [])])


@api.delete("/uploads/<upload_id>")
def delete_upload(upload_id: str):
    """Delete one of this session's uploads (409 while a queued or running run needs it)."""
    return _deleted(usecases.delete_upload, upload_id=upload_id)


@api.post("/runs/<run_id>/shares")
def create_share(run_id: str):
    """A read-only link to a finished run; its address uses the configured public URL."""
    body = _body() or {}
    link = usecases.create_share(get_store(), get_settings(), owner=current_owner(),
                                 run_id=run_id, expires_in_days=body.get("expires_in_days"),
                                 request_base=flask.request.host_url)
    return flask.jsonify(url=link.url), 201


@api.post("/runs/<run_id>/visibility")
def set_visibility(run_id: str):
    """private (only you), team (every signed-in editor) or public (anyone, read-only)."""
    body = _body() or {}
    run = usecases.set_visibility(get_store(), owner=current_owner(), run_id=run_id,
                                  visibility=body.get("visibility"))
    return flask.jsonify(id=run.id, visibility=run.visibility)
