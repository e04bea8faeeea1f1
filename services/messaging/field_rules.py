"""What WeChat accepts in a template or subscribe field, and how a value is fitted to it.

WeChat types every field by its key's prefix (``thing1`` is a ``thing``,
``character_string2`` a ``character_string``) and answers ``47003 argument
invalid! data.<key>.value invalid`` to a value that breaks its type's rule:

==================  ==========================================================
``thing``           ≤ 20 characters (Chinese, letters, digits, symbols)
``phrase``          ≤ 5 Chinese characters, nothing else
``character_string``≤ 32 letters, digits, symbols (no Chinese)
``number``          ≤ 32 digits, decimals allowed
``letter``          ≤ 32 letters
``symbol``          ≤ 5 symbols
``name``            ≤ 10 characters with any Chinese, else ≤ 20 letters/symbols
``phone_number``    ≤ 17 digits and symbols
``amount``          a currency sign, ≤ 10 digits (decimals allowed), may end in 元
``car_number``      ≤ 8; first and last may be Chinese, the rest letters/digits
``time``            a 24-hour time with an optional date before it (``15:01``,
                    ``2019年10月1日 15:01``); a range joins two with ``~``
``date``            a date with an optional time (``2019年10月1日``,
                    ``2019-10-01 15:01``); a range joins two with ``~``
==================  ==========================================================

No value may be empty or hold a line break (or any control character). This
module is the service's one copy of the rules: :func:`check` says whether WeChat
takes a value, :func:`fit` makes one it takes. The emulator keeps its own strict
copy (``emulator/field_rules.py``: it imports nothing of the service), and
``tests/services/messaging/test_field_rules.py`` checks both agree.

Fitting shortens by meaning: an aside in brackets goes first, then whole
clauses from the end, and a cut never falls inside a run of letters or digits.
A ``phrase`` cannot be shortened that way, so senders give a short status
(``待确认``), and a value that still breaks the rule falls back to ``见详情``.
"""

from __future__ import annotations

import re

TYPED_KEY = re.compile(r"([a-z_]+?)_?(\d+)")
CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")

_DATE = (r"(?:\d{4}年\d{1,2}月(?:\d{1,2}日)?|\d{1,2}月\d{1,2}日"
         r"|\d{4}[-/.]\d{1,2}(?:[-/.]\d{1,2})?|\d{1,2}-\d{1,2})")
_CLOCK = r"(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
_TIME_POINT = rf"(?:{_DATE} ?)?{_CLOCK}"
_DATE_POINT = rf"{_DATE}(?: ?{_CLOCK})?"
TIME = re.compile(rf"{_TIME_POINT}(?: ?~ ?{_TIME_POINT})?")
DATE = re.compile(rf"{_DATE_POINT}(?: ?~ ?{_DATE_POINT})?")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
AMOUNT = re.compile(r"[¥￥$€£]\d{1,10}(?:\.\d+)?元?")

LIMITS = {"thing": 20, "character_string": 32, "number": 32, "letter": 32, "symbol": 5, "phrase": 5,
          "phone_number": 17, "car_number": 8}
GENERIC_LIMIT = 20  # a key of no known type (an old ``keyword1`` template): the old 20-character rule
BRACKETS = re.compile(r"（[^（）]*）|\([^()]*\)|【[^【】]*】|\[[^\[\]]*\]|〔[^〔〕]*〕")
CLAUSE_END = "，,。；;：:、·|/—－ "
ELLIPSIS = "…"
PHRASE_FALLBACK = "见详情"


def field_type(key: str) -> str:
    """The type WeChat reads from a key: ``thing1`` → ``thing``; an untyped key is returned as it is."""
    match = TYPED_KEY.fullmatch(key)
    return match.group(1) if match else key


def _is_symbol(char: str) -> bool:
    return not (char.isalnum() or CJK.match(char) or char.isspace())


def check(key: str, value: object) -> str | None:
    """Why WeChat refuses ``value`` for ``key`` (None: it accepts it)."""
    text = "" if value is None else str(value)
    if not text.strip():
        return "empty"
    if CONTROL.search(text):
        return "line break or control character"
    kind = field_type(key)
    rule = _RULES.get(kind)
    if rule is None:
        return None if len(text) <= GENERIC_LIMIT else f"longer than {GENERIC_LIMIT} characters"
    return rule(text)


def _limit(kind: str, text: str) -> str | None:
    return None if len(text) <= LIMITS[kind] else f"longer than {LIMITS[kind]} characters"


def _thing(text: str) -> str | None:
    return _limit("thing", text)


def _phrase(text: str) -> str | None:
    if not all(CJK.match(char) for char in text):
        return "not only Chinese characters"
    return _limit("phrase", text)


def _character_string(text: str) -> str | None:
    if CJK.search(text) or any(char.isspace() for char in text):
        return "Chinese characters or spaces"
    return _limit("character_string", text)


def _number(text: str) -> str | None:
    return None if NUMBER.fullmatch(text) and len(text) <= LIMITS["number"] else "not a number of ≤ 32 digits"


def _letter(text: str) -> str | None:
    return None if text.isascii() and text.isalpha() and len(text) <= LIMITS["letter"] else "not ≤ 32 letters"


def _symbol(text: str) -> str | None:
    return None if all(_is_symbol(char) for char in text) and len(text) <= LIMITS["symbol"] else "not ≤ 5 symbols"


def _name(text: str) -> str | None:
    if CJK.search(text):
        return None if len(text) <= 10 else "a Chinese name longer than 10 characters"
    if any(char.isdigit() or char.isspace() for char in text) or len(text) > 20:
        return "not ≤ 20 letters or symbols"
    return None


