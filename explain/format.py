"""Readable numbers and names for every sentence the product shows: 70k, 1.2M, 12%, 2.3x."""

import math
import re

_SCALES = (("", 1.0), ("k", 1e3), ("M", 1e6), ("B", 1e9), ("T", 1e12))
_PREFIX_UNITS = frozenset({"$", "€", "£", "¥"})


def _is_missing(x) -> bool:
    """True for None, NaN and infinities: values no sentence should quote as a number."""
    if x is None:
        return True
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def _decimals(value: float, *, scaled: bool) -> int:
    """Decimals to show: 3 significant digits below 1000, 2 below 1, one for a scaled value under 10."""
    if value == 0:
        return 0
    if scaled:
        return 1 if value < 10 else 0
    if value >= 100:
        return 0
    if value >= 1:
        return 2 - int(math.floor(math.log10(value)))
    return 1 - int(math.floor(math.log10(value)))


def _plain(value: float, *, decimals: int) -> str:
    """Fixed-decimal text with trailing zeros (and a bare point) removed."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _scaled_text(magnitude: float) -> str:
    """Text of a non-negative number with a k/M/B/T suffix where it shortens it."""
    for suffix, scale in _SCALES:
        value = magnitude / scale
        decimals = _decimals(value, scaled=bool(suffix))
        rounded = round(value, decimals)
        if rounded < 1000 or suffix == "T":
            return _plain(rounded, decimals=decimals) + suffix
    raise AssertionError("unreachable")


def human_number(x: float, *, unit: str = "") -> str:
    """A number as people say it (70000 -> "70k", 1234.5 -> "1.2k", 0.25 -> "0.25"); NaN -> "n/a".

    Currency symbols ($, €, £, ¥) go in front ("$1.2M"), "%" right after, other units after a space.
    """
    if _is_missing(x):
        return "n/a"
    body = _scaled_text(abs(float(x)))
    sign = "-" if float(x) < 0 and body != "0" else ""
    if unit in _PREFIX_UNITS:
        return f"{sign}{unit}{body}"
    if not unit or unit == "%":
        return f"{sign}{body}{unit}"
    return f"{sign}{body} {unit}"


def human_share(x: float) -> str:
    """A fraction as a percentage (0.123 -> "12%", 0.004 -> "0.4%"); NaN -> "n/a"."""
    if _is_missing(x):
        return "n/a"
    pct = float(x) * 100.0
    magnitude = abs(pct)
    if magnitude >= 10 or magnitude == 0:
        decimals = 0
    elif magnitude >= 0.1:
        decimals = 1
    else:
        decimals = 1 - int(math.floor(math.log10(magnitude)))
    text = _plain(round(magnitude, decimals), decimals=decimals)
    sign = "-" if pct < 0 and text != "0" else ""
    return f"{sign}{text}%"


def human_ratio(x: float) -> str:
    """A multiple of the average (2.31 -> "2.3x", 0.456 -> "0.46x", 12.4 -> "12x"); NaN -> "n/a"."""
    if _is_missing(x):
        return "n/a"
    magnitude = abs(float(x))
    if magnitude >= 10 or magnitude == 0:
        decimals = 0
    elif magnitude >= 1:
        decimals = 1
    else:
        decimals = max(2, -int(math.floor(math.log10(magnitude))))
    text = _plain(round(magnitude, decimals), decimals=decimals)
    sign = "-" if float(x) < 0 and text != "0" else ""
    return f"{sign}{text}x"


def humanize_name(col: str) -> str:
    """A column name as words ("annual_income" -> "annual income", "spendingScore" -> "spending score").

    Acronyms inside a mixed-case name stay upper case ("customerID" -> "customer ID").
    """
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", str(col))
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    text = re.sub(r"(?<=[A-Za-z])[-.](?=[A-Za-z])", " ", text.replace("_", " "))
    words = text.split()
    shout = not any(ch.islower() for ch in text)
    return " ".join(_word_case(word, shout=shout) for word in words)


def _word_case(word: str, *, shout: bool) -> str:
    """Lower-case a word unless it is an acronym in a name that is not all capitals."""
    if not shout and len(word) >= 2 and word.isupper() and word.isalpha():
        return word
    return word.lower()


def feature_label(col: str) -> str:
    """A column name for use inside a sentence: humanised, without parenthesised units ("(k$)").

    A coded name in capitals ("CUST_BAL_AVG") keeps its own spelling: lower-cased it reads as gibberish.
    """
    text = str(col).strip()
    coded = any(ch.isalpha() for ch in text) and not any(ch.islower() for ch in text) and (
        "_" in text or len(text) <= 5)
    words = text if coded else humanize_name(col)
    short = re.sub(r"\s*\([^)]*\)", "", words).strip()
    return short or words


def capitalize_first(text: str) -> str:
    """Upper-case the first character only, so later acronyms survive ("customer ID" -> "Customer ID")."""
    return text[:1].upper() + text[1:]
