"""``flask points award|reverse|rebuild``: drive the ledger until the back office exists."""

from __future__ import annotations

import click

from app.cli import friendly_errors
from app.extensions import db
from app.services import clock, register
from app.services import points as ledger
from app.services.totals import rebuild_totals


@click.group()
def points():
    """道德积分：加分、扣分、更正。"""


def _member_id(household, name: str | None) -> int | None:
    if not name:
        return None
    matches = [m for m in household.members if m.name == name]
    if not matches:
        raise click.ClickException(f"“{household.number}”户没有在册成员叫“{name}”。")
    return matches[0].id


@points.command("award")
@click.option("--village", required=True, help="村名，如 大苍村")
@click.option("--household", "number", required=True, help="户号")
@click.option("--points", "amount", required=True, help="分值，扣分用负数，如 -2")
@click.option("--reason", required=True, help="何事")
@click.option("--category", required=True, help="类别，如 好人好事")
@click.option("--member", default=None, help="记到哪位成员（姓名），不填记到全户")
@click.option("--place", default=None, help="何地")
@click.option("--date", "occurred_on", default=None, help="何时（YYYY-MM-DD，默认今天）")
@click.option("--by", "recorded_by", default="命令行", show_default=True, help="记分人")
@click.option("--key", default=None, help="请求编号：同一编号重复提交只记一次")
@friendly_errors
def award(village, number, amount, reason, category, member, place, occurred_on, recorded_by, key):
    """给一户（或其成员）加分或扣分。"""
    household = register.get_household(register.find_village(village), number)
    result = ledger.award_points(
        ledger.AwardInput(
            household_id=household.id, villager_id=_member_id(household, member), points=amount,
            reason=reason, category=category, place=place,
            occurred_on=occurred_on or clock.today(), recorded_by=recorded_by,
            idempotency_key=key, source="cli",
            confirmed=True,  # every field typed on purpose: the form's second look is for clicks
        )
    )  # fmt: skip
    entry = result.entry
    done = "已记入" if result.created else "这个请求编号之前已记入，没有重复记分"
    click.echo(f"{done}：第{entry.id}条，{household.number}户 {entry.points:+d}分（{entry.reason}）")


@points.command("reverse")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="撤销原因")
@click.option("--by", "recorded_by", default="命令行", show_default=True)
@friendly_errors
def reverse(entry_id, reason, recorded_by):
    """撤销一条记错的积分（记一条相反的更正记录，原记录保留）。"""
    entry = ledger.reverse_entry(entry_id, reason=reason, recorded_by=recorded_by)
    click.echo(f"已更正：第{entry.reverses_id}条由第{entry.id}条撤销（{entry.points:+d}分）")


@points.command("rebuild-totals")
@click.option("--village", required=True)
@friendly_errors
def rebuild(village):
    """从流水重新计算一个村的积分合计（修复用）。"""
    v = register.find_village(village)
    rows = rebuild_totals(v.id)
    db.session.commit()
    from app.services import page_cache

    page_cache.bump_village(v.id)
    click.echo(f"{v.name}：重算了{rows}条合计")
