"""The register screens on the full demo village (436 households, a year of history)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Region, RegisterEvent, Villager
from tests.admin_helpers import login, make_account
from tests.id_rebuild import assert_nothing_gives_it_back, stored_notes


def test_the_demo_village_register_reads_through(app, demo):
    client = app.test_client()
    village = db.session.scalar(select(Region).where(Region.name == "大苍村"))
    login(client, make_account(village, "cadre", username="demo_register_reader"))
    first = client.get("/admin/households?status=all").get_data(as_text=True)
    assert "共 436 户" in first and len(re.findall(r"/admin/households/\d+\"", first)) == 30
    assert "共 1765 人" in client.get("/admin/villagers").get_data(as_text=True)

    death = db.session.scalar(select(RegisterEvent).where(RegisterEvent.kind == "death").limit(1))
    hub = client.get(f"/admin/households/{death.household_id}").get_data(as_text=True)
    assert "死亡" in hub.split('id="timeline"', 1)[1]
    deceased = db.session.get(Villager, death.villager_id)
    own = client.get(f"/admin/villagers/{deceased.id}").get_data(as_text=True).split('id="timeline"', 1)[1]
    assert "死亡" in own and "已故" in own


def test_the_demo_village_history_gives_no_id_number_back(demo):
    """The outside probe rebuilt all the demo's ID numbers from its register_events snapshots
    alone. Now every snapshot keeps the 6+1 mask and the birth month; candidates are counted by
    enumeration for a spread of people (all 1,765 would take minutes), the rest is checked as text."""
    people = list(db.session.scalars(select(Villager).where(Villager.id_number.is_not(None)).order_by(Villager.id)))
    assert len(people) > 1700
    notes, dumped = stored_notes(people)
    assert all(notes[p.id].masks and notes[p.id].months for p in people[::50])
    assert_nothing_gives_it_back(people[::50], notes, dumped, "demo history")
    kept = re.findall(r"'birth_date': '([^']*)'", dumped)
    assert kept and all(re.fullmatch(r"[0-9]{4}-[0-9]{2}(（出生日期已更正）)?", b) for b in kept), "a full birth date is kept"
    assert not {p.id_number for p in people} & set(re.findall(r"[0-9]{17}[0-9X]", dumped))
