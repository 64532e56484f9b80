"""The use cases on a SQLite store: each refusal says why with a status and, for options, the field;
ownership is checked on every one; only a finished run can be shared."""
from __future__ import annotations

from dataclasses import FrozenInstanceError, replace

import pytest

from segmentation.options import RunOptions
from service import usecases
from service.repositories import RunRecord, ShareRecord
from service.settings import Settings
from service.usecases import UseCaseError

OWNER, OTHER = "a" * 32, "b" * 32
PREVIEW = {"columns": [{"name": "age", "role": "numeric"}, {"name": "income", "role": "numeric"}]}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url="sqlite://", upload_dir=tmp_path / "uploads",
                    max_upload_bytes=10_000_000, runner_concurrency=1, secret_key="k" * 40,
                    secure_cookies=False)


def _upload(store, owner=OWNER, error=None) -> str:
    return store.uploads.add(owner=owner, filename="c.csv", path="/nowhere", size_bytes=10,
                             preview=None if error else PREVIEW, error=error).id


def _options(**fields):
    return lambda upload: RunOptions(source=upload.filename, **fields)


def test_submit_run_queues_the_owners_upload_and_returns_a_frozen_record(sqlite_store):
    upload_id = _upload(sqlite_store)
    run = usecases.submit_run(sqlite_store, owner=OWNER, upload_id=upload_id,
                              options_for=_options(k=3))
    assert isinstance(run, RunRecord) and (run.status, run.owner, run.upload_id) == \
        ("queued", OWNER, upload_id)
    assert run.options["k"] == 3 and run.status == "queued"
    with pytest.raises(FrozenInstanceError):
        run.status = "done"


@pytest.mark.parametrize("owner, upload, status", [(OTHER, "mine", 404), (OWNER, "none", 404),
                                                   (OWNER, "broken", 400)])
def test_submit_run_refuses_an_upload_that_is_not_usable(sqlite_store, owner, upload, status):
    ids = {"mine": _upload(sqlite_store), "none": "0" * 32,
           "broken": _upload(sqlite_store, error="the file is empty")}
    with pytest.raises(UseCaseError) as refused:
        usecases.submit_run(sqlite_store, owner=owner, upload_id=ids[upload],
                            options_for=_options())
    assert refused.value.status == status
    assert sqlite_store.runs.of_owner(owner) == []


def test_a_bad_option_is_refused_naming_its_field_before_a_run_exists(sqlite_store):
    upload_id = _upload(sqlite_store)
    with pytest.raises(UseCaseError) as refused:
        usecases.submit_run(sqlite_store, owner=OWNER, upload_id=upload_id,
                            options_for=_options(k=99))
    assert (refused.value.status, refused.value.field) == (422, "k")
    assert sqlite_store.runs.of_owner(OWNER) == []


def test_cancel_and_retry_check_the_owner_and_the_state(sqlite_store):
    upload_id = _upload(sqlite_store)
    run = usecases.submit_run(sqlite_store, owner=OWNER, upload_id=upload_id,
                              options_for=_options())
    with pytest.raises(UseCaseError) as other:
        usecases.cancel_run(sqlite_store, owner=OTHER, run_id=run.id)
    assert other.value.status == 404
    with pytest.raises(UseCaseError) as early:
        usecases.retry_run(sqlite_store, owner=OWNER, run_id=run.id)
    assert early.value.status == 409
    assert usecases.cancel_run(sqlite_store, owner=OWNER, run_id=run.id).status == "cancelled"
    with pytest.raises(UseCaseError) as ended:
        usecases.cancel_run(sqlite_store, owner=OWNER, run_id=run.id)
    assert ended.value.status == 409
    assert usecases.retry_run(sqlite_store, owner=OWNER, run_id=run.id).status == "queued"


def test_retry_refuses_a_run_whose_upload_was_deleted(sqlite_store, settings, finished_run):
    upload_id = _upload(sqlite_store)
    run_id = finished_run(sqlite_store, owner=OWNER, upload_id=upload_id, status="failed")
    usecases.delete_upload(sqlite_store, settings, owner=OWNER, upload_id=upload_id)
    with pytest.raises(UseCaseError, match="upload it again") as refused:
        usecases.retry_run(sqlite_store, owner=OWNER, run_id=run_id)
    assert refused.value.status == 409 and sqlite_store.runs.get(run_id).status == "failed"


