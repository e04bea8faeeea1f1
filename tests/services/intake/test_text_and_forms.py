"""The one cleaning of typed text, and the forms that apply it with WTForms' messages in Chinese."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import wtforms
from flask_wtf import FlaskForm

from services.intake import FORM_MESSAGES, InputMeta, clean_text


def test_control_characters_and_bidi_controls_go_line_breaks_stay_and_text_is_nfc():
    assert clean_text("a\x01b\x0bc\x1fd\x7fe\x85f") == "abcdef"
    assert clean_text("第一行\r\n第二行\r第三行\n第四行\t完") == "第一行\n第二行\n第三行\n第四行 完"
    assert clean_text("\u202a\u202b\u202c\u202d\u202e文\u2066字\u2067\u2068\u2069") == "文字"
    assert clean_text("cafe\u0301") == "café" and clean_text("ｆｕｌｌ") == "ｆｕｌｌ", "NFC, not NFKC"
    assert clean_text("家👨\u200d👩\u200d👧") == "家👨\u200d👩\u200d👧", "emoji joiners are kept"
    assert clean_text(None) is None and clean_text(5) == 5 and clean_text("") == ""


def _all_forms(base) -> list[type]:
    found = []
    for sub in base.__subclasses__():
        found += [sub, *_all_forms(sub)]
    return found


def test_every_console_and_citizen_form_cleans_its_text_and_speaks_chinese():
    import console
    import public

    for package in (console, public):  # every module that may define a form
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    forms = [f for f in _all_forms(FlaskForm) if f.__module__.split(".")[0] in ("console", "public")]
    assert len(forms) > 20
    # The login form (username and password only) belongs to the login throttle's owner.
    missing = [f.__qualname__ for f in forms if f.__name__ != "LoginForm"
               and not any(issubclass(c.__dict__.get("Meta", object), InputMeta) for c in f.__mro__)]
    assert missing == []


def test_every_message_wtforms_ships_has_our_chinese():
    catalogue = (Path(wtforms.__file__).parent / "locale" / "wtforms.pot").read_text(encoding="utf-8")
    shipped = set(re.findall(r'^msgid(?:_plural)? "(.+)"$', catalogue, flags=re.MULTILINE))
    assert shipped and shipped <= set(FORM_MESSAGES), sorted(shipped - set(FORM_MESSAGES))
    for english, chinese in FORM_MESSAGES.items():
        assert re.findall(r"%\(\w+\)\w|%s", english) == re.findall(r"%\(\w+\)\w|%s", chinese), english
        assert re.search("[\u4e00-\u9fff]", chinese), english
