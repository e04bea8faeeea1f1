"""Citizen conversations, one module per capability; ``build_router`` wires them."""

from __future__ import annotations

import functools
from collections.abc import Callable

from bot.context import TextReply
from bot.router import Router

# The passive reply puts text in a CDATA section, which "]]>" would end early and
# turn into invalid XML (WeChat then shows "该公众号暂时无法提供服务"). Text typed by
# citizens or staff is echoed in replies, so it is neutralised here, once, for all.
CDATA_END = "]]>"
CDATA_END_SAFE = "]]＞"


def build_router() -> Router:
    """The router with every capability's handlers registered."""
    from handlers import events, lists, my_applications, mydata, registration, subscriptions, suggestions
    from handlers import help as help_module

    router = Router()
    # Order matters only where two modules claim the same input: the suggestion
    # module's picture handler replaces help's generic reply to non-text input.
    for module in (help_module, lists, events, registration, my_applications, suggestions, subscriptions, mydata):
        module.register(router)
    for module_name in _optional_capabilities():
        module = __import__(f"handlers.{module_name}", fromlist=["register"])
        module.register(router)
    _make_replies_xml_safe(router)
    return router


def _optional_capabilities() -> list[str]:
    """Capability modules of other rooms present in this checkout (each exposes ``register(router)``)."""
    import importlib.util

    names = ["delivery_events"]
    return [name for name in names if importlib.util.find_spec(f"handlers.{name}") is not None]


def _xml_safe(handler: Callable) -> Callable:
    """Wrap a handler so its text reply cannot break the reply's CDATA section."""

    @functools.wraps(handler)
    def wrapper(*args):
        reply = handler(*args)
        if isinstance(reply, TextReply) and CDATA_END in reply.content:
            return TextReply(reply.content.replace(CDATA_END, CDATA_END_SAFE))
        return reply

    return wrapper


def _make_replies_xml_safe(router: Router) -> None:
    for table in (router.keywords, router.clicks, router.events, router.msg_types, router.dialogues):
        for key, handler in table.items():
            table[key] = _xml_safe(handler)
    router.patterns = [(pattern, _xml_safe(handler)) for pattern, handler in router.patterns]
    router.click_prefixes = [(prefix, _xml_safe(handler)) for prefix, handler in router.click_prefixes]
    for name in ("default", "on_cancel", "on_expired"):
        if getattr(router, name) is not None:
            setattr(router, name, _xml_safe(getattr(router, name)))
