"""Registering and correcting the register from the back office (R2, R3), and revealing a
person's full numbers: validation in Chinese with nothing changed, audit rows with masked
before/after, the timeline that shows who changed what, and who may do it."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Household, Villager
from app.privacy import mask_id_number
from tests.admin_helpers import login, make_account, post
from tests.helpers import make_household, make_id_number, make_village


@pytest.fixture
def village(db):
    return make_village()


@pytest.fixture
def household(village):
    return make_household(village, "0101", members=2)


def audit_rows(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))


def new_household_form(village, **overrides) -> dict:
    group = village.groups[0] if village.groups else None
    data = {
        "number": "0299", "group_id": str(group.id) if group else "", "new_group": "" if group else "2",
        "address": "大苍村二组 12 号", "category": "脱贫户", "living_environment": "整洁", "motto": "勤俭持家",
        "head-name": "周国强", "head-id_number": make_id_number(date(1972, 9, 9)), "head-phone": "13907370001",
        "head-education": "高中", "members-0-name": "吴桂兰", "members-0-gender": "女",
        "members-0-birth_date": "1975-02-03", "members-0-relation": "配偶",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_register_a_household_with_its_head_and_a_member(client, village, household, cadre):
    response = post(client, "/admin/households/new", new_household_form(village), form_url="/admin/households/new")
    assert response.status_code == 302
    created = db.session.scalar(select(Household).where(Household.number == "0299"))
    assert created.head.name == "周国强" and created.category == "脱贫户"
    assert sorted((p.name, p.relation) for p in created.members) == [("吴桂兰", "配偶"), ("周国强", "户主")]
    assert response.headers["Location"].endswith(f"/admin/households/{created.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已建档" in page and "周国强" in page and "建档" in page  # the registration is the first timeline entry
    (row,) = audit_rows("register.household_new")
    assert row.actor == cadre.actor and row.target == f"household:{created.id}"


def test_register_with_a_bad_id_number_says_why_and_writes_nothing(client, village, household, cadre):
    before = db.session.scalar(select(func.count()).select_from(Household))
    form = new_household_form(village, **{"head-id_number": "43092319720909123"})
    response = post(client, "/admin/households/new", form, form_url="/admin/households/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "身份证号应为18位，现在是17位" in html
    assert 'value="周国强"' in html and 'value="吴桂兰"' in html  # what was typed is kept
    assert db.session.scalar(select(func.count()).select_from(Household)) == before
    assert audit_rows("register.household_new") == []


def test_a_new_group_number_creates_the_group(client, village, cadre):
    response = post(client, "/admin/households/new", new_household_form(village, group_id="", new_group="7"),
                    form_url="/admin/households/new")  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalar(select(Household).where(Household.number == "0299")).group.number == 7


def test_edit_household_records_before_and_after_and_the_timeline_shows_it(client, village, household, cadre):
    url = f"/admin/households/{household.id}/edit"
    form = {"number": "0101", "group_id": str(household.group_id), "category": "低保户", "address": "新屋场 3 号"}
    assert post(client, url, form, form_url=url).status_code == 302
    db.session.refresh(household)
    assert household.category == "低保户" and household.address == "新屋场 3 号"
    (row,) = audit_rows("register.household_edit")
    assert row.detail["before"] == {"category": "一般户", "address": None}
    assert row.detail["after"] == {"category": "低保户", "address": "新屋场 3 号"}
    page = client.get(f"/admin/households/{household.id}").get_data(as_text=True)
    timeline = page.split('id="timeline"', 1)[1]
    assert "信息更正" in timeline and cadre.actor in timeline and "低保户" in timeline


def test_edit_household_to_a_taken_number_is_refused(client, village, household, cadre):
    make_household(village, "0102")
    url = f"/admin/households/{household.id}/edit"
    response = post(client, url, {"number": "0102", "group_id": str(household.group_id)}, form_url=url)
    assert response.status_code == 400 and "户号“0102”在本村已经有了" in response.get_data(as_text=True)
    db.session.refresh(household)
    assert household.number == "0101"


def test_edit_villager_with_a_bad_id_number_changes_nothing(client, household, cadre):
    person = household.members[1]
    url = f"/admin/villagers/{person.id}/edit"
    before = (person.name, person.id_number, person.birth_date)
    valid = make_id_number(date(1995, 1, 2))
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    response = post(client, url, {"name": "刘小改", "gender": "男", "id_number": wrong}, form_url=url)
    assert response.status_code == 400
    assert "校验位" in response.get_data(as_text=True)
    db.session.refresh(person)
    assert (person.name, person.id_number, person.birth_date) == before
    assert audit_rows("register.villager_edit") == []


def test_edit_villager_keeps_numbers_left_blank_and_audits_masked(client, household, cadre):
    head = household.head
    url = f"/admin/villagers/{head.id}/edit"
    id_number = head.id_number
    form = {"name": "刘建华", "phone": "13900001111", "work_status": "务工", "work_place": "长沙", "education": "初中"}
    assert post(client, url, form, form_url=url).status_code == 302
    db.session.refresh(head)
    assert head.id_number == id_number and head.phone == "13900001111" and head.relation == "户主"
    (row,) = audit_rows("register.villager_edit")
    detail = json.dumps(row.detail, ensure_ascii=False)
    assert "13900001111" not in detail and "13807371234" not in detail and id_number not in detail
    assert row.detail["after"]["phone"] == "139****1111" and row.detail["after"]["work_status"] == "务工"
    page = client.get(f"/admin/villagers/{head.id}").get_data(as_text=True).split('id="timeline"', 1)[1]
    assert "信息更正" in page and "务工" in page and cadre.actor in page


def test_a_birth_day_corrected_within_its_month_says_so_without_the_day(client, household, cadre):
    head = household.head  # born 1968-05-04
    url = f"/admin/villagers/{head.id}/edit"
    # The form leaves the date blank (it follows the ID number on file): no full date unlogged.
    form = client.get(url).get_data(as_text=True)
    assert "1968-05-04" not in form and "出生日期按身份证号算" in form
    assert post(client, url, {"name": "刘建华", "education": "高中"}, form_url=url).status_code == 302
    db.session.refresh(head)
    assert head.birth_date == date(1968, 5, 4) and head.education == "高中"
    corrected = make_id_number(date(1968, 5, 24))
    assert post(client, url, {"name": "刘建华", "id_number": corrected}, form_url=url).status_code == 302
    db.session.refresh(head)
    assert head.birth_date == date(1968, 5, 24)
    (_, row) = audit_rows("register.villager_edit")
    assert row.detail["before"]["birth_date"] == "1968-05"
    assert row.detail["after"]["birth_date"] == "1968-05（出生日期已更正）"
    page = client.get(f"/admin/villagers/{head.id}").get_data(as_text=True)
    timeline = page.split('id="timeline"', 1)[1]
    assert "出生日期已更正" in timeline and "身份证号" in timeline
    assert "1968-05-04" not in page and "1968-05-24" not in page


def test_a_member_cannot_be_made_head_by_editing(client, household, cadre):
    person = household.members[1]
    url = f"/admin/villagers/{person.id}/edit"
    response = post(client, url, {"name": person.name, "gender": person.gender, "relation": "户主"}, form_url=url)
    assert response.status_code == 400 and "变更户主" in response.get_data(as_text=True)


def test_detail_is_masked_and_a_cadre_reveals_once_with_an_audit_row(client, household, cadre):
    head = household.head
    masked = client.get(f"/admin/villagers/{head.id}").get_data(as_text=True)
    assert head.id_number not in masked and mask_id_number(head.id_number) in masked and "查看完整号码" in masked
    revealed = post(client, f"/admin/villagers/{head.id}/reveal", form_url=f"/admin/villagers/{head.id}")
    html = revealed.get_data(as_text=True)
    assert revealed.status_code == 200 and head.id_number in html and "13807371234" in html
    assert revealed.headers["Cache-Control"] == "no-store"
    # The day of birth is part of the number: it shows beside the reveal, and only there.
    assert "1968-05-04" in html and "1968-05-04" not in masked and "1968年5月生" in masked
    (row,) = audit_rows("register.reveal")
    assert (
        row.actor == cadre.actor
        and row.target == f"villager:{head.id}"
        and head.id_number not in json.dumps(row.detail)
    )
    # Not kept anywhere: the next visit is masked again; a second reveal is a second audit row.
    assert head.id_number not in client.get(f"/admin/villagers/{head.id}").get_data(as_text=True)
    post(client, f"/admin/villagers/{head.id}/reveal", form_url=f"/admin/villagers/{head.id}")
    assert len(audit_rows("register.reveal")) == 2
    assert client.get(f"/admin/villagers/{head.id}/reveal").status_code == 405  # never over GET


@pytest.mark.parametrize("role", ["work_team", "group_leader"])
def test_reveal_and_edit_are_refused_to_roles_without_them(client, village, household, role):
    group_id = household.group_id if role == "group_leader" else None
    login(client, make_account(village, role, group_id=group_id))
    head = household.head
    page = client.get(f"/admin/villagers/{head.id}").get_data(as_text=True)
    assert "查看完整号码" not in page and head.id_number not in page
    response = post(client, f"/admin/villagers/{head.id}/reveal")
    assert response.status_code == 403 and head.id_number not in response.get_data(as_text=True)
    assert audit_rows("register.reveal") == []
    assert client.get(f"/admin/villagers/{head.id}/edit").status_code == 403
    assert post(client, "/admin/households/new", new_household_form(village)).status_code == 403


def test_reveal_of_another_village_s_person_is_not_found(client, household, cadre):
    other = make_household(make_village("邻村"), "0101")
    response = post(client, f"/admin/villagers/{other.head_id}/reveal")
    assert response.status_code == 404 and other.head.id_number not in response.get_data(as_text=True)
    assert audit_rows("register.reveal") == []


def test_hub_links_only_to_areas_that_exist_and_the_account_may_use(client, village, household):
    login(client, make_account(village, "work_team"))
    page = client.get(f"/admin/households/{household.id}").get_data(as_text=True)
    assert "修改本户信息" not in page and "登记人口变动" not in page
    assert db.session.get(Villager, household.head_id).name in page


@pytest.mark.parametrize("status", ["current", "moved_out", "deceased"])
def test_an_id_number_known_in_another_village_is_refused_without_telling_its_story(client, village, cadre, status):
    elsewhere = make_household(make_village("小坪村"), "0909", members=1)
    elsewhere.head.status = status
    db.session.commit()
    form = new_household_form(village, **{"head-id_number": elsewhere.head.id_number})
    response = post(client, "/admin/households/new", form, form_url="/admin/households/new")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "该身份证号已在系统中登记，请联系上级管理员核实。" in html
    assert not any(word in html for word in ("迁出", "登记在册", "小坪村", elsewhere.head.name))
    assert db.session.scalar(select(func.count()).select_from(Household)) == 1
