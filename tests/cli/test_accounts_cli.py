"""``flask accounts create`` makes the first admin; ``flask accounts demo`` the demo village's accounts."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import func, select

from app.models import Account
from app.services import demo_accounts
from tests.admin_helpers import login
from tests.helpers import make_village


def _accounts(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Account))


def test_create_the_first_county_admin(db, runner):
    make_village()
    result = runner.invoke(
        args=["accounts", "create", "--username", "xianadmin", "--name", "李县长", "--role", "county_admin",
              "--region", "安化县", "--password", "first-admin-2026"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    account = db.session.scalar(select(Account).where(Account.username == "xianadmin"))
    assert account.role == "county_admin" and account.region.name == "安化县"


def test_bad_arguments_get_chinese_messages_and_create_nothing(db, runner):
    make_village()
    base = ["accounts", "create", "--name", "王五"]
    cases = {
        "没有找到": ["--username", "wangwu", "--role", "cadre", "--region", "不存在村", "--password", "good-pass-2026"],
        "要管辖一个村": ["--username", "wangwu", "--role", "cadre", "--region", "冷市镇", "--password", "good-pass-2026"],
        "至少要 10 位": ["--username", "wangwu", "--role", "cadre", "--region", "大苍村", "--password", "short1"],
        "用户名用": ["--username", "王五", "--role", "cadre", "--region", "大苍村", "--password", "good-pass-2026"],
        "没有第 9 组": ["--username", "wangwu", "--role", "group_leader", "--region", "大苍村", "--group", "9",
                    "--password", "good-pass-2026"],
    }  # fmt: skip
    for message, extra in cases.items():
        result = runner.invoke(args=base + extra)
        assert result.exit_code != 0
        assert message in result.output, (message, result.output)
    assert _accounts(db) == 0


def test_duplicate_username_is_refused(db, runner):
    make_village()
    args = ["accounts", "create", "--username", "ganbu1", "--name", "甲", "--role", "cadre", "--region", "大苍村",
            "--password", "good-pass-2026"]  # fmt: skip
    assert runner.invoke(args=args).exit_code == 0
    again = runner.invoke(args=args)
    assert again.exit_code != 0 and "已经有人用了" in again.output
    assert _accounts(db) == 1


def test_demo_accounts_print_passwords_that_work(demo, app, runner):
    result = runner.invoke(args=["accounts", "demo"])
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.strip().splitlines()]
    assert {line[0] for line in lines} == {u for u, *_ in demo_accounts.DEMO_ACCOUNTS}
    path = Path(app.instance_path) / "demo-accounts.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # passwords readable by the owner only
    again = runner.invoke(args=["accounts", "demo"])  # a second `make run` prints the same
    assert again.output == result.output
    username, password = next(line[:2] for line in lines if line[0] == "ganbu")
    account = demo.session.scalar(select(Account).where(Account.username == username))
    client = app.test_client()
    login(client, account, password)
    assert client.get("/admin/").status_code == 200
