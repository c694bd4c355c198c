"""Reading number and date literals as a designer writes them.

Persian (۰–۹) and Arabic-Indic (٠–٩) digits are as good as ASCII ones, `_` and the
Arabic thousands separator `٬` group digits, `٫` is a decimal point, and k/m/b
scale by a thousand, a million, a billion. Literal length is bounded so that a
hostile rulebook cannot make the checker spend its time converting huge numbers.
"""

from __future__ import annotations

from decimal import Decimal

MAX_DIGITS = 30

_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩٫", "01234567890123456789.", "_٬")
_SCALE = {"k": Decimal(1_000), "m": Decimal(1_000_000), "b": Decimal(1_000_000_000)}


class LiteralError(ValueError):
    """A literal that is well-formed for the grammar but not a usable value."""


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def parse_number(text: str) -> Decimal:
    plain = ascii_digits(text)
    scale = _SCALE.get(plain[-1].lower())
    if scale is not None:
        plain = plain[:-1]
    if sum(ch.isdigit() for ch in plain) > MAX_DIGITS:
        raise LiteralError(f"this number has more than {MAX_DIGITS} digits")
    value = Decimal(plain)
    return value * scale if scale is not None else value


def parse_date(text: str) -> tuple[int, int, int]:
    year, month, day = ascii_digits(text).split("-")
    return int(year), int(month), int(day)


def unquote(text: str) -> str:
    """The text of a string literal: `\\"` is a quote, `\\\\` a backslash, `\\n` and `\\t` a newline and a tab;
    any other character after a backslash stands for itself."""
    body = text[1:-1]
    out: list[str] = []
    chars = iter(body)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
        else:
            out.append(ch)
    return "".join(out)
