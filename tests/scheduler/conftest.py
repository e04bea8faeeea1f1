"""Fixtures of the scheduler tests (shared with tests/services/test_delivery.py)."""

from tests.scheduler.fixtures import app, emulator  # noqa: F401
