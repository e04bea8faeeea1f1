"""The emulator's one reader of the real time (WeChat signs and counts with its own real clock).

The emulator's business time (``EMU_CLOCK_NOW``, ``/_admin/clock``) is an offset from this
(:meth:`emulator.state.EmulatorState.now`); signatures always use it unshifted.
"""

from __future__ import annotations

import time


def real_seconds() -> float:
    """The machine's real time, Unix seconds."""
    return time.time()
