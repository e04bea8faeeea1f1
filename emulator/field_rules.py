"""WeChat's rules for template and subscribe field values, as the emulator enforces them.

WeChat types a field by its key's prefix (``thing1`` → ``thing``) and answers
``47003 argument invalid! data.<key>.value invalid`` to a value its type does
not hold. The emulator imports nothing of the service, so it keeps its own copy
of the rules; ``tests/services/messaging/test_field_rules.py`` checks that this
copy and the service's (``services/messaging/field_rules.py``) agree on a table
of cases.

=================  =============================================================
thing              ≤ 20 characters
phrase             ≤ 5 Chinese characters only
character_string   ≤ 32 letters, digits, symbols; no Chinese
number             ≤ 32 digits, decimals allowed
letter             ≤ 32 letters
symbol             ≤ 5 symbols
name               ≤ 10 characters if any is Chinese, else ≤ 20 letters/symbols
phone_number       ≤ 17 digits and symbols
amount             currency sign + ≤ 10 digits (decimals), may end in 元
car_number         ≤ 8; first and last may be Chinese, the rest letters/digits
time               ``HH:MM[:SS]`` with an optional date before it; ``~`` joins two
date               a date with an optional ``HH:MM[:SS]``; ``~`` joins two
=================  =============================================================

Dates are ``2019年10月1日``, ``2019年10月``, ``10月1日``, ``2019-10-01``,
``2019/10/01``, ``2019.10.01``, ``2019-10`` or ``10-01``. Every type: no empty
value, no line break or other control character. A key of no known type (an
old ``keyword1`` template) keeps the former rule: at most 20 characters.
"""

from __future__ import annotations

import re

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_D = (r"(?:\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日"
      r"|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d{1,2}-\d{1,2})")
_T = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"

PATTERNS: dict[str, re.Pattern[str]] = {
    "thing": re.compile(r".{1,20}", re.S),
    "phrase": re.compile(rf"[{_HAN}]{{1,5}}"),
    "character_string": re.compile(rf"[^\s{_HAN}]{{1,32}}"),
    "number": re.compile(r"(?=[\d.]{1,32}$)\d+(?:\.\d+)?"),
    "letter": re.compile(r"[A-Za-z]{1,32}"),
    "symbol": re.compile(rf"[^\w\s{_HAN}]{{1,5}}"),
    "name": re.compile(rf"(?=.*[{_HAN}]).{{1,10}}|[^\d\s{_HAN}]{{1,20}}"),
    "phone_number": re.compile(rf"[^A-Za-z\s{_HAN}]{{1,17}}"),
    "amount": re.compile(r"[¥￥$€£]\d{1,10}(?:\.\d+)?元?"),
    "car_number": re.compile(rf"[{_HAN}A-Za-z0-9][A-Za-z0-9]{{0,6}}[{_HAN}A-Za-z0-9]?"),
    "time": re.compile(rf"(?:{_D} ?)?{_T}(?: ?~ ?(?:{_D} ?)?{_T})?"),
    "date": re.compile(rf"{_D}(?: ?{_T})?(?: ?~ ?{_D}(?: ?{_T})?)?"),
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
_KEY = re.compile(r"([a-z_]+?)_?\d+")


def type_of(key: str) -> str:
    """``thing1`` → ``thing``, ``character_string2`` → ``character_string``."""
    match = _KEY.fullmatch(key)
    return match.group(1) if match else key


def accepts(key: str, value: str) -> bool:
    """Whether WeChat takes ``value`` for the field ``key``."""
    if not value.strip() or _CONTROL.search(value):
        return False
    pattern = PATTERNS.get(type_of(key))
    if pattern is None:
        return len(value) <= 20
    if type_of(key) == "symbol" and "_" in value:  # ``\w`` counts the underscore as a word character
        return len(value) <= 5 and all(not (c.isalnum() or c.isspace()) for c in value)
    return pattern.fullmatch(value) is not None


def invalid_message(key: str) -> str:
    """WeChat's words for a refused field."""
    return f"argument invalid! data.{key}.value invalid"
