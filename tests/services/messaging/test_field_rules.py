"""Issue 26.1: WeChat types every template field by its key; the service fits values, the emulator refuses.

The service (``services/messaging/field_rules.py``) and the emulator (``emulator/field_rules.py``,
which imports nothing of the service) each hold the rules; this table keeps them in agreement.
"""

from __future__ import annotations

import pytest

from emulator import field_rules as wechat
from services.messaging import field_rules

# (key, value, WeChat accepts it)
CASES = [
    ("thing1", "政务开放日·社银合作（开放点6）", True),
    ("thing1", "一" * 20, True),
    ("thing1", "一" * 21, False),
    ("thing1", "", False),
    ("thing1", "  ", False),
    ("thing1", "第一行\n第二行", False),
    ("thing1", "制表\t符", False),
    ("phrase4", "待确认", True),
    ("phrase4", "已整改答复", True),
    ("phrase4", "候补递补，请确认是否参加", False),
    ("phrase4", "讲座提问已答复", False),
    ("phrase4", "候补3", False),
    ("phrase4", "OK", False),
    ("character_string1", "JY20261123-0042", True),
    ("character_string1", "A" * 32, True),
    ("character_string1", "A" * 33, False),
    ("character_string1", "编号12", False),
    ("character_string1", "AB 12", False),
    ("number2", "3", True),
    ("number2", "12.50", True),
    ("number2", "1" * 33, False),
    ("number2", "第3位", False),
    ("number2", "3位", False),
    ("letter1", "abcXYZ", True),
    ("letter1", "abc1", False),
    ("symbol1", "~-*", True),
    ("symbol1", "******", False),
    ("symbol1", "a*", False),
    ("name1", "张三", True),
    ("name1", "张*", True),
    ("name1", "欧阳" + "一" * 8, True),
    ("name1", "欧阳" + "一" * 9, False),
    ("name1", "Li Lei", False),
    ("name1", "LiLei", True),
    ("name1", "L" * 21, False),
    ("phone_number1", "+86-010-69248888", True),
    ("phone_number1", "138****0000", True),
    ("phone_number1", "1" * 18, False),
    ("phone_number1", "电话123", False),
    ("amount1", "¥100.50元", True),
    ("amount1", "￥88", True),
    ("amount1", "100元", False),
    ("amount1", "¥12345678901", False),
    ("car_number1", "京A12345", True),
    ("car_number1", "粤A8Z888挂", True),
    ("car_number1", "京A123456挂", False),
    ("car_number1", "京A-12345", False),
    ("time2", "15:01", True),
    ("time2", "15:01:30", True),
    ("time2", "2019年10月1日 15:01", True),
    ("time2", "10月12日 14:00", True),
    ("time2", "2026-10-12 14:00", True),
    ("time2", "14:00~16:00", True),
    ("time2", "2026年10月12日 14:00~2026年10月12日 16:00", True),
    ("time2", "2026年10月12日", False),
    ("time2", "10月12日 周一 14:00", False),
    ("time2", "下午两点", False),
    ("time2", "25:00", False),
    ("date3", "2019年10月1日", True),
    ("date3", "2019年10月1日 15:01", True),
    ("date3", "2026-10-12", True),
    ("date3", "2026/10/12~2026/10/14", True),
    ("date3", "15:01", False),
    ("date3", "明天", False),
    ("keyword1", "旧模板的字段不超过二十个字", True),
    ("keyword1", "一" * 21, False),
]


@pytest.mark.parametrize(("key", "value", "accepted"), CASES)
def test_the_service_and_the_emulator_agree_with_wechat(key, value, accepted):
    assert (field_rules.check(key, value) is None) is accepted
    assert wechat.accepts(key, value) is accepted


# Types a sender gives in their form (a time, an amount, a plate): nothing to fit from; and empty values.
FITTABLE = [case for case in CASES if case[1].strip()
            and field_rules.field_type(case[0]) not in {"amount", "car_number", "date", "time", "letter"}]


@pytest.mark.parametrize(("key", "value", "accepted"), FITTABLE)
def test_every_value_is_fitted_to_one_wechat_accepts(key, value, accepted):
    fitted = field_rules.fit(key, value)
    assert wechat.accepts(key, fitted), (value, fitted)
    if accepted:
        assert fitted == " ".join(value.split())


@pytest.mark.parametrize(("key", "value", "fitted"), [
    # An aside in brackets goes first; a clause is dropped whole; a word is never cut in half.
    ("thing3", "政务和数据局办公区（具体地点以入选通知为准）", "政务和数据局办公区"),
    ("thing1", "您好，本次活动将于明日上午九点开始，请提前到场签到", "您好，本次活动将于明日上午九点开始…"),
    ("thing1", "Open Day at the Daxing service hall", "Open Day at the…"),
    ("phrase2", "落实进展：实施中", "实施中"),
    ("phrase4", "候补递补，请确认是否参加", "候补递补"),
    ("time2", "10月12日 周一 14:00", "10月12日 14:00"),
    ("number1", "候补第3位", "3"),
    ("thing1", "报名成功🎉\n请按时参加", "报名成功 请按时参加"),
])
def test_values_are_shortened_by_meaning(key, value, fitted):
    assert field_rules.fit(key, value) == fitted
    assert wechat.accepts(key, fitted)


def test_an_offer_on_an_account_without_an_offer_template_goes_on_the_selection_card():
    """An account configured before the ``offer`` template existed still gets a card WeChat accepts."""
    import datetime as dt

    from emulator.catalog import DEFAULT_TEMPLATES
    from services.messaging import channels

    cfg = channels.ChannelConfig(template_ids={"selection": "tmpl_selection"})
    payload = {"template": "offer", "text": "…", "url": "https://x/my/applications",
               "data": {"title": "政务开放日·社银合作（开放点6）", "place": "线上", "time": "10月12日 09:30",
                        "deadline": "10月10日 09:00", "result": "待确认", "note": "请于10月10日 09:00前确认"}}
    now = dt.datetime(2026, 10, 9, 9, 0, tzinfo=dt.UTC)
    assert channels.plan("auto", payload, None, now, cfg) == ["template"]
    _endpoint, body = channels.request_for("template", "o_x", payload, "k", cfg, now)
    assert body["template_id"] == "tmpl_selection" and body["url"].endswith("/my/applications")
    [card] = [t for t in DEFAULT_TEMPLATES if t.id == "tmpl_selection"]
    for key, _label in card.fields:
        assert wechat.accepts(key, body["data"][key]["value"]), key
    assert body["data"]["phrase4"]["value"] == "待确认" and body["data"]["thing5"]["value"] == "请于10月10日 09:00前确认"
