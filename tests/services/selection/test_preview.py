"""``flask selection preview``: what quotas mean for an expected pool, before anyone applies."""

from __future__ import annotations

import json

import pytest

from services import selection

POOL = "人大代表=40,政协委员=30,群众代表（家长）=200,群众代表（企业）=100,媒体记者=10,其他群众=500"


def test_preview_json_carries_the_lowest_each_category_the_quotas_and_the_time(runner):
    ran = runner.invoke(args=["selection", "preview", "--seats", "30", "--pool", POOL, "--street-cap", "4", "--json"])
    assert ran.exit_code == 0, ran.output
    figures = json.loads(ran.output[ran.output.index("{"):])
    # 其他群众 is capped at 10 of 500 applicants: 2 %, and every other category sits on its minimum.
    assert figures["min_probability"] == pytest.approx(0.02, abs=1e-9)
    assert figures["per_category"] == pytest.approx({
        "人大代表": 3 / 40, "政协委员": 3 / 30, "群众代表（家长）": 6 / 200, "群众代表（企业）": 6 / 100,
        "媒体记者": 2 / 10, "其他群众": 10 / 500}, abs=1e-9)
    assert figures["quotas"]["其他群众"] == [0, 10] and figures["quotas"]["人大代表"] == [3, 6]
    assert figures["binding"]["其他群众"] == "max" and figures["binding"]["人大代表"] == "min"
    assert 0 < figures["seconds"] < 10 and figures["street_cap"] == 4


def test_preview_text_names_the_binding_quotas(runner):
    ran = runner.invoke(args=["selection", "preview", "--seats", "30", "--pool", POOL])
    assert ran.exit_code == 0, ran.output
    assert "每位报名者的最低入选概率：2.00%（不设配额时为 3.41%）" in ran.output
    assert "  其他群众：500 人，配额 0–10，入选概率 2.00%" in ran.output
    assert "“其他群众”的上限 10 人起约束作用：每次抽出的名单都恰好有 10 人" in ran.output
    assert "计算用时" in ran.output


def test_preview_with_typed_quotas_that_leave_everyone_a_chance_binds_nothing(runner):
    ran = runner.invoke(args=["selection", "preview", "--seats", "30", "--pool", "人大代表=300,其他群众=300",
                              "--quota", "人大代表=0-30", "--quota", "其他群众=0-30", "--json"])
    figures = json.loads(ran.output[ran.output.index("{"):])
    assert figures["min_probability"] == pytest.approx(0.05)
    assert figures["binding"] == {}


def test_preview_says_who_can_never_be_chosen():
    result = selection.preview(30, {"人大代表": 40, "媒体记者": 8, "其他群众": 500},
                               quotas={"category": {"媒体记者": [0, 0], "其他群众": [0, 30]}})
    assert result.min_probability == 0.0 and result.per_category["媒体记者"] == 0.0
    assert "“媒体记者”有 8 位报名者无法入选（入选概率为 0）：该类别的上限为 0" in result.notes


def test_fewer_expected_than_seats_means_everyone_is_selected():
    result = selection.preview(30, {"人大代表": 5, "其他群众": 7})
    assert result.min_probability == 1.0 and result.per_category == {"人大代表": 1.0, "其他群众": 1.0}
    assert result.notes[0] == "报名人数（12 人）不超过待抽取席位（30 个），全体报名者入选，未进行抽签"


def test_a_street_cap_that_binds_is_named():
    with pytest.raises(selection.PreviewImpossible) as caught:
        selection.preview(30, {"其他群众": 1000}, quotas={"category": {"其他群众": [0, 30]}}, street_cap=1)
    assert caught.value.messages == ["各街镇最多可入选 22 人（上限与报名人数取较小者），不足待抽取的 30 人"]
    # The expected pool is spread evenly: a cap binds when it leaves no slack (44 seats, 22 × 2).
    loose = selection.preview(30, {"其他群众": 1000}, quotas={"category": {"其他群众": [0, 30]}}, street_cap=2)
    assert not loose.streets_binding and loose.min_probability == pytest.approx(0.03)
    capped = selection.preview(44, {"其他群众": 1000}, quotas={"category": {"其他群众": [0, 44]}}, street_cap=2)
    assert capped.streets_binding and "每个街镇最多 2 人的限制生效" in capped.binding_lines()


@pytest.mark.parametrize(("args", "words"), [
    (["--pool", "人大代表40"], "应写作 类别=人数"),
    (["--pool", "人大代表=0"], "请至少填写一个类别的预计报名人数"),
    (["--pool", "人大代表=50", "--quota", "人大代表=8-6"], "“人大代表”的下限 8 大于上限 6"),
    (["--pool", "人大代表=50,其他群众=50", "--quota", "人大代表=0-5", "--quota", "其他群众=0-5"],
     "各类别最多可入选 10 人（上限与报名人数取较小者），不足待抽取的 30 人"),
])
def test_bad_preview_input_gets_a_clear_message(runner, args, words):
    ran = runner.invoke(args=["selection", "preview", "--seats", "30", *args])
    assert ran.exit_code != 0 and words in ran.output


def test_preview_json_alone_on_stdout_of_the_real_command(tmp_path):
    """The solver's banner goes to stderr, so the output pipes straight into a JSON reader."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "FLASK_APP": "wsgi.py", "DATABASE_URL": f"sqlite:///{tmp_path / 'preview.db'}"}
    done = subprocess.run([sys.executable, "-m", "flask", "selection", "preview", "--seats", "30", "--pool", POOL,
                           "--json"], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["min_probability"] == pytest.approx(0.02)
