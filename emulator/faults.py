"""Latency and fault injection, so the service's retry and back-off paths get exercised.

Settings (``EMU_LATENCY_MS``, ``EMU_FAULT_RATE``, ``EMU_FAULT_KINDS``,
``EMU_FAULT_SEED``, ``EMU_FAULT_PATHS``, ``EMU_FAULT_TIMEOUT_SECONDS`` or
``POST /_admin/faults``) apply to WeChat API paths only, never to
``/_admin`` or ``/_phone``. A fault kind is either a WeChat ``errcode``
(``"-1"``, ``"45009"``, ``"40001"``...) answered with HTTP 200 and WeChat's
JSON, an HTTP status (``"500"``, ``"502"``, ``"503"``, ``"504"``) answered
with an HTML error page, or ``"timeout"``: the emulator sleeps longer than the
client's timeout and then answers normally, so the call may well have taken
effect although the client gave up.
"""

from __future__ import annotations

import random
import time
from typing import Any

from flask import Response, request

from emulator.errors import WeChatError, error_response
from emulator.state import EmulatorState, FaultSettings, current_state

EXEMPT_PREFIXES = ("/_admin", "/_phone")
HTTP_STATUSES = {"500", "502", "503", "504"}
KNOWN_KINDS = HTTP_STATUSES | {"timeout"}


def settings_from_json(body: dict[str, Any], base: FaultSettings) -> FaultSettings:
    """New fault settings from the admin API's JSON; raises ``ValueError`` on bad input."""
    kinds = [str(kind) for kind in body.get("kinds", base.kinds)]
    for kind in kinds:
        if kind not in KNOWN_KINDS and not kind.lstrip("-").isdigit():
            raise ValueError(f"未知的故障类型：{kind}")
    rate = float(body.get("rate", base.rate))
    if not 0.0 <= rate <= 1.0:
        raise ValueError("rate 必须在 0 到 1 之间")
    seed = body.get("seed", base.seed)
    return FaultSettings(
        latency_ms=int(body.get("latency_ms", base.latency_ms)),
        rate=rate,
        kinds=kinds or ["-1"],
        seed=None if seed is None else int(seed),
        paths=[str(p) for p in body.get("paths", base.paths)],
        timeout_seconds=float(body.get("timeout_seconds", base.timeout_seconds)),
    )


def apply_settings(state: EmulatorState, settings: FaultSettings) -> None:
    """Install fault settings; a seed makes the sequence of faults repeatable."""
    with state.lock:
        state.faults = settings
        state.fault_rng = random.Random(settings.seed)


def _draw(state: EmulatorState, path: str) -> tuple[int, str | None, float]:
    """Decide, under the lock, the latency and the fault (if any) for one call."""
    with state.lock:
        faults = state.faults
        if faults.paths and not any(path.startswith(prefix) for prefix in faults.paths):
            return 0, None, 0.0
        kind = None
        if faults.rate > 0 and state.fault_rng.random() < faults.rate:
            kind = state.fault_rng.choice(faults.kinds)
            state.stats["faults_injected"] += 1
            state.stats[f"fault:{kind}"] += 1
        return faults.latency_ms, kind, faults.timeout_seconds


def _fault_response(kind: str) -> Response:
    """The answer of an injected failure."""
    if kind in HTTP_STATUSES:
        title = {"500": "Internal Server Error", "502": "Bad Gateway"}.get(kind, "Service Unavailable")
        html = f"<html><head><title>{kind} {title}</title></head><body><h1>{kind} {title}</h1></body></html>"
        return Response(html, status=int(kind), mimetype="text/html")
    return error_response(WeChatError(int(kind)))


def inject_faults() -> Response | None:
    """``before_request`` hook: add latency, then maybe answer with a fault."""
    path = request.path
    if path.startswith(EXEMPT_PREFIXES):
        return None
    latency_ms, kind, timeout_seconds = _draw(current_state(), path)
    if latency_ms:
        time.sleep(latency_ms / 1000)
    if kind is None:
        return None
    if kind == "timeout":
        # Answer late but answer: the call may have taken effect.
        time.sleep(timeout_seconds)
        return None
    return _fault_response(kind)
