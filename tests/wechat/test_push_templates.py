"""Real templates name their keywords their own way: ``*_KEYS`` settings map theirs to ours."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from config import ConfigError, load_config
from tests.conftest import TEST_KEY
from tests.helpers import award, make_household
from tests.push_helpers import bind, deliveries, notifications, quiet_sandbox
from wechat import push

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def follower_awarded(live_server, monkeypatch, *, channel: str = "oa", reason: str = "清扫屋场公共道路"):
    """A household whose head follows the account (or only uses the mini-program), awarded points."""
    sandbox = quiet_sandbox(live_server, monkeypatch)
    household = make_household(members=2)
    user = sandbox.user(follows=channel == "oa")
    bind(household.members[0], user)
    if channel == "mp":
        bind(household.members[0], user, app="mp")
        sandbox.accept(user["mp_openid"], "mp-points-awarded")
    award(household, 5, reason=reason)
    return sandbox, user, notifications()[-1]


def test_points_template_is_filled_under_the_real_templates_keywords(live_server, db, app, monkeypatch):
    keys = {"thing7": "thing1", "character_string9": "character_string2", "time12": "date4"}
    monkeypatch.setitem(app.config, "WECHAT_TEMPLATE_POINTS_KEYS", keys)
    sandbox, user, notice = follower_awarded(live_server, monkeypatch)

    assert push.deliver(notice.id) == "sent"

    [message] = sandbox.inbox(user["openid"])
    # Exactly the real template's fields, each with the value of ours it names, fitted to its type.
    assert message["data"] == {
        "thing7": "清扫屋场公共道路",
        "character_string9": "+5",
        "time12": notice.data["date4"],
    }


def test_subscribe_template_keys_are_fitted_to_their_own_types(live_server, db, app, monkeypatch):
    """Their ``number3`` takes our ``character_string5`` (the year's total): digits only, as WeChat wants."""
    monkeypatch.setitem(app.config, "MP_TEMPLATE_POINTS_KEYS", {"thing2": "thing1", "number3": "character_string5"})
    sandbox, user, notice = follower_awarded(live_server, monkeypatch, channel="mp", reason="义务植树")

    assert push.deliver(notice.id) == "sent"

    [message] = sandbox.inbox(user["openid"])
    assert message["kind"] == "subscribe"
    assert message["data"] == {"thing2": "义务植树", "number3": notice.data["character_string5"]}
    assert [(r.channel, r.status) for r in deliveries(notice.id)] == [
        ("oa_template", "error"),
        ("mp_subscribe", "sent"),
    ]


def test_without_keys_settings_our_own_keywords_are_sent(live_server, db, monkeypatch):
    """Also: a points notice holds exactly the fields ``FIELDS`` lets a ``*_KEYS`` setting name."""
    sandbox, user, notice = follower_awarded(live_server, monkeypatch)
    assert push.deliver(notice.id) == "sent"
    [message] = sandbox.inbox(user["openid"])
    assert set(message["data"]) == set(push.FIELDS["points_awarded"])


@pytest.mark.parametrize(
    "value",
    ["thing7", "thing7=", "=thing1", "thing7=thing1,thing7=thing2", "东西7=thing1", "thing7=thing1;time2=date4"],
)
def test_a_malformed_keys_setting_stops_the_configuration(monkeypatch, value):
    monkeypatch.setenv("WECHAT_TEMPLATE_POINTS_KEYS", value)
    with pytest.raises(ConfigError, match="WECHAT_TEMPLATE_POINTS_KEYS"):
        load_config({"TESTING": True, "SECRET_KEY": "x", "DATA_ENCRYPTION_KEY": TEST_KEY})


def test_keys_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MP_TEMPLATE_POINTS_KEYS", " thing2 = thing1 , number3=character_string5 ")
    config = load_config({"TESTING": True, "SECRET_KEY": "x", "DATA_ENCRYPTION_KEY": TEST_KEY})
    assert config["MP_TEMPLATE_POINTS_KEYS"] == {"thing2": "thing1", "number3": "character_string5"}


def test_the_app_refuses_to_start_with_keys_naming_a_field_we_do_not_fill(tmp_path):
    """Caught when the app starts, not weeks later as a 47003 on every push of that kind."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        INSTANCE_PATH=str(tmp_path),
        WECHAT_TEMPLATE_WELCOME_KEYS="thing1=name1,thing2=household9",
    )
    run = subprocess.run(
        [sys.executable, "-c", "from app import create_app; create_app()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode != 0
    assert "WECHAT_TEMPLATE_WELCOME_KEYS: we have no household9" in run.stderr
