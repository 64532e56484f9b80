"""Property tests of the upload-and-run path on malformed and adversarial tables.

Every generated file (random column names, HTML and formula strings, infinities, huge numbers, long
cells, ragged rows, any delimiter and encoding) must end in a result or in an InputError whose
message is one line with no traceback and no file path; through the web, the preview page must never
answer 500 or show a traceback. Hypothesis runs derandomized (the same examples every time), with no
example database.

The tests at the end keep faults these tests once found fixed: numbers beyond single precision,
a line break in a column name, the density method on a handful of rows, and a formula as a column
name in assignments.csv.
"""
from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from dashboard.app import create_app
from segmentation.errors import InputError
from segmentation.outputs import csv_text, rules_sql
from segmentation.pipeline import RunOptions, run_segmentation
from segmentation.preview import build_preview
from segmentation.readers import read_table
from segmentation.result import RunResult
from service import usecases
from service.previews import safe_preview
from service.settings import Settings

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning"),
    pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning"),
]

FLOAT32_MAX = 3.4028234e38   # sklearn's trees hold features as float32
ADVERSARIAL = (
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://example.invalid","x")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1",
    "nan", "NaN", "inf", "-inf", "Infinity", "-Infinity", "1e309", "-1e309", "3.0e38",
    "NULL", "None", "n/a", "#N/A", "?", "-", "", " ", '"', "'", '""', "a,b", "a;b", "a|b", "a\tb",
    "1,234.5", "0x1F", "1_000", "-0", "１２３", "\u202e", "\ufeff", "é", "😀", "true", "2024-01-01",
    "9" * 60, "x" * 5000,
)
LABELS = ("a", "b", "c", " a ", "B ", "n/a", "", "<b>x</b>", "=1+1", "ü")
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1")
LINE_ENDS = ("\n", "\r\n", "\r")
RISKY_START = ("=", "+", "@", "\t", "\r")
PATH_SIGNS = ('File "', "Traceback", "site-packages", ".py:", ".py\"")
MAX_ALERT = 500              # the home page cuts an upload's message to this many characters
EXAMPLES = {"in_process": 150, "web": 30, "sandboxed": 5}   # 150 files: 51 results, 99 refusals
# generate only: no shrinking, so a failure prints its example at once, within the timeout
FAST = dict(derandomize=True, database=None, deadline=None, phases=[Phase.generate],
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                   HealthCheck.filter_too_much])


# --- the generated uploads ----------------------------------------------------------------------

def column_names() -> st.SearchStrategy[str]:
    """Adversarial names and random unicode text (line breaks have a test of their own below)."""
    text = st.text(st.characters(exclude_characters="\r\n"), max_size=12)
    return st.one_of(st.sampled_from(ADVERSARIAL), text)


def numbers() -> st.SearchStrategy[str]:
    """Numbers as a spreadsheet would export them, up to the largest a float32 holds."""
    return st.one_of(
        st.integers(-1000, 1000).map(str),
        st.floats(-1e6, 1e6).map(lambda x: f"{x:.3f}"),
        st.integers(-10**30, 10**30).map(str),
        st.floats(-1e38, 1e38).map(repr),
    )


def any_cell() -> st.SearchStrategy[str]:
    """Anything a cell may hold: adversarial strings, text, numbers, inf/-inf/nan."""
    special = st.sampled_from([math.inf, -math.inf, math.nan]).map(repr)
    return st.one_of(st.sampled_from(ADVERSARIAL), st.text(max_size=20), numbers(), special)


def column_cells(kind: str) -> st.SearchStrategy[str]:
    """The cells of one column of the given kind."""
    return {
        "numbers": numbers(),
        "dirty numbers": st.one_of(numbers(), numbers(), numbers(), any_cell()),
        "labels": st.sampled_from(LABELS),
        "dates": st.sampled_from(["2024-01-01", "2023-12-31", "01/02/2024", "", "soon"]),
        "flags": st.sampled_from(["true", "false", "TRUE", "yes", "no", ""]),
        "constant": st.just("7"),
        "anything": any_cell(),
    }[kind]


