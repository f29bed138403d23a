"""The register screens on the full demo village (436 households, a year of history)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.extensions import db
from app.models import Region, RegisterEvent, Villager
from tests.admin_helpers import login, make_account


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
