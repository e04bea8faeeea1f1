"""The one cleaning of typed text, applied where it enters (chat, citizens' pages, console forms).

A citizen's or staff member's text may carry characters nobody can see and that
break what reads it later: control characters (U+0001, U+000B, U+001F…) that an
``.xlsx`` file cannot hold, and bidirectional overrides and isolates (U+202A–U+202E,
U+2066–U+2069) that make a text read in another order than it is stored
("Trojan Source"). :func:`clean_text` drops them, keeps line breaks (a carriage
return becomes ``\\n``, a tab a space) and normalises to Unicode NFC, so that the
same words typed on two phones are stored (and compared, searched) alike.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar

T = TypeVar("T")

# C0 controls but \n (\t and \r are handled first), DEL and C1 controls, bidi embeddings/overrides
# (U+202A–U+202E) and isolates (U+2066–U+2069), lone surrogates, and the two noncharacters XML refuses.
_DROPPED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n?")


def clean_text(value: T) -> T:
    """``value`` without invisible control and bidi characters, NFC-normalised; anything not text unchanged.

    Usable as a WTForms filter (``None`` and non-text data pass through).
    """
    if not isinstance(value, str) or not value:
        return value
    text = _LINE_BREAKS.sub("\n", value).replace("\t", " ")
    text = _DROPPED.sub("", text)
    return unicodedata.normalize("NFC", text)  # type: ignore[return-value]
