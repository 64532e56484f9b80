"""What a spreadsheet would run: a cell that starts like a formula and is not a plain number."""
from __future__ import annotations

FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def formula_cells(cells) -> list[str]:
    """The cells a spreadsheet would read as a formula: a leading =, +, -, @, tab or carriage
    return that does not begin a plain number (-3.5 is data, -1+1 is a formula)."""
    return [c for c in cells if c.startswith(FORMULA) and not _is_number(c)]
