"""Hostile uploads end in safe_preview as (None, a clear message), within the limits, the caller alive;
sent on to a run anyway, the run fails with a clear message too (the reader's, or the run's limits).

Every file is generated here: zip bombs written in chunks (the test never holds them in memory),
entity-declaring workbooks, pathological CSV, damaged or expanding Parquet, and a seeded byte fuzz
of small valid files. The fuzz runs each format's cases in one limited child (`preview_outcomes`).
"""
from __future__ import annotations

import io
import os
import re
import zipfile

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from segmentation.errors import InputError
from segmentation.options import MAX_CELLS
from segmentation.preview import MAX_CELL_CHARS, MAX_COLUMNS, build_preview
from service.jobs import Runner, execute
from service.previews import parse_limits, safe_preview
from service.sandbox import LimitError, run_limited
from service.settings import Settings
from service.store import RunStore

MB = 2**20
SHEET = "xl/worksheets/sheet1.xml"
TABLE = pd.DataFrame({
    "customer_id": [f"C{i:03d}" for i in range(12)],
    "plan": ["basic", "pro", "plus"] * 4,
    "spend": [round(10.5 * i, 2) for i in range(12)],
    "visits": [i % 5 for i in range(12)],
})
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
                    for i in range(1, 10))
          + "]>")
EXTERNAL = ('<?xml version="1.0" encoding="UTF-16"?>'
            '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>')


@pytest.fixture(autouse=True)
def default_limits(monkeypatch):
    """The documented defaults, whatever the environment running the tests sets."""
    for name in ("CLEARSEG_PARSE_MEMORY_MB", "CLEARSEG_PARSE_SECONDS", "CLEARSEG_XLSX_MAX_UNPACKED_MB"):
        monkeypatch.delenv(name, raising=False)


# --- building files ---------------------------------------------------------------------------

def workbook_bytes(frame: pd.DataFrame) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rezip(data: bytes, *, changes: dict) -> bytes:
    """The zip `data` with some entries' contents passed through functions (bytes -> bytes)."""
    source, buffer = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            target.writestr(name, changes[name](content) if name in changes else content)
    return buffer.getvalue()


def without_declaration(xml: bytes) -> bytes:
    return xml[xml.index(b"?>") + 2:] if xml.startswith(b"<?xml") else xml


