"""``flask accounts create``: the first admin (and any account) from the command line."""

from __future__ import annotations

import click

from app.cli import friendly_errors
from app.models import Role


@click.group()
def accounts():
    """后台账号。"""


@accounts.command("create")
@click.option("--username", required=True, help="登录用的用户名（小写字母开头）")
@click.option("--name", "display_name", required=True, help="姓名")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True, help="角色")
@click.option("--region", required=True, help="管辖的县、镇或村，如 大苍村 或 安化县/冷市镇/大苍村")
@click.option("--group", "group_number", type=int, default=None, help="村民小组长管的组号")
@click.password_option("--password", prompt="密码（至少10位，有字母和数字）", confirmation_prompt="再输一遍")
@friendly_errors
def create(username, display_name, role, region, group_number, password):
    """新建一个后台账号（第一次部署时用它建县级或村级管理员）。"""
    from app.services import accounts as service
    from app.services.demo_accounts import region_by_name

    place = region_by_name(region)
    if place is None:
        raise click.ClickException(f"没有找到“{region}”，或者有重名，请写完整：县/镇/村。")
    group_id = None
    if group_number is not None:
        group = next((g for g in place.groups if g.number == group_number), None)
        if group is None:
            raise click.ClickException(f"{place.name}没有第 {group_number} 组。")
        group_id = group.id
    account = service.create_account(
        service.AccountInput(username, display_name, role, place.id, password, group_id), created_by="命令行"
    )
    click.echo(f"已创建账号 {account.username}（{display_name}），登录地址 /admin/")


@accounts.command("demo")
@friendly_errors
def demo_accounts():
    """为演示村建好各角色的演示账号，并打印用户名和密码。"""
    from pathlib import Path

    from flask import current_app

    from app.services.demo_accounts import ensure_demo_accounts

    for line in ensure_demo_accounts(Path(current_app.instance_path)):
        click.echo("  " + line.replace("\t", "  "))
