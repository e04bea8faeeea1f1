"""Citizen conversations, one module per capability; ``build_router`` wires them."""

from __future__ import annotations

from handlers.router import Router


def build_router() -> Router:
    """The router with every capability's handlers registered."""
    from handlers import (
        delivery_events,
        events,
        lists,
        my_applications,
        mydata,
        questions,
        rating,
        registration,
        staff_binding,
        subscriptions,
        suggestions,
    )
    from handlers import help as help_module

    router = Router()
    # Each input has one owner: the router refuses a keyword, click, event or message type claimed twice.
    for module in (help_module, lists, events, registration, my_applications, suggestions, subscriptions, mydata,
                   delivery_events):
        module.register(router)
    # Satisfaction rating (好差评), issue 15.
    rating.register(router)
    questions.register(router)  # 提问: questions before a policy lecture
    staff_binding.register(router)  # 绑定 <code>: staff bind their WeChat for broadcast previews
    return router

