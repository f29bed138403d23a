"""How long a villager stays recognised on /me: short, because WeChat re-establishes it silently.

Two hours without a request, or twelve hours since WeChat last vouched (however active), and the
next page goes back through the silent snsapi_base OAuth (see README, 村民的登录).
"""

from __future__ import annotations

import time_machine

from tests.web.test_me import login


def _goes_to_oauth(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/wechat/oauth/start?next=")


def test_an_idle_villager_session_goes_back_through_oauth(client, db):
    with time_machine.travel("2026-03-02 09:00 +0800", tick=False) as clock:
        login(client)
        assert client.get("/me").status_code == 200
        clock.shift(90 * 60)
        assert client.get("/me").status_code == 200  # still within two hours of the last request
        clock.shift(2 * 3600 + 60)
        assert _goes_to_oauth(client.get("/me"))


def test_an_active_villager_session_still_ends_twelve_hours_after_oauth(client, db):
    with time_machine.travel("2026-03-02 07:00 +0800", tick=False) as clock:
        login(client)
        for _ in range(8):  # a request every 100 minutes up to 11 h 40 min: never idle for two hours
            assert client.get("/me").status_code == 200
            clock.shift(100 * 60)
        assert _goes_to_oauth(client.get("/me"))  # 13 h 20 min after WeChat vouched
        assert _goes_to_oauth(client.get("/me/inbox"))  # dropped, not merely refused once


def test_a_session_from_before_the_limit_existed_is_sent_through_oauth(client, db):
    with client.session_transaction() as session:
        session["openid"] = "o" + "x" * 27  # no openid_at: from an older release, of unknown age
    assert _goes_to_oauth(client.get("/me"))
