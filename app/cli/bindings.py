"""``flask bindings list|approve|reject|unbind``: cadre decisions on WeChat binding until the back office exists."""

from __future__ import annotations

import click

from app.cli import friendly_errors
from app.services import identity
from app.services.clock import VILLAGE_TZ


@click.group()
def bindings():
    """微信绑定：查看申请、同意、拒绝、解除绑定。"""


@bindings.command("list")
@click.option("--village", default=None, help="只看这个村，如 大苍村")
@friendly_errors
def list_requests(village):
    """列出等待确认的绑定申请。"""
    rows = identity.pending_requests(village)
    if not rows:
        click.echo("没有等待确认的绑定申请。")
        return
    for row in rows:
        at = identity.aware(row["created_at"]).astimezone(VILLAGE_TZ)
        note = f"  说明：{row['note']}" if row["note"] else ""
        note += "  （此人已绑定另一个微信，同意后替换）" if row["replaces"] else ""
        click.echo(
            f"#{row['id']}  {row['village']} {row['household']}号  {row['name']}（{row['relation']}）"
            f"  {at:%Y-%m-%d %H:%M}{note}"
        )
    click.echo(f"共{len(rows)}条。同意：flask bindings approve 编号 --by 姓名")


@bindings.command("approve")
@click.argument("request_id", type=int)
@click.option("--by", "decided_by", required=True, help="审核人姓名")
@friendly_errors
def approve(request_id, decided_by):
    """同意一条绑定申请（绑定并发送欢迎消息）。"""
    villager = identity.approve(request_id, decided_by=decided_by)
    click.echo(f"已同意第{request_id}号申请：微信已绑定到{villager.household.number}号 {villager.name}。")


@bindings.command("reject")
@click.argument("request_id", type=int)
@click.option("--by", "decided_by", required=True, help="审核人姓名")
@click.option("--reason", required=True, help="拒绝原因（村民能看到）")
@friendly_errors
def reject(request_id, decided_by, reason):
    """拒绝一条绑定申请。"""
    identity.reject(request_id, decided_by=decided_by, reason=reason)
    click.echo(f"已拒绝第{request_id}号申请。")


@bindings.command("unbind")
@click.option("--openid", required=True, help="要解除绑定的微信 openid")
@click.option("--by", "decided_by", required=True, help="操作人姓名")
@friendly_errors
def unbind(openid, decided_by):
    """替村民解除微信绑定。"""
    if not decided_by.strip():
        raise click.ClickException("请用 --by 写明操作人。")
    identity.unbind(openid, actor=decided_by.strip()[:64])
    click.echo("已解除绑定。")
