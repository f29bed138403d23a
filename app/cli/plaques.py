"""``flask plaques render``: print-ready plaques for a village."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli import friendly_errors
from app.services import register
from app.services.plaque_batch import render_village


@click.group()
def plaques():
    """门牌：生成带二维码的户牌。"""


@plaques.command("render")
@click.option("--village", required=True, help="村名，如 大苍村")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="输出目录")
@click.option("--household", "numbers", multiple=True, help="只生成这些户号（可重复）")
@friendly_errors
def render(village, out_dir, numbers):
    """每户一张 PNG（<户号>.png）和一份可直接打印的 plaques.pdf。"""
    v = register.find_village(village)
    count = render_village(v, Path(out_dir), list(numbers) or None)
    if not count:
        raise click.ClickException("没有可生成门牌的户。")
    click.echo(f"已生成{count}张门牌和 plaques.pdf，在 {out_dir}")