def _phone_number(text: str) -> str | None:
    if CJK.search(text) or ASCII_LETTER.search(text) or any(char.isspace() for char in text):
        return "not digits and symbols"
    return _limit("phone_number", text)


def _amount(text: str) -> str | None:
    return None if AMOUNT.fullmatch(text) else "not a currency sign and ≤ 10 digits"


def _car_number(text: str) -> str | None:
    middle = text[1:-1]
    if len(text) > LIMITS["car_number"] or not (middle.isascii() and middle.isalnum() or not middle):
        return "not a plate number"
    if any(not (CJK.match(char) or (char.isascii() and char.isalnum())) for char in (text[0], text[-1])):
        return "not a plate number"
    return None


def _time(text: str) -> str | None:
    return None if TIME.fullmatch(text) else "not a 24-hour time (with an optional date)"


def _date(text: str) -> str | None:
    return None if DATE.fullmatch(text) else "not a date (with an optional time)"


_RULES = {"thing": _thing, "phrase": _phrase, "character_string": _character_string, "number": _number,
          "letter": _letter, "symbol": _symbol, "name": _name, "phone_number": _phone_number, "amount": _amount,
          "car_number": _car_number, "time": _time, "date": _date}


# --- fitting ---------------------------------------------------------------------------------


def clean(value: object) -> str:
    """One line without emoji: every run of whitespace or control characters becomes one space."""
    text = EMOJI.sub("", "" if value is None else str(value))
    return " ".join(CONTROL.sub(" ", text).split())


def shorten(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, shortened by meaning.

    Asides in brackets go first (``政务和数据局办公区（具体地点以入选通知为准）`` → ``政务和数据局办公区``);
    then whole clauses from the end, marked with ``…``; only a single clause longer than the
    limit is cut inside, and never in the middle of a run of letters or digits.
    """
    text = clean(text)
    if len(text) <= limit:
        return text
    bare = text
    while len(bare) > limit and BRACKETS.search(bare):
        bare = " ".join(BRACKETS.sub(" ", bare, count=1).split())
        if len(bare) <= limit and bare:
            return bare
    room = limit - len(ELLIPSIS)
    base = bare or text
    # The last clause boundary that keeps at least half the room: whole clauses go from the end.
    bounds = [i for i in range(room // 2, room + 1) if base[i - 1] in CLAUSE_END or base[i] in CLAUSE_END]
    if bounds:
        return base[:bounds[-1]].rstrip(CLAUSE_END) + ELLIPSIS
    cut = room
    while cut > room // 2 and _word_char(base[cut - 1]) and _word_char(base[cut]):
        cut -= 1  # never cut a word or a number in half
    return base[:cut].rstrip(CLAUSE_END) + ELLIPSIS


def _word_char(char: str) -> bool:
    return char.isascii() and char.isalnum()


def fit(key: str, value: object) -> str:
    """``value`` made acceptable for ``key``'s type (WeChat's 47003 otherwise).

    A value that already passes is only cleaned. Senders give each meaning in a form its
    field can hold (a time as ``10月12日 14:00``, a status as a short phrase); what this
    adds is the safety net: shortening by meaning, dropping what a type cannot hold.
    """
    text = clean(value)
    if check(key, text) is None:
        return text
    kind = field_type(key)
    fitted = _FITTERS.get(kind, lambda t: shorten(t, GENERIC_LIMIT))(text)
    if check(key, fitted) is None:
        return fitted
    # Nothing of the value fits (a sender's slip): a neutral word where the type has one, else the value
    # as it is, which WeChat refuses visibly (47003 on the outbox row) rather than showing something wrong.
    return LAST_RESORT.get(kind, fitted)


def _fit_phrase(text: str) -> str:
    """A clause that is a phrase: after a label's colon (``落实进展：实施中``) first, else the first one."""
    labelled = re.split(r"[：:]", text)[-1:] if re.search(r"[：:]", text) else []
    for clause in labelled + re.split(rf"[{re.escape(CLAUSE_END)}]", text):
        if clause and all(CJK.match(char) for char in clause) and len(clause) <= LIMITS["phrase"]:
            return clause
    return PHRASE_FALLBACK


def _fit_time(text: str, pattern: str) -> str:
    bare = " ".join(re.sub(r"周[一二三四五六日天]|星期[一二三四五六日天]", " ", text).split())
    match = re.search(pattern, bare)
    return " ".join(match.group(0).split()) if match else text


def _fit_plain(text: str, allowed, limit: int) -> str:
    kept = "".join(char for char in text if allowed(char))
    return kept[:limit]


_FITTERS = {
    "thing": lambda t: shorten(t, LIMITS["thing"]),
    "phrase": _fit_phrase,
    "character_string": lambda t: _fit_plain(t, lambda c: c.isascii() and not c.isspace(), 32),
    "number": lambda t: (NUMBER.search(t).group(0) if NUMBER.search(t) else t)[:32],
    "letter": lambda t: _fit_plain(t, lambda c: c.isascii() and c.isalpha(), 32),
    "symbol": lambda t: _fit_plain(t, _is_symbol, 5),
    "name": lambda t: t[:10] if CJK.search(t) else _fit_plain(t, lambda c: not c.isdigit() and c != " ", 20),
    "phone_number": lambda t: _fit_plain(t, lambda c: not (CJK.match(c) or ASCII_LETTER.match(c) or c == " "), 17),
    "time": lambda t: _fit_time(t, _TIME_POINT),
    "date": lambda t: _fit_time(t, _DATE_POINT),
}

LAST_RESORT = {"phrase": PHRASE_FALLBACK, "thing": PHRASE_FALLBACK}
