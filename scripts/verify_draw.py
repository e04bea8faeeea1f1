#!/usr/bin/env python3
"""核验公开抽签记录（draw.json）：只用 Python 3 标准库，不联网，不连数据库，不依赖本项目的任何代码。

    python3 verify_draw.py draw.json [--summary]

It checks, in order: the record's shape (the pool lists only number, category
and street), the digest (SHA-256 of the canonical JSON of pool, quotas, seats
and panels: sorted keys, no spaces, UTF-8), every panel against seats and
quotas, and that ``selected`` is ``panels[beacon mod m]``. It then prints each
application number's chance (its share of the panels) and the lowest chance.
Exit 0 when everything holds; 1 with the reason in Chinese otherwise.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import Counter

POOL_KEYS = {"number", "category", "street"}
FEATURES = ("category", "street")
MIN_PANELS = 1000


class Refused(Exception):
    """The record does not hold; the message says why (Chinese)."""


def canonical(data) -> str:
    """The canonical spelling the digest is taken over."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def check_shape(record: dict) -> None:
    for key in ("pool", "quotas", "seats", "panels", "digest", "beacon", "selected", "attempts"):
        if key not in record:
            raise Refused(f"记录缺少“{key}”一项")
    numbers = []
    for entry in record["pool"]:
        if not isinstance(entry, dict) or set(entry) != POOL_KEYS:
            raise Refused(f"报名名单中有一项不是 {{number, category, street}}：{entry}")
        numbers.append(entry["number"])
    duplicated = [n for n, count in Counter(numbers).items() if count > 1]
    if duplicated:
        raise Refused(f"报名编号重复：{'、'.join(map(str, duplicated[:5]))}")


def check_digest(record: dict) -> None:
    text = canonical({key: record[key] for key in ("panels", "pool", "quotas", "seats")})
    found = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if found != record["digest"]:
        raise Refused(f"封存指纹不符：记录为 {record['digest']}，按报名名单、配额、席位和候选名单算得 {found}"
                      "（封存后内容被改动）")


def check_panels(record: dict) -> None:
    panels, pool = record["panels"], {e["number"]: e for e in record["pool"]}
    if len(panels) < MIN_PANELS:
        raise Refused(f"候选名单只有 {len(panels)} 份，少于 {MIN_PANELS} 份")
    size = min(int(record["seats"]["drawn"]), len(pool))
    for index, panel in enumerate(panels):
        if len(panel) != size:
            raise Refused(f"第 {index} 号名单有 {len(panel)} 人，应为 {size} 人")
        if len(set(panel)) != len(panel):
            raise Refused(f"第 {index} 号名单中有重复的报名编号")
        strangers = [n for n in panel if n not in pool]
        if strangers:
            raise Refused(f"第 {index} 号名单中的编号 {strangers[0]} 不在报名名单中")
        for feature in FEATURES:
            counts = Counter(pool[n][feature] for n in panel)
            for value, (low, high) in record["quotas"].get(feature, {}).items():
                if not low <= counts.get(value, 0) <= high:
                    raise Refused(f"第 {index} 号名单中“{value}”有 {counts.get(value, 0)} 人，"
                                  f"不符合配额 {low}–{high}")


def check_selected(record: dict) -> int | None:
    """The index the beacon picks (None before the draw); refuses a selected list that is not that panel."""
    value = record["beacon"].get("value")
    if value is None:
        if record["selected"] is not None:
            raise Refused("公开随机数尚未公布，记录却已有入选名单")
        return None
    if not isinstance(value, str) or not value.isdigit():
        raise Refused(f"公开随机数应为数字，记录为“{value}”")
    index = int(value) % len(record["panels"])
    if record["selected"] is None or sorted(record["selected"]) != sorted(record["panels"][index]):
        raise Refused(f"入选名单不是公开随机数 {value} 所指的第 {index} 号名单（{value} mod "
                      f"{len(record['panels'])} = {index}）")
    draws = [a for a in record["attempts"] if a.get("kind") == "draw" and a.get("digest") == record["digest"]]
    if not draws or draws[-1].get("beacon") != value:
        raise Refused(f"抽签记录（attempts）中没有按公开随机数 {value} 抽签的记载")
    return index


def chances(record: dict) -> dict[str, float]:
    counted = Counter(n for panel in record["panels"] for n in panel)
    m = len(record["panels"])
    return {e["number"]: counted[e["number"]] / m for e in record["pool"]}


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 1:
        print("用法：python3 verify_draw.py draw.json [--summary]", file=sys.stderr)
        return 2
    try:
        with open(args[0], encoding="utf-8") as handle:
            record = json.load(handle)
        if not isinstance(record, dict):
            raise Refused("记录不是一个 JSON 对象")
        check_shape(record)
        check_digest(record)
        check_panels(record)
        index = check_selected(record)
    except OSError as error:
        print(f"核验未通过：无法读取记录文件（{error.strerror}）")
        return 1
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        print(f"核验未通过：记录格式不正确（{type(error).__name__}: {error}）")
        return 1
    except Refused as reason:
        print(f"核验未通过：{reason}")
        return 1
    found = chances(record)
    if "--summary" not in argv:
        print("报名编号\t入选机会")
        for number in sorted(found):
            print(f"{number}\t{found[number]:.4%}")
    lowest = min(found.values()) if found else 0.0
    m = len(record["panels"])
    print(f"共 {len(found)} 个报名编号，{m} 份候选名单；最低入选机会 {lowest:.4%}"
          f"（{', '.join(sorted(n for n, c in found.items() if c == lowest)[:5])}{' 等' if list(found.values()).count(lowest) > 5 else ''}）")
    fairness = record.get("fairness") or {}
    if "maximin_lowest" in fairness:
        print(f"记录所报：最优分布的最低入选概率 {fairness['maximin_lowest']:.4%}，与之相差最多 "
              f"{fairness.get('max_deviation', 0):.6f}（1/{m} = {1 / m:.6f}）")
    if index is None:
        print(f"核验通过：封存指纹 {record['digest']} 与记录一致，{m} 份候选名单均符合席位与配额；公开随机数尚未公布。")
    else:
        print(f"核验通过：封存指纹 {record['digest']} 与记录一致，{m} 份候选名单均符合席位与配额；"
              f"公开随机数 {record['beacon']['value']} 选中第 {index} 号名单，与入选名单一致。")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
