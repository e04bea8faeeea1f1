"""WTForms forms of the suggestion, broadcast, closing, compliance, statistics and outbox pages.

Forms check shapes only; rules live in the services, whose typed errors the views
attach to the fields. Filter forms are read from the query string (no CSRF token).
"""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from console.forms import ConsoleForm
from models import Adoption, BroadcastAudience, BroadcastKind, SuggestionStatus

ADOPTION_CHOICES = [(Adoption.ADOPTED.value, "采纳"), (Adoption.PARTLY.value, "部分采纳"),
                    (Adoption.NOT_ADOPTED.value, "暂不采纳"), (Adoption.TRANSFERRED.value, "已转办")]
ADOPTION_LABELS = dict(ADOPTION_CHOICES)
SUGGESTION_STATUS_CHOICES = [("", "全部状态"), (SuggestionStatus.RECEIVED.value, "待答复"),
                             ("draft", "有答复草稿"), (SuggestionStatus.REPLIED.value, "已答复")]
AUDIENCE_CHOICES = [(BroadcastAudience.ALL.value, "全部关注用户（微信群发）"),
                    (BroadcastAudience.TOPIC.value, "关注某专题的用户"),
                    (BroadcastAudience.APPLICANTS.value, "某活动的报名人员"),
                    (BroadcastAudience.SELECTED.value, "某活动的入选人员")]
KIND_CHOICES = [(BroadcastKind.TEXT.value, "文字消息"), (BroadcastKind.LINK.value, "文章链接")]


def optional_int(value):
    """Select fields whose empty choice means “none / all”."""
    if value in (None, "", "None"):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FilterForm(ConsoleForm):
    """Base of the GET filter forms: no CSRF token, read from the query string."""

    class Meta:
        csrf = False


class SuggestionFilterForm(FilterForm):
    """Inbox filters: event, unit, status, arrival dates."""

    event_id = SelectField("活动", coerce=optional_int, validate_choice=False)
    unit_id = SelectField("单位", coerce=optional_int, validate_choice=False)
    status = SelectField("状态", choices=SUGGESTION_STATUS_CHOICES, validate_choice=False)
    date_from = DateField("收到日期自", validators=[Optional()])
    date_to = DateField("至", validators=[Optional()])


class ReplyForm(ConsoleForm):
    """Reply to one suggestion: adoption status, reason, the text the citizen reads."""

    adoption = SelectField("采纳情况", choices=ADOPTION_CHOICES)
    reason = TextAreaField("理由 / 办理说明", validators=[DataRequired("请填写理由或办理说明"), Length(max=1000)])
    reply_text = TextAreaField("答复内容（推送给市民）", validators=[DataRequired("请填写答复内容"), Length(max=600)])


class AssignForm(ConsoleForm):
    """Assign a general suggestion to a unit (coordinators)."""

    unit_id = SelectField("分派给单位", coerce=optional_int, validate_choice=False,
                          validators=[DataRequired("请选择单位")])


class BroadcastForm(ConsoleForm):
    """Compose a broadcast: audience, kind, content."""

    audience = RadioField("发送对象", choices=AUDIENCE_CHOICES, default=BroadcastAudience.APPLICANTS.value)
    topic_id = SelectField("专题", coerce=optional_int, validate_choice=False)
    event_id = SelectField("活动", coerce=optional_int, validate_choice=False)
    kind = RadioField("消息类型", choices=KIND_CHOICES, default=BroadcastKind.TEXT.value)
    title = StringField("文章标题", validators=[Optional(), Length(max=64)])
    content = TextAreaField("内容", validators=[Optional(), Length(max=600)])
    url = StringField("文章链接", validators=[Optional(), Length(max=500)])


class ClosingForm(ConsoleForm):
    """After the event: material links, video, closing note."""

    materials = TextAreaField("材料链接（每行一个，区政府网站“政务开放日”“政策公开讲”栏目）",
                              validators=[Optional(), Length(max=500)])
    video_url = StringField("讲解视频链接（政策公开讲必填）", validators=[Optional(), Length(max=500)])
    note = TextAreaField("活动总结", validators=[Optional(), Length(max=4000)])


class StatsFilterForm(FilterForm):
    """Statistics scope: dates and unit."""

    date_from = DateField("活动/建议日期自", validators=[Optional()])
    date_to = DateField("至", validators=[Optional()])
    unit_id = SelectField("单位", coerce=optional_int, validate_choice=False)


class ComplianceFilterForm(FilterForm):
    """Compliance board filters: unit (coordinators) and colour."""

    unit_id = SelectField("单位", coerce=optional_int, validate_choice=False)
    level = SelectField("状态", choices=[("", "全部"), ("red", "红色（已超期）"), ("amber", "黄色（临近期限）"),
                                        ("green", "绿色（正常）")], validate_choice=False)


class EmptyForm(ConsoleForm):
    """A POST button that only needs the CSRF token."""
