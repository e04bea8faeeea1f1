"""The chat router refuses a route registered twice instead of keeping the last one."""

from __future__ import annotations

import pytest

from handlers import build_router
from handlers.chat import TextReply
from handlers.router import DuplicateRoute, Router


def _first(ctx):
    return TextReply("first")


def _second(ctx):
    return TextReply("second")


@pytest.mark.parametrize("register", [
    lambda r, h: r.text("活动")(h),
    lambda r, h: r.click("MENU_EVENTS")(h),
    lambda r, h: r.on_event("subscribe")(h),
    lambda r, h: r.message("image")(h),
    lambda r, h: r.dialogue("apply")(h),
])
def test_a_second_handler_for_the_same_route_is_refused(register):
    router = Router()
    register(router, _first)
    with pytest.raises(DuplicateRoute, match="_first.*_second"):
        register(router, _second)


def test_the_same_handler_may_be_named_twice_and_the_real_router_builds():
    router = Router()
    router.text("帮助", "帮助")(_first)
    assert router.keywords["帮助"] is _first
    built = build_router()
    assert "我的报名" in built.keywords and "帮助" in built.keywords
