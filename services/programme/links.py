"""The public addresses citizens are sent to: event pages, calendar files, entry passes.

The base address (``PUBLIC_BASE_URL``) is a setting: the app installs it once at
start (:func:`configure`), as it installs the Redis client and the cipher, and a
caller that knows better (the chat has it on its context) passes its own.
Services never read the environment for it.
"""

from __future__ import annotations

_base_url = ""


def configure(public_base_url: str) -> None:
    """Install the deployment's public base address (called by the app factory)."""
    global _base_url
    _base_url = public_base_url.rstrip("/")


def base(base_url: str | None = None) -> str:
    """``base_url`` if given, else the configured one."""
    chosen = (base_url or _base_url).rstrip("/")
    if not chosen:
        raise RuntimeError("public base URL not configured; the app factory calls services.programme.links.configure")
    return chosen


def page_url(event_id: int, base_url: str | None = None) -> str:
    """The public page of an event."""
    return f"{base(base_url)}/events/{event_id}"


def ics_url(event_id: int, base_url: str | None = None) -> str:
    """The phone-calendar file of an event."""
    return f"{base(base_url)}/events/{event_id}.ics"


def my_applications_url(base_url: str | None = None) -> str:
    """The citizen's applications (signed in through WeChat): where a waiting-list offer is answered."""
    return f"{base(base_url)}/my/applications"


def pass_url(code: str, base_url: str | None = None) -> str:
    """The citizen's entry pass: a page with the QR code and the check-in code, to show at the door."""
    return f"{base(base_url)}/pass/{code}"
