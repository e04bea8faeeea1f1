"""End-to-end fixtures: the whole service running (as `make run` starts it) and a real Chromium.

``live_stack`` starts Redis, the emulator, gunicorn, the scheduler and a worker on
free ports with demo data and staff accounts (``live_stack.users``). The browser
fixtures (``browser``, ``page``, ``phone_page``) live in tests/conftest.py.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from scripts.devstack import DEMO_STAFF, Stack, free_port

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture(scope="session")
def live_stack():
    """The running service; ``base_url``, ``emulator_url``, ``users`` (role → (username, password))."""
    directory = Path(tempfile.mkdtemp(prefix="zm-e2e-"))
    stack = Stack(instance_dir=directory, web_port=free_port(), emulator_port=free_port(), quiet=True)
    try:
        stack.start()
    except Exception:
        stack.stop()
        raise
    stack.users = {
        "coordinator": ("admin", "Open-day-lantern-26"),
        "unit": ("caiyu", "Maple-harbor-58"),
        "unit_b": ("renbao", "Cedar-violin-37"),
        "auditor": ("auditor", "Quartz-meadow-19"),
    }
    assert {u[0] for u in stack.users.values()} == {s[0] for s in DEMO_STAFF}
    yield stack
    stack.stop()
    shutil.rmtree(directory, ignore_errors=True)


def pytest_collection_modifyitems(items):
    """Everything under tests/e2e is marked ``e2e``, and gets one more try if it fails (pytest-rerunfailures).

    Two browser tests (the selection street quotas, the coordinator's live answer) failed once each in three
    full runs and passed alone: timing on the one live stack many tests share, not a defect found yet. A
    second failure still fails the suite, and every rerun is reported ("R" and the rerun summary).
    """
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))

