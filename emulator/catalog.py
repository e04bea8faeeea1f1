"""Message templates the emulated account owns (模板消息 and 订阅通知).

A real account picks templates in the WeChat console and gets ids; the
emulator starts with a default set matching the programme's notices and takes
more from ``config["templates"]``, ``EMU_TEMPLATES`` (JSON) or
``POST /_admin/templates``. Each field has a key (``thing1``) and the label the
citizen sees (活动名称).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    """One template: id, title shown on the card and its fields (key, label)."""

    id: str
    title: str
    fields: tuple[tuple[str, str], ...]

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Template:
        """Build from ``{"id", "title", "fields": [{"key", "label"}...]}``."""
        pairs = tuple((str(f["key"]), str(f.get("label", f["key"]))) for f in raw["fields"])
        return cls(id=str(raw["id"]), title=str(raw.get("title", raw["id"])), fields=pairs)

    def to_dict(self) -> dict[str, Any]:
        """JSON form used by the admin API."""
        return {
            "id": self.id,
            "title": self.title,
            "fields": [{"key": key, "label": label} for key, label in self.fields],
        }

    def content(self) -> str:
        """The template text as ``get_all_private_template`` shows it."""
        return "\n".join(f"{label}：{{{{{key}.DATA}}}}" for key, label in self.fields)


DEFAULT_TEMPLATES: tuple[Template, ...] = (
    Template(
        "tmpl_selection",
        "遴选结果通知",
        (("thing1", "活动名称"), ("time2", "活动时间"), ("thing3", "活动地点"), ("phrase4", "遴选结果"),
         ("thing5", "温馨提示")),
    ),
    Template(
        "tmpl_offer",
        "候补递补通知",
        (("thing1", "活动名称"), ("thing2", "活动地点"), ("time3", "活动时间"), ("time4", "确认截止"),
         ("phrase5", "当前状态")),
    ),
    Template(
        "tmpl_reminder",
        "活动开始提醒",
        (("thing1", "活动名称"), ("time2", "开始时间"), ("thing3", "活动地点")),
    ),
    Template(
        "tmpl_reply",
        "建议办理结果通知",
        (("thing1", "建议主题"), ("phrase2", "办理结果"), ("thing3", "答复单位"), ("time4", "答复时间")),
    ),
    Template(
        "tmpl_notice",
        "活动通知",
        (("thing1", "通知事项"), ("thing2", "活动名称"), ("time3", "时间")),
    ),
)


def load_templates(extra: list[dict[str, Any]] | None) -> dict[str, Template]:
    """The default templates plus those from the settings (``EMU_TEMPLATES``)."""
    catalog = {template.id: template for template in DEFAULT_TEMPLATES}
    for raw in extra or []:
        template = Template.from_dict(raw)
        catalog[template.id] = template
    return catalog
