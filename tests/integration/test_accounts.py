"""Editor accounts: hashing, the users command, and sign-in attempts slowed after failures."""
from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor

import pytest

from segmentation.errors import InputError
from service.accounts import Accounts, check_password, delay_for, hash_password
from service.cli import main as service_main
from service.clock import FakeClock
from service.store import RunStore

# made by hash_password before werkzeug.security took over: such hashes must still verify
OLD_HASH = "scrypt$16384$8$1$-Ifg4m4uyu0P3TkQc-cJfw==$OoDh8LlHPGJE5Qavnx-4iP5ZGHO_NrOlBUpFHI63pss="
OLD_PASSWORD = "an old long password"
PARALLEL = 8


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    """Run `python -m service ...` in-process; returns (exit code, stdout, stderr)."""
    code = service_main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def accounts(tmp_path) -> Accounts:
    store = RunStore(f"sqlite:///{tmp_path / 'a.db'}")
    store.create_schema()
    return Accounts(store, clock=FakeClock())


def test_passwords_are_salted_werkzeug_scrypt_hashes_and_old_ones_still_verify():
    a, b = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert a != b and a.startswith("scrypt:") and "correct" not in a
    assert check_password("correct horse battery", a)
    assert not check_password("correct horse batterY", a)
    assert not check_password("x", "not a hash") and not check_password("x", "scrypt$1$2")
    assert check_password(OLD_PASSWORD, OLD_HASH) and not check_password(OLD_PASSWORD + "!", OLD_HASH)


def test_an_editor_with_an_old_hash_signs_in_and_gets_a_new_one(accounts):
    user_id = accounts.add("ana", "long enough pw")
    with accounts.db.engine.begin() as con:
        con.exec_driver_sql("UPDATE users SET password_hash = ?", (OLD_HASH,))
    assert accounts.sign_in("ana", OLD_PASSWORD, address="1.2.3.4")[0].id == user_id
    stored = accounts.credentials("ana")[1]   # hashed again as werkzeug's on the way in
    assert stored.startswith("scrypt:32768:") and check_password(OLD_PASSWORD, stored)
    assert accounts.sign_in("ana", OLD_PASSWORD, address="1.2.3.4")[0].id == user_id


def test_known_and_unknown_user_names_cost_one_hash_each(accounts, monkeypatch):
    accounts.add("ana", "long enough pw")
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    costs = {}
    for name, password in (("ana", "wrong password"), ("nobody", "wrong password"),
                           ("ana", "long enough pw")):
        calls.clear()
        accounts.sign_in(name, password, address=f"10.0.0.{len(costs)}")
        costs[name, password] = len(calls)
    assert set(costs.values()) == {1}, costs


def test_add_sign_in_passwd_remove(accounts):
    user_id = accounts.add("ana", "long enough pw")
    user, wait = accounts.sign_in("ana", "long enough pw", address="1.2.3.4")
    assert (user.id, user.username, wait) == (user_id, "ana", 0.0)
    accounts.set_password("ana", "another long one")
    assert accounts.sign_in("ana", "long enough pw", address="1.2.3.4")[0] is None
    assert accounts.sign_in("ana", "another long one", address="1.2.3.5")[0].id == user_id
    with pytest.raises(InputError, match="already exists"):
        accounts.add("ana", "long enough pw")
    with pytest.raises(InputError, match="at least 10"):
        accounts.add("bo", "short")
    with pytest.raises(InputError, match="'ana' is the last editor.*--force"):
        accounts.remove("ana")
    assert [u.username for u in accounts.list()] == ["ana"]
    accounts.remove("ana", force=True)
    assert accounts.list() == [] and not accounts.any_user() and accounts.counts() == (0, 1)
    assert accounts.sign_in("ana", "another long one", address="1.2.3.6")[0] is None
    with pytest.raises(InputError, match="no user 'ana'"):
        accounts.remove("ana", force=True)


def _fail_at_once(accounts, addresses: list[str]) -> list:
    with ThreadPoolExecutor(len(addresses)) as pool:
        return list(pool.map(lambda a: accounts.sign_in("ana", "wrong password", address=a),
                             addresses))


def test_parallel_failures_all_count_and_slow_guesses_without_locking_ana_out(accounts):
    ana = accounts.add("ana", "long enough pw")
    guessers = [f"198.51.100.{n}" for n in range(PARALLEL)]
    assert _fail_at_once(accounts, guessers) == [(None, 0.0)] * PARALLEL
    assert accounts.throttle.attempts("user:ana").failures == PARALLEL
    # a guessing address waits, even with the right password; ana from a fresh address gets in
    user, wait = accounts.sign_in("ana", "long enough pw", address=guessers[0])
    assert user is None and wait == delay_for(PARALLEL)
    assert accounts.sign_in("ana", "long enough pw", address="203.0.113.1")[0].id == ana
    # once ana is in, the account is no longer held back; a guesser's own count still is its own
    assert accounts.sign_in("ana", "wrong password", address=guessers[1]) == (None, 0.0)


def test_an_address_that_guessed_too_often_waits_on_every_account(accounts):
    accounts.add("ana", "long enough pw")
    accounts.add("bo", "long enough pw")
    for _ in range(3):
        assert accounts.sign_in("ana", "wrong password", address="9.9.9.9") == (None, 0.0)
    assert accounts.sign_in("bo", "long enough pw", address="9.9.9.9") == (None, 1.0)
    accounts.clock.advance(1.0)
    assert accounts.sign_in("bo", "long enough pw", address="9.9.9.9")[0] is not None
    assert delay_for(2) == 0 and delay_for(3) == 1 and delay_for(6) == 8 and delay_for(40) == 300


def test_users_command(tmp_path, capsys, monkeypatch):
    db = f"sqlite:///{tmp_path / 'u.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a very long password\n"))
    assert run_cli(["users", "add", "ana", "--password-stdin", "--database", db], capsys)[0] == 0
    code, out, _ = run_cli(["users", "list", "--database", db], capsys)
    assert code == 0 and out.startswith("ana\t")
    code, _, err = run_cli(["users", "remove", "nobody", "--database", db], capsys)
    assert code == 2 and "no user 'nobody'" in err
    code, _, err = run_cli(["users", "remove", "ana", "--database", db], capsys)
    assert code == 2 and "last editor" in err and "--force" in err
    assert run_cli(["users", "remove", "ana", "--force", "--database", db], capsys)[0] == 0
    assert run_cli(["users", "list", "--database", db], capsys)[1] == ""
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, _, err = run_cli(["users", "add", "bo", "--password-stdin", "--database", db], capsys)
    assert code == 2 and "at least 10" in err


def test_the_users_repository_on_both_engines(store):
    """Removal keeps a tombstone and bumps the generation; the last editor needs force."""
    accounts = Accounts(store)
    ana, bo = accounts.add("ana", "long enough pw"), accounts.add("bo", "long enough pw")
    accounts.end_sessions(ana)
    assert accounts.get(ana).session_generation == 1 and accounts.session_valid(ana, 1)
    accounts.remove("ana")
    assert accounts.get(ana) is None and not accounts.session_valid(ana, 1)
    assert accounts.counts() == (1, 2) and [u.id for u in accounts.list()] == [bo]
    with pytest.raises(InputError, match="last editor"):
        accounts.remove("bo")
    assert accounts.add("ana", "long enough pw") != ana and accounts.counts() == (2, 2)
