"""The webhook's own metrics; the shell registers them on ``/metrics`` (:mod:`app.observability`)."""

from __future__ import annotations

from prometheus_client import Counter

DEDUP_HITS = Counter("webhook_dedup_hits_total", "Retried WeChat pushes answered from the dedup cache", registry=None)

COLLECTORS = (DEDUP_HITS,)
