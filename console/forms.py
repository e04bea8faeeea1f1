"""WTForms forms of the console's event, application, selection, check-in and audit pages.

Forms only check shapes (required, lengths, number ranges); the rules that involve
several fields or the calendar live in ``services.programme.event_admin`` and come back as
typed errors, which the views attach to the fields here. Every console form derives from
:class:`ConsoleForm`: typed text is cleaned (:func:`services.intake.clean_text`) before it is
validated, and WTForms' own messages are Chinese.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, Regexp

from services import intake
from services.messaging import wording

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
KIND_CHOICES = list(wording.KIND_LABELS.items())
MODE_CHOICES = list(wording.MODE_LABELS.items())
MOBILE = Regexp(r"^1\d{10}$", message="请填写 11 位手机号码")


def _optional_int(value):
    """Select fields whose empty choice means “none”."""
    return int(value) if value not in (None, "", "None") else None


class ConsoleForm(FlaskForm):
    """Base of the console's forms: cleaned text, Chinese messages."""

    class Meta(intake.InputMeta):
        pass


class EventForm(ConsoleForm):
    """Create or edit an event; times are Asia/Shanghai wall time."""

    title = StringField("活动名称", validators=[DataRequired("请填写活动名称"), Length(max=120)])
    kind = SelectField("活动类型", choices=KIND_CHOICES)
    mode = SelectField("活动形式", choices=MODE_CHOICES)
    unit_id = SelectField("主责单位", coerce=_optional_int, validate_choice=False)
    co_hosts = StringField("协办单位", validators=[Optional(), Length(max=200)])
    topic_id = SelectField("所属专题", coerce=_optional_int, validate_choice=False)
    starts_at = DateTimeLocalField("活动开始时间", format=DATETIME_FORMAT,
                                   validators=[DataRequired("请填写活动开始时间")])
    duration_minutes = IntegerField("时长（分钟）", default=120,
                                    validators=[DataRequired("请填写时长"), NumberRange(1, 24 * 60, "时长应在 1–1440 分钟之间")])
    place = StringField("活动地点", validators=[Optional(), Length(max=200)])
    summary = TextAreaField("活动内容简介", validators=[Optional(), Length(max=4000)])
    agenda = TextAreaField("活动议程", validators=[Optional(), Length(max=4000)])
    online_participation = TextAreaField("网民参与方式（直播活动必填）", validators=[Optional(), Length(max=2000)])
    livestream_url = StringField("直播地址", validators=[Optional(), URL(message="请填写完整的网址"), Length(max=500)])
    seats = IntegerField("现场名额", default=30, validators=[Optional(), NumberRange(0, 1000, "名额应在 0–1000 之间")])
    apply_opens_at = DateTimeLocalField("报名开始时间", format=DATETIME_FORMAT, validators=[Optional()])
    apply_closes_at = DateTimeLocalField("报名截止时间", format=DATETIME_FORMAT, validators=[Optional()])
    selection_planned_on = DateField("计划遴选日期", validators=[Optional()])
    # Only for a published event (报备, services.programme.change_reports); sent to applicants with the change.
    change_reason = TextAreaField("变更原因", validators=[Optional(), Length(max=500)])


class PublishForm(ConsoleForm):
    """Publish; a coordinator may give a reason to publish after the deadline."""

    override_reason = TextAreaField("超期发布理由（仅区级协调员，超过期限时填写）",
                                    validators=[Optional(), Length(max=1000)])


class CancelForm(ConsoleForm):
    """Cancel an event; the reason is sent to applicants."""

    reason = TextAreaField("取消原因（将发送给报名者）", validators=[DataRequired("请填写取消原因"), Length(max=500)])


class PostponeForm(ConsoleForm):
    """Move an event to a later time; the reason is sent to applicants."""

    starts_at = DateTimeLocalField("新的活动开始时间", format=DATETIME_FORMAT,
                                   validators=[DataRequired("请填写新的活动时间")])
    reason = TextAreaField("延期原因（将发送给报名者）", validators=[DataRequired("请填写延期原因"), Length(max=500)])


class InvitationForm(ConsoleForm):
    """A directed invitation (定向邀请)."""

    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=40)])
    mobile = StringField("手机号码", validators=[Optional(), MOBILE])
    category = SelectField("类别", validate_choice=True)
    note = StringField("备注", validators=[Optional(), Length(max=200)])


class DrawForm(ConsoleForm):
    """Start the lottery: an optional seed; the quota inputs are read by the view."""

    seed = StringField("随机种子（可选，留空则自动生成）",
                       validators=[Optional(), Regexp(r"^\d{1,18}$", message="随机种子应为不超过 18 位的数字")])


class ConfirmForm(ConsoleForm):
    """Confirm the selection and send the notices; before the deadline, why applications close early."""

    early_reason = TextAreaField("提前确认的理由（报名尚未截止时填写，将记入操作日志）",
                                 validators=[Optional(), Length(max=500)])


class CheckinForm(ConsoleForm):
    """Type a check-in code."""

    code = StringField("签到码", validators=[DataRequired("请输入签到码"), Length(max=40)])


class InvitationRemoveForm(ConsoleForm):
    """Withdraw an invitation (CSRF only)."""
