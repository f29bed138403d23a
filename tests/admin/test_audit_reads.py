"""Every back-office read of personal data is on the record (A3, 等保 2.0): one audit row per page
view naming everyone the page showed, cheap for lists, readable and searchable in 操作日志."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from app.extensions import db
from app.models import AuditLog, AuditSubject, Household, Villager, VillagerGroup
from app.services import register
from app.services.people import PersonInput
from tests.admin_helpers import login, make_account, post
from tests.helpers import make_id_number, make_village

FAMILIES = [
    ("赵国春", "赵建明", "赵春华"), ("钱国明", "钱秋生", "钱明月"), ("孙立华", "孙小军", "孙丽"),
    ("李德福", "李桂英", "李强"), ("周永红", "周文", "周敏"), ("吴建国", "吴秀兰", "吴磊"),
]  # fmt: skip


def _household(village, number: str, group: int, head: str, *others: str):
    people = [
        PersonInput(name=name, id_number=make_id_number(date(1970 + i, 3, 4)), phone=f"1380737{int(number):04d}",
                    political_status="群众", health="健康", relation="户主" if i == 0 else "子")
        for i, name in enumerate((head, *others))
    ]  # fmt: skip
    return register.register_household(
        village,
        register.HouseholdInput(number=number, group_number=group, head=people[0], members=tuple(people[1:])),
        recorded_by="测试",
    )


def _subjects(row: AuditLog) -> set[str]:
    found = db.session.execute(
        select(AuditSubject.kind, AuditSubject.subject_id).where(AuditSubject.audit_id == row.id)
    )
    return {f"{kind}:{ident}" for kind, ident in found}


def _reads(actor: str) -> list[AuditLog]:
    query = select(AuditLog).where(AuditLog.actor == actor, AuditLog.action.startswith("read.")).order_by(AuditLog.id)
    return list(db.session.scalars(query))


@pytest.fixture
def village(db):
    """Group 1: six households of three named people; group 2: one household (not the leader's)."""
    village = make_village()
    for h, names in enumerate(FAMILIES):
        _household(village, f"01{h:03d}", 1, *names)
    _household(village, "02001", 2, "外组人")
    return village


def test_a_group_leader_opening_25_pages_leaves_25_records_naming_whom_they_showed(client, village):
    group = db.session.scalar(
        select(VillagerGroup).where(VillagerGroup.village_id == village.id, VillagerGroup.number == 1)
    )
    leader = make_account(village, "group_leader", group_id=group.id)
    login(client, leader)
    households = list(
        db.session.scalars(select(Household).where(Household.group_id == group.id).order_by(Household.number))
    )
    expected: list[tuple[str, set[str]]] = []
    for household in households:
        for person in household.members:
            expected.append((f"/admin/villagers/{person.id}", {f"villager:{person.id}"}))
        everyone = {f"household:{household.id}"} | {f"villager:{p.id}" for p in household.members}
        expected.append((f"/admin/households/{household.id}", everyone))
    in_group = {f"villager:{p.id}" for h in households for p in h.members}
    expected.append(("/admin/villagers", in_group))  # the outsider of group 2 is not on this list
    assert len(expected) == 25

    for url, _ in expected:
        assert client.get(url).status_code == 200, url

    rows = _reads(leader.actor)
    assert len(rows) == 25
    assert [_subjects(row) for row in rows] == [whom for _, whom in expected]
    assert {row.village_id for row in rows} == {village.id}
    assert (
        rows[0].action == "read.villager" and rows[3].action == "read.household" and rows[-1].action == "read.villagers"
    )


def test_a_list_view_writes_one_audit_row_and_one_insert_of_its_people_however_many(client, village):
    login(client, make_account(village, "cadre"))

    def audit_writes(url: str) -> list[str]:
        seen: list[str] = []

        def listener(_conn, _cursor, statement, *_args):
            if statement.lstrip().upper().startswith("INSERT INTO AUDIT"):
                seen.append(statement.split("(")[0].split()[2])

        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return seen

    assert audit_writes("/admin/villagers?q=无此人") == []  # nobody shown: nothing to record
    few = audit_writes("/admin/villagers?q=赵")
    for h in range(6, 12):
        _household(village, f"01{h:03d}", 1, *(f"郑{'一二三四五六七八九十甲乙'[h]}{'甲乙丙'[k]}" for k in range(3)))
    many = audit_writes("/admin/villagers")
    assert few == many == ["audit_log", "audit_subjects"]
    last = db.session.scalars(select(AuditLog).order_by(AuditLog.id.desc())).first()
    assert len(_subjects(last)) == 30 and last.detail == {"people": 30}  # a full page of the list


def test_the_log_says_who_looked_at_whom_in_chinese_and_finds_them_by_name(client, app, village):
    reader = make_account(village, "cadre", username="liuganbu")
    looker = app.test_client()
    login(looker, reader)
    person = db.session.scalar(select(Villager).where(Villager.name == "赵国春"))
    other = db.session.scalar(select(Villager).where(Villager.name == "钱国明"))
    looker.get(f"/admin/villagers/{person.id}")
    looker.get(f"/admin/villagers/{other.id}")
    looker.get(f"/admin/households/{person.household_id}")
    looker.get("/admin/villagers")
    looker.get(f"/admin/villagers/{other.id}/edit")

    login(client, make_account(village, "village_admin"))
    page = post(client, "/admin/audit", {"action": "read."}, form_url="/admin/audit").get_data(as_text=True)
    assert "查看村民资料：赵国春" in page and "打开村民修改页：钱国明" in page
    assert "查看户籍资料：01000户，赵国春、赵建明、赵春华" in page
    assert "查看村民名单：赵国春、赵建明、赵春华等 19 人" in page
    assert "查看个人信息" in page  # the kind, as the action filter names it

    found = post(client, "/admin/audit", {"target": "赵国春"}, form_url="/admin/audit").get_data(as_text=True)
    assert "共 3 条" in found  # his page, his household's page, the list that showed him
    assert "查看村民资料：赵国春" in found and "查看户籍资料：01000户" in found and "查看村民名单" in found
    assert "查看村民资料：钱国明" not in found and "打开村民修改页" not in found
    by_number = post(client, "/admin/audit", {"target": "01000"}, form_url="/admin/audit").get_data(as_text=True)
    assert "查看户籍资料：01000户" in by_number


def test_a_reveal_is_its_own_record_and_is_not_logged_twice(client, village):
    cadre = make_account(village, "cadre")
    login(client, cadre)
    person = db.session.scalar(select(Villager).where(Villager.name == "赵国春"))
    page = f"/admin/villagers/{person.id}"
    post(client, f"{page}/reveal", form_url=page)
    actions = [row.action for row in db.session.scalars(select(AuditLog).where(AuditLog.actor == cadre.actor))]
    assert actions[-2:] == ["read.villager", "register.reveal"]  # the page that offered it, then the reveal


def test_a_town_list_over_two_villages_is_recorded_in_each_villages_own_log(client, village):
    other = make_village("乙村")
    _household(other, "09001", 1, "乙村人")
    town = make_account(village.parent, "town_admin", totp=True)
    login(client, town)
    assert client.get("/admin/villagers").status_code == 200
    rows = _reads(town.actor)
    assert sorted(row.village_id for row in rows) == sorted([village.id, other.id])
    theirs = next(row for row in rows if row.village_id == other.id)
    assert len(_subjects(theirs)) == 1

    login(client := client.application.test_client(), make_account(other, "village_admin"))
    page = post(client, "/admin/audit", {"action": "read."}, form_url="/admin/audit").get_data(as_text=True)
    assert "查看村民名单：乙村人" in page and "赵国春" not in page


def test_reading_visit_notes_is_recorded_against_the_household(client, village):
    from tests.admin.test_visits import add_visit

    household = db.session.scalar(select(Household).where(Household.number == "01000"))
    visit = add_visit(household, content="户主赵国春高血压，需定期随访。")
    add_visit(village=village, kind="督导巡查", content="巡查村道")  # an inspection of no household
    cadre = make_account(village, "cadre")
    login(client, cadre)
    for url in ("/admin/visits", f"/admin/visits/{visit.id}", f"/admin/households/{household.id}/visits"):
        assert client.get(url).status_code == 200, url
    rows = _reads(cadre.actor)
    assert [row.action for row in rows] == ["read.visit_list", "read.visit", "read.household_visits"]
    assert all(_subjects(row) == {f"household:{household.id}"} for row in rows)
