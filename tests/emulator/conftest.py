"""Fixtures for the emulator tests: a real emulator over HTTP and a fake webhook."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.emulator.helpers import Emulator, ServerThread, WebhookReceiver, start_emulator

# One line per request from werkzeug drowns the useful output of a failing test.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with given settings; all stopped after the test."""
    servers: list[ServerThread] = []

    def start(config: dict[str, Any] | None = None) -> Emulator:
        emulator, server = start_emulator(config)
        servers.append(server)
        return emulator

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def emulator(make_emulator: Callable[..., Emulator]) -> Emulator:
    """An emulator with default settings and no webhook."""
    return make_emulator()


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    """A fake service webhook that records posts and answers ``success``."""
    receiver = WebhookReceiver()
    receiver.start()
    yield receiver
    receiver.stop()
