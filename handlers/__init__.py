"""Citizen conversations, one module per capability; ``build_router`` wires them."""

from __future__ import annotations

from bot.router import Router


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
    return router


def _optional_capabilities() -> list[str]:
    """Capability modules of other rooms present in this checkout (each exposes ``register(router)``)."""
    import importlib.util

    names = ["delivery_events"]
    return [name for name in names if importlib.util.find_spec(f"handlers.{name}") is not None]
