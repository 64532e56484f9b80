"""Reading uploaded tables: formats, encodings, delimiters, and the errors a user can act on."""
from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from segmentation.errors import InputError
from segmentation.readers import SAMPLE_BYTES, read_table, sniff_csv_options

CSV_TEXT = 'name,age,income\nAnn,34,52000.5\nBob,,61000\n"Lee, Jr.",51,\n'
MIXED = pd.DataFrame({
    "customer": ["a1", "b2", None, "d4"],
    "visits": [3, 5, 0, 12],
    "spend": [10.5, np.nan, 7.25, 100.0],
})


def write(tmp_path, filename, content):
    """Write text (UTF-8) or bytes to tmp_path/filename and return the path."""
    path = tmp_path / filename
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def assert_mixed_equal(frame):
    """The MIXED frame came back with its values, missing cells and numeric columns intact."""
    assert list(frame.columns) == ["customer", "visits", "spend"]
    assert isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
    assert frame["customer"].tolist()[:2] == ["a1", "b2"] and pd.isna(frame["customer"][2])
    assert frame["visits"].dtype == "int64"
    assert frame["visits"].tolist() == [3, 5, 0, 12]
    assert frame["spend"].dtype == "float64"
    assert frame["spend"].isna().tolist() == [False, True, False, False]
    assert frame["spend"].sum() == pytest.approx(117.75)


# --- delimiters and encodings -------------------------------------------------------------------

@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_each_delimiter_is_sniffed_and_read(tmp_path, sep):
    path = write(tmp_path, "table.txt", MIXED.to_csv(sep=sep, index=False))
    assert sniff_csv_options(path.read_bytes()) == {"encoding": "utf-8", "sep": sep}
    assert_mixed_equal(read_table(path))


def test_quoted_fields_may_hold_the_delimiter_and_newlines(tmp_path):
    text = 'id;note;score\n1;"red; large";3\n2;"two\nlines; here";4\n3;plain;5\n'
    frame = read_table(write(tmp_path, "notes.csv", text))
    assert sniff_csv_options(text.encode())["sep"] == ";"
    assert frame["note"].tolist() == ["red; large", "two\nlines; here", "plain"]
    assert frame["score"].tolist() == [3, 4, 5]


def test_commas_inside_quotes_do_not_outvote_the_real_delimiter():
    text = 'a|b\n"x, y, z"|1\n"p, q, r"|2\n"s, t, u"|3\n'
    assert sniff_csv_options(text.encode()) == {"encoding": "utf-8", "sep": "|"}


def test_utf8_with_bom(tmp_path):
    path = write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + "name,city\nZoë,Köln\nAl,Paris\n".encode())
    assert sniff_csv_options(path.read_bytes())["encoding"] == "utf-8-sig"
    frame = read_table(path)
    assert list(frame.columns) == ["name", "city"]
    assert frame["name"].tolist() == ["Zoë", "Al"]


def test_cp1252(tmp_path):
    path = write(tmp_path, "win.csv", "name;shop\nMüller;Café\nDupont;Bäckerei €\n".encode("cp1252"))
    assert sniff_csv_options(path.read_bytes()) == {"encoding": "cp1252", "sep": ";"}
    frame = read_table(path)
    assert frame["name"].tolist() == ["Müller", "Dupont"]
    assert frame["shop"].tolist() == ["Café", "Bäckerei €"]


def test_bytes_undefined_in_cp1252_fall_back_to_latin1():
    assert sniff_csv_options("a,b\nx\x81y,1\n".encode("latin-1"))["encoding"] == "latin-1"


def test_utf16_with_bom(tmp_path):
    path = write(tmp_path, "unicode.txt", "name\tspend\nRenée\t12.5\nJosé\t7\n".encode("utf-16"))
    assert sniff_csv_options(path.read_bytes()) == {"encoding": "utf-16", "sep": "\t"}
    frame = read_table(path)
    assert frame["name"].tolist() == ["Renée", "José"]
    assert frame["spend"].tolist() == [12.5, 7.0]


def test_sample_cut_inside_a_utf8_character_is_still_utf8():
    sample = "name,city\nA,Zürich\n".encode()
    assert sniff_csv_options(sample[: sample.index(b"\xc3") + 1])["encoding"] == "utf-8"


