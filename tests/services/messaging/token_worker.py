"""Child process for the token-sharing test: many API calls through one SharedTokenClient."""

from __future__ import annotations

import sys
import time

import redis

from services.messaging.wechat_client import SharedTokenClient


def main(api_base: str, redis_url: str, calls: int, start_at: float) -> None:
    client = SharedTokenClient("wx_demo_appid", "demo_secret", api_base, redis.Redis.from_url(redis_url))
    while time.time() < start_at:  # both processes begin at the same instant
        time.sleep(0.001)
    for _ in range(calls):
        client.user.get_followers()
    print(f"fetches={client.fetch_count}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
