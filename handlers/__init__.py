"""Citizen conversations, one module per capability; ``build_router`` wires them."""

from __future__ import annotations

from bot.router import Router


def build_router() -> Router:
    """The router with every capability's handlers registered."""
    from handlers import help as help_handlers

    router = Router()
    help_handlers.register(router)
    for module_name in _capabilities():
        module = __import__(f"handlers.{module_name}", fromlist=["register"])
        module.register(router)
    return router


def _capabilities() -> list[str]:
    """Capability modules present in this checkout (each exposes ``register(router)``)."""
    import importlib.util

    names = ["events", "registration", "suggestions", "subscriptions", "mydata", "delivery_events"]
    return [name for name in names if importlib.util.find_spec(f"handlers.{name}") is not None]
