"""``flask points award|reverse`` drive the ledger until the back office exists."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models import PointsEntry
from app.services import standings
from tests.helpers import make_household


def entries(db) -> int:
    return db.session.scalar(select(func.count()).select_from(PointsEntry))


def test_award_and_reverse_from_the_command_line(db, runner):
    household = make_household(members=2)
    son = household.members[1].name
    args = ["points", "award", "--village", "大苍村", "--household", household.number, "--points", "5",
            "--reason", "义务修补村道", "--category", "志愿服务", "--member", son, "--key", "cli-1"]  # fmt: skip
    first = runner.invoke(args=args)
    assert first.exit_code == 0, first.output
    assert "+5" in first.output
    again = runner.invoke(args=args)  # a retried command with the same key
    assert again.exit_code == 0
    assert entries(db) == 1
    entry_id = db.session.scalar(select(PointsEntry.id))
    reverse = runner.invoke(args=["points", "reverse", str(entry_id), "--reason", "记错了户"])
    assert reverse.exit_code == 0, reverse.output
    assert standings.totals_for("household", [household.id])[household.id]["all"] == 0


def test_bad_arguments_get_chinese_messages_and_write_nothing(db, runner):
    household = make_household()
    base = ["points", "award", "--village", "大苍村", "--household", household.number, "--reason", "x", "--category", "其他"]
    cases = {
        "分值要填整数": ["--points", "五"],
        "不能是0": ["--points", "0"],
        "不能晚于今天": ["--points", "3", "--date", "2999-01-01"],
        "格式不对": ["--points", "3", "--date", "昨天"],
        "没有在册成员": ["--points", "3", "--member", "张三"],
    }
    for message, extra in cases.items():
        result = runner.invoke(args=base + extra)
        assert result.exit_code == 1, (message, result.output)
        assert message in result.output, (message, result.output)
    unknown = runner.invoke(args=["points", "award", "--village", "大苍村", "--household", "9999", "--points", "3", "--reason", "x", "--category", "其他"])
    assert unknown.exit_code == 1 and "9999" in unknown.output
    missing = runner.invoke(args=["points", "reverse", "12345", "--reason", "x"])
    assert missing.exit_code == 1 and "没有这条积分记录" in missing.output
    assert entries(db) == 0


def test_demo_load_rejects_a_bad_date(db, runner):
    result = runner.invoke(args=["demo", "load", "--today", "去年"])
    assert result.exit_code == 1
    assert "格式不对" in result.output
