"""Child process for the log test: real traffic with secrets around, logs on stderr."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.conftest import WeChat, make_test_app

SECRETS = {"SECRET_KEY": "probe-secret-key-0123456789abcdef", "WECHAT_SECRET": "probeappsecret9876543210"}


def main(redis_url: str) -> None:
    from app import demo
    from models import db
    from services.admin import staff
    from services.calendar import clock

    directory = Path(tempfile.mkdtemp())
    app = make_test_app(directory, redis_url, **SECRETS)
    with app.app_context():
        demo.load(db.session, clock.now())
        staff.create_user(db.session, "probe", "coordinator", "Probe-Pass-2026", None, "", clock.now())
    wechat = WeChat(app.test_client())
    for text in ["报名", "1", "赵六", "13700001111", "1", "清源街道", "跳过", "同意", "确认", "我的信息"]:
        wechat.text("o_log_probe_openid", text)
    wechat.post_xml("<xml><broken>")  # a bad request is logged
    client = app.test_client()
    client.post("/wechat", query_string={"signature": "x", "timestamp": "1", "nonce": "2"}, data="<xml/>")
    client.post("/console/login", data={"username": "probe", "password": "wrong-Probe-Pass"})
    client.post("/console/login", data={"username": "probe", "password": "Probe-Pass-2026"})
    app.logger.warning("probe finished")
    sys.stderr.flush()


if __name__ == "__main__":
    main(sys.argv[1])
