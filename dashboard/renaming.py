"""Segment names typed by a run's owner: checked once, then applied to the Result and its files.

A name is user text: control characters and runs of spaces are folded, it is at most MAX_LENGTH
characters, and it must differ from the run's other names. Applied names reach every view and
export: the cards and charts (through the Result), result.json, report.html, rules.sql (one
comment line per segment, safe because a name holds no line break) and assignments.csv (its
`segment_name` column, with spreadsheet formulas neutralised). Nothing here imports Dash or Flask.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata

from segmentation.errors import InputError
from segmentation.outputs import FORMULA_START
from segmentation.result import RunResult

MAX_LENGTH = 60
SPACES = re.compile(r"\s+")


def clean_name(text, *, others: list[str] = ()) -> str:
    """The name as stored, or InputError saying what to change."""
    if not isinstance(text, str):
        raise InputError("Type a name for the segment.")
    kept = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) else ch for ch in text)
    name = SPACES.sub(" ", kept).strip()
    if not name:
        raise InputError("Type a name for the segment.")
    if len(name) > MAX_LENGTH:
        raise InputError(f"A segment name has at most {MAX_LENGTH} characters (this one has "
                         f"{len(name)}): shorten it.")
    if name.casefold() in {o.casefold() for o in others}:
        raise InputError(f"Another segment of this run is already called '{name}': pick another "
                         "name.")
    return name


def named_result(result: RunResult, names: dict[int, str]) -> RunResult:
    """A copy of the Result with the owner's names on its segments (the input is not changed)."""
    if not names:
        return result
    renamed = result.model_copy(deep=True)
    for seg in renamed.segments:
        seg.name = names.get(seg.id, seg.name)
    return renamed


def _cell(name: str) -> str:
    return "'" + name if name.startswith(FORMULA_START) else name


def renamed_assignments(content: bytes, names: dict[int, str]) -> bytes:
    """assignments.csv with `segment_name` rewritten from `segment`; every other cell as it was."""
    if not names:
        return content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8"), newline="")))
    if not rows or "segment" not in rows[0] or "segment_name" not in rows[0]:
        return content
    seg_col, name_col = rows[0].index("segment"), rows[0].index("segment_name")
    for row in rows[1:]:
        try:
            segment = int(row[seg_col])
        except (ValueError, IndexError):
            continue
        if segment in names:
            row[name_col] = _cell(names[segment])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)  # CR in a cell
    return out.getvalue().encode("utf-8")