def zeros_workbook(path, *, megabytes: int) -> None:
    """A workbook whose sheet unpacks to `megabytes` of zeros, written 16 MiB at a time."""
    chunk = bytes(16 * MB)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(SHEET, "w", force_zip64=True) as entry:
            for _ in range(megabytes // 16):
                entry.write(chunk)


_BOMBS: list = []   # the first bomb written, linked for the next test that needs one


def bomb(path):
    if _BOMBS and _BOMBS[0].exists():
        os.link(_BOMBS[0], path)
        return
    zeros_workbook(path, megabytes=608)
    _BOMBS.append(path)


def dense_bomb(path):
    zeros_workbook(path, megabytes=32)


def many_parts(path):
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(10_001):
            archive.writestr(f"xl/part{index}.xml", "")


def laughs(path):
    path.write_bytes(rezip(workbook_bytes(TABLE),
                           changes={SHEET: lambda xml: LAUGHS.encode() + without_declaration(xml)}))


def external_entity_utf16(path):
    utf16 = lambda xml: (EXTERNAL + without_declaration(xml).decode()).encode("utf-16")  # noqa: E731
    path.write_bytes(rezip(workbook_bytes(TABLE), changes={"xl/workbook.xml": utf16}))


def long_line(path):
    with path.open("wb") as handle:
        for _ in range(50):
            handle.write(b"x" * 1_000_000)


def wide(path):
    columns = 100_000
    header = ",".join(f"c{i:06d}" for i in range(columns))
    row = ",".join(str(i % 7) for i in range(columns))
    path.write_text("\n".join([header, row, row, row]) + "\n")


def nul_bytes(path):
    path.write_bytes(b"a,b\n1,\x00\x00\x00\n2,3\n" * 200)


def invalid_utf16(path):
    path.write_bytes(b"\xff\xfe" + "a,b\n1,2\n".encode("utf-16-le") + b"\x00\xd8\x00\xd8" * 50)


def deep_quotes(path):
    path.write_bytes(b"a,b\n" + b'"' * 1_000_001 + b",1\n2,3\n")


def parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    TABLE.to_parquet(buffer)
    return buffer.getvalue()


def scrambled_footer(path):
    data = bytearray(parquet_bytes())
    length = int.from_bytes(data[-8:-4], "little")
    data[-8 - length:-8] = np.random.default_rng(3).bytes(length)
    path.write_bytes(bytes(data))


def footer_length_too_large(path):
    data = bytearray(parquet_bytes())
    data[-8:-4] = (2**31 - 1).to_bytes(4, "little")
    path.write_bytes(bytes(data))


def expanding_parquet(path, *, cell_kb: int = 100):
    """About 120 KB on disk, 20,000 rows of the same long text: 2 GB once read (a Parquet bomb)."""
    rows = 20_000
    text = pa.DictionaryArray.from_arrays(pa.array(np.zeros(rows, dtype=np.int32)),
                                          pa.array(["x" * cell_kb * 1024]))
    pq.write_table(pa.table({"id": np.arange(rows), "text": text}), path)


def expanding_beyond_the_preview(path):
    """A few KB on disk, more rows than the preview reads and more values than a run reads."""
    rows = MAX_CELLS // 2 + 1
    zeros = pa.array(np.zeros(rows, dtype=np.int8))
    column = pa.DictionaryArray.from_arrays(zeros, pa.array(["same"]))
    pq.write_table(pa.table({"id": column, "text": column}), path)


def random_bytes(path):
    path.write_bytes(np.random.default_rng(4).bytes(200_000))


HOSTILE = [
    (bomb, "bomb.xlsx", r"was refused: the workbook unpacks to 608 MB \(at most 512 MB\); "
                        r"export the sheet as CSV or split it$"),
    (dense_bomb, "dense.xlsx", r"was refused: a part of the workbook is compressed more than 200:1, "
                               r"as in a zip bomb"),
    (many_parts, "parts.xlsx", r"was refused: the workbook holds 10,001 parts \(at most 10,000\)"),
    (laughs, "laughs.xlsx", r"was refused: its XML part 'xl/worksheets/sheet1\.xml' declares a "
                            r"document type or entities, which Excel never writes"),
    (external_entity_utf16, "xxe.xlsx", r"was refused: its XML part 'xl/workbook\.xml' declares"),
    (long_line, "line.csv", r"could not be read as a table: its first line is longer than 64 KB"),
    (wide, "wide.csv", r"could not be read as a table: its first line is longer than 64 KB"),
    (nul_bytes, "nul.csv", r"is not a table: expected CSV, XLSX or Parquet$"),
    (invalid_utf16, "utf16.csv", r"is not readable text: it is not valid UTF-16"),
    (deep_quotes, "quotes.csv", r"could not be read as a table \(EOF inside string"),
    (scrambled_footer, "footer.parquet", r"could not be read as Parquet: the file is damaged"),
    (footer_length_too_large, "length.parquet", r"could not be read as Parquet: the file is damaged"),
    (random_bytes, "random.parquet", r"could not be read as Parquet: the file is damaged"),
    (expanding_parquet, "expands.parquet", r"could not be read within the limits \(1,536 MB, 60 s\): "
                                           r"it may be corrupt or far too large"),
]


# --- hostile files, one by one ----------------------------------------------------------------

@pytest.mark.parametrize("make, filename, expected", HOSTILE, ids=[case[1] for case in HOSTILE])
def test_a_hostile_file_ends_in_a_message(tmp_path, make, filename, expected):
    path = tmp_path / filename
    make(path)
    preview, message = safe_preview(path)
    assert preview is None
    assert message.startswith(f"'{filename}' ") and str(tmp_path) not in message
    assert re.search(expected, message), message


def test_a_parse_that_never_ends_is_stopped_at_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("CLEARSEG_PARSE_SECONDS", "2")
    path = tmp_path / "hang.csv"
    os.mkfifo(path)  # opening it for reading waits for a writer that never comes
    assert safe_preview(path) == (None, "'hang.csv' could not be read within the limits "
                                        "(1,536 MB, 2 s): it may be corrupt or far too large; "
                                        "check the file, or upload a smaller extract")


def test_the_memory_limit_is_read_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "expands.parquet"
    expanding_parquet(path, cell_kb=25)  # 500 MB once read
    monkeypatch.setenv("CLEARSEG_PARSE_MEMORY_MB", "600")
    assert safe_preview(path) == (None, "'expands.parquet' could not be read within the limits "
                                        "(600 MB, 60 s): it may be corrupt or far too large; "
                                        "check the file, or upload a smaller extract")


def test_unpacked_size_limit_is_read_from_the_environment(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    noise = pd.DataFrame({f"c{i}": [rng.bytes(600).hex() for _ in range(400)] for i in range(4)})
    path = tmp_path / "noise.xlsx"
    path.write_bytes(workbook_bytes(noise))
    monkeypatch.setenv("CLEARSEG_XLSX_MAX_UNPACKED_MB", "1")
    preview, message = safe_preview(path)
    assert preview is None
    assert re.match(r"^'noise\.xlsx' was refused: the workbook unpacks to \d MB \(at most 1 MB\)",
                    message), message
    with pytest.raises(InputError, match=r"\(at most 1 MB\)"):  # the core takes the limit as given
        build_preview(path, xlsx_max_unpacked_mb=1)


# --- what must still work ---------------------------------------------------------------------

def test_a_real_workbook_passes_the_archive_checks(tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(workbook_bytes(TABLE))
    preview, message = safe_preview(path)
    assert message is None
    assert [c["name"] for c in preview["columns"]] == ["customer_id", "plan", "spend", "visits"]
    assert preview["head"]["rows"][1] == ["C001", "pro", "10.5", "1"]


def test_windows_text_that_is_not_utf8_still_previews(tmp_path):
    path = tmp_path / "cafe.csv"
    path.write_bytes(b"name,visits\ncaf\xe9,1\nbar,2\nd\xe9li,3\n")
    preview, message = safe_preview(path)
    assert message is None
    assert [row[0] for row in preview["head"]["rows"]] == ["café", "bar", "déli"]


def test_the_preview_stays_small_on_a_wide_table_with_long_cells(tmp_path):
    frame = pd.DataFrame({f"col{i:03d}": [i, i + 1, i * 2] for i in range(300)})
    frame["col000"] = ["y" * 10_000, "short", "z" * 201]
    path = tmp_path / "wide_ok.csv"
    frame.to_csv(path, index=False)
    preview = build_preview(path)
    assert preview["columns_total"] == 300
    assert len(preview["columns"]) == len(preview["head"]["columns"]) == MAX_COLUMNS
    assert all(len(row) == MAX_COLUMNS for row in preview["head"]["rows"])
    assert preview["problems"][0] == (
        "only the first 200 of 300 columns are previewed and can be chosen; the roles and notes "
        "speak of those: upload fewer columns to choose among all of them")
    cells = [row[0] for row in preview["head"]["rows"]]
    assert cells == ["y" * (MAX_CELL_CHARS - 1) + "…", "short", "z" * (MAX_CELL_CHARS - 1) + "…"]


def test_a_column_name_too_long_to_show_is_refused(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("id," + "n" * 1_500 + "\n1,2\n3,4\n")
    with pytest.raises(InputError, match=r"^'names\.csv' has a column name of 1,500 characters "
                                         r"\(column 2\): shorten column names to at most 1,000"):
        build_preview(path)


# --- seeded byte fuzzing ----------------------------------------------------------------------

def preview_outcomes(paths: list[str]) -> list[list[str]]:
    """Run in one limited child: ["preview", ""], ["message", text] or ["bug", what] per file."""
    outcomes = []
    for path in paths:
        try:
            build_preview(path)
            outcomes.append(["preview", ""])
        except InputError as exc:
            outcomes.append(["message", str(exc)])
        except Exception as exc:  # noqa: BLE001 (what the test is looking for)
            outcomes.append(["bug", f"{type(exc).__name__}: {exc}"[:300]])
    return outcomes


def mutate(data: bytes, *, rng: np.random.Generator) -> bytes:
    """One to three random edits: flipped bits, inserted bytes, a deleted run, a cut-off tail."""
    data = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        if not data:
            break
        position, kind = int(rng.integers(0, len(data))), int(rng.integers(0, 4))
        if kind == 0:
            for spot in rng.integers(0, len(data), size=int(rng.integers(1, 9))):
                data[int(spot)] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:
            data[position:position] = rng.bytes(int(rng.integers(1, 33)))
        elif kind == 2:
            del data[position:position + int(rng.integers(1, 65))]
        else:
            del data[position:]
    return bytes(data)


def fuzz_files(folder, *, kind: str, cases: int, seed: int) -> list[str]:
    """Mutated copies of a small valid file; workbooks half raw, half with one part's XML edited."""
    rng = np.random.default_rng(seed)
    valid = {"csv": TABLE.to_csv(index=False).encode(), "xlsx": workbook_bytes(TABLE),
             "parquet": parquet_bytes()}[kind]
    names = zipfile.ZipFile(io.BytesIO(valid)).namelist() if kind == "xlsx" else []
    paths = []
    for index in range(cases):
        if names and index % 2:
            part = names[int(rng.integers(0, len(names)))]
            data = rezip(valid, changes={part: lambda xml: mutate(xml, rng=rng)})
        else:
            data = mutate(valid, rng=rng)
        path = folder / f"case{index:03d}.{kind}"
        path.write_bytes(data)
        paths.append(str(path))
    return paths


def one_by_one(path: str) -> list[str]:
    preview, message = safe_preview(path)
    return ["preview", ""] if preview is not None else ["message", message]


EXPECTED = {"csv": {"preview", "message"}, "xlsx": {"preview", "message"}, "parquet": {"message"}}


@pytest.mark.parametrize("kind, seed", [("csv", 11), ("xlsx", 12), ("parquet", 13)])
def test_mutated_files_give_a_preview_or_a_message(tmp_path, kind, seed):
    paths = fuzz_files(tmp_path, kind=kind, cases=70, seed=seed)
    memory_bytes, seconds = parse_limits()
    try:
        outcomes = run_limited(preview_outcomes, paths, memory_bytes=memory_bytes, seconds=seconds)
    except LimitError:  # one case exhausted or crashed the batch's child: each on its own then
        outcomes = [one_by_one(path) for path in paths]
    bugs = [f"{path}: {what}" for path, (result, what) in zip(paths, outcomes) if result == "bug"]
    assert bugs == []
    assert len(outcomes) == len(paths) and {result for result, _ in outcomes} >= EXPECTED[kind]
    assert all(0 < len(text) < 2_000 for result, text in outcomes if result == "message")
    for path, (result, text) in list(zip(paths, outcomes))[:3]:  # the same through safe_preview
        preview, message = safe_preview(path)
        assert (preview is not None, message) == (result == "preview", text or None)


# --- the same files sent on to a run ------------------------------------------------------------

@pytest.fixture
def store(tmp_path) -> RunStore:
    s = RunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    s.create_schema()
    return s


def claimed_run(store: RunStore, path, filename: str) -> str:
    """A run of the file taken by a runner, as if the API had sent it on whatever its preview."""
    upload_id = store.uploads.add(owner="alice", filename=filename, path=str(path),
                                  size_bytes=path.stat().st_size, preview=None, error=None).id
    run_id = store.runs.submit(owner="alice", title=filename, upload_id=upload_id,
                               options={"source": filename})
    assert store.queue.claim("runner").id == run_id
    return run_id


READER_REFUSES = [case for case in HOSTILE if case[0] is not expanding_parquet]


@pytest.mark.parametrize("make, filename, expected", READER_REFUSES,
                         ids=[case[1] for case in READER_REFUSES])
def test_a_hostile_file_sent_to_a_run_fails_it_with_the_same_message(tmp_path, store, make,
                                                                     filename, expected):
    """Each is refused by the reader before it can grow, so the job runs in this process."""
    path = tmp_path / filename
    make(path)
    run_id = claimed_run(store, path, filename)
    execute(store, run_id, upload_path=str(path), settings=Settings.from_env({}))
    run = store.runs.get(run_id)
    assert run.status == "failed" and run.message.startswith(f"'{filename}' ")
    assert re.search(expected, run.message), run.message


def test_a_table_that_grows_past_the_preview_is_refused_by_the_runs_size_check(tmp_path, store):
    path = tmp_path / "grows.parquet"
    expanding_beyond_the_preview(path)
    assert path.stat().st_size < 100_000
    preview, message = safe_preview(path)
    assert message is None and len(preview["head"]["rows"]) > 0
    run_id = claimed_run(store, path, "grows.parquet")
    execute(store, run_id, upload_path=str(path), settings=Settings.from_env({}))
    rows = MAX_CELLS // 2 + 1
    assert store.runs.get(run_id).message == (
        f"'grows.parquet' has {rows:,} rows of 2 columns ({2 * rows:,} values); a run reads at "
        f"most {MAX_CELLS:,} values: upload a sample of the rows or fewer columns")


def test_a_file_that_expands_past_the_runs_memory_fails_the_run_with_a_message(tmp_path, store):
    """Within the size check but 2 GB once read: the run's own process hits its memory limit."""
    path = tmp_path / "expands.parquet"
    expanding_parquet(path)
    upload_id = store.uploads.add(owner="alice", filename="expands.parquet", path=str(path),
                                  size_bytes=path.stat().st_size, preview=None, error=None).id
    run_id = store.runs.submit(owner="alice", title="x", upload_id=upload_id, options={})
    settings = Settings.from_env({"CLEARSEG_RUN_MEMORY_MB": "1200"})
    runner = Runner(store, concurrency=1, settings=settings)
    runner.step()
    runner.children[run_id].wait(timeout=120)
    runner.step()
    run = store.runs.get(run_id)
    assert run.status == "failed" and run_id not in runner.children
    assert run.message == ("the table does not fit in the run's memory (1,200 MB): use fewer "
                              "rows or features")


def test_an_upload_name_with_control_characters_is_stored_cleaned_on_postgresql(tmp_path, postgres):
    """PostgreSQL refuses a NUL in text: the name is cleaned before it is stored, nothing is left
    behind on disk, and the preview's messages name the cleaned file."""
    from service.usecases import store_upload
    url = postgres.fresh_database("upload_names")
    pg = RunStore(url)
    pg.create_schema()
    settings = Settings.from_env({"CLEARSEG_DATABASE_URL": url,
                                  "CLEARSEG_UPLOAD_DIR": str(tmp_path / "uploads")})
    record = store_upload(pg, settings, owner="alice", filename="cust\x00omers\r\n\x1b[31m.csv",
                          save=lambda path: path.write_bytes(TABLE.to_csv(index=False).encode()))
    assert record.filename == "customers[31m.csv" and record.error is None
    assert pg.uploads.get(record.id, owner="alice").filename == "customers[31m.csv"
    assert [p.name for p in (tmp_path / "uploads").iterdir()] == [record.id]
    pg.engine.dispose()
