"""The ceiling: a bare Flask view that answers ``success`` without reading anything.

It measures what gunicorn + Flask cost on this machine with the benchmark's
settings; neither the service nor the echo bot can go faster.
Served by ``gunicorn bench.bare:app``.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.route("/wechat", methods=["GET", "POST"])
def wechat() -> str:
    """Always ``success``."""
    return "success"
