"""One Settings holds every CLEARSEG_* variable, parsed once, and what it holds reaches the parts
that use it (the store's busy timeout, the preview's limits, the workbook limit)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import InputError
from service.previews import safe_preview
from service.settings import Settings
from service.store import RunStore
from test_hostile_inputs import workbook_bytes

NUMBERS = ("CLEARSEG_PARSE_MEMORY_MB", "CLEARSEG_PARSE_SECONDS", "CLEARSEG_XLSX_MAX_UNPACKED_MB",
           "CLEARSEG_MAX_UPLOAD_MB")
WHOLE = ("CLEARSEG_SQLITE_BUSY_MS", "CLEARSEG_RUNNER_CONCURRENCY", "CLEARSEG_SHARE_FAILURE_LIMIT")


def test_the_defaults_of_a_local_install(tmp_path):
    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'clearseg.db'}"
    assert (settings.instance_dir, settings.upload_dir) == (tmp_path, tmp_path / "uploads")
    assert (settings.sqlite_busy_ms, settings.parse_memory_mb, settings.parse_seconds,
            settings.xlsx_max_unpacked_mb, settings.max_upload_bytes) == (
        30_000, 1536, 60, 512, 100 * 2**20)
    assert settings.parse_limits == (1536 * 2**20, 60) and settings.secure_cookies is None


def test_every_variable_is_read():
    settings = Settings.from_env({
        "CLEARSEG_SQLITE_BUSY_MS": "1234", "CLEARSEG_PARSE_MEMORY_MB": "600",
        "CLEARSEG_PARSE_SECONDS": " 2.5 ", "CLEARSEG_XLSX_MAX_UNPACKED_MB": "1",
        "CLEARSEG_MAX_UPLOAD_MB": "0.5", "CLEARSEG_RUNNER_CONCURRENCY": "3",
        "CLEARSEG_SECURE_COOKIES": "1", "CLEARSEG_SHARING": "0", "CLEARSEG_SECRET_KEY": "s" * 40})
    assert (settings.sqlite_busy_ms, settings.parse_memory_mb, settings.parse_seconds,
            settings.xlsx_max_unpacked_mb, settings.max_upload_bytes) == (1234, 600, 2.5, 1, 2**19)
    assert (settings.runner_concurrency, settings.secure_cookies, settings.sharing,
            settings.secret_key) == (3, True, False, "s" * 40)


@pytest.mark.parametrize("name", NUMBERS)
@pytest.mark.parametrize("bad", ["abc", "0", "-1", "inf"])
def test_a_bad_number_stops_the_start_naming_the_variable(name, bad):
    with pytest.raises(InputError, match=f"^{name} must be a positive number, got '{bad}'$"):
        Settings.from_env({name: bad})


@pytest.mark.parametrize("name", WHOLE)
@pytest.mark.parametrize("bad", ["abc", "0", "1.5"])
def test_a_bad_whole_number_stops_the_start_naming_the_variable(name, bad):
    with pytest.raises(InputError, match=f"^{name} must be a whole number of at least 1, not "):
        Settings.from_env({name: bad})


def test_secure_cookies_is_1_0_or_auto():
    with pytest.raises(InputError, match="^CLEARSEG_SECURE_COOKIES must be 1, 0 or auto, not 'yes'$"):
        Settings.from_env({"CLEARSEG_SECURE_COOKIES": "yes"})


def test_the_store_takes_its_busy_timeout_from_the_settings(tmp_path):
    settings = Settings.from_env({"CLEARSEG_INSTANCE_DIR": str(tmp_path),
                                  "CLEARSEG_SQLITE_BUSY_MS": "4321"})
    store = RunStore(settings.database_url, busy_ms=settings.sqlite_busy_ms)
    store.create_schema()
    with store.reading() as con:
        assert con.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321


def test_the_preview_takes_its_limits_from_the_settings(tmp_path):
    rng = np.random.default_rng(5)
    noise = pd.DataFrame({f"c{i}": [rng.bytes(600).hex() for _ in range(400)] for i in range(4)})
    path = tmp_path / "noise.xlsx"
    path.write_bytes(workbook_bytes(noise))
    tight = Settings.from_env({"CLEARSEG_XLSX_MAX_UNPACKED_MB": "1"})
    preview, message = safe_preview(path, settings=tight)
    assert preview is None and "(at most 1 MB)" in message
    preview, message = safe_preview(path, settings=Settings.from_env({}))
    assert message is None and len(preview["columns"]) == 4
