"""A masked ID number gives nothing back (issue 9): each role that may not reveal walks every
back-office page and export it can open, searches by full numbers, filters by age band, and reads
every stored event snapshot and audit row; an attacker's notebook (``tests/id_rebuild``) then
counts, by enumeration, the ID numbers still consistent with what was seen about each person.
None may be narrowed below 1,000, and no full birth date or ID or phone number may appear.

The people are chosen to make each leak count: two born in the visiting month on either side of
its day (an age counted to the day tells them apart), a newborn born earlier in the visiting
month (its month alone would leave only the days so far), one who died (享年), and one whose
birth day was corrected within the month.
"""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.extensions import db
from app.models import Villager
from app.services import clock, events, register, register_edit
from app.services.people import PersonInput
from app.services.permissions import ROLE_PERMISSIONS
from app.services.register_search import AGE_BANDS, NO_NUMBER_SEARCH
from tests.admin_helpers import login, make_account, post
from tests.helpers import make_id_number, make_village
from tests.id_rebuild import Notes, assert_nothing_gives_it_back, read_row, read_tables, read_timeline, stored_notes

ROLES = ("group_leader", "work_team", "coop_clerk")


def _person(name, born, *, male=True, relation=None, phone=None):
    return PersonInput(name=name, id_number=make_id_number(born, male=male), relation=relation, phone=phone)


@pytest.fixture
def village(db, travel):
    travel("2026-03-15")
    village = make_village()
    zhang = register.register_household(village, register.HouseholdInput(
        number="0101", group_number=1, head=_person("张大山", date(1958, 3, 20), phone="13807371234"),
        members=(_person("李春兰", date(1966, 3, 5), male=False, relation="配偶"),
                 _person("张小林", date(1990, 7, 2), relation="子", phone="13907375678")),
    ), recorded_by="测试", occurred_on=date(2025, 6, 1))  # fmt: skip
    wang = register.register_household(village, register.HouseholdInput(
        number="0102", group_number=1, head=_person("王铁柱", date(1966, 3, 28)),
        members=(_person("王老根", date(1940, 1, 25), relation="父亲"),),
    ), recorded_by="测试", occurred_on=date(2025, 6, 1))  # fmt: skip
    db.session.commit()
    # Born this month: "March 2026" on the 15th would leave only 15 days (about 680 numbers).
    newborn = PersonInput(name="张宝宝", id_number=make_id_number(date(2026, 3, 2)), relation="孙子")
    events.record_event(events.EventInput("birth", zhang.id, "2026-03-02", "测试", person=newborn))
    old = next(p for p in wang.members if p.name == "王老根")
    events.record_event(events.EventInput("death", wang.id, "2026-01-10", "测试", villager_id=old.id))
    son = next(p for p in zhang.members if p.name == "张小林")
    register_edit.edit_villager(son, _person("张小林", date(1990, 7, 12), relation="子"), actor="测试")
    return village


def _walk(client, app, people: list[Villager], households: list[int]) -> list[tuple[str, str, str]]:
    """(url, mimetype, body as text) of every GET the signed-in role is allowed."""
    seen = []
    fill = {"villager_id": [p.id for p in people], "household_id": households}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin/") or "GET" not in rule.methods or rule.endpoint == "admin.static":
            continue
        if not set(rule.arguments) <= set(fill) or rule.endpoint in ("admin.logout",):
            continue
        combos = [{}] if not rule.arguments else [{a: v} for a in rule.arguments for v in fill[a]]
        for values in combos:
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
            for suffix in ("", f"?village={people[0].village_id}"):
                response = client.get(url + suffix)
                if response.status_code == 200:
                    seen.append((url, response.mimetype, _body(response)))
    return seen


def _body(response) -> str:
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.data), read_only=True)
        return "\n".join("\t".join("" if c is None else str(c) for c in row) for s in book for row in s.iter_rows(values_only=True))
    return response.get_data(as_text=True) if response.mimetype.startswith("text") else ""


def _read_sheet(body: str, names, today, died_on) -> None:
    lines = [line.split("\t") for line in body.splitlines()]
    for i, header in enumerate(lines):
        if "姓名" in header and "身份证号" in header:
            for row in lines[i + 1 :]:
                if len(row) == len(header):
                    read_row(header, row, names, today, died_on)


