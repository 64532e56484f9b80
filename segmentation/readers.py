"""Read an uploaded table (CSV/TSV/TXT, XLSX or Parquet) into a DataFrame, refusing what cannot be used.

The format is decided by the file's content first and its extension second; delimited text has its
encoding, delimiter and decimal mark sniffed from the first 64 KB. Numbers written as text in either
locale ("1.234,56", "1,234.56") are read as numbers, while codes with leading zeros ("00017") stay
text; other cells are left as read (cleaning.py tidies them). Column names are stripped, checked for
duplicates and filled in where empty; what reading changed is listed in `frame.attrs["notes"]`.
A workbook is checked as an archive before openpyxl opens it: unpacked size, compression ratio,
number of parts, and no document type declaration (entities) in its XML.
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .errors import InputError
from .numbers import code_columns, comma_columns, table_decimal, type_numbers
from .options import size_problem

SAMPLE_BYTES = 64 * 1024
SEPARATORS = (",", ";", "\t", "|")
MIN_ROWS = 2
NOT_A_TABLE = "is not a table: expected CSV, XLSX or Parquet"

_ZIP_MAGIC = b"PK\x03\x04"
_PARQUET_MAGIC = b"PAR1"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and password-protected .xlsx
_KNOWN_BINARY = (  # signatures of files people upload by mistake, with what to do instead
    (b"%PDF-", "it is a PDF document: export the table from its source as CSV or XLSX"),
    (b"\x1f\x8b", "it is gzip-compressed: decompress it and upload the table inside"),
    (_OLE_MAGIC, "it looks like an old .xls or a password-protected workbook: save it from Excel "
                 "as .xlsx without a password"),
)
_XLSX_SUFFIXES = (".xlsx", ".xlsm")
_PARQUET_SUFFIXES = (".parquet", ".pq")
_BINARY_SHARE = 0.05  # above this share of control characters, "text" is binary data
_CONTROL = re.compile("[\x01-\x08\x0b\x0e-\x1f\x7f-\x9f]")
XLSX_MAX_UNPACKED_MB = 512  # default: all entries of a workbook, unpacked (the service sets it)
XLSX_MAX_ENTRIES = 10_000
XLSX_MAX_RATIO = 200  # unpacked : packed, for entries over XLSX_RATIO_FROM bytes
XLSX_RATIO_FROM = 1024 * 1024
_XML_CHUNK = 64 * 1024


def read_table(path: str | os.PathLike, *, max_rows: int | None = None,
               xlsx_max_unpacked_mb: float = XLSX_MAX_UNPACKED_MB,
               name: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/TXT, XLSX or Parquet file into a DataFrame with a default RangeIndex.

    `max_rows` limits the data rows read (for previews); `xlsx_max_unpacked_mb` bounds what a
    workbook may unpack to; `name` is the file's name as the user knows it (an upload's original
    name), used in every message. Raises InputError for what a user must fix.
    """
    if max_rows is not None and (not isinstance(max_rows, int) or max_rows < 1):
        raise ValueError(f"max_rows must be a positive integer or None, got {max_rows!r}")
    path = Path(path)
    name = name or path.name
    head = _read_head(path, name)
    kind = _detect_format(path, head, name)
    if kind == "xlsx":
        frame = _read_xlsx(path, name, max_rows, limit_mb=xlsx_max_unpacked_mb)
        frame = _typed(frame, decimal=None, codes=None)
    elif kind == "parquet":
        frame = _read_parquet(path, name, max_rows)
    else:
        frame = _read_delimited(path, head, name, max_rows)
    _check_rows(frame, name, max_rows)
    if max_rows is None:
        _check_size(len(frame), frame.shape[1], name=name)
    notes = frame.attrs.get("notes", [])
    frame = frame.reset_index(drop=True)
    frame.attrs["notes"] = list(notes)
    return frame


def sniff_csv_options(sample: bytes) -> dict:
    """Guess `{"encoding": ..., "sep": ...}` of delimited text from its first bytes (about 64 KB).

    The encoding is a codec name pandas accepts; the separator is one of `,` `;` tab `|`.
    """
    encoding = _sniff_encoding(sample)
    text = _decode_sample(sample, encoding, "the sample")
    return {"encoding": encoding, "sep": _sniff_sep(text)}


# --- format detection -------------------------------------------------------------------------

def _read_head(path: Path, name: str) -> bytes:
    """The first SAMPLE_BYTES of the file, with missing or unreadable files reported by name."""
    try:
        with path.open("rb") as handle:
            return handle.read(SAMPLE_BYTES)
    except FileNotFoundError:
        raise InputError(f"'{name}' was not found: check the file name and upload it again") from None
    except IsADirectoryError:
        raise InputError(f"'{name}' is a folder, not a file: choose the table file itself") from None
    except OSError as exc:
        raise InputError(f"'{name}' could not be opened ({exc.strerror or 'read error'})") from None


