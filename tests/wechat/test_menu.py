"""The official account's menu (W6): wechat/menu.json, validated, pushed with ``flask wechat menu push``."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PUBLIC_BASE_URL
from tests.wechat.sandbox_control import fresh_platform
from wechat import handlers, menu


@pytest.fixture
def sandbox(app, db, live_server, monkeypatch):
    return fresh_platform(app, live_server, monkeypatch)


def buttons(pushed: dict):
    for top in pushed["button"]:
        yield from top.get("sub_button") or [top]


def test_menu_push_sets_the_menu_from_the_file(sandbox, runner, app):
    result = runner.invoke(args=["wechat", "menu", "push"])
    assert result.exit_code == 0, result.output
    assert "菜单已更新：我家积分（我家主页、积分和排名） / 村务公开 / 帮助（绑定微信、使用帮助）" in result.output
    stored = sandbox.state()["menus"][app.config["WECHAT_APPID"]]
    assert [b["name"] for b in stored] == ["我家积分", "村务公开", "帮助"]
    urls = [b["url"] for b in buttons({"button": stored}) if b["type"] == "view"]
    assert urls == [f"{PUBLIC_BASE_URL}/me"]  # {PUBLIC_BASE_URL} filled in


def test_every_click_key_is_answered_by_the_callback(app, db):
    keys = {b["key"] for b in buttons(menu.load_menu()) if b["type"] == "click"}
    assert keys == {"MY_POINTS", "HELP", "BIND", "NOTICES"}
    assert keys <= set(handlers.CLICKS)


BAD_MENUS = [
    ({"button": []}, "一级菜单要有 1 到 3 个"),
    ({"button": [{"type": "click", "name": n, "key": "HELP"} for n in "一二三四"]}, "一级菜单要有 1 到 3 个"),
    ({"button": [{"type": "click", "name": "村里的通知公告", "key": "HELP"}]}, "一级菜单“村里的通知公告”太长：最多 4 个汉字"),
    ({"button": [{"name": "帮助", "sub_button": [{"type": "click", "name": "绑定我的微信和登记信息", "key": "BIND"}]}]}, "二级菜单“绑定我的微信和登记信息”太长"),
    ({"button": [{"name": "帮助", "sub_button": [{"type": "click", "name": f"第{i}项", "key": "HELP"} for i in range(6)]}]}, "子菜单要有 1 到 5 个"),
    ({"button": [{"type": "click", "name": "积分", "key": "POINTS_V2"}]}, "key POINTS_V2 公众号不会应答"),
    ({"button": [{"type": "view", "name": "主页", "url": "/me"}]}, "网址要以 http:// 或 https:// 开头"),
    ({"button": [{"type": "location_select", "name": "位置", "key": "HELP"}]}, "不支持"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "message"), BAD_MENUS)
def test_a_bad_menu_is_refused_before_anything_is_sent(sandbox, runner, tmp_path, bad, message):
    path = tmp_path / "menu.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["wechat", "menu", "push", "--file", str(path)])
    assert result.exit_code == 1
    assert "菜单文件有误，没有提交" in result.output and message in result.output
    assert sandbox.calls("menu_create") == 0


def test_a_platform_refusal_is_shown_plainly(sandbox, runner):
    sandbox.fail("menu_create", 48001, times=1)
    result = runner.invoke(args=["wechat", "menu", "push"])
    assert result.exit_code == 1
    assert "微信拒绝了菜单（错误 48001）" in result.output and "没有自定义菜单接口的权限" in result.output
    assert "Traceback" not in result.output


def test_an_unreachable_platform_is_shown_plainly(sandbox, runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9")
    result = runner.invoke(args=["wechat", "menu", "push"])
    assert result.exit_code == 1
    assert "连不上微信，菜单没有更新" in result.output


def test_menu_push_without_wechat_says_so(runner, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_ENABLED", False)
    result = runner.invoke(args=["wechat", "menu", "push"])
    assert result.exit_code == 1
    assert "没有配置微信" in result.output


def test_make_runs_push_reaches_the_sandbox_once_it_answers(sandbox, runner, app):
    """``make run`` starts ``menu push --sandbox-only --wait`` beside gunicorn (issue 10, item 11)."""
    result = runner.invoke(args=["wechat", "menu", "push", "--sandbox-only", "--wait", "5"])
    assert result.exit_code == 0, result.output
    assert [b["name"] for b in sandbox.state()["menus"][app.config["WECHAT_APPID"]]] == ["我家积分", "村务公开", "帮助"]


def test_make_runs_push_leaves_a_real_account_alone(sandbox, runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_SANDBOX", False)
    result = runner.invoke(args=["wechat", "menu", "push", "--sandbox-only", "--wait", "5"])
    assert result.exit_code == 0 and "不是沙箱模式" in result.output
    assert sandbox.calls("menu_create") == 0


def test_make_runs_push_gives_up_when_nothing_answers(runner, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "WECHAT_API_BASE", "http://127.0.0.1:9/sandbox")
    result = runner.invoke(args=["wechat", "menu", "push", "--sandbox-only", "--wait", "0.5"])
    assert result.exit_code == 1 and "没有应答" in result.output