def _notes_of(client, app, people: list[Villager]) -> tuple[dict[str, Notes], str]:
    """What this role can learn about each person, and every text it was shown."""
    today, names = clock.today(), {p.name: Notes() for p in people}
    died_on = {p.name: p.left_on for p in people if p.left_on}
    by_id = {f"/admin/villagers/{p.id}": p.name for p in people}
    seen = _walk(client, app, people, sorted({p.household_id for p in people}))
    for url, mimetype, body in seen:
        if mimetype == "text/html":
            read_tables(body, names, today, died_on, by_id.get(url))
            read_timeline(body, names)
        else:
            _read_sheet(body, names, today, died_on)
    shown = [body for _, _, body in seen]
    for key, _label, low, high in AGE_BANDS:
        page = client.get(f"/admin/villagers?age={key}")
        if page.status_code == 200:
            listed = page.get_data(as_text=True)
            for p in people:
                if p.is_current and client.get(f"/admin/villagers/{p.id}").status_code == 200:
                    names[p.name].bands.add((low, high, today, f">{p.name}</a>" in listed))
    for p in people:  # a search that finds the person confirms the number typed
        for url in ("/admin/villagers", "/admin/households"):
            found = post(client, url, {"q": p.id_number, "status": "all"}, form_url=url)
            assert found.status_code in (200, 403), f"searching {url}: {found.status_code}"
            found = found.get_data(as_text=True)  # (it repeats the number typed: not added to ``shown``)
            if f">{p.name}</a>" in found or f">{p.household.number}</a>" in found:
                names[p.name].numbers.add(p.id_number)
        award = client.get(f"/admin/points/award?q={p.id_number}")
        if award.status_code == 302 and f"/award/{p.household_id}" in award.headers["Location"]:
            names[p.name].numbers.add(p.id_number)
    return names, "\n".join(shown)


@pytest.mark.parametrize("role", ROLES)
def test_no_role_without_reveal_can_rebuild_an_id_number(app, village, role):
    people = list(db.session.scalars(select(Villager).order_by(Villager.id)))
    assert len(people) == 6 and all(p.id_number for p in people)
    group_id = people[0].household.group_id if role == "group_leader" else None
    client = app.test_client()
    login(client, make_account(village, role, group_id=group_id))
    notes, shown = _notes_of(client, app, people)
    assert_nothing_gives_it_back(people, notes, shown, role)
    if role == "group_leader":  # the group leader sees each person's page, so the walk reached them
        assert all(notes[p.name].masks for p in people)
        assert all(notes[p.name].months for p in people if p.name != "张宝宝")
        assert not notes["张宝宝"].months and notes["张宝宝"].ages == {(0, clock.today())}


def test_stored_history_keeps_no_more_than_the_mask_and_the_month(village):
    people = list(db.session.scalars(select(Villager).order_by(Villager.id)))
    notes, dumped = stored_notes(people)
    assert_nothing_gives_it_back(people, notes, dumped, "stored history")
    baby = next(p for p in people if p.name == "张宝宝")
    assert all(notes[p.id].masks for p in people) and not notes[baby.id].months
    assert all(notes[p.id].months for p in people if p is not baby)


def test_every_role_that_fills_a_person_form_may_reveal():
    """The edit form prefills the full birth date, an import's dry run and the event forms show
    what was typed: only roles that may reveal may open them, so a new role must be thought
    about here before it gets one of these permissions."""
    for role, granted in ROLE_PERMISSIONS.items():
        if granted & {"register.edit", "register.import", "events.record"}:
            assert "register.reveal" in granted, role


@pytest.mark.parametrize("role", ("group_leader", "work_team"))
def test_a_role_without_reveal_cannot_find_people_by_number(app, village, role):
    head = db.session.scalar(select(Villager).where(Villager.name == "张大山"))
    client = app.test_client()
    login(client, make_account(village, role, group_id=head.household.group_id if role == "group_leader" else None))
    for url, q in (("/admin/villagers", head.id_number), ("/admin/households", head.phone)):
        page = post(client, url, {"q": q}, form_url=url).get_data(as_text=True)
        assert NO_NUMBER_SEARCH in page and ">张大山</a>" not in page and ">0101</a>" not in page
    # By name it is found as before.
    assert ">张大山</a>" in post(client, "/admin/villagers", {"q": "张大山"}, form_url="/admin/villagers",
                                 follow_redirects=True).get_data(as_text=True)  # fmt: skip
