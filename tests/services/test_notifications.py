"""The villager's inbox (消息中心): newest first, unread count, marking read, only one's own."""

from __future__ import annotations

import pytest

from app.errors import NotFound
from app.extensions import db as database
from app.services import dispatch, notifications, outbox
from tests.helpers import make_household


@pytest.fixture
def household(db, monkeypatch):
    monkeypatch.setattr(dispatch, "send", lambda name, *args: None)  # nothing is pushed here
    return make_household(members=2)


def add(villager, n: int):
    notice = outbox.notify(villager.id, "points_awarded", "积分到账", f"第{n}条", dedupe_key=f"test:{villager.id}:{n}")
    database.session.commit()
    return notice


def test_inbox_lists_newest_first_with_pages_and_unread(household):
    head, son = household.members
    for n in range(1, 26):
        add(head, n)
    add(son, 1)
    first = notifications.inbox(head.id)
    assert first["total"] == 25 and first["pages"] == 2 and first["unread"] == 25
    assert [i["body"] for i in first["items"][:2]] == ["第25条", "第24条"]
    second = notifications.inbox(head.id, page=2)
    assert [i["body"] for i in second["items"]] == [f"第{n}条" for n in range(5, 0, -1)]
    assert notifications.inbox(head.id, page=99)["page"] == 2


def test_mark_read_one_and_all(household):
    head, son = household.members
    one, two = add(head, 1), add(head, 2)
    other = add(son, 1)
    assert notifications.mark_read(head.id, one.id).read_at is not None
    assert notifications.unread_count(head.id) == 1
    with pytest.raises(NotFound):
        notifications.mark_read(head.id, other.id)  # someone else's message
    assert notifications.mark_all_read(head.id) == 1
    assert notifications.unread_count(head.id) == 0 and notifications.unread_count(son.id) == 1
    assert notifications.inbox(head.id)["items"][0] == {
        "id": two.id, "kind": "points_awarded", "title": "积分到账", "body": "第2条", "link": None,
        "created_at": two.created_at, "read": True,
    }  # fmt: skip