def _detect_format(path: Path, head: bytes, name: str) -> str:
    """'xlsx', 'parquet' or 'text' from the magic bytes; the extension only refines the error."""
    suffix = path.suffix.lower()
    if head.startswith(_PARQUET_MAGIC):
        return "parquet"
    if head.startswith(_ZIP_MAGIC):
        if _zip_is_workbook(path, head, suffix, name=name):
            return "xlsx"
        raise InputError(f"'{name}' {NOT_A_TABLE} (it is a zip archive but not an Excel workbook)")
    for magic, hint in _KNOWN_BINARY:
        if head.startswith(magic):
            raise InputError(f"'{name}' {NOT_A_TABLE} ({hint})")
    if suffix in _XLSX_SUFFIXES and _looks_binary_bytes(head):
        raise InputError(f"'{name}' could not be read as XLSX: the file is damaged; save it again from Excel")
    if suffix in _PARQUET_SUFFIXES and _looks_binary_bytes(head):
        raise InputError(f"'{name}' could not be read as Parquet: the file is damaged; export it again")
    return "text"


def _zip_is_workbook(path: Path, head: bytes, suffix: str, *, name: str) -> bool:
    """True when the zip holds an `xl/` entry; a broken zip that claims to be a workbook is an error."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(entry.startswith("xl/") for entry in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        if suffix in _XLSX_SUFFIXES or b"xl/" in head:
            raise InputError(
                f"'{name}' could not be read as XLSX: the file is damaged or incomplete; "
                "save it again from Excel"
            ) from None
        return False


def _looks_binary_bytes(head: bytes) -> bool:
    """Binary data rather than text, judged on the decoded sample."""
    encoding = _sniff_encoding(head)
    try:
        return _looks_binary(_decode_sample(head, encoding, "the sample"))
    except InputError:
        return True


def _looks_binary(text: str) -> bool:
    """NUL characters, or more than a few percent control characters, mean binary data."""
    if "\x00" in text:
        return True
    return len(_CONTROL.findall(text)) > _BINARY_SHARE * max(len(text), 1)


# --- encoding and delimiter -------------------------------------------------------------------

def _sniff_encoding(sample: bytes) -> str:
    """BOM for UTF-8/UTF-16, else UTF-8 if the sample decodes, else cp1252, else latin-1."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "cp1252"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    return "latin-1"


def _decode_sample(sample: bytes, encoding: str, name: str) -> str:
    """Decode a sample that may end inside a multi-byte character (that tail is dropped)."""
    try:
        return codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
    except UnicodeDecodeError:
        raise InputError(
            f"'{name}' is not readable text: it is not valid {encoding.upper()}; "
            "save it as UTF-8 CSV and upload it again"
        ) from None


def _sniff_sep(text: str) -> str:
    """The separator that splits the sample's rows most consistently into 2 or more fields."""
    lines = _complete_lines(text)
    best, best_key = None, (0.5, 0)  # fewer than half the rows agreeing is no structure at all
    for sep in SEPARATORS:
        key = _split_score(lines, sep)
        if key[1] >= 2 and key > best_key:
            best, best_key = sep, key
    if best is not None:
        return best
    absent = [sep for sep in SEPARATORS if sep not in text]  # one column: split on nothing present
    return absent[0] if absent else SEPARATORS[0]


def _complete_lines(text: str) -> str:
    """The sample without its last line when that line may have been cut off."""
    if text.endswith(("\n", "\r")) or text.count("\n") < 2:
        return text
    return text[: text.rfind("\n") + 1]


def _split_score(lines: str, sep: str) -> tuple[float, int]:
    """(share of rows with the most common field count, that count), quotes respected."""
    reader = csv.reader(io.StringIO(lines, newline=""), delimiter=sep, quotechar='"', strict=False)
    try:
        counts = [len(row) for row in reader if row]
    except csv.Error:  # e.g. a field over the csv module's size limit: no usable structure
        return 0.0, 0
    if not counts:
        return 0.0, 0
    tally = Counter(counts)
    mode = max(tally, key=lambda count: (tally[count], count))
    return tally[mode] / len(counts), mode


# --- delimited text ---------------------------------------------------------------------------

