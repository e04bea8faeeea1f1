"""The application shell: the factory, extensions, CLI commands, health, metrics, logs, error pages,
the Redis connection and the demo data. It assembles every room; no room imports it."""

from __future__ import annotations

from app.factory import create_app

__all__ = ["create_app"]
