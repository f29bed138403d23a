"""``flask demo load``: the demo village 大苍村."""

from __future__ import annotations

from datetime import date

import click

from app.cli import friendly_errors
from app.services import clock


@click.group()
def demo():
    """演示数据。"""


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="只在数据库里还没有任何户时加载")
@click.option("--today", default=None, help="以哪天为“今天”生成一年积分（YYYY-MM-DD，默认今天）")
@friendly_errors
def load(if_empty, today):
    """加载演示村：安化县 › 冷市镇 › 大苍村，18个组、436户、1765人和一年的积分。"""
    from app.services import demo_loader

    try:
        day = date.fromisoformat(today) if today else clock.today()
    except ValueError:
        raise click.ClickException("--today 格式不对，请写成 2026-05-01 这样的日期。") from None
    result = demo_loader.load_demo(day, only_if_empty=if_empty)
    click.echo(result.message)


@demo.command("identities")
@click.option("--household", "number", required=True, help="演示村的户号，如 0101")
@friendly_errors
def identities(number):
    """打印演示户成员的姓名、身份证后6位和手机号，供在微信沙盒里试“绑定”（只在沙盒模式可用）。"""
    from flask import current_app

    from app.extensions import db
    from app.services import audit, register
    from app.services.demo_loader import DEMO_VILLAGE

    if not current_app.config["WECHAT_SANDBOX"]:
        raise click.ClickException("只有在沙盒模式（没有配置微信账号、非生产环境）下才能查看演示身份。")
    household = register.get_household(register.find_village(DEMO_VILLAGE), number)
    audit.record("命令行", "demo.identities", target=f"household:{household.id}", village_id=household.village_id)
    db.session.commit()
    click.echo(f"户号 {household.number}（门牌上印的号码：绑定时“户号 + 手机号”填它）")
    for person in household.members:
        id_tail = (person.id_number or "")[-6:]
        click.echo(f"{person.name}\t{person.relation}\t身份证后6位 {id_tail}\t手机 {person.phone or '无'}")
