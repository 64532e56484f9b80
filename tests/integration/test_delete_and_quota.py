"""Deleting runs and uploads (owner only, rows and files together), the storage quota, the sweep of
orphan upload folders, share links on the configured public address and only for finished runs:
through the JSON API of an app in process, and the use cases beside it."""
from __future__ import annotations

import os
import threading
import time

import flask
import pytest
from dash.exceptions import PreventUpdate

from dash_tree import find
from dashboard.app import create_app
from dashboard.components import page_ids
from dashboard.pages import run as run_page
from dashboard.pages.run import ask_to_delete, delete_confirmed
from service import usecases
from service.housekeeping import start_sweeper, sweep_once
from service.settings import Settings
from service.store import RunStore
from service.usecases import UseCaseError

OWNER, OTHER = "e" * 32, "f" * 32
PUBLIC = "https://clearseg.example.com"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(app, store, settings) of a local app whose public address is PUBLIC."""
    root = tmp_path_factory.mktemp("delete-quota")
    settings = Settings.from_env({"CLEARSEG_DATABASE_URL": f"sqlite:///{root / 'clearseg.db'}",
                                  "CLEARSEG_UPLOAD_DIR": str(root / "uploads"),
                                  "CLEARSEG_SECRET_KEY": "k" * 40,
                                  "CLEARSEG_SECURE_COOKIES": "0",
                                  "CLEARSEG_PUBLIC_URL": PUBLIC + "/"})
    app = create_app(settings, local=True)
    return app, app.server.extensions["clearseg"]["store"], settings


def client_of(app, owner: str, *, host: str = "localhost"):
    """A browser of `owner` whose session cookie belongs to `host`."""
    client = app.server.test_client()
    with client.session_transaction("/", base_url=f"http://{host}") as session:
        session["uid"] = owner
    return client


def upload(store, settings, owner=OWNER, size=100) -> str:
    """An upload of `size` bytes with its file in its folder, as the upload route leaves it."""
    folder = settings.upload_dir / os.urandom(16).hex()
    folder.mkdir(parents=True)
    (folder / "data.csv").write_bytes(b"x" * size)
    return store.uploads.add(owner=owner, filename="c.csv", path=str(folder / "data.csv"),
                             size_bytes=size, preview=None, error=None, upload_id=folder.name).id


def run_of(store, upload_id, *, owner=OWNER, done=True) -> str:
    """A run of upload_id: queued, or (done=True) finished with one file."""
    run_id = store.runs.submit(owner=owner, title="c.csv", options={}, upload_id=upload_id)
    if done:   # claims take the oldest queued run first: left-over queued ones start too
        while store.queue.claim("test-runner").id != run_id:
            pass
        assert store.queue.finish(run_id, result_json="{}", files={"rules.sql": b"SELECT 1"},
                                  message="done")
    return run_id


# --- share links: one rule, one address ----------------------------------------------------------

def test_the_api_refuses_a_link_to_an_unfinished_run(site):
    app, store, settings = site
    run_id = run_of(store, upload(store, settings), done=False)
    answer = client_of(app, OWNER).post(f"/api/runs/{run_id}/shares", json={})
    assert answer.status_code == 409 and "finished" in answer.get_json()["error"]
    assert store.shares.of_run(run_id) == []


@pytest.mark.parametrize("path", ["/api/runs/{run}/shares", "/api/runs/{run}/visibility",
                                  "/api/runs"])
def test_a_form_post_from_another_site_changes_nothing(site, path):
    app, store, settings = site
    upload_id = upload(store, settings)
    run_id = run_of(store, upload_id)
    form = {"upload_id": upload_id, "visibility": "public", "expires_in_days": "1"}
    answer = client_of(app, OWNER).post(path.format(run=run_id), data=form)
    assert answer.status_code == 415 and "JSON" in answer.get_json()["error"]
    assert store.shares.of_run(run_id) == []
    assert store.runs.get(run_id, owner=OWNER).visibility == "private"
    assert len([r for r in store.runs.of_owner(OWNER) if r.upload_id == upload_id]) == 1


@pytest.mark.parametrize("headers", [{}, {"X-Forwarded-Host": "evil.example",
                                          "X-Forwarded-Proto": "http"}])
def test_a_link_is_built_on_the_public_url_never_on_the_host_header(site, headers):
    app, store, settings = site
    run_id = run_of(store, upload(store, settings))
    answer = client_of(app, OWNER, host="evil.example").post(
        f"/api/runs/{run_id}/shares", json={}, headers=headers, base_url="http://evil.example")
    assert answer.status_code == 201
    url = answer.get_json()["url"]
    assert url.startswith(PUBLIC + "/share/") and "evil" not in url
    assert len(url.rsplit("/", 1)[1]) == 43


# --- delete ------------------------------------------------------------------------------------

def test_only_the_owner_deletes_a_run_and_its_rows_and_files_go_together(site):
    app, store, settings = site
    run_id = run_of(store, upload(store, settings))
    token = store.shares.add(run_id)[0]
    assert client_of(app, OTHER).delete(f"/api/runs/{run_id}").status_code == 404
    assert store.runs.get(run_id) is not None
    answer = client_of(app, OWNER).delete(f"/api/runs/{run_id}")
    assert answer.status_code == 200 and answer.get_json() == {"deleted": run_id}
    assert store.runs.get(run_id) is None and store.runs.artifact(run_id, "rules.sql") is None
    assert store.shares.run_id_of(token) is None
    assert client_of(app, OWNER).get(f"/api/runs/{run_id}").status_code == 404


def test_an_active_run_is_not_deleted_until_cancelled(site):
    app, store, settings = site
    run_id = run_of(store, upload(store, settings), done=False)
    answer = client_of(app, OWNER).delete(f"/api/runs/{run_id}")
    assert answer.status_code == 409 and "cancel it first" in answer.get_json()["error"]
    store.queue.request_cancel(run_id, owner=OWNER)
    assert client_of(app, OWNER).delete(f"/api/runs/{run_id}").status_code == 200


def test_an_upload_a_queued_run_needs_is_kept_with_a_message(site):
    app, store, settings = site
    upload_id = upload(store, settings)
    run_id = run_of(store, upload_id, done=False)
    answer = client_of(app, OWNER).delete(f"/api/uploads/{upload_id}")
    assert answer.status_code == 409 and "still needs this upload" in answer.get_json()["error"]
    assert (settings.upload_dir / upload_id / "data.csv").exists()
    store.queue.request_cancel(run_id, owner=OWNER)
    assert client_of(app, OTHER).delete(f"/api/uploads/{upload_id}").status_code == 404
    assert client_of(app, OWNER).delete(f"/api/uploads/{upload_id}").get_json() == \
        {"deleted": upload_id}
    assert store.uploads.get(upload_id, owner=OWNER) is None
    assert not (settings.upload_dir / upload_id).exists()
    assert store.runs.get(run_id).upload_id is None


def test_deleting_an_upload_keeps_the_results_of_its_finished_runs(site):
    app, store, settings = site
    upload_id = upload(store, settings)
    run_id = run_of(store, upload_id)
    assert client_of(app, OWNER).delete(f"/api/uploads/{upload_id}").status_code == 200
    assert store.runs.get(run_id).status == "done" and store.runs.result_json(run_id) == "{}"


def test_the_run_pages_delete_takes_the_upload_unless_another_run_uses_it(site):
    _, store, settings = site
    shared_upload, own_upload = upload(store, settings), upload(store, settings)
    first, second = run_of(store, shared_upload), run_of(store, shared_upload)
    alone = run_of(store, own_upload)
    kept = usecases.delete_run(store, settings, owner=OWNER, run_id=first, with_upload=True)
    assert kept.upload_id is None and store.uploads.get(shared_upload, owner=OWNER) is not None
    gone = usecases.delete_run(store, settings, owner=OWNER, run_id=alone, with_upload=True)
    assert gone.upload_id == own_upload and not (settings.upload_dir / own_upload).exists()
    assert store.runs.get(second) is not None


# --- quota -------------------------------------------------------------------------------------

def test_an_upload_over_the_quota_is_refused_saying_what_is_used_and_left_on_no_disk(tmp_path,
                                                                                   sqlite_store):
    settings = Settings.from_env({"CLEARSEG_UPLOAD_DIR": str(tmp_path / "up"),
                                  "CLEARSEG_STORAGE_QUOTA_MB": "1"})
    kept = usecases.store_upload(sqlite_store, settings, owner=OWNER, filename="a.csv",
                                 save=lambda p: p.write_bytes(b"a,b\n1,2\n" * 80_000))
    with pytest.raises(UseCaseError) as refused:
        usecases.store_upload(sqlite_store, settings, owner=OWNER, filename="b.csv",
                              save=lambda p: p.write_bytes(b"a,b\n1,2\n" * 80_000))
    message = refused.value.message
    assert refused.value.status == 413 and "0.6 MB of your 1.0 MB" in message
    assert "Delete" in message and "1 upload" in message
    assert [p.name for p in settings.upload_dir.iterdir()] == [kept.id]
    other = usecases.store_upload(sqlite_store, settings, owner=OTHER, filename="c.csv",
                                  save=lambda p: p.write_bytes(b"a,b\n1,2\n"))
    assert other.size_bytes == 8


def test_the_quota_setting_is_checked_at_start():
    with pytest.raises(Exception, match="CLEARSEG_STORAGE_QUOTA_MB"):
        Settings.from_env({"CLEARSEG_STORAGE_QUOTA_MB": "lots"})
    assert Settings.from_env({}).storage_quota_mb == 500


@pytest.mark.parametrize("url", ["clearseg.example.com", "ftp://x.example", "https://x/?a=1",
                                 "https://user:pw@x.example"])
def test_a_bad_public_url_stops_the_start_saying_what_to_set(url):
    with pytest.raises(Exception, match="CLEARSEG_PUBLIC_URL"):
        Settings.from_env({"CLEARSEG_PUBLIC_URL": url})


# --- the sweep ---------------------------------------------------------------------------------

def test_the_sweep_removes_old_folders_without_a_row_only(tmp_path, sqlite_store):
    settings = Settings.from_env({"CLEARSEG_UPLOAD_DIR": str(tmp_path / "up")})
    live = usecases.store_upload(sqlite_store, settings, owner=OWNER, filename="a.csv",
                                 save=lambda p: p.write_bytes(b"a\n1\n"))
    orphan, fresh = (settings.upload_dir / ("0" * 32)), (settings.upload_dir / ("1" * 32))
    other = settings.upload_dir / "notes"
    for folder in (orphan, fresh, other):
        folder.mkdir()
        (folder / "data.csv").write_bytes(b"x")
    now = time.time()
    for folder in (orphan, other, settings.upload_dir / live.id):
        os.utime(folder, (now - 7200, now - 7200))
    assert usecases.sweep_orphan_uploads(sqlite_store, settings, now=now) == [orphan.name]
    assert sorted(p.name for p in settings.upload_dir.iterdir()) == \
        sorted([live.id, fresh.name, "notes"])


# --- the run page's Delete ---------------------------------------------------------------------

def _ended(store, settings, *, owner=OWNER) -> str:
    run_id = run_of(store, upload(store, settings, owner=owner), owner=owner, done=False)
    store.queue.request_cancel(run_id, owner=owner)
    return run_id


def test_the_delete_button_is_the_owners_and_asks_first(site):
    app, store, settings = site
    run_id = _ended(store, settings)
    store.runs.set_visibility(run_id, owner=OWNER, visibility="public")
    for owner, shown in ((OWNER, True), (OTHER, False)):
        with app.server.test_request_context("/"):
            flask.session["uid"] = owner
            layout = run_page.layout(run_id=run_id)
        assert (find(layout, page_ids.RUN_DELETE) is not None) is shown
        assert (find(layout, page_ids.RUN_DELETE_CONFIRM) is not None) is shown
    assert ask_to_delete(1) is True


def test_a_confirmed_delete_removes_the_run_and_its_upload_and_goes_home(site):
    app, store, settings = site
    run_id = _ended(store, settings)
    upload_id = store.runs.get(run_id).upload_id
    with app.server.test_request_context("/"):
        flask.session["uid"] = OTHER
        with pytest.raises(PreventUpdate):
            delete_confirmed(1, ref={"run": run_id})
    assert store.runs.get(run_id) is not None
    with app.server.test_request_context("/"):
        flask.session["uid"] = OWNER
        assert delete_confirmed(1, ref={"run": run_id}) == {"href": "/", "message": None}
    assert store.runs.get(run_id) is None and store.uploads.get(upload_id, owner=OWNER) is None
    assert not (settings.upload_dir / upload_id).exists()


def test_the_runners_sweeper_sweeps_at_start_and_stops_with_the_runner(tmp_path, sqlite_store):
    settings = Settings.from_env({"CLEARSEG_UPLOAD_DIR": str(tmp_path / "up")})
    orphan = settings.upload_dir / ("2" * 32)
    orphan.mkdir(parents=True)
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    stop = threading.Event()
    stop.set()
    start_sweeper(sqlite_store, settings, stop, every=3600).join(timeout=60)
    assert not orphan.exists()
    sqlite_store.engine.dispose()
    broken = Settings.from_env({"CLEARSEG_UPLOAD_DIR": str(tmp_path / "up")})
    orphan.mkdir()
    assert sweep_once(RunStore(f"sqlite:///{tmp_path / 'missing' / 'x.db'}"), broken) == []