@st.composite
def tables(draw) -> tuple[list[str], list[list[str]]]:
    """A header of 1-6 names (sometimes duplicated) and 0-40 rows, some of them ragged."""
    header = draw(st.lists(column_names(), min_size=1, max_size=6))
    if len(header) > 1 and draw(st.integers(0, 4)) == 0:
        header[-1] = draw(st.sampled_from([header[0], f" {header[0]} "]))
    kinds = [draw(st.sampled_from(["numbers", "numbers", "dirty numbers", "labels", "dates",
                                   "flags", "constant", "anything"])) for _ in header]
    rows = []
    for _ in range(draw(st.integers(0, 40))):
        row = [draw(column_cells(kind)) for kind in kinds]
        if draw(st.integers(0, 24)) == 0:
            row = row[:-1] if len(row) > 1 else row + ["extra"]
        rows.append(row)
    return header, rows


def delimited_bytes(lines: list[list[str]], *, sep: str, eol: str, quoting: int | None,
                    encoding: str) -> bytes:
    """Header and rows as a delimited file; quoting None joins fields raw (separators unescaped)."""
    if quoting is None:
        text = eol.join(sep.join(line) for line in lines) + eol
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=sep, quoting=quoting, lineterminator=eol)
        writer.writerows(lines)
        text = buffer.getvalue()
    return text.encode(encoding, errors="replace")


@st.composite
def uploads(draw) -> bytes:
    """A generated table written with a random delimiter, quoting, line end and encoding."""
    header, rows = draw(tables())
    return delimited_bytes(
        [header, *rows], sep=draw(st.sampled_from(DELIMITERS)), eol=draw(st.sampled_from(LINE_ENDS)),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, None])),
        encoding=draw(st.sampled_from(ENCODINGS)))


# --- what every outcome must satisfy -------------------------------------------------------------

def assert_user_message(message: str, *, folder: Path) -> None:
    """A message a person can act on: not empty, one line, no traceback, no file path."""
    assert message.strip(), "empty message"
    assert "\n" not in message and "\r" not in message, f"message spans lines: {message!r}"
    assert not any(sign in message for sign in PATH_SIGNS), f"traceback in message: {message!r}"
    assert str(folder) not in message, f"file path in message: {message!r}"


def assert_safe_csv(text: str) -> None:
    """No cell of a CSV, header included, opens as a formula; a cell starting with '-' is a number."""
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(RISKY_START), f"formula cell {cell!r}"
            if cell.startswith("-"):
                float(cell)


def assert_result(output, *, k: int | None) -> None:
    """A finished run: the k asked for, every used row assigned, JSON and files as the runner
    makes them, no formula in assignments.csv."""
    result = output.result
    chosen = result.clustering.k
    assert chosen == k if k else 2 <= chosen <= 10
    used = result.dataset.rows_used
    assert len(output.assignments) == used == sum(s.size for s in result.segments)
    assert set(output.assignments["segment"]) <= {s.id for s in result.segments}
    assert RunResult.from_json(result.to_json()).segments == result.segments
    assert "SELECT" in rules_sql(result)
    assert_safe_csv(csv_text(output.assignments))


def upload_and_run(path: Path, *, k: int | None) -> str:
    """The upload-and-run path in this process: "result", or "refused" with a checked message."""
    try:
        build_preview(path)
        output = run_segmentation(read_table(path), options=RunOptions(k=k))
    except InputError as exc:
        assert_user_message(str(exc), folder=path.parent)
        return "refused"
    assert_result(output, k=k)
    return "result"


