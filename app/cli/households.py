"""``flask households export|reissue``."""

from __future__ import annotations

import sys

import click

from app.cli import friendly_errors
from app.services import codes, exports, register
from app.services.plaque_batch import household_url


@click.group()
def households():
    """户籍登记：导出、换发户码。"""


@households.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--village", default=None, help="只导出一个村（村名）；不填导出全部")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None, help="写到文件；不填输出到屏幕")
@click.option("--by", "actor", default="命令行", show_default=True, help="导出人（记入审计日志）")
@friendly_errors
def export(fmt, village, out, actor):
    """每户一行：户号、户码、村民小组、户主、人口、本年积分等。"""
    v = register.find_village(village) if village else None
    data = exports.export_households(fmt, village=v, actor=actor)
    if out:
        with open(out, "wb") as f:
            f.write(data)
        click.echo(f"已导出到 {out}", err=True)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


@households.command("reissue")
@click.option("--village", required=True)
@click.option("--household", "number", required=True, help="户号")
@click.option("--by", "actor", default="命令行", show_default=True)
@friendly_errors
def reissue(village, number, actor):
    """换发户码：旧门牌作废（扫码显示“已更换”），打印新门牌。"""
    household = register.get_household(register.find_village(village), number)
    fresh = codes.reissue_code(household.id, recorded_by=actor)
    click.echo(f"{household.number}户的新户码：{fresh.code}")


@households.command("link")
@click.option("--village", required=True)
@click.option("--household", "number", required=True, help="户号")
@friendly_errors
def link(village, number):
    """打印一户的门牌网址（和二维码里的一样）。"""
    household = register.get_household(register.find_village(village), number)
    code = codes.active_code(household.id)
    click.echo(household_url(code))
