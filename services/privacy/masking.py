"""Masking personal data in citizen text before anyone proposes to publish it, and the words that hold text back.

:func:`mask_text` replaces mobile and landline numbers, ID numbers, street
addresses down to the door, and a name given after 我叫 / 我是 / 本人; it says
what it replaced. :func:`held_words` finds words of :data:`HOLD_WORDS` (abuse,
accusations against named people, threats): such text waits for a
coordinator's second look rather than an ordinary approval.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
# …路 12 号, …小区 3 号楼 2 单元 501, …村 8 号院: an address down to the door.
ADDRESS = re.compile(
    r"[\u4e00-\u9fa5]{1,12}(?:路|街|大街|胡同|巷|道|小区|社区|花园|家园|公寓|村|里|苑|庄|院)"
    r"(?:[\u4e00-\u9fa5]{0,6}?)(?:\d+|[一二三四五六七八九十百]+)(?:号楼|号院|号|栋|幢|单元|室|楼)"
    r"(?:[\d\-一二三四五六七八九十]+(?:号楼|号院|号|栋|幢|单元|室|楼|层)?)*")
NAME_AFTER = re.compile(r"(我叫|我是|本人|本人叫|我的名字是|我姓)([\u4e00-\u9fa5]{1,3}?)(?=[，,。.！!、\s]|$|先生|女士|老师|[的在住是])")
NOT_NAMES = ("一名", "一位", "一个", "居民", "市民", "家长", "业主", "企业", "村民", "群众", "本地", "老人", "学生",
             "退休", "附近", "这里", "外地", "党员", "志愿")

MASK = {"mobile": "1**********", "landline": "****-*******", "id": "******************", "address": "（地址已隐去）"}
LABELS = {"mobile": "手机号", "landline": "固定电话", "id": "身份证号", "address": "详细地址", "name": "姓名"}

# Words that hold text back for a second look: abuse, accusations against people, threats.
HOLD_WORDS = ("傻", "滚", "垃圾官员", "狗官", "贪污", "受贿", "腐败", "黑社会", "打死", "炸", "自杀", "上访", "举报某",
              "妈的", "他妈", "操你", "去死", "骗子", "法轮")


@dataclass(frozen=True)
class Masked:
    """Text with personal data replaced, and the kinds replaced (Chinese labels, each once)."""

    text: str
    kinds: tuple[str, ...]
    names: tuple[str, ...] = ()  # the names found, to mask them in a reply that repeats them


def _masked_name(name: str) -> str:
    return name[0] + "*" * (len(name) - 1 or 1)


def _name(match: re.Match) -> str:
    lead, name = match.group(1), match.group(2)
    if any(name.startswith(word[: len(name)]) for word in NOT_NAMES) or len(name) < 1:
        return match.group(0)
    if lead == "我姓":
        return f"{lead}*"
    return f"{lead}{_masked_name(name)}"


ADDRESS_LEADS = ("家住在", "家住", "住在", "住", "位于", "在", "于", "到")


def _address(match: re.Match) -> str:
    found = match.group(0)
    lead = next((word for word in ADDRESS_LEADS if found.startswith(word)), "")
    return lead + MASK["address"]


def mask_text(text: str | None) -> Masked:
    """Replace mobiles, phones, ID numbers, door-level addresses and a self-introduced name (in that order)."""
    value, kinds = text or "", []
    for kind, pattern in (("id", ID_NUMBER), ("mobile", MOBILE), ("landline", LANDLINE), ("address", ADDRESS)):
        value, count = pattern.subn(_address if kind == "address" else MASK[kind], value)
        if count:
            kinds.append(LABELS[kind])
    names = tuple(dict.fromkeys(m.group(2) for m in NAME_AFTER.finditer(value)
                                if _name(m) != m.group(0) and m.group(1) != "我姓" and len(m.group(2)) >= 2))
    named = NAME_AFTER.sub(_name, value)
    if named != value:
        kinds.append(LABELS["name"])
    return Masked(named, tuple(kinds), names)


def mask_with_names(text: str | None, names: tuple[str, ...]) -> Masked:
    """:func:`mask_text`, and also every occurrence of ``names`` (found in the text a reply answers)."""
    masked = mask_text(text)
    value = masked.text
    for name in names:
        value = value.replace(name, _masked_name(name))
    kinds = masked.kinds + ((LABELS["name"],) if value != masked.text and LABELS["name"] not in masked.kinds else ())
    return Masked(value, kinds, masked.names)


def held_words(text: str | None) -> list[str]:
    """The words of :data:`HOLD_WORDS` that ``text`` contains, in list order."""
    value = text or ""
    return [word for word in HOLD_WORDS if word in value]
