"""Forms of the citizen's pages (Flask-WTF: CSRF on every POST; a form that fails keeps what was typed).

Every form here derives from :class:`CitizenForm`: what was typed is cleaned
(:func:`services.intake.clean_text`) before it is validated, and WTForms' own
messages are Chinese.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from services import intake
from services.participation import applications, streets


class CitizenForm(FlaskForm):
    """Base of the citizens' forms: cleaned text, Chinese messages."""

    class Meta(intake.InputMeta):
        pass


class ApplyForm(CitizenForm):
    """The chat's application questions on one page; the service validates each value again."""

    name = StringField("姓名", validators=[DataRequired("请填写姓名"), Length(max=20, message="姓名最多 20 个字")])
    mobile = StringField("手机号码", validators=[DataRequired("请填写手机号码")])
    category = SelectField("身份类别", validators=[DataRequired("请选择身份类别")], validate_choice=False)
    street = SelectField("所在街道（镇）", choices=[("", "请选择")] + [(s, s) for s in streets.ALL],
                         validators=[DataRequired("请选择所在街道（镇）")])
    reason = TextAreaField("报名理由（选填）", validators=[
        Optional(), Length(max=applications.REASON_CHARS, message=f"报名理由最多 {applications.REASON_CHARS} 字")])
    consent = BooleanField("我已阅读并同意上述个人信息告知", validators=[DataRequired("请阅读并同意个人信息告知")])


class ConfirmForm(CitizenForm):
    """A button that changes something: only the CSRF token."""
