"""Fixtures of the scheduler tests: the emulator in a thread and the app talking to it."""

from __future__ import annotations

import pytest

from tests.scheduler.fixtures import app_on_emulator, running_emulator


@pytest.fixture
def emulator():
    """A fresh WeChat API emulator."""
    yield from running_emulator()


@pytest.fixture
def app(tmp_path, redis_server, redis_client, emulator):
    """The application on a fresh database, talking to the emulator."""
    yield from app_on_emulator(tmp_path, redis_server, emulator)
