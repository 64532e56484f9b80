"""run_limited: values and InputErrors come back; exhaustion, crashes and hangs end in the child only.

The functions run in the child are top-level functions of this module (the child imports it by
name), so this module imports nothing heavy.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from segmentation.errors import InputError
from service.sandbox import ChildError, LimitError, limit_message, run_limited

MB = 2**20
LIMITS = {"memory_bytes": 256 * MB, "seconds": 60}  # generous time: the machine may be busy
LIMIT_TEXT = (r"^the file could not be read within the limits \(256 MB, 60 s\): "
              r"it may be corrupt or far too large$")


# --- functions run in the child ---------------------------------------------------------------

def add(x, y, *, scale=1):
    return {"sum": (x + y) * scale, "parts": (x, y), "note": None, "raw": b"\x00"}


def loaded_heavy_modules():
    return sorted(name for name in ("pandas", "numpy", "pyarrow", "openpyxl") if name in sys.modules)


def environment():
    return dict(os.environ)


def refuse():
    raise InputError("'bad.csv' has no header row: add one")


def allocate_at_once():
    return len(bytearray(4 * 1024 * MB))


def allocate_gradually():
    blocks = []
    while True:
        blocks.append(bytearray(8 * MB))


def sleep_after_writing_pid(pid_file):
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(60)


def start_sleeper_and_wait(pid_file):
    sleeper = subprocess.Popen(["sleep", "60"])
    Path(pid_file).write_text(str(sleeper.pid))
    sleeper.wait()


def spin():
    while True:
        pass


def exit_hard():
    os._exit(3)


def segfault():
    os.kill(os.getpid(), signal.SIGSEGV)


def divide(x):
    return x / 0


def unplain():
    return Path("/tmp")


# --- helpers ----------------------------------------------------------------------------------

def ended(pid: int) -> bool:
    """The process is gone, or a zombie waiting for a reaper that is not ours."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_until_ended(pid: int, *, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while not ended(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture(scope="module")
def short_timeout() -> float:
    """A timeout the child outlives only by hanging: 1 s plus three times its measured start-up."""
    start = time.monotonic()
    run_limited(add, 0, 0, **LIMITS)
    return round(1 + 3 * (time.monotonic() - start), 1)


# --- values and user errors -------------------------------------------------------------------

def test_returns_the_value_of_a_call_with_positional_and_keyword_arguments():
    value = run_limited(add, 2, 3, scale=10, **LIMITS)
    assert value == {"sum": 50, "parts": (2, 3), "note": None, "raw": b"\x00"}


def test_the_child_starts_without_heavy_modules():
    assert run_limited(loaded_heavy_modules, **LIMITS) == []


def test_the_child_gets_no_setting_or_secret_of_the_parent(monkeypatch):
    monkeypatch.setenv("CLEARSEG_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("CLEARSEG_DATABASE_URL", "postgresql+psycopg://u:pa55@db/clearseg")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "a" * 20)
    env = run_limited(environment, **LIMITS)
    assert not [name for name in env if name.startswith("CLEARSEG_")]
    assert "pa55" not in repr(env) and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["MALLOC_ARENA_MAX"] == "2" and env.get("PATH") == os.environ.get("PATH")


def test_an_input_error_in_the_child_is_raised_with_its_message():
    with pytest.raises(InputError, match=r"^'bad\.csv' has no header row: add one$") as caught:
        run_limited(refuse, **LIMITS)
    assert not isinstance(caught.value, LimitError)


def test_an_unexpected_exception_is_a_child_error_with_the_traceback():
    with pytest.raises(ChildError, match=r"^ZeroDivisionError: division by zero$") as caught:
        run_limited(divide, 1, **LIMITS)
    assert caught.value.type_name == "ZeroDivisionError"
    assert "in divide" in caught.value.child_traceback


# --- limits -----------------------------------------------------------------------------------

@pytest.mark.parametrize("func", [allocate_at_once, allocate_gradually])
def test_allocating_past_the_memory_limit_ends_in_the_child(func):
    with pytest.raises(LimitError, match=LIMIT_TEXT) as caught:
        run_limited(func, **LIMITS)
    assert caught.value.reason == "memory"
    assert isinstance(caught.value, InputError)
    assert run_limited(add, 1, 1, **LIMITS)["sum"] == 2  # the caller is alive and can go on


def test_sleeping_past_the_timeout_kills_the_child(tmp_path, short_timeout):
    pid_file = tmp_path / "pid"
    with pytest.raises(LimitError, match=rf"\(256 MB, {short_timeout:g} s\)") as caught:
        run_limited(sleep_after_writing_pid, str(pid_file), memory_bytes=256 * MB, seconds=short_timeout)
    assert caught.value.reason == "timeout"
    assert ended(int(pid_file.read_text()))


def test_the_timeout_also_kills_what_the_child_started(tmp_path, short_timeout):
    pid_file = tmp_path / "pid"
    with pytest.raises(LimitError):
        run_limited(start_sleeper_and_wait, str(pid_file), memory_bytes=256 * MB, seconds=short_timeout)
    assert wait_until_ended(int(pid_file.read_text()))


def test_spinning_past_the_time_limit_is_stopped(short_timeout):
    with pytest.raises(LimitError) as caught:
        run_limited(spin, memory_bytes=256 * MB, seconds=short_timeout)
    assert caught.value.reason in ("timeout", "signal 24")  # wall clock or RLIMIT_CPU's SIGXCPU


@pytest.mark.parametrize("func, reason", [(exit_hard, "exit 3"), (segfault, "signal 11")])
def test_a_crash_or_a_signal_is_a_limit_error(func, reason):
    with pytest.raises(LimitError, match=LIMIT_TEXT) as caught:
        run_limited(func, **LIMITS)
    assert caught.value.reason == reason


# --- what cannot cross ------------------------------------------------------------------------

def test_a_lambda_cannot_be_sent_to_the_child():
    with pytest.raises(TypeError, match="picklable top-level function"):
        run_limited(lambda: 1, **LIMITS)


def test_only_plain_data_comes_back():
    with pytest.raises(TypeError, match=r"not plain data .*PosixPath"):
        run_limited(unplain, **LIMITS)


@pytest.mark.parametrize("limits, message", [
    ({"memory_bytes": 1024, "seconds": 60}, "memory_bytes must be an integer of at least 16 MiB"),
    ({"memory_bytes": 256 * MB, "seconds": 0}, "seconds must be a positive number"),
])
def test_impossible_limits_are_refused(limits, message):
    with pytest.raises(ValueError, match=message):
        run_limited(add, 1, 2, **limits)


# --- messages and settings --------------------------------------------------------------------

def test_limit_message_names_the_subject_and_the_limits():
    text = limit_message("'data.xlsx'", memory_bytes=1536 * MB, seconds=60)
    assert text == ("'data.xlsx' could not be read within the limits (1,536 MB, 60 s): "
                    "it may be corrupt or far too large")
