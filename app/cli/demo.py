"""``flask demo load``: the demo village 大苍村."""

from __future__ import annotations

from datetime import date

import click

from app.cli import friendly_errors


@click.group()
def demo():
    """演示数据。"""


@demo.command("load")
@click.option("--if-empty", is_flag=True, help="只在数据库里还没有任何户时加载")
@click.option("--today", default=None, help="以哪天为“今天”生成一年积分（YYYY-MM-DD，默认今天）")
@friendly_errors
def load(if_empty, today):
    """加载演示村：安化县 › 冷市镇 › 大苍村，18个组、436户、1765人和一年的积分。"""
    from app.services import demo_loader, standings

    try:
        day = date.fromisoformat(today) if today else standings.today()
    except ValueError:
        raise click.ClickException("--today 格式不对，请写成 2026-05-01 这样的日期。") from None
    result = demo_loader.load_demo(day, only_if_empty=if_empty)
    click.echo(result.message)
