"""Property-based: random text and emoji at every step of the apply and suggestion dialogues.

Whatever arrives, the citizen gets a reply (never silence, an error or broken XML) that
fits WeChat's 2,048-byte limit, and the dialogue is either still asking or politely done.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.handlers import conftest as handler_fixtures
from tests.handlers.conftest import Person
from tests.handlers.test_apply import STEPS
from tests.reliability.test_fuzz_webhook import _xml_safe

_people = itertools.count()
programme = handler_fixtures.programme  # the demo programme, loaded with the clock pinned
pytestmark = pytest.mark.usefixtures("programme")
FUZZ = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
anything = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), min_size=1, max_size=10),
    st.sampled_from(["", "取消", "确认", "修改", "同意", "不同意", "更多", "0", "999", "报名", "建议", "]]>", "字" * 1500]),
)


def _reply_is_polite(person: Person, text: str) -> None:
    reply = person.say(_xml_safe(text))  # Person asserts HTTP 200 and < 2,048 bytes
    assert reply.strip(), f"silence after {text!r}"
    assert "Traceback" not in reply


@pytest.mark.parametrize("step", range(len(STEPS) + 1))
def test_random_input_at_every_apply_step(wechat, step):
    @FUZZ
    @given(text=anything)
    def check(text):
        person = Person(wechat, f"o_fuzz_apply_{next(_people)}")
        person.say("报名")
        for answer, _expected in STEPS[:step]:
            person.say(answer)
        _reply_is_polite(person, text)

    check()


@pytest.mark.parametrize("opening", [["建议"], ["建议", "1"], ["我的报名"], ["我的信息"], ["订阅"]])
def test_random_input_in_other_dialogues(wechat, opening):
    @FUZZ
    @given(text=anything)
    def check(text):
        person = Person(wechat, f"o_fuzz_other_{next(_people)}")
        for word in opening:
            person.say(word)
        _reply_is_polite(person, text)

    check()
