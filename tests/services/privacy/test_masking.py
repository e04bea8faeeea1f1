"""services.privacy.masking: personal data is replaced before citizen text is proposed for a public page."""

from __future__ import annotations

from services.privacy import masking


def test_mobiles_ids_addresses_and_self_introduced_names_are_masked():
    masked = masking.mask_text("我叫张三，电话13800138000，住在兴华路12号院3号楼2单元501，身份证110101199003071234。")
    assert masked.text == "我叫张*，电话1**********，住在（地址已隐去），身份证******************。"
    assert set(masked.kinds) == {"手机号", "身份证号", "详细地址", "姓名"}


def test_ordinary_words_after_wo_shi_and_streets_without_a_door_number_stay():
    assert masking.mask_text("我是一名家长，建议在兴华路增加路灯。").text == "我是一名家长，建议在兴华路增加路灯。"
    assert masking.mask_text("我是一名家长").kinds == ()


def test_landlines_and_numbers_with_spaces():
    assert masking.mask_text("请回电 010-69241234 或 138 0013 8000").text == "请回电 ****-******* 或 1**********"


def test_the_word_list_holds_text_back():
    assert masking.held_words("这些人都是贪污腐败") == ["贪污", "腐败"]
    assert masking.held_words("建议增加停车位") == []