def _read_delimited(path: Path, head: bytes, name: str, max_rows: int | None) -> pd.DataFrame:
    """Read delimited text with pandas' C engine, using options sniffed from the first bytes."""
    encoding = _sniff_encoding(head)
    text = _decode_sample(head, encoding, name)
    if not text.strip():
        raise _empty_error(name)
    if _looks_binary(text):
        raise InputError(f"'{name}' {NOT_A_TABLE}")
    _check_header_complete(head, text=text, name=name)
    sep = _sniff_sep(text)
    names = _clean_names(_first_rows(text, sep, name), name)
    plan = _number_plan(text, sep=sep, names=names)
    for candidate in _fallback_encodings(encoding):
        try:
            frame = _parse_csv(path, name, sep=sep, encoding=candidate, names=names,
                               max_rows=max_rows, options=plan.options)
        except UnicodeDecodeError:
            continue  # the sample decoded but a later byte did not: try the next Windows codec
        return _typed(frame, decimal=plan.decimal, codes=plan.codes, parsed=plan.parsed)
    raise InputError(f"'{name}' is not readable text: save it as UTF-8 CSV and upload it again")


@dataclass(frozen=True)
class _NumberPlan:
    """How to read the numbers of delimited text, judged on its sample."""

    decimal: str = "."
    codes: list = field(default_factory=list)     # digit codes with leading zeros: kept as text
    options: dict = field(default_factory=dict)   # more read_csv options: dtype, decimal, thousands
    parsed: list = field(default_factory=list)    # decimal-comma columns pandas reads itself


def _number_plan(text: str, *, sep: str, names: list[str]) -> _NumberPlan:
    """The decimal mark, the code columns and pandas' read options, judged on the sample as text.

    With a decimal comma, the plainly written number columns are parsed by pandas (decimal=",")
    and every other column is read as text for type_numbers.
    """
    try:
        sample = pd.read_csv(io.StringIO(_complete_lines(text)), sep=sep, header=0, names=names,
                             index_col=False, dtype=str, engine="c")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError):
        return _NumberPlan()  # the full read reports what is wrong with the file
    decimal, codes = table_decimal(sample, sep=sep), code_columns(sample)
    if decimal == ".":
        return _NumberPlan(decimal, codes, {"dtype": {column: str for column in codes}})
    fast, thousands, written = comma_columns(sample)
    as_text = {column: str for column in names if column not in fast}
    options = {"dtype": as_text, "decimal": ",", "thousands": thousands}
    return _NumberPlan(decimal, codes, options, written)


def _typed(frame: pd.DataFrame, *, decimal: str | None, codes: list[str] | None,
           parsed: list = ()) -> pd.DataFrame:
    """Text columns that are wholly numbers become numbers; what was done goes to attrs["notes"].

    Without a plan (a workbook's text cells), the decimal mark and codes are judged on the frame.
    """
    if decimal is None:
        decimal, codes = table_decimal(frame), code_columns(frame)
    typed, notes = type_numbers(frame, decimal=decimal, codes=codes, parsed=parsed)
    typed.attrs["notes"] = notes
    return typed


def _check_header_complete(head: bytes, *, text: str, name: str) -> None:
    """Refuse a first line longer than the sample: its column names would be cut off unnoticed."""
    if len(head) == SAMPLE_BYTES and "\n" not in text and "\r" not in text:
        raise InputError(
            f"'{name}' could not be read as a table: its first line is longer than "
            f"{SAMPLE_BYTES // 1024} KB, too long for a header of column names; upload a table "
            "with a header row and one row per line (at most a few thousand columns)"
        )


def _fallback_encodings(encoding: str) -> tuple[str, ...]:
    """The sniffed encoding, then the codecs to retry with if a byte past the sample fails it."""
    if encoding == "utf-8":
        return ("utf-8", "cp1252", "latin-1")
    if encoding == "cp1252":
        return ("cp1252", "latin-1")
    return (encoding,)


def _first_rows(text: str, sep: str, name: str) -> list:
    """The header row as written (no NA conversion), parsed with the same engine as the data.

    The first data row is parsed too: one with more fields than the header is refused here,
    because pandas would otherwise drop or shift its extra values without an error.
    """
    try:
        rows = pd.read_csv(io.StringIO(text), sep=sep, header=None, nrows=2, dtype=str,
                           keep_default_na=False, engine="c")
    except pd.errors.EmptyDataError:
        raise _empty_error(name) from None
    except pd.errors.ParserError as exc:
        raise _parser_error(name, exc) from None
    return list(rows.iloc[0])