def test_every_upload_ends_in_a_result_or_a_one_line_message(tmp_path):
    outcomes = Counter()

    @settings(max_examples=EXAMPLES["in_process"], **FAST)
    @given(data=uploads(), k=st.sampled_from([None, 2, 3]))
    def check(data, k):
        path = tmp_path / "data.csv"
        path.write_bytes(data)
        outcomes[upload_and_run(path, k=k)] += 1

    check()
    assert outcomes["result"] >= 40 and outcomes["refused"] >= 40, outcomes


# --- the same files through the web --------------------------------------------------------------

def in_process_preview(path, *, name=None, settings=None) -> tuple[dict | None, str | None]:
    """safe_preview's answer computed in this process; any other exception escapes (a fault)."""
    try:
        return build_preview(path, name=name), None
    except InputError as exc:
        return None, str(exc)


def routing_body(search: str) -> dict:
    """The body the browser posts for Dash's page routing callback of `/` + search."""
    location = "_pages_location"
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"},
                    {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": location, "property": "pathname", "value": "/"},
                   {"id": location, "property": "search", "value": search}],
        "changedPropIds": [f"{location}.pathname", f"{location}.search"],
    }


def strings_in(node) -> list[str]:
    """Every string inside a decoded JSON document."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings_in(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings_in(value)]
    return []


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    folder = tmp_path_factory.mktemp("instance")
    settings_ = Settings(database_url=f"sqlite:///{folder / 'clearseg.db'}",
                         upload_dir=folder / "uploads", max_upload_bytes=8 * 2**20,
                         runner_concurrency=1, secret_key="s" * 40, secure_cookies=False)
    return create_app(settings_, local=True)


# how a browser writes line breaks and quotes of a file name into a multipart header (HTML standard)
BROWSER_NAME_ESCAPES = str.maketrans({"\n": "%0A", "\r": "%0D", '"': "%22"})


def read_as_the_runner_would(app, upload_id: str) -> None:
    """Claim and read the one upload waiting (every earlier one was read), in this process."""
    ext = app.server.extensions["clearseg"]
    upload = ext["store"].uploads.claim_preview("test-runner")
    assert upload is not None and upload.id == upload_id
    assert usecases.read_upload(ext["store"], ext["settings"], upload, runner="test-runner")


def upload_page(app, data: bytes, *, filename: str) -> tuple[Path, list[str]]:
    """POST /upload, then the preview page and its routing call: (stored file, content strings)."""
    client = app.server.test_client()
    token = client.get("/csrf-token").get_json()["csrf"]
    sent = filename.translate(BROWSER_NAME_ESCAPES)
    posted = client.post("/upload", data={"csrf": token, "file": (io.BytesIO(data), sent)},
                         content_type="multipart/form-data")
    assert posted.status_code == 302 and posted.location.startswith("/?upload="), posted.status_code
    read_as_the_runner_would(app, posted.location.split("upload=")[1])
    page = client.get(posted.location)
    assert page.status_code == 200 and 'id="_dash-config"' in page.get_data(as_text=True)
    content = client.post("/_dash-update-component", json=routing_body(posted.location[1:]))
    text = content.get_data(as_text=True)
    assert content.status_code == 200, (content.status_code, text[:300])
    assert "_pages_content" in json.loads(text)["response"], text[:300]   # the page was built
    folder = app.server.extensions["clearseg"]["settings"].upload_dir / posted.location[9:]
    return next(folder.iterdir()), strings_in(json.loads(text))


def test_uploads_through_the_web_show_a_preview_or_the_message(app, monkeypatch):
    """POST /upload then the preview page; the preview is built in process for speed here."""
    called = {}

    def recording(path, *, name=None, settings=None):
        called["name"] = name            # the user's own file name, which the message uses
        return in_process_preview(path, name=name)

    monkeypatch.setattr("service.usecases.safe_preview", recording)
    shown = Counter()

    @settings(max_examples=EXAMPLES["web"], **FAST)
    @given(data=uploads(), stem=st.sampled_from(ADVERSARIAL[:8]) | st.text(max_size=10))
    def check(data, stem):
        stored, strings = upload_page(app, data, filename=f"{stem}.csv")
        assert stored.read_bytes() == data
        _, error = in_process_preview(stored, name=called.get("name"))
        if error is None:
            assert "run-button" in strings  # the settings form under the preview
            shown["preview"] += 1
        else:
            assert error[:MAX_ALERT] in strings
            shown["message"] += 1

    check()
    assert shown["preview"] >= 5 and shown["message"] >= 5, shown


def test_the_sandboxed_preview_agrees_with_the_in_process_one(tmp_path):
    """A few files through safe_preview (a child process per call): same preview or message."""
    @settings(max_examples=EXAMPLES["sandboxed"], **FAST)
    @given(data=uploads())
    def check(data):
        path = tmp_path / "data.csv"
        path.write_bytes(data)
        expected = in_process_preview(path)
        assert json.dumps(safe_preview(path), sort_keys=True) == json.dumps(expected, sort_keys=True)

    check()


# --- known faults, reproduced exactly (strict: the marker goes with the fix) ---------------------

def write_rows(path: Path, header: str, rows: list[str]) -> Path:
    """A small UTF-8 CSV of a header line and data lines."""
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("huge", ["1e39", "1.7976931348623157e308"])
def test_a_number_beyond_float32_is_refused_with_a_message(tmp_path, huge):
    rows = [f"{i},{(i * 7) % 13}" for i in range(1, 30)] + [f"{huge},5"]
    path = write_rows(tmp_path / "data.csv", "spend,visits", rows)
    assert float(huge) > FLOAT32_MAX
    with pytest.raises(InputError, match="'spend'") as caught:
        run_segmentation(read_table(path), options=RunOptions())
    assert_user_message(str(caught.value), folder=tmp_path)


def test_a_line_break_in_a_column_name_stays_out_of_the_message(tmp_path):
    path = write_rows(tmp_path / "data.csv", '"a\nb",x,"a\nb"', ["1,2,3", "4,5,6", "7,8,9"])
    with pytest.raises(InputError, match="duplicate column names") as caught:
        build_preview(path)
    assert_user_message(str(caught.value), folder=tmp_path)


DENSITY_FEW_ROWS = {
    "hdbscan": ("spend,visits", [f"{i},{(i * 7) % 13}" for i in range(1, 9)]),  # 8 rows < 10
    "pca": ("spend,visits,plan,region,channel,tier",  # 9 rows, more than 10 columns once one-hot
            [f"{i * 3},{i * i % 7},{'abcabcabc'[i - 1]},{'xyzzyxxyz'[i - 1]},"
             f"{'pqrrqppqr'[i - 1]},{'uvwwvuuvw'[i - 1]}" for i in range(1, 10)]),
}


@pytest.mark.parametrize("case", sorted(DENSITY_FEW_ROWS))
def test_density_on_a_handful_of_rows_ends_in_a_message(tmp_path, case):
    header, rows = DENSITY_FEW_ROWS[case]
    path = write_rows(tmp_path / "data.csv", header, rows)
    with pytest.raises(InputError, match="density"):
        run_segmentation(read_table(path), options=RunOptions(method="density"))


def test_a_formula_column_name_is_neutralised_in_assignments_csv(tmp_path):
    rows = [f"C{i:03d},{(i * 3) % 17},{(i * 7) % 11}" for i in range(40)]
    path = write_rows(tmp_path / "data.csv", "\"=cmd|' /C calc'!A0\",spend,visits", rows)
    output = run_segmentation(read_table(path), options=RunOptions())
    assert output.result.dataset.id_column == "=cmd|' /C calc'!A0"
    header = next(csv.reader(io.StringIO(csv_text(output.assignments))))
    assert header == ["'=cmd|' /C calc'!A0", "cluster", "segment", "segment_name"]
