"""Draws started from the web console: the request returns at once, a thread waits for the child.

The web process must not block for a draw (up to the time budget plus the
fallback), so :func:`start_draw_in_background` commits a queued
:class:`SelectionRun`, then a daemon thread runs it with its own session and
commits the row's progress (at most every half second) so the console can poll
it. The computation itself happens in the child process of
:mod:`services.selection.process`; the thread only relays. If the web process
dies mid-draw, the row stays ``running`` until the next draw of the event finds
it stale and marks it failed.

Import it through :mod:`services.selection`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from models import SelectionRun, SelectionStatus

log = logging.getLogger(__name__)
COMMIT_EVERY = 0.5  # seconds between progress commits
_threads: dict[int, threading.Thread] = {}


def start_draw_in_background(session_factory: Callable, event_id: int, now, *, seed: int | None = None,
                             algorithm: str = "maximin", time_budget: float | None = 45.0,
                             quotas: dict | None = None, staff=None, collapse_types: bool = True,
                             progress: Callable[[float, str], None] | None = None) -> int:
    """Queue a draw and start it in a thread; returns the run id at once.

    ``session_factory()`` must give a new SQLAlchemy session usable outside the
    request (e.g. ``sessionmaker(bind=db.engine)``). Errors in the request
    (unknown event, a draw already running, a confirmed selection) are raised
    here, before anything starts.
    """
    from services.selection.runs import create_run

    with session_factory() as session:
        run = create_run(session, event_id, now, seed=seed, algorithm=algorithm, time_budget=time_budget,
                         quotas=quotas, staff=staff, collapse_types=collapse_types)
        session.commit()
        run_id = run.id
    thread = threading.Thread(target=_work, args=(session_factory, run_id, progress),
                              name=f"selection-run-{run_id}", daemon=True)
    _threads[run_id] = thread
    thread.start()
    return run_id


def wait(run_id: int, timeout: float | None = None) -> bool:
    """Wait for a background draw of this process; True when it has finished."""
    thread = _threads.get(run_id)
    if thread is None:
        return True
    thread.join(timeout)
    finished = not thread.is_alive()
    if finished:
        _threads.pop(run_id, None)
    return finished


def _work(session_factory: Callable, run_id: int, progress) -> None:
    from services.calendar import clock
    from services.selection.runs import execute_run

    with session_factory() as session:
        try:
            run = session.get(SelectionRun, run_id)
            run.status, run.started_at = SelectionStatus.RUNNING, clock.now()
            session.commit()
            last = [time.monotonic()]

            def report(fraction: float, message: str) -> None:
                # The session holds nothing but this row, so committing mid-draw is safe.
                if time.monotonic() - last[0] >= COMMIT_EVERY:
                    session.commit()
                    last[0] = time.monotonic()
                if progress is not None:
                    progress(fraction, message)

            execute_run(session, run, clock.now(), report)
            session.commit()
        except Exception:
            log.exception("background selection run %s failed", run_id)
            session.rollback()
            _mark_failed(session, run_id)


def _mark_failed(session, run_id: int) -> None:
    from services.calendar import clock

    run = session.get(SelectionRun, run_id)
    if run is not None and run.status in (SelectionStatus.QUEUED, SelectionStatus.RUNNING):
        run.status, run.finished_at, run.message = SelectionStatus.FAILED, clock.now(), "计算出错，请重试或联系管理员"
        session.commit()
