"""Editor accounts: hashing, the users command, and sign-in attempts slowed after failures."""
from __future__ import annotations

import time

import pytest

from segmentation.errors import InputError
from service.accounts import Accounts, check_password, delay_for, hash_password
from service.cli import main as service_main
from service.store import RunStore


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run `python -m service ...` in-process; returns (exit code, stdout, stderr)."""
    code = service_main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def accounts(tmp_path) -> Accounts:
    store = RunStore(f"sqlite:///{tmp_path / 'a.db'}")
    store.create_schema()
    return Accounts(store)


def test_passwords_are_salted_scrypt_hashes():
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt$") and "correct" not in a
    assert check_password("correct horse battery", a)
    assert not check_password("correct horse batterY", a)
    assert not check_password("x", "not a hash")


def test_add_sign_in_passwd_remove(accounts):
    user_id = accounts.add("ana", "long enough pw")
    assert accounts.sign_in("ana", "long enough pw", address="1.2.3.4") == (user_id, 0.0)
    accounts.set_password("ana", "another long one")
    assert accounts.sign_in("ana", "long enough pw", address="1.2.3.4")[0] is None
    assert accounts.sign_in("ana", "another long one", address="1.2.3.5")[0] == user_id
    with pytest.raises(InputError, match="already exists"):
        accounts.add("ana", "long enough pw")
    with pytest.raises(InputError, match="at least 10"):
        accounts.add("bo", "short")
    accounts.remove("ana")
    assert accounts.list() == [] and not accounts.any_user()


def test_failed_sign_ins_are_slowed_per_account_and_address(accounts):
    accounts.add("ana", "long enough pw")
    for _ in range(3):
        assert accounts.sign_in("ana", "wrong password", address="9.9.9.9") == (None, 0.0)
    # the fourth attempt, even with the right password, must wait
    user, wait = accounts.sign_in("ana", "long enough pw", address="8.8.8.8")
    assert user is None and wait > 0
    # the guessing address is held back on other accounts too
    accounts.add("bo", "long enough pw")
    assert accounts.sign_in("bo", "long enough pw", address="9.9.9.9")[1] > 0
    assert delay_for(2) == 0 and delay_for(3) == 1 and delay_for(6) == 8 and delay_for(40) == 300


def test_users_command(tmp_path, capsys, monkeypatch):
    import io
    db = f"sqlite:///{tmp_path / 'u.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a very long password\n"))
    assert run_cli(["users", "add", "ana", "--password-stdin", "--database", db], capsys)[0] == 0
    code, out, _ = run_cli(["users", "list", "--database", db], capsys)
    assert code == 0 and out.startswith("ana\t")
    code, _, err = run_cli(["users", "remove", "nobody", "--database", db], capsys)
    assert code == 2 and "no user 'nobody'" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run_cli(["users", "add", "bo", "--password-stdin", "--database", db], capsys)
    assert code == 2 and "at least 10" in err
