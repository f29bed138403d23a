"""Small builders for test data (CTFd-style ``gen_*`` helpers rather than factories)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time

from sqlalchemy import event

from app.extensions import db
from app.services import clock, codes, points_checks, register
from app.services.people import PersonInput
from app.services.points import AwardInput, award_points
from app.services.validators import id_check_digit

_seq = itertools.count(1)


def make_id_number(born: date, *, male: bool = True, region: str = "430923") -> str:
    """A checksum-valid synthetic ID number (unique per call)."""
    n = next(_seq) % 500  # 500 distinct codes per birth date; the last digit's parity is the gender
    order = f"{n // 5:02d}{2 * (n % 5) + (1 if male else 0)}"
    first17 = f"{region}{born:%Y%m%d}{order}"
    return first17 + id_check_digit(first17)


def make_village(name: str = "大苍村", town: str = "冷市镇", county: str = "安化县"):
    village = register.ensure_village(county, town, name)
    db.session.commit()
    return village


def make_household(village=None, number: str | None = None, *, group: int = 1, members: int = 2, motto=None):
    """A household with a head (with ID and phone) and ``members - 1`` more people."""
    village = village or make_village()
    number = number or f"{group:02d}{next(_seq):03d}"
    head = PersonInput(name="刘建华", id_number=make_id_number(date(1968, 5, 4)), phone="13807371234", education="初中")
    others = tuple(
        PersonInput(name=f"刘小{'一二三四五六七'[i]}", gender="女" if i % 2 else "男", birth_date=date(1995 + i, 1, 2), relation="女" if i % 2 else "子")
        for i in range(members - 1)
    )  # fmt: skip
    return register.register_household(
        village,
        register.HouseholdInput(number=number, group_number=group, head=head, members=others, motto=motto),
        recorded_by="测试",
    )


def award(household, points: int = 5, *, on: date | None = None, villager=None, key: str | None = None, **extra):
    """A stored entry; ``confirmed`` by default, as a cadre who ticked the box after a repeat.

    An entry dated ``on`` a day before the test household was made backdates its registration:
    the household existed then (the ledger refuses entries from before a household existed).
    """
    extra.setdefault("confirmed", True)
    if on is not None and on < points_checks.registered_on(household):
        registered_since(household, on)
    return award_points(
        AwardInput(
            household_id=household.id,
            villager_id=villager.id if villager else None,
            points=points,
            reason=extra.pop("reason", "打扫屋场公共道路"),
            category=extra.pop("category", "环境卫生"),
            occurred_on=on or clock.today(),
            recorded_by="测试",
            idempotency_key=key,
            **extra,
        )
    ).entry


def registered_since(household, day: date) -> None:
    """Backdate a test household's registration (awards may not be dated before it)."""
    household.created_at = datetime.combine(day, time(12), tzinfo=UTC)
    db.session.commit()


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements run inside the block (SQLAlchemy's ``before_cursor_execute``)."""
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_rest):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def code_of(household) -> str:
    return codes.active_code(household.id)