def test_cp1252_byte_after_the_sample_is_still_read(tmp_path):
    rows = "".join(f"plain{i},{i}\n" for i in range(SAMPLE_BYTES // 8))
    path = write(tmp_path, "late.csv", ("name,n\n" + rows + "Café,1\n").encode("cp1252"))
    frame = read_table(path)
    assert frame["name"].iloc[-1] == "Café"
    assert len(frame) == SAMPLE_BYTES // 8 + 1


def test_na_markers_become_missing_but_cells_are_not_trimmed(tmp_path):
    text = " id , label \n1,  padded  \n2,NA\n3,N/A\n4,null\n5,\n"
    frame = read_table(write(tmp_path, "na.csv", text))
    assert list(frame.columns) == ["id", "label"]
    assert frame["label"].tolist()[0] == "  padded  "
    assert frame["label"].isna().tolist() == [False, True, True, True, True]


def test_prose_without_delimiters_is_one_column(tmp_path):
    lines = [f"This is a long sentence number {i} written as prose without any structure" for i in range(5)]
    frame = read_table(write(tmp_path, "notes.txt", "\n".join(lines) + "\n"))
    assert frame.shape == (4, 1)
    assert frame.columns[0] == lines[0]
    assert frame.iloc[-1, 0] == lines[-1]


def test_prose_with_a_varying_number_of_commas_is_one_column(tmp_path):
    lines = ["Notes from the call", "Asked about prices, then left", "Red, green, or blue, maybe",
             "No commas here at all", "One, two, three, four, five"]
    path = write(tmp_path, "notes.txt", "\n".join(lines) + "\n")
    assert sniff_csv_options(path.read_bytes())["sep"] == ";"
    assert read_table(path).iloc[:, 0].tolist() == lines[1:]


def test_text_content_wins_over_the_extension(tmp_path):
    frame = read_table(write(tmp_path, "actually_text.xlsx", CSV_TEXT))
    assert frame["name"].tolist() == ["Ann", "Bob", "Lee, Jr."]
    assert frame["age"].isna().tolist() == [False, True, False]


def test_max_rows_limits_the_rows_read(tmp_path):
    frame = read_table(write(tmp_path, "t.csv", CSV_TEXT), max_rows=2)
    assert frame["name"].tolist() == ["Ann", "Bob"]
    assert read_table(write(tmp_path, "t.csv", CSV_TEXT), max_rows=1).shape == (1, 3)


def test_large_csv_reads_with_the_right_shape(tmp_path):
    rng = np.random.default_rng(7)
    n = 200_000
    frame = pd.DataFrame({
        "id": np.arange(n), "amount": rng.normal(100, 20, n).round(2),
        "segment": rng.choice(["gold", "silver", "bronze"], n), "visits": rng.integers(0, 50, n),
    })
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    out = read_table(path)
    assert out.shape == (n, 4)
    assert out["id"].dtype == "int64" and out["amount"].dtype == "float64"
    assert out["id"].iloc[-1] == n - 1
    assert out["segment"].iloc[12345] == frame["segment"].iloc[12345]


# --- XLSX and Parquet ---------------------------------------------------------------------------

def test_xlsx_round_trip_first_sheet(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        MIXED.to_excel(writer, sheet_name="customers", index=False)
        pd.DataFrame({"other": [1, 2]}).to_excel(writer, sheet_name="second", index=False)
    assert_mixed_equal(read_table(path))
    assert read_table(path, max_rows=2)["visits"].tolist() == [3, 5]


def test_xlsx_detected_by_content_without_extension(tmp_path):
    path = tmp_path / "upload"
    MIXED.to_excel(path, index=False, engine="openpyxl")
    assert_mixed_equal(read_table(path))


def test_parquet_round_trip(tmp_path):
    path = tmp_path / "data.parquet"
    MIXED.to_parquet(path, engine="pyarrow", index=False)
    assert_mixed_equal(read_table(path))
    assert read_table(path, max_rows=3)["visits"].tolist() == [3, 5, 0]


def test_parquet_named_index_comes_back_as_a_column(tmp_path):
    path = tmp_path / "indexed.parquet"
    MIXED.set_index("visits").to_parquet(path, engine="pyarrow")
    frame = read_table(path)
    assert list(frame.columns) == ["visits", "customer", "spend"]
    assert isinstance(frame.index, pd.RangeIndex)


def test_xlsx_table_placed_away_from_the_corner(tmp_path):
    book = Workbook()
    sheet = book.active
    for row in (["code", "amount"], ["007", 1.5], ["012", None], ["120", 3]):
        sheet.append([None, *row])
    sheet.insert_rows(1, amount=2)
    book.save(tmp_path / "offset.xlsx")
    frame = read_table(tmp_path / "offset.xlsx")
    assert list(frame.columns) == ["code", "amount"]
    assert frame["code"].tolist() == ["007", "012", "120"]
    assert frame["amount"].isna().tolist() == [False, True, False]


# --- column names -------------------------------------------------------------------------------

def test_empty_column_names_are_numbered(tmp_path):
    frame = read_table(write(tmp_path, "t.csv", "a,,c, \n1,2,3,4\n5,6,7,8\n"))
    assert list(frame.columns) == ["a", "column_2", "c", "column_4"]


def test_duplicate_column_names_after_stripping(tmp_path):
    with pytest.raises(InputError, match=r"'dup\.csv' has duplicate column names: 'age'; rename"):
        read_table(write(tmp_path, "dup.csv", "age,name, age\n1,a,2\n3,b,4\n"))


def test_duplicate_column_names_in_xlsx(tmp_path):
    path = tmp_path / "dup.xlsx"
    pd.DataFrame([[1, 2], [3, 4]], columns=["age", "age "]).to_excel(path, index=False)
    with pytest.raises(InputError, match=r"duplicate column names: 'age'"):
        read_table(path)


def test_duplicate_column_names_in_parquet(tmp_path):
    pq.write_table(pa.table([pa.array([1, 2]), pa.array([3, 4])], names=["spend", " spend"]),
                   tmp_path / "dup.parquet")
    with pytest.raises(InputError, match=r"'dup\.parquet' has duplicate column names: 'spend'"):
        read_table(tmp_path / "dup.parquet")


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  \n"])
def test_empty_file(tmp_path, content):
    with pytest.raises(InputError, match=r"^'empty\.csv' is empty: upload a table with a header row"):
        read_table(write(tmp_path, "empty.csv", content))


def test_header_without_data_rows(tmp_path):
    with pytest.raises(InputError, match=r"'head\.csv' has column names but no data rows"):
        read_table(write(tmp_path, "head.csv", "a,b,c\n\n"))


def test_single_data_row(tmp_path):
    with pytest.raises(InputError, match=r"'one\.csv' has only 1 data row; segmentation needs at least 2 rows"):
        read_table(write(tmp_path, "one.csv", "a,b\n1,2\n"))


def test_single_data_row_in_parquet(tmp_path):
    path = tmp_path / "one.parquet"
    MIXED.head(1).to_parquet(path, index=False)
    with pytest.raises(InputError, match=r"needs at least 2 rows"):
        read_table(path)


def test_row_longer_than_the_header(tmp_path):
    with pytest.raises(InputError, match=r"'ragged\.csv' could not be read as a table \(Expected 2 fields"):
        read_table(write(tmp_path, "ragged.csv", "a,b\n1,2,3\n4,5\n6,7\n"))


@pytest.mark.parametrize("filename, content", [
    ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4),
    ("report.pdf", b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"),
    ("scan.pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\nstream\n" + zlib.compress(b"x" * 5000)),
    ("noise.csv", np.random.default_rng(3).bytes(5000)),
    ("short.bin", np.random.default_rng(4).bytes(200)),
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)),
])
def test_binary_content_is_not_a_table(tmp_path, filename, content):
    pattern = rf"^'{filename}' is not a table: expected CSV, XLSX or Parquet"
    with pytest.raises(InputError, match=pattern):
        read_table(write(tmp_path, filename, content))


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "archive.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", CSV_TEXT)
    with pytest.raises(InputError, match=r"is not a table: expected CSV, XLSX or Parquet \(it is a zip"):
        read_table(path)


