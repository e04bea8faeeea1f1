"""WTForms forms of adoption progress (落实进展) and lecture questions (答疑).

Forms check shapes only; the rules live in ``services.participation.progress`` and
``services.participation.questions``, whose typed errors the views attach to the fields.
"""

from __future__ import annotations

from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from console.forms import ConsoleForm
from models import ProgressStage
from services.participation import progress, questions

STAGE_CHOICES = [(stage.value, progress.stage_label(stage)) for stage in ProgressStage]


class ProgressForm(ConsoleForm):
    """One progress update: stage, the day it was reached, a short note the citizen and the public read."""

    stage = SelectField("落实阶段", choices=STAGE_CHOICES)
    day = DateField("进展日期", validators=[Optional()], format="%Y-%m-%d")
    note = TextAreaField("进展说明（推送给市民并公开，不含个人信息）",
                         validators=[DataRequired("请填写进展说明"), Length(max=progress.MAX_NOTE_CHARS, message=f"进展说明不超过 {progress.MAX_NOTE_CHARS} 字")])


class QuestionReplyForm(ConsoleForm):
    """A written reply to a lecture question, pushed to the citizen once."""

    reply = TextAreaField("书面答复（推送给提问市民，并在活动页面公开）", validators=[
        DataRequired("请填写答复内容"),
        Length(max=questions.MAX_REPLY_CHARS, message=f"答复不超过 {questions.MAX_REPLY_CHARS} 字")])
