"""A workbook's parts are checked for entity declarations whatever their names: the relationships
may point the sheet at a part not named `*.xml`, which openpyxl parses all the same.

The hostile workbooks are previewed through safe_preview (a limited child), so the old check's
miss would end in the limits rather than take this process's memory.
"""
from __future__ import annotations

import io
import re
import zipfile

import pandas as pd
import pytest
from openpyxl import Workbook

from segmentation.readers import read_table
from service.previews import safe_preview

TABLE = pd.DataFrame({"customer_id": [f"C{i:03d}" for i in range(8)],
                      "plan": ["basic", "pro"] * 4, "spend": [float(i) for i in range(8)]})
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'
                    for i in range(1, 10))
          + "]>")
SHEET = "xl/worksheets/sheet1.xml"


def workbook_bytes() -> bytes:
    book = Workbook()
    book.active.append(list(TABLE.columns))
    for row in TABLE.itertuples(index=False):
        book.active.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def renamed_sheet(new_name: str, *, prolog: str = "") -> bytes:
    """The workbook with its sheet moved to `new_name` (relationships and content types follow),
    the sheet's XML declaration replaced by `prolog` when one is given."""
    source, buffer = zipfile.ZipFile(io.BytesIO(workbook_bytes())), io.BytesIO()
    old_target, new_target = SHEET.removeprefix("xl/"), new_name.removeprefix("xl/")
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = source.read(name)
            if name == SHEET:
                name = new_name
                if prolog:
                    body = content.split(b"?>", 1)[1] if content.startswith(b"<?xml") else content
                    content = prolog.encode() + body
            elif name in ("xl/_rels/workbook.xml.rels", "[Content_Types].xml"):
                content = content.replace(old_target.encode(), new_target.encode())
            target.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.bin", "xl/worksheets/data",
                                  "xl/media/image1.png"])
def test_a_renamed_sheet_still_reads(tmp_path, part):
    """The renaming itself is sound: openpyxl follows the relationships to the part."""
    path = tmp_path / "book.xlsx"
    path.write_bytes(renamed_sheet(part))
    assert part in zipfile.ZipFile(path).namelist()
    frame = read_table(path)
    assert frame["customer_id"].tolist() == TABLE["customer_id"].tolist()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.bin", "xl/worksheets/data",
                                  "xl/media/image1.png"])
def test_entities_in_a_part_not_named_xml_are_refused(tmp_path, part):
    path = tmp_path / "laughs.xlsx"
    path.write_bytes(renamed_sheet(part, prolog=LAUGHS))
    preview, message = safe_preview(path)
    assert preview is None
    assert re.match(rf"^'laughs\.xlsx' was refused: its XML part '{re.escape(part)}' declares a "
                    r"document type or entities, which Excel never writes", message), message