def test_truncated_xlsx(tmp_path):
    good = io.BytesIO()
    MIXED.to_excel(good, index=False, engine="openpyxl")
    path = write(tmp_path, "broken.xlsx", good.getvalue()[: len(good.getvalue()) // 2])
    with pytest.raises(InputError, match=r"^'broken\.xlsx' could not be read as XLSX"):
        read_table(path)


def test_xlsx_extension_on_binary_garbage(tmp_path):
    path = write(tmp_path, "garbage.xlsx", np.random.default_rng(5).bytes(3000))
    with pytest.raises(InputError, match=r"^'garbage\.xlsx' could not be read as XLSX"):
        read_table(path)


def test_truncated_parquet(tmp_path):
    good = io.BytesIO()
    MIXED.to_parquet(good, index=False)
    path = write(tmp_path, "broken.parquet", good.getvalue()[:-20])
    with pytest.raises(InputError, match=r"^'broken\.parquet' could not be read as Parquet"):
        read_table(path)


def test_undecodable_text(tmp_path):
    content = b"\xff\xfe" + "a,b\n".encode("utf-16-le") + b"\x00\xdc" + "1,2\n3,4\n".encode("utf-16-le")
    with pytest.raises(InputError, match=r"^'bad16\.csv' is not readable text: it is not valid UTF-16"):
        read_table(write(tmp_path, "bad16.csv", content))


def test_missing_file_is_named_without_its_folder(tmp_path):
    with pytest.raises(InputError, match=r"^'nowhere\.csv' was not found") as caught:
        read_table(tmp_path / "nowhere.csv")
    assert str(tmp_path) not in str(caught.value)


def test_messages_never_show_the_full_path(tmp_path):
    for filename, content in [("a.parquet", b"PAR1junk"), ("b.csv", b"x,y\n1,2\n")]:
        with pytest.raises(InputError) as caught:
            read_table(write(tmp_path, filename, content))
        assert str(tmp_path) not in str(caught.value)
        assert filename in str(caught.value)


def test_max_rows_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="max_rows must be a positive integer"):
        read_table(write(tmp_path, "t.csv", CSV_TEXT), max_rows=0)
