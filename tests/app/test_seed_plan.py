"""The demo programme is read from the 2024 plan; the bundled copy is the same document."""

from __future__ import annotations

from app import seed_plan


def test_the_plan_yields_the_programme():
    plan = seed_plan.load(seed_plan.BUNDLED_PLAN)
    assert plan.topics == ["优化营商环境", "便民惠民服务", "保障改善民生", "创建文明城区", "政策专属礼包"]
    assert [p.number for p in plan.open_points] == list(range(1, 16))
    assert {p.number: p.unit for p in plan.open_points}[1] == "观音寺街道"
    assert {p.number: p.unit for p in plan.open_points}[2] == "林校路街道"
    assert [lecture.title for lecture in plan.lectures][-1] == "人社普法知识系列宣讲"
    assert plan.lectures[0].units == ["政务和数据局", "天宫院街道", "高米店街道"]


def test_the_bundled_copy_matches_the_shared_seed_when_present():
    if seed_plan.SHARED_PLAN.exists():
        assert seed_plan.SHARED_PLAN.read_bytes() == seed_plan.BUNDLED_PLAN.read_bytes()
