"""Read the programme (topics, open points, policy lectures) out of the plan's text.

The 2024 plan (``shared/seeds/daxing-2024-interaction-plan.txt``) is the source
of the demo data; the text is reflowed (the PDF extraction breaks lines
mid-sentence) and read with a few patterns that follow the plan's numbering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from config.settings import ROOT

SHARED_PLAN = ROOT.parent / "shared" / "seeds" / "daxing-2024-interaction-plan.txt"
# A copy of the same public document (此件主动公开), so a clone without ../shared still has demo data.
BUNDLED_PLAN = ROOT / "config" / "seeds" / "daxing-2024-interaction-plan.txt"


@dataclass
class OpenPoint:
    number: int
    label: str
    description: str
    unit: str
    topic: str


@dataclass
class Lecture:
    number: int
    title: str
    description: str
    units: list[str]


@dataclass
class Plan:
    topics: list[str] = field(default_factory=list)
    open_points: list[OpenPoint] = field(default_factory=list)
    lectures: list[Lecture] = field(default_factory=list)


def _reflow(text: str) -> str:
    """Join the broken lines and drop the spaces the extraction left between characters."""
    return re.sub(r"\s+", "", text)


TOPIC = re.compile(r"(\d)\.“([^”]+)”专题")
POINT = re.compile(r"（\d+）开放点(\d+)(?:、(\d+))?（([^）]+)）：?(.+?)（主责单位：([^）]+)）")
LECTURE = re.compile(r"(\d)\.([^。]{2,20}宣讲)。(.+?)（主责单位：([^）]+)）")


def parse(text: str) -> Plan:
    """The programme described by the plan's text."""
    flat = _reflow(text)
    open_days = flat.split("（一）“政务开放日”活动", 1)[1].split("（二）政策公开讲活动", 1)
    plan = Plan()
    sections = TOPIC.split(open_days[0])[1:]
    for i in range(0, len(sections), 3):
        topic, body = sections[i + 1], sections[i + 2]
        plan.topics.append(topic)
        for match in POINT.finditer(body):
            first, second, label, description, units = match.groups()
            numbers = [int(first)] + ([int(second)] if second else [])
            unit_names = units.split("、")
            for index, number in enumerate(numbers):
                unit = unit_names[index] if len(unit_names) == len(numbers) else units
                plan.open_points.append(OpenPoint(number, label, description.rstrip("。") + "。", unit, topic))
    lectures_text = open_days[1].split("三、政民互动形式", 1)[0]
    for match in LECTURE.finditer(lectures_text):
        number, title, description, units = match.groups()
        plan.lectures.append(Lecture(int(number), title, description, units.split("、")))
    return plan


def load(path: Path | None = None) -> Plan:
    """Parse the plan file (the 2024 plan by default)."""
    if path is None:
        path = SHARED_PLAN if SHARED_PLAN.exists() else BUNDLED_PLAN
    return parse(Path(path).read_text(encoding="utf-8"))
