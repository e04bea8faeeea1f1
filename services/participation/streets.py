"""The streets (街道) and towns (镇) of 大兴区, for the applicant's 所在街道（镇）.

Source: the district's administrative division as published (8 街道 and 14 镇,
five of which also have an area office 地区办事处: 黄村、西红门、旧宫、亦庄、瀛海).
荣华街道 and 博兴街道 lie in 北京经济技术开发区 (亦庄), which administers them, but
they belong to 大兴区's division and are listed here. Boundary changes after 2021
have not been checked; keep this list in step with the district's announcements.
"""

from __future__ import annotations

STREETS = (
    "兴丰街道", "林校路街道", "清源街道", "观音寺街道",
    "天宫院街道", "高米店街道", "荣华街道", "博兴街道",
)
TOWNS = (
    "黄村镇", "西红门镇", "旧宫镇", "亦庄镇", "瀛海镇", "青云店镇", "采育镇",
    "安定镇", "礼贤镇", "榆垡镇", "庞各庄镇", "北臧村镇", "魏善庄镇", "长子营镇",
)
OTHER = "其他"
ALL = (*STREETS, *TOWNS, OTHER)

_SUFFIXES = ("街道办事处", "地区办事处", "街道", "地区", "镇")


def _stem(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


_BY_STEM = {_stem(name): name for name in ALL}


def match(text: str) -> str | None:
    """The street or town ``text`` names: its number in :data:`ALL` (1-based) or its name.

    "兴丰", "兴丰街道", "黄村地区" and "7" are all understood; ``None`` when nothing matches.
    """
    raw = "".join(text.split())
    if raw.isdigit():
        index = int(raw)
        return ALL[index - 1] if 1 <= index <= len(ALL) else None
    raw = raw.removeprefix("北京市").removeprefix("大兴区")
    if raw in ALL:
        return raw
    if raw in ("其它", "其他地区", "区外", "外区"):
        return OTHER
    return _BY_STEM.get(_stem(raw))
