"""What every web form shares: typed text cleaned on the way in, and WTForms' own messages in Chinese.

A form's ``Meta`` inherits :class:`InputMeta` (the console's and the citizens' base
forms do). WTForms' built-in messages ("Not a valid choice.", "This field is
required." …) are English, and the zh catalogue it ships leaves some out or gets
them wrong ("This field cannot be edited." reads 该字段是必填字段); the messages
below are ours, in the service's tone, and a message not listed (a new WTForms
release) still reaches the page as WTForms wrote it rather than failing.
"""

from __future__ import annotations

from wtforms.fields import PasswordField, StringField

from services.intake.text import clean_text

FORM_MESSAGES = {
    "Invalid field name '%s'.": "字段名称“%s”无效。",
    "Field must be equal to %(other_name)s.": "请与“%(other_name)s”填写一致。",
    "Field must be at least %(min)d character long.": "请至少填写 %(min)d 个字。",
    "Field must be at least %(min)d characters long.": "请至少填写 %(min)d 个字。",
    "Field cannot be longer than %(max)d character.": "请不要超过 %(max)d 个字。",
    "Field cannot be longer than %(max)d characters.": "请不要超过 %(max)d 个字。",
    "Field must be exactly %(max)d character long.": "请填写 %(max)d 个字。",
    "Field must be exactly %(max)d characters long.": "请填写 %(max)d 个字。",
    "Field must be between %(min)d and %(max)d characters long.": "请填写 %(min)d–%(max)d 个字。",
    "Number must be at least %(min)s.": "请填写不小于 %(min)s 的数字。",
    "Number must be at most %(max)s.": "请填写不大于 %(max)s 的数字。",
    "Number must be between %(min)s and %(max)s.": "请填写 %(min)s–%(max)s 之间的数字。",
    "This field is required.": "此项为必填项，请填写。",
    "Invalid input.": "填写的内容格式不正确，请检查后重新填写。",
    "Invalid email address.": "请填写正确的电子邮箱地址。",
    "Invalid IP address.": "请填写正确的 IP 地址。",
    "Invalid Mac address.": "请填写正确的 MAC 地址。",
    "Invalid URL.": "请填写完整的网址。",
    "Invalid UUID.": "请填写正确的 UUID。",
    "Invalid value, must be one of: %(values)s.": "请从以下选项中选择：%(values)s。",
    "Invalid value, can't be any of: %(values)s.": "不能选择以下选项：%(values)s。",
    "This field cannot be edited.": "此项不能修改。",
    "This field is disabled and cannot have a value.": "此项已停用，不能填写。",
    "Invalid CSRF Token.": "页面已过期，请刷新页面后重新提交。",
    "CSRF token missing.": "页面已过期，请刷新页面后重新提交。",
    "CSRF failed.": "页面已过期，请刷新页面后重新提交。",
    "CSRF token expired.": "页面已过期，请刷新页面后重新提交。",
    "Invalid Choice: could not coerce.": "所选项无效，请从列表中重新选择。",
    "Choices cannot be None.": "暂无可选项，请稍后再试。",
    "Not a valid choice.": "所选项不在可选范围内，请从列表中重新选择。",
    "Invalid choice(s): one or more data inputs could not be coerced.": "所选项无效，请从列表中重新选择。",
    "'%(value)s' is not a valid choice for this field.": "“%(value)s”不在可选范围内，请重新选择。",
    "'%(value)s' are not valid choices for this field.": "“%(value)s”不在可选范围内，请重新选择。",
    "Not a valid datetime value.": "请填写正确的日期和时间。",
    "Not a valid date value.": "请填写正确的日期。",
    "Not a valid time value.": "请填写正确的时间。",
    "Not a valid week value.": "请填写正确的周次。",
    "Not a valid integer value.": "请填写整数。",
    "Not a valid decimal value.": "请填写数字。",
    "Not a valid float value.": "请填写数字。",
}


class ChineseMessages:
    """The ``gettext``/``ngettext`` object WTForms asks for its built-in messages."""

    def gettext(self, string: str) -> str:
        return FORM_MESSAGES.get(string, string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


MESSAGES = ChineseMessages()


class InputMeta:
    """A form ``Meta`` mixin: every text field (not passwords) is cleaned by :func:`clean_text` before its
    validators run, and WTForms speaks Chinese."""

    def bind_field(self, form, unbound_field, options):
        field_class = unbound_field.field_class
        if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
            options = {**options, "filters": [clean_text, *unbound_field.kwargs.get("filters", ())]}
        return super().bind_field(form, unbound_field, options)

    def get_translations(self, form):
        return MESSAGES