def _parse_csv(path: Path, name: str, *, sep: str, encoding: str, names: list[str],
               max_rows: int | None, options: dict | None = None) -> pd.DataFrame:
    """One pass of the C engine over the whole file, header replaced by the checked names.

    `options` are more of read_csv's (dtype, decimal, thousands) from the sample's number plan.
    """
    try:
        return pd.read_csv(path, sep=sep, encoding=encoding, header=0, names=names, index_col=False,
                           nrows=max_rows, engine="c", low_memory=False, **(options or {}))
    except pd.errors.EmptyDataError:
        raise _empty_error(name) from None
    except pd.errors.ParserError as exc:
        if "out of memory" in str(exc):  # the C tokenizer's own allocation failure
            raise MemoryError(str(exc)) from None
        raise _parser_error(name, exc) from None
    except OSError as exc:
        raise InputError(f"'{name}' could not be read ({exc.strerror or 'read error'})") from None


def _parser_error(name: str, exc: Exception) -> InputError:
    """A pandas tokenizer error as a message about the user's file."""
    detail = str(exc).strip().removeprefix("Error tokenizing data. C error: ").split("\n")[0]
    return InputError(
        f"'{name}' could not be read as a table ({detail}): every row needs the same number of "
        "separated values as the header; quote values that contain the separator"
    )


# --- XLSX and Parquet -------------------------------------------------------------------------

def _read_xlsx(path: Path, name: str, max_rows: int | None, *, limit_mb: float) -> pd.DataFrame:
    """The first sheet, read with openpyxl in read-only mode; its first non-empty row is the header.

    Cells are typed as Excel stored them (text "007" stays text), then columns are inferred.
    """
    nrows = None if max_rows is None else max_rows + 1
    _check_workbook_archive(path, name=name, limit_mb=limit_mb)
    try:
        raw = pd.read_excel(path, sheet_name=0, header=None, nrows=nrows, engine="openpyxl")
    except MemoryError:
        raise  # not damage: the caller (a limited child process) reports the limit
    except Exception as exc:  # openpyxl reports damaged workbooks with many exception types
        raise InputError(
            f"'{name}' could not be read as XLSX ({type(exc).__name__}): save it again from Excel "
            "or export the sheet as CSV"
        ) from None
    raw = raw.dropna(how="all")  # blank rows, as the CSV reader skips blank lines
    raw = raw.dropna(axis=1, how="all")  # grid columns with neither a header nor a value
    if raw.empty:
        raise _empty_error(name)
    body = raw.iloc[1:].reset_index(drop=True)
    body.columns = _clean_names(list(raw.iloc[0]), name)
    return body.infer_objects()


