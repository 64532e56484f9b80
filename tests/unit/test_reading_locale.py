"""Numbers written in other locales, ids and dates that must stay text, and the user's file name."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segmentation.errors import InputError
from segmentation.loading import load_input
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.preview import build_preview
from segmentation.readers import read_table


def quiet(*_):
    """A progress callback that says nothing."""


def german(value: float, decimals: int = 2, group: str = ".") -> str:
    """1234.5 -> '1.234,50' (or '1 234,50' with a space as the group separator)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", group)


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding, newline="")
    return path


@pytest.fixture
def semicolon_table(tmp_path):
    rng = np.random.default_rng(11)
    n = 300
    frame = pd.DataFrame({"income": rng.lognormal(10.5, 0.8, n).round(2),
                          "score": rng.uniform(0, 100, n).round(1),
                          "balance": rng.uniform(-5000, 50000, n).round(2)})
    lines = ["kunden_nr;einkommen;score;saldo;kunde_seit;plz"]
    for i, row in frame.iterrows():
        since = (pd.Timestamp("2019-01-01") + pd.Timedelta(days=int(i))).strftime("%d.%m.%Y")
        lines.append(f"{i + 1:06d};{german(row.income)};{german(row.score, 1)};"
                     f"{german(row.balance, group=' ')};{since};{rng.integers(1000, 99999):05d}")
    return write(tmp_path, "kunden.csv", "\n".join(lines) + "\n", encoding="cp1252"), frame


def test_semicolon_file_with_decimal_commas_reads_its_numbers(semicolon_table):
    path, frame = semicolon_table
    table = read_table(path)
    np.testing.assert_allclose(table["einkommen"], frame["income"], rtol=1e-12)
    np.testing.assert_allclose(table["score"], frame["score"], rtol=1e-12)
    np.testing.assert_allclose(table["saldo"], frame["balance"], rtol=1e-12)
    assert table["einkommen"].max() > 10_000  # thousands separators were read, not cut off


def test_ids_postcodes_and_dates_stay_text(semicolon_table):
    path, _ = semicolon_table
    table = read_table(path)
    assert table["kunden_nr"].tolist()[:2] == ["000001", "000002"]
    assert table["kunde_seit"].iloc[0] == "01.01.2019"
    assert table["plz"].str.len().eq(5).all()
    assert "Kept 'kunden_nr' as text" in " ".join(table.attrs["notes"])


def test_decimal_commas_are_named_in_the_notes_of_a_run(semicolon_table):
    path, _ = semicolon_table
    loaded = load_input(path, orders=None, progress=quiet)
    assert loaded.notes[0] == ("Read numbers written with a decimal comma (1.234,56 = 1234.56) in: "
                               "'einkommen', 'score', 'saldo'; the rules and rules.sql speak of "
                               "them as plain numbers: load them into a database as numbers.")
    output = run_segmentation(loaded.table, options=RunOptions(seed=0))
    features = {f.name for f in output.result.dataset.features}
    assert {"einkommen", "score", "saldo"} <= features
    assert output.result.dataset.id_column == "kunden_nr"
    assert output.assignments["kunden_nr"].iloc[0] == "000001"


@pytest.mark.parametrize("cells, expected", [
    (['"1,234.56"', '"12,000.5"', "7.25"], [1234.56, 12000.5, 7.25]),
    (['"12,5"', '"3,75"', '"100"'], [12.5, 3.75, 100.0]),
    (['"1 234,56"', '"2\u00a0000,10"', '"5,5"'], [1234.56, 2000.10, 5.5]),
])
def test_comma_separated_files_with_grouped_or_decimal_comma_numbers(tmp_path, cells, expected):
    text = "name,value\n" + "".join(f"n{i},{cell}\n" for i, cell in enumerate(cells))
    table = read_table(write(tmp_path, "values.csv", text))
    assert table["value"].tolist() == pytest.approx(expected)


def test_a_column_of_mixed_text_and_numbers_stays_text(tmp_path):
    table = read_table(write(tmp_path, "mixed.csv", "a;b\n1,5;x\n2,5;12,5\n"))
    assert table["a"].tolist() == [1.5, 2.5] and table["b"].tolist() == ["x", "12,5"]


def test_order_log_with_currency_and_decimal_commas(tmp_path):
    text = ("kunde;datum;betrag\n007;2024-01-01;1.234,50 €\n007;2024-01-03;12,50 €\n"
            "008;2024-01-02;€ 99,99\n")
    loaded = load_input(write(tmp_path, "bestellungen.csv", text),
                        orders={"customer": "kunde", "date": "datum", "amount": "betrag"},
                        progress=quiet)
    table = loaded.customers.set_index("kunde")
    assert table.index.tolist() == ["007", "008"]
    assert table["monetary"].tolist() == pytest.approx([1247.0, 99.99])


def test_messages_name_the_users_file_not_the_stored_one(tmp_path):
    stored = write(tmp_path, "data.csv", "")
    for read in (lambda: read_table(stored, name="Kunden März.csv"),
                 lambda: load_input(stored, orders=None, progress=quiet, name="Kunden März.csv"),
                 lambda: build_preview(stored, name="Kunden März.csv")):
        with pytest.raises(InputError) as caught:
            read()
        assert "'Kunden März.csv' is empty" in str(caught.value)
        assert "data.csv" not in str(caught.value)


def test_a_text_column_forced_numeric_names_the_column_and_a_value():
    rng = np.random.default_rng(2)
    table = pd.DataFrame({"income": rng.normal(50, 10, 60), "spend": rng.normal(5, 1, 60),
                          "plan": ["gold", "silver", "bronze"] * 20})
    with pytest.raises(InputError, match=r"column 'plan' is set as numeric but holds values that "
                                         r"are no numbers, such as 'gold' \(60 of 60\)"):
        run_segmentation(table, options=RunOptions(roles=(("plan", "numeric"),)))


def test_a_decimal_comma_file_longer_than_the_sample(tmp_path):
    rng = np.random.default_rng(4)
    n = 6000  # about 200 KB: most rows come after the 64 KB the reader samples
    amount = rng.uniform(0, 2_000_000, n).round(2)
    rate = rng.uniform(0, 1, n).round(4)
    lines = ["konto;betrag;quote;notiz"]
    for i in range(n):
        note = "siehe Akte" if i == n - 1 else german(float(rate[i]), 1)
        lines.append(f"{i:08d};{german(float(amount[i]))};{german(float(rate[i]), 4)};{note}")
    table = read_table(write(tmp_path, "konten.csv", "\n".join(lines) + "\n"))
    np.testing.assert_allclose(table["betrag"], amount, rtol=1e-12)
    np.testing.assert_allclose(table["quote"], rate, rtol=1e-12)
    assert table["konto"].iloc[-1] == f"{n - 1:08d}"
    assert table["notiz"].iloc[-1] == "siehe Akte" and table["notiz"].iloc[0] == german(rate[0], 1)
