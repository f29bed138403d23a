"""Recording register events through the back office's forms (R4): every kind, the head's death
that needs a new head, people from elsewhere found only within scope, no double effect, and the
timelines of the household and the person showing who recorded what and when."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Household, RegisterEvent, Villager
from app.services import clock
from app.services.people import PersonInput
from app.services.register import HouseholdInput, register_household
from tests.admin_helpers import login, make_account, post
from tests.helpers import make_id_number, make_village

DAY = (clock.today() - timedelta(days=3)).isoformat()


@pytest.fixture
def village(db):
    return make_village()


def family(village, number="0101", head="刘建华", *, group=1):
    """户主, his wife, an unmarried son and a daughter."""
    return register_household(
        village,
        HouseholdInput(
            number=number, group_number=group,
            head=PersonInput(name=head, id_number=make_id_number(date(1965, 4, 1)), marital_status="已婚"),
            members=(
                PersonInput(name="李梅", gender="女", birth_date="1967-08-01", relation="配偶", marital_status="已婚"),
                PersonInput(name="刘强", gender="男", birth_date="1992-03-03", relation="子", marital_status="未婚"),
                PersonInput(name="刘芳", gender="女", birth_date="1996-06-06", relation="女", marital_status="未婚"),
            ),
        ),
        recorded_by="测试",
    )  # fmt: skip


@pytest.fixture
def household(village):
    return family(village)


def person(name: str) -> Villager:
    return db.session.scalar(select(Villager).where(Villager.name == name))


def record(client, household, kind, data):
    url = f"/admin/households/{household.id}/events/new?kind={kind}"
    return post(client, url, {"occurred_on": DAY, "action": "record", **data}, form_url=url)


def events_of(kind) -> list[RegisterEvent]:
    return list(db.session.scalars(select(RegisterEvent).where(RegisterEvent.kind == kind)))


def test_birth(client, household, cadre):
    response = record(
        client, household, "birth", {"person-name": "刘小宝", "person-gender": "男", "person-relation": "孙子"}
    )
    assert response.status_code == 302 and f"/admin/households/{household.id}" in response.headers["Location"]
    baby = person("刘小宝")
    assert baby.household_id == household.id and baby.birth_date.isoformat() == DAY and baby.is_current
    (event,) = events_of("birth")
    assert event.recorded_by == cadre.actor
    (row,) = db.session.scalars(select(AuditLog).where(AuditLog.action == "register.event"))
    assert row.detail["kind"] == "birth"


def test_the_birth_form_works_for_a_newborn_without_an_id_number(client, household, cadre):
    url = f"/admin/households/{household.id}/events/new?kind=birth"
    form = client.get(url).get_data(as_text=True)
    gender = form.split('id="person-gender"')[1].split("</select>")[0]
    # A newborn has no ID number to read the gender from: the form asks for it, and says the
    # number may be left empty.
    assert "按身份证号" not in gender and "（请选择）" in gender
    assert "还没办可不填" in form
    sent = {"person-name": "刘小宝", "person-gender": "女", "person-relation": "孙女", "person-id_number": "",
            "person-ethnicity": "汉族"}  # fmt: skip
    assert record(client, household, "birth", sent).status_code == 302
    baby = person("刘小宝")
    assert baby.gender == "女" and baby.id_number_hash is None


def test_a_newborn_named_with_an_emoji_is_refused(client, household, cadre):
    sent = {"person-name": "刘小宝😀", "person-gender": "男", "person-relation": "孙子"}
    refused = record(client, household, "birth", sent)
    assert refused.status_code == 400 and "姓名里有表情或特殊符号" in refused.get_data(as_text=True)
    assert events_of("birth") == []


def test_a_resubmitted_birth_form_adds_the_baby_once(client, household, cadre):
    data = {"person-name": "刘小宝", "person-gender": "男", "person-relation": "孙子"}
    assert record(client, household, "birth", data).status_code == 302
    again = record(client, household, "birth", data)
    assert again.status_code == 400 and "请不要重复登记" in again.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Villager).where(Villager.name == "刘小宝")) == 1


def test_move_in_of_a_new_person(client, household, cadre):
    data = {"source": "new", "person-name": "王秀", "person-gender": "女", "person-birth_date": "1950-01-01",
            "person-relation": "其他"}  # fmt: skip
    assert record(client, household, "move_in", data).status_code == 302
    assert person("王秀").household_id == household.id


def test_move_in_of_someone_who_moved_out_found_by_search(client, village, household, cadre):
    other = family(village, "0102", "赵大山")
    leaver = db.session.scalar(select(Villager).where(Villager.household_id == other.id, Villager.relation == "女"))
    assert record(client, other, "move_out", {"villager_id": leaver.id}).status_code == 302
    url = f"/admin/households/{household.id}/events/new?kind=move_in"
    found = post(client, url, {"action": "find", "find": "刘芳"}, form_url=url).get_data(as_text=True)
    assert f'value="{leaver.id}"' in found and "已迁出" in found
    data = {"source": "existing", "existing_id": leaver.id, "existing_relation": "儿媳"}
    assert record(client, household, "move_in", data).status_code == 302
    db.session.refresh(leaver)
    assert (leaver.household_id, leaver.status, leaver.relation) == (household.id, "current", "儿媳")


def test_move_out_and_death_of_members(client, household, cadre):
    assert (
        record(client, household, "move_out", {"villager_id": person("刘芳").id, "note": "嫁到长沙"}).status_code == 302
    )
    assert record(client, household, "death", {"villager_id": person("李梅").id}).status_code == 302
    assert (person("刘芳").status, person("李梅").status) == ("moved_out", "deceased")
    assert person("刘建华").marital_status == "丧偶"


def test_head_death_without_a_new_head_is_refused_then_recorded_with_one(client, household, cadre):
    head = household.head
    refused = record(client, household, "death", {"villager_id": head.id})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "户主去世或迁出时，必须同时指定新户主" in html
    assert f'<option value="{head.id}" selected>' in html  # the choice made is kept
    db.session.refresh(head)
    db.session.refresh(household)
    assert head.is_current and household.head_id == head.id
    assert (
        events_of("death") == []
        and db.session.scalars(select(AuditLog).where(AuditLog.action == "register.event")).all() == []
    )

    son = person("刘强")
    done = record(client, household, "death", {"villager_id": head.id, "new_head_id": son.id})
    assert done.status_code == 302
    db.session.refresh(household)
    assert household.head_id == son.id and person("刘建华").status == "deceased"
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "新户主：刘强" in page
    timeline = page.split('id="timeline"', 1)[1]
    assert "死亡" in timeline and cadre.actor in timeline and "已故" in timeline and DAY in timeline


def test_marriage_with_a_spouse_from_outside(client, household, cadre):
    data = {"villager_id": person("刘强").id, "source": "new", "person-name": "陈静",
            "person-id_number": make_id_number(date(1994, 5, 5), male=False)}  # fmt: skip
    assert record(client, household, "marriage", data).status_code == 302
    bride = person("陈静")
    assert (bride.household_id, bride.relation, bride.marital_status) == (household.id, "儿媳", "已婚")
    assert person("刘强").marital_status == "已婚"


def test_marriage_with_a_villager_of_another_household(client, village, household, cadre):
    other = family(village, "0102", "赵大山")
    bride = db.session.scalar(select(Villager).where(Villager.household_id == other.id, Villager.relation == "女"))
    data = {"villager_id": person("刘强").id, "source": "existing", "existing_id": bride.id}
    assert record(client, household, "marriage", data).status_code == 302
    db.session.refresh(bride)
    assert (bride.household_id, bride.relation) == (household.id, "儿媳")


def test_a_spouse_from_another_village_cannot_be_smuggled_in(client, household, cadre):
    outsider = family(make_village("邻村"), "0101", "外村人")
    bride = db.session.scalar(select(Villager).where(Villager.household_id == outsider.id, Villager.relation == "女"))
    url = f"/admin/households/{household.id}/events/new?kind=marriage"
    found = post(client, url, {"action": "find", "find": "刘芳"}, form_url=url).get_data(as_text=True)
    assert f'value="{bride.id}"' not in found  # the search stays inside the village
    data = {"villager_id": person("刘强").id, "source": "existing", "existing_id": bride.id}
    assert record(client, household, "marriage", data).status_code == 404
    db.session.refresh(bride)
    assert bride.household_id == outsider.id and events_of("marriage") == []


def test_split(client, household, cadre):
    son = person("刘强")
    data = {"member_ids": [son.id], "split_head_id": son.id, "new_household_number": "0150", "group_number": "1"}
    assert record(client, household, "split", data).status_code == 302
    new = db.session.scalar(select(Household).where(Household.number == "0150"))
    assert new.head_id == son.id and [m.name for m in new.members] == ["刘强"]


def test_change_of_head_with_a_relation_corrected(client, household, cadre):
    son, daughter = person("刘强"), person("刘芳")
    data = {"new_head_id": son.id, f"relation-{daughter.id}": "其他", f"relation-{son.id}": "子"}
    assert record(client, household, "change_head", data).status_code == 302
    db.session.refresh(household)
    assert household.head_id == son.id
    assert (person("刘强").relation, person("刘芳").relation, person("刘建华").relation) == ("户主", "其他", "父亲")


def test_the_person_s_own_timeline_shows_their_events(client, household, cadre):
    record(client, household, "move_out", {"villager_id": person("刘芳").id})
    page = client.get(f"/admin/villagers/{person('刘芳').id}").get_data(as_text=True).split('id="timeline"', 1)[1]
    assert "迁出" in page and "建档" in page and cadre.actor in page and "已迁出" in page
    other = client.get(f"/admin/villagers/{person('刘强').id}").get_data(as_text=True).split('id="timeline"', 1)[1]
    assert "迁出" not in other  # only events that touched them


def test_a_dissolved_household_takes_no_more_events(client, village, cadre):
    lone = register_household(village, HouseholdInput(number="0199", group_number=1,
                              head=PersonInput(name="孤老", gender="男", birth_date="1940-01-01")), recorded_by="测试")  # fmt: skip
    assert record(client, lone, "death", {"villager_id": lone.head_id}).status_code == 302
    db.session.refresh(lone)
    assert lone.status == "dissolved"
    assert client.get(f"/admin/households/{lone.id}/events/new?kind=birth").status_code == 302


@pytest.mark.parametrize("role", ["work_team", "group_leader"])
def test_roles_without_events_record_are_refused(client, village, household, role):
    login(client, make_account(village, role, group_id=household.group_id if role == "group_leader" else None))
    assert client.get(f"/admin/households/{household.id}/events/new?kind=death").status_code == 403
    assert record(client, household, "death", {"villager_id": person("李梅").id}).status_code == 403
    assert person("李梅").is_current


def test_every_kind_has_a_form(client, household, cadre):
    for kind, label in (("birth", "出生"), ("move_in", "迁入"), ("move_out", "迁出"), ("death", "死亡"),
                        ("marriage", "婚姻"), ("split", "分户"), ("change_head", "变更户主")):  # fmt: skip
        page = client.get(f"/admin/households/{household.id}/events/new?kind={kind}")
        assert page.status_code == 200 and f"登记{label}" in page.get_data(as_text=True), kind
    chooser = client.get(f"/admin/households/{household.id}/events/new").get_data(as_text=True)
    assert "请选择发生了什么" in chooser