def _check_workbook_archive(path: Path, *, name: str, limit_mb: float) -> None:
    """Refuse a workbook that would unpack to too much (a zip bomb) or declares a DTD in any part.

    openpyxl trusts the zip's sizes and parses XML with the standard library, which would expand
    entities (billion laughs), so both are checked here first; declared sizes bound what zipfile
    will unpack (a lying entry fails its CRC check instead of growing).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_workbook_sizes(entries, name=name, limit_mb=limit_mb)
            for entry in entries:  # every part, whatever its name: relationships may point anywhere
                if not entry.is_dir() and _declares_dtd(archive, entry=entry):
                    raise InputError(
                        f"'{name}' was refused: its XML part '{entry.filename[:100]}' declares a "
                        "document type or entities, which Excel never writes; save it again from "
                        "Excel or export the sheet as CSV"
                    )
    except InputError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, NotImplementedError,
            ValueError):  # a damaged, encrypted or oddly compressed archive
        raise InputError(
            f"'{name}' could not be read as XLSX: the file is damaged; save it again from Excel"
        ) from None


def _check_workbook_sizes(entries: list[zipfile.ZipInfo], *, name: str, limit_mb: float) -> None:
    """Entry count, total unpacked size and per-entry compression ratio within the limits."""
    if len(entries) > XLSX_MAX_ENTRIES:
        raise InputError(f"'{name}' was refused: the workbook holds {len(entries):,} parts (at most "
                         f"{XLSX_MAX_ENTRIES:,}); save it again from Excel or export the sheet as CSV")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limit_mb * 2**20:
        raise InputError(f"'{name}' was refused: the workbook unpacks to {unpacked / 2**20:,.0f} MB "
                         f"(at most {limit_mb:,.0f} MB); export the sheet as CSV or split it")
    for entry in entries:
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > XLSX_RATIO_FROM and ratio > XLSX_MAX_RATIO:
            raise InputError(f"'{name}' was refused: a part of the workbook is compressed more than "
                             f"{XLSX_MAX_RATIO}:1, as in a zip bomb; save it again from Excel or "
                             "export the sheet as CSV")


def _declares_dtd(archive: zipfile.ZipFile, *, entry: zipfile.ZipInfo) -> bool:
    """True when the XML's prolog holds a <!DOCTYPE> (the only place entities can be declared).

    Parsed with expat, as openpyxl does, so every encoding it accepts is seen the same way; parsing
    stops at the root element. Malformed XML is left for openpyxl to report.
    """
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _raise_doctype
    parser.EntityDeclHandler = _raise_doctype
    parser.StartElementHandler = _raise_root
    try:
        with archive.open(entry) as stream:
            while chunk := stream.read(_XML_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Doctype:
        return True
    except (_RootReached, expat.ExpatError):
        return False
    return False


class _Doctype(Exception):
    """Raised from expat when a document type declaration starts."""


class _RootReached(Exception):
    """Raised from expat at the root element: no declaration can follow."""


def _raise_doctype(*_) -> None:
    raise _Doctype


def _raise_root(*_) -> None:
    raise _RootReached


def _read_parquet(path: Path, name: str, max_rows: int | None) -> pd.DataFrame:
    """A Parquet file via pyarrow; an index stored by pandas comes back as ordinary columns."""
    message = f"'{name}' could not be read as Parquet: the file is damaged; export it again"
    try:
        table = _parquet_table(path, max_rows, name=name)
    except (MemoryError, InputError):  # pa.ArrowMemoryError too: the caller reports memory
        raise
    except (pa.ArrowException, OSError, ValueError):
        raise InputError(message) from None
    _clean_names(table.column_names, name)  # duplicates are refused before pandas sees them
    try:
        frame = table.to_pandas()
    except MemoryError:
        raise
    except (pa.ArrowException, ValueError, LookupError, TypeError, AttributeError):
        raise InputError(message) from None  # the others: pandas metadata (JSON) that is damaged
    if any(level is not None for level in frame.index.names):
        frame = frame.reset_index()
    frame.columns = _clean_names(list(frame.columns), name)
    return frame


def _parquet_table(path: Path, max_rows: int | None, *, name: str) -> pa.Table:
    """The whole table, or only its first `max_rows` rows without reading the rest."""
    parquet = pq.ParquetFile(path)
    if max_rows is None:   # before a small file expands to rows beyond the limit
        _check_size(parquet.metadata.num_rows, len(parquet.schema_arrow), name=name)
        return parquet.read()
    batches = parquet.iter_batches(batch_size=max_rows)
    first = next(batches, None)
    schema = parquet.schema_arrow
    return pa.Table.from_batches([] if first is None else [first], schema=schema)


# --- names and rows ---------------------------------------------------------------------------

def _clean_names(raw: list, name: str) -> list[str]:
    """Stripped column names; empty ones become `column_<n>`; duplicates are an error."""
    stripped = ["" if _is_missing(label) else str(label).strip() for label in raw]
    tally = Counter(label for label in stripped if label)
    duplicates = [label for label in tally if tally[label] > 1]
    if duplicates:
        listed = ", ".join(f"'{label}'" for label in duplicates)
        raise InputError(
            f"'{name}' has duplicate column names: {listed}; rename them so each name appears once"
        )
    taken = set(stripped)
    return [label or _unused_name(f"column_{position}", taken)
            for position, label in enumerate(stripped, start=1)]


def _is_missing(label) -> bool:
    """True for a header cell with no value (None or NaN from a spreadsheet)."""
    return label is None or (isinstance(label, float) and label != label)


def _unused_name(base: str, taken: set[str]) -> str:
    """`base`, or `base_2`, `base_3`, ... if a column already has that name; records the choice."""
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}_{suffix}", suffix + 1
    taken.add(candidate)
    return candidate


def _check_rows(frame: pd.DataFrame, name: str, max_rows: int | None) -> None:
    """Refuse tables without columns, without data rows, or with a single data row."""
    if frame.shape[1] == 0:
        raise _empty_error(name)
    if len(frame) == 0:
        raise InputError(
            f"'{name}' has column names but no data rows: add at least {MIN_ROWS} rows below the header"
        )
    if len(frame) < MIN_ROWS and (max_rows is None or len(frame) < max_rows):
        raise InputError(
            f"'{name}' has only {len(frame)} data row; segmentation needs at least {MIN_ROWS} rows"
        )


def _check_size(rows: int, columns: int, *, name: str) -> None:
    """Refuse a whole table larger than a run reads."""
    problem = size_problem(rows, columns)
    if problem:
        raise InputError(f"'{name}' {problem}")


def _empty_error(name: str) -> InputError:
    """The message for a file with nothing in it."""
    return InputError(
        f"'{name}' is empty: upload a table with a header row and at least {MIN_ROWS} data rows"
    )
