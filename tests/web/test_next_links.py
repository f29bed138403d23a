"""A ``?next=`` carrying CR/LF is refused with a 400 in Chinese, never a 500 (issue 9, item 7)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.admin_helpers import PASSWORD, csrf_token, make_account
from tests.helpers import make_village

MESSAGE = "跳转地址无效"
FORGED = "%0d%0aSet-Cookie:%20admin=1"


def test_signing_in_with_a_crlf_next_is_a_400_and_signs_nobody_in(client):
    account = make_account(make_village())
    token = csrf_token(client)
    response = client.post(
        f"/admin/login?next=/admin/{FORGED}",
        data={"username": account.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 400 and MESSAGE in response.get_data(as_text=True)
    assert "Set-Cookie: admin" not in str(response.headers)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "login")) is None
    assert client.get("/admin/").status_code == 302  # still signed out


@pytest.mark.parametrize(
    "url", [f"/admin/login?next=/admin/{FORGED}", f"/wechat/oauth/start?next=/me{FORGED}", f"/me?next=/me{FORGED}"]
)
def test_every_next_with_control_characters_is_a_400_in_chinese(client, url):
    response = client.get(url)
    assert response.status_code == 400 and MESSAGE in response.get_data(as_text=True)
