"""``python -m emulator --port 8081 [--host 127.0.0.1]``: serve the WeChat API emulator."""

from __future__ import annotations

import argparse
import os

from werkzeug.serving import run_simple

from emulator.app import create_app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options; the rest of the settings come from ``EMU_*`` variables."""
    parser = argparse.ArgumentParser(prog="python -m emulator", description="微信接口模拟器")
    parser.add_argument("--host", default=os.environ.get("EMU_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMU_PORT", "8081")))
    parser.add_argument("--webhook-url", default=None, help="服务的 /wechat 地址（覆盖 EMU_WEBHOOK_URL）")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the emulator in one threaded process (its state lives in memory)."""
    args = parse_args(argv)
    overrides = {"webhook_url": args.webhook_url} if args.webhook_url else None
    app = create_app(overrides)
    print(f"微信接口模拟器：http://{args.host}:{args.port}  （管理接口 /_admin，手机接口 /_phone/send）")
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)


if __name__ == "__main__":
    main()
