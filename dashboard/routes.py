"""Plain Flask routes beside the Dash pages: upload (streamed to disk), samples, downloads, health.

A file upload is a normal multipart POST: the body is refused with 413 before it is read when it is
over the limit, large parts spool to disk, and only the upload's id travels on to the pages.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import flask
from werkzeug.exceptions import RequestEntityTooLarge

from explain.report import report_html
from segmentation.outputs import rules_sql
from service import usecases
from service.segment_names import names_of
from service.usecases import UseCaseError

from .auth import csrf_valid
from .components.access import load_result, lookup_share, stored_result
from .context import current_owner, get_settings, get_store, visible_run
from .plain_pages import plain_page
from .renaming import renamed_assignments
from .samples import SAMPLES, write_sample

bp = flask.Blueprint("clearseg", __name__)

DOWNLOADS = {
    "assignments.csv": "text/csv",
    "customers.csv": "text/csv",
    "rules.sql": "application/sql",
    "report.html": "text/html",
    "result.json": "application/json",
}


def _plain_page(title: str, body: str, status: int) -> flask.Response:
    """A small HTML page for errors outside Dash (an autoescaped template: values are text)."""
    return flask.Response(plain_page(title, body), status=status, mimetype="text/html")


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(_exc):
    limit = get_settings().max_upload_bytes / 1024 / 1024
    return _plain_page("File too large", f"Uploads are limited to {limit:.0f} MB. Upload a smaller "
                       "file, or a sample of your customers.", 413)


@bp.get("/healthz")
def healthz():
    if not get_store().ping():
        return flask.jsonify(status="database unavailable"), 503
    return flask.jsonify(status="ok")


def _store_upload(save, filename: str) -> flask.Response:
    """Store the file (use case store_upload) and go to its preview, or back with the reason."""
    try:
        upload = usecases.store_upload(get_store(), get_settings(), owner=current_owner(),
                                       filename=filename, save=save)
    except UseCaseError as exc:
        return flask.redirect("/?upload_error=" + quote(exc.message))
    return flask.redirect(f"/?upload={upload.id}")


def form_expired() -> flask.Response:
    """The answer to a form sent without this session's token: an old page, or another site's."""
    return _plain_page("Form expired", "This form has expired or was sent from another page. "
                       "Go back, reload the page and try again.", 400)


@bp.post("/upload")
def upload():
    if not csrf_valid():
        return form_expired()
    file = flask.request.files.get("file")
    if file is None or not file.filename:
        return flask.redirect("/?upload_error=" + quote("Choose a file to upload first."))
    return _store_upload(file.save, file.filename)


@bp.post("/samples/<name>")
def sample(name: str):
    if not csrf_valid():
        return form_expired()
    if name not in SAMPLES:
        return _plain_page("Unknown sample", "Pick one of the sample data sets on the home page.", 404)
    return _store_upload(lambda path: write_sample(name, path), SAMPLES[name]["filename"])


def _send(content: bytes | None, name: str) -> flask.Response:
    if content is None:
        return _plain_page("Not available", "This file is not available for this run.", 404)
    response = flask.Response(content, mimetype=DOWNLOADS[name])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _renamed_file(run_id: str, name: str, names: dict[int, str]) -> bytes | None:
    """A file of a run whose owner renamed segments, rebuilt or rewritten with the names."""
    if name == "assignments.csv":
        content = get_store().runs.artifact(run_id, name)
        return renamed_assignments(content, names) if content is not None else None
    result = stored_result(run_id)
    if result is None:
        return None
    if name == "report.html":
        return report_html(result).encode("utf-8")
    return rules_sql(result).encode("utf-8")


@bp.get("/runs/<run_id>/download/<name>")
def download(run_id: str, name: str):
    """A run's file for its owner or a public reader, with the owner's segment names if any."""
    run = visible_run(run_id) if re.fullmatch(r"[0-9a-f]{32}", run_id) else None
    if run is None or name not in DOWNLOADS or run.status != "done":
        return _plain_page("Not found", "There is no such run, or it is not yours.", 404)
    names = names_of(get_store(), run_id)
    if name == "result.json":
        result = stored_result(run_id) if names else None
        text_ = result.to_json() + "\n" if result else get_store().runs.result_json(run_id)
        return _send(text_.encode() if text_ else None, name)
    if names and name in ("assignments.csv", "report.html", "rules.sql"):
        return _send(_renamed_file(run_id, name, names), name)
    return _send(get_store().runs.artifact(run_id, name), name)


def link_not_valid(status: int = 404) -> flask.Response:
    """The one answer for every link that does not open a report (429 while cooling down)."""
    return _plain_page("Link not valid", "This link is not valid: it may have been revoked or "
                       "have expired. Ask the person who shared it for a new one.", status)


@bp.get("/share/<path:token>/report.html")
def shared_report(token: str):
    """The standalone report of a shared run, built from the filtered Result a share view sees."""
    view, state = lookup_share(token)
    result = load_result(view) if view else None
    if result is None:
        return link_not_valid(429 if state == "blocked" else 404)
    return _send(report_html(result).encode("utf-8"), "report.html")


@bp.after_app_request
def no_store_on_private_responses(response: flask.Response) -> flask.Response:
    """Shared views and every dynamic answer stay out of caches; no page may be framed."""
    path = flask.request.path
    if not path.startswith("/assets/") and not path.startswith("/_dash-component-suites/"):
        response.headers["Cache-Control"] = "no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
    return response