def test_set_visibility_takes_three_values_from_the_owner_only(sqlite_store, finished_run):
    run_id = finished_run(sqlite_store, owner=OWNER)
    assert usecases.set_visibility(sqlite_store, owner=OWNER, run_id=run_id,
                                   visibility="team").visibility == "team"
    for owner, visibility, status in [(OWNER, "everyone", 400), (OTHER, "public", 404)]:
        with pytest.raises(UseCaseError) as refused:
            usecases.set_visibility(sqlite_store, owner=owner, run_id=run_id,
                                    visibility=visibility)
        assert refused.value.status == status
    assert sqlite_store.runs.get(run_id).visibility == "team"


@pytest.mark.parametrize("status", ["queued", "running", "failed", "cancelled"])
def test_only_a_finished_run_can_be_shared(sqlite_store, settings, status):
    run_id = sqlite_store.runs.submit(owner=OWNER, title="t", options={}, upload_id=None)
    if status != "queued":
        sqlite_store.queue.claim("r")
    if status in ("failed", "cancelled"):
        sqlite_store.queue.fail(run_id, "x", status=status)
    with pytest.raises(UseCaseError, match="finished") as refused:
        usecases.create_share(sqlite_store, settings, owner=OWNER, run_id=run_id,
                              request_base="http://localhost/")
    assert refused.value.status == 409 and sqlite_store.shares.of_run(run_id) == []


def test_a_share_is_made_revoked_and_opened_through_the_use_cases(sqlite_store, settings,
                                                                   finished_run):
    run_id = finished_run(sqlite_store, owner=OWNER)
    link = usecases.create_share(sqlite_store, settings, owner=OWNER, run_id=run_id,
                                 expires_in_days=7, request_base="http://localhost:8050/")
    assert link.url == f"http://localhost:8050/share/{link.token}"
    assert isinstance(link.share, ShareRecord) and link.share.expires_at is not None
    assert usecases.open_share(sqlite_store, settings, token=link.token).id == run_id
    with pytest.raises(UseCaseError) as not_theirs:
        usecases.create_share(sqlite_store, settings, owner=OTHER, run_id=run_id,
                              request_base="http://localhost/")
    assert not_theirs.value.status == 404 and len(sqlite_store.shares.of_run(run_id)) == 1
    with pytest.raises(UseCaseError):
        usecases.revoke_share(sqlite_store, owner=OTHER, run_id=run_id, share_id=link.share.id)
    revoked = usecases.revoke_share(sqlite_store, owner=OWNER, run_id=run_id,
                                    share_id=link.share.id)
    assert revoked.revoked_at is not None
    with pytest.raises(UseCaseError) as closed:
        usecases.open_share(sqlite_store, settings, token=link.token)
    assert closed.value.status == 404


@pytest.mark.parametrize("days", [0, -1, "7", True, float("nan"), float("inf")])
def test_a_bad_expiry_is_refused_naming_the_field(sqlite_store, settings, finished_run, days):
    run_id = finished_run(sqlite_store, owner=OWNER)
    with pytest.raises(UseCaseError) as refused:
        usecases.create_share(sqlite_store, settings, owner=OWNER, run_id=run_id,
                              expires_in_days=days, request_base="http://localhost/")
    assert (refused.value.status, refused.value.field) == (400, "expires_in_days")


def test_with_sharing_off_no_link_is_made_or_opened(sqlite_store, settings, finished_run):
    run_id = finished_run(sqlite_store, owner=OWNER)
    token, _ = sqlite_store.shares.add(run_id)
    off = replace(settings, sharing=False)
    for call in (lambda: usecases.create_share(sqlite_store, off, owner=OWNER, run_id=run_id,
                                               request_base="http://localhost/"),
                 lambda: usecases.open_share(sqlite_store, off, token=token)):
        with pytest.raises(UseCaseError) as refused:
            call()
        assert refused.value.status == 403


def test_a_configured_public_url_decides_the_links_address(settings):
    public = replace(settings, public_url="https://clearseg.example.com")
    assert usecases.share_url(public, "t", request_base="http://evil.example/") == \
        "https://clearseg.example.com/share/t"
    assert usecases.share_url(settings, "t", request_base="http://127.0.0.1:8050/") == \
        "http://127.0.0.1:8050/share/t"
