"""One preview at a time per editor, across every worker: the upload routes hold a preview slot.

An upload (or a sample) is parsed by a child process while its request waits; a second one from
the same editor meanwhile is sent back to the home page at once with a message, so one editor
cannot tie up the worker threads and the cores that everybody else's pages need.
"""
from __future__ import annotations

from contextlib import ExitStack
from urllib.parse import quote

import flask

from service.previews import BUSY_MESSAGE, preview_slot

from .context import current_owner, get_settings

CHUNK = 64 * 1024


def _is_upload(request: flask.Request) -> bool:
    return request.method == "POST" and (request.path == "/upload"
                                         or request.path.startswith("/samples/"))


def _drain(request: flask.Request) -> None:
    """Read and drop the refused body, so the client gets the answer rather than a reset."""
    while request.stream.read(CHUNK):
        pass


def hold_preview_slot():
    """before_request (after the sign-in gate): take the editor's preview slot, or answer."""
    request = flask.request
    if not _is_upload(request):
        return None
    stack = ExitStack()
    if stack.enter_context(preview_slot(current_owner(), instance_dir=get_settings().instance_dir)):
        flask.g.preview_slot = stack
        return None
    stack.close()
    _drain(request)
    return flask.redirect("/?upload_error=" + quote(BUSY_MESSAGE))


def release_preview_slot(_exc=None) -> None:
    """teardown_request: give the slot back, whatever happened."""
    stack = flask.g.pop("preview_slot", None)
    if stack is not None:
        stack.close()
