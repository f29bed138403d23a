"""``flask wechat …``: per-household WeChat codes and the official account's menu."""

from __future__ import annotations

from collections import Counter

import click
from flask import current_app
from sqlalchemy import and_, func, select

from app.cli import friendly_errors
from app.extensions import db
from app.models import Household, HouseholdCode, WechatCode
from app.services import register
from wechat import menu as menu_file
from wechat import qrcodes
from wechat.client import WechatError, WechatUnavailable

KIND_LABELS = {"oa_qr": "公众号二维码", "mp_code": "小程序码"}
STATUS_LABELS = {
    "ready": "已生成",
    "failed": "失败",
    "skipped": "不生成",
    "pending": "待重试",
    "revoked": "已作废",
    "missing": "还没有",
}


@click.group("wechat")
def wechat_cli():
    """微信：每户的微信码、公众号菜单。"""


def _require_wechat() -> None:
    if not current_app.config.get("WECHAT_ENABLED"):
        raise click.ClickException("没有配置微信（WECHAT_APPID 等），这个命令用不了。")


@wechat_cli.group()
def codes():
    """每户的公众号永久二维码和小程序码。"""


@codes.command("create")
@click.option("--village", help="只处理这个村，如 大苍村")
@click.option("--household", "number", help="只处理这一户（户号，要同时给 --village）")
@friendly_errors
def create(village, number):
    """生成还没有的微信码（已生成的跳过，失败的重试）。"""
    _require_wechat()
    if number and not village:
        raise click.UsageError("给了 --household 也要给 --village（户号只在村内唯一）。")
    query = select(Household).where(Household.status == "active").order_by(Household.village_id, Household.number)
    if village:
        query = query.where(Household.village_id == register.find_village(village).id)
    if number:
        query = query.where(Household.id == register.get_household(register.find_village(village), number).id)
    households = db.session.scalars(query).all()
    tally: Counter = Counter()  # (kind, status) → households
    problems, waiting = [], 0
    for household in households:
        try:
            statuses = qrcodes.create_for_household(household.id, retry_failed=True)
        except qrcodes.RetryLater as later:
            waiting += 1
            problems.append(f"{household.number}户：{later}")
            continue
        for kind, status in statuses.items():
            tally[kind, status] += 1
            if status == "failed":
                row = db.session.scalar(
                    select(WechatCode).where(WechatCode.household_id == household.id, WechatCode.kind == kind)
                    .order_by(WechatCode.id.desc())
                )  # fmt: skip
                problems.append(f"{household.number}户 {KIND_LABELS[kind]}：{row.error}")
    for line in problems:
        click.echo(line, err=True)
    click.echo(f"处理了 {len(households)} 户。" + _summary(tally, waiting))
    if waiting or any(status == "failed" for _, status in tally):
        click.get_current_context().exit(1)


@codes.command("status")
def status():
    """各户微信码的情况，和永久二维码的用量。"""
    current = and_(HouseholdCode.status == "active", HouseholdCode.household_id == Household.id)
    total = db.session.scalar(select(func.count()).select_from(Household).join(HouseholdCode, current))
    click.echo(f"在册户（有有效户码）：{total}")
    for kind, label in KIND_LABELS.items():
        rows = db.session.execute(
            select(WechatCode.status, func.count())
            .join(HouseholdCode, and_(HouseholdCode.code == WechatCode.code, HouseholdCode.status == "active"))
            .where(WechatCode.kind == kind)
            .group_by(WechatCode.status)
        ).all()
        counts = dict(rows)
        counts["missing"] = total - sum(counts.values())
        parts = [f"{label} {counts[s]}" for s, label in STATUS_LABELS.items() if counts.get(s)]
        click.echo(f"{label}：" + ("，".join(parts) or "无"))
        reason = qrcodes.skip_reason(kind)
        if reason:
            click.echo(f"  （{reason}）")
    used, limit = qrcodes.permanent_codes_used(), qrcodes.qr_limit()
    click.echo(f"公众号永久二维码用量：{used} / {limit}（作废的也算：微信不能删除永久码）")


@wechat_cli.group()
def menu():
    """公众号自定义菜单。"""


@menu.command("push")
@click.option("--file", "path", type=click.Path(dir_okay=False), help="菜单文件，默认 wechat/menu.json")
@click.option("--sandbox-only", is_flag=True, help="只在沙箱模式下提交（make run 用），否则什么也不做")
@click.option("--wait", "wait_seconds", type=float, default=0, help="先等本站在 PUBLIC_BASE_URL 上应答，最多这么多秒")
def push(path, sandbox_only, wait_seconds):
    """把菜单文件设置为公众号的自定义菜单。"""
    if sandbox_only and not current_app.config.get("WECHAT_SANDBOX"):
        click.echo("不是沙箱模式：菜单没有提交（真实公众号请手动运行 flask wechat menu push）。")
        return
    _require_wechat()
    api = current_app.config["WECHAT_API_BASE"]
    if wait_seconds and not _server_answers(api, wait_seconds):
        raise click.ClickException(f"{api} 没有应答，菜单没有提交。")
    try:
        pushed = menu_file.push_menu(path)
    except menu_file.MenuError as bad:
        raise click.ClickException(f"菜单文件有误，没有提交：{bad}") from None
    except WechatUnavailable as down:
        raise click.ClickException(f"连不上微信，菜单没有更新：{down.errmsg}") from None
    except WechatError as refused:
        raise click.ClickException(f"微信拒绝了菜单（错误 {refused.errcode}）：{_menu_hint(refused)}") from None
    click.echo(f"菜单已更新：{menu_file.describe(pushed)}。关注者重新进入公众号后就能看到。")


def _server_answers(url: str, seconds: float) -> bool:
    """Wait until ``url`` answers at all. In sandbox mode the platform is this very server, which
    make run starts while this command waits in the background."""
    import time

    import requests

    deadline = time.monotonic() + seconds
    while True:
        try:
            requests.get(url, timeout=2)
            return True
        except requests.RequestException:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.3)


def _menu_hint(error: WechatError) -> str:
    if error.errcode == 48001:
        return "这个公众号没有自定义菜单接口的权限（未认证的订阅号请在公众平台后台手动设置菜单）。"
    return str(error.errmsg)


def _summary(tally: Counter, waiting: int) -> str:
    lines = []
    for kind, label in KIND_LABELS.items():
        parts = [f"{STATUS_LABELS[s]} {tally[kind, s]}" for s in ("ready", "failed", "skipped") if tally[kind, s]]
        if parts:
            lines.append(f"{label}：{'，'.join(parts)}")
    if waiting:
        lines.append(f"微信暂时不可用，{waiting} 户没有做完，请稍后再运行一次")
    return ("\n" + "\n".join(lines)) if lines else ""
