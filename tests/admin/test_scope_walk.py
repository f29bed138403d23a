"""Every back-office route, walked as an admin of another village (A1: every query is scoped).

Village A holds one of everything (household, person, ledger entry, rule, photos, visit, job,
account, binding request, audit rows). An admin of village B, with every permission, requests
every /admin/ route with its path parameters filled from A's objects, by GET and by POST with
a valid CSRF token: each answer must be 403 or 404 and nothing may change. Routes without
parameters are opened (with A's ids in the usual query parameters) and must show nothing of A.
A new route with a parameter this test cannot fill fails here, so it gets walked too.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditLog,
    BackgroundJob,
    BindingRequest,
    Household,
    Photo,
    PointsEntry,
    PointsRule,
    Villager,
    Visit,
    WechatIdentity,
)
from app.services import audit, clock, photos
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import award, make_household, make_village

SECRET_WORDS = ("甄士隐", "9901", "甲村走访机密", "甲村专属细则", "甲村账号", "甲村证件")
SIGN_IN = ("admin.login", "admin.login_totp")
WATCHED = (Household, Villager, PointsEntry, PointsRule, Photo, Visit, BackgroundJob, BindingRequest)


def _jpeg() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 64), "green").save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def village_a(db):
    """Village A and one of everything in it; returns the ids to fill route parameters with."""
    a = make_village("甲村")
    household = make_household(a, "9901", members=2)
    head = household.head
    head.name = "甄士隐"
    rule = PointsRule(village_id=a.id, category="环境卫生", item="甲村专属细则", points=5)
    db.session.add(rule)
    db.session.commit()
    entry = award(household, 5, reason="甲村专属细则")
    visit = Visit(village_id=a.id, household_id=household.id, kind="走访", visited_on=clock.today(),
                  visitors="甲村干部", content="甲村走访机密", recorded_by="测试")  # fmt: skip
    db.session.add(visit)
    db.session.flush()
    image = photos.clean_image(_jpeg())
    made = [
        photos.store(image, village_id=a.id, purpose="id_card", uploaded_by="测试", household_id=household.id,
                     villager_id=head.id, caption="甲村证件"),  # fmt: skip
        photos.store(image, village_id=a.id, purpose="evidence", uploaded_by="测试", points_entry_id=entry.id),
        photos.store(image, village_id=a.id, purpose="visit", uploaded_by="测试", visit_id=visit.id),
    ]
    job = BackgroundJob(kind="plaques", village_id=a.id, requested_by="测试", status="done", done=1, total=1)
    identity = WechatIdentity(app="oa", openid="o" + "A" * 27)
    db.session.add_all([job, identity])
    db.session.flush()
    request = BindingRequest(identity_id=identity.id, village_id=a.id, villager_id=head.id, note="甲村账号")
    db.session.add(request)
    audit.record("甲村账号", "register.edit", target=f"household:{household.id}", village_id=a.id)
    db.session.commit()
    account = make_account(a, "cadre", username="jiacun")
    account.display_name = "甲村账号"
    db.session.commit()
    return {
        "household_id": [household.id],
        "villager_id": [v.id for v in household.people],
        "entry_id": [entry.id],
        "rule_id": [rule.id],
        "visit_id": [visit.id],
        "photo_id": [p.id for p in made],
        "job_id": [job.id],
        "account_id": [account.id],
        "request_id": [request.id],
        "village_id": [a.id],
    }


@pytest.fixture
def outsider(auth, village_a):
    """An admin of village B (every permission a village has), signed in."""
    b = make_village("乙村")
    make_household(b, "0101")
    auth.login(b, "village_admin")
    return auth.client


def _admin_rules(app):
    return sorted((r for r in app.url_map.iter_rules() if r.rule.startswith("/admin/")), key=lambda r: r.rule)


def _counts() -> dict:
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in WATCHED}
    counts["audit_writes"] = db.session.scalar(
        select(func.count()).select_from(AuditLog).where(~AuditLog.action.in_(("login", "register.view")))
    )
    return counts


def test_every_route_with_an_id_refuses_another_villages_objects(app, outsider, village_a):
    rules = [r for r in _admin_rules(app) if r.arguments]
    unknown = {a for r in rules for a in r.arguments} - set(village_a)
    assert not unknown, f"teach this test how to fill {unknown} with village A's objects"
    token = csrf_token(outsider, "/admin/")
    before = _counts()
    walked = 0
    for rule in rules:
        for value_index in range(max(len(village_a[a]) for a in rule.arguments)):
            values = {a: village_a[a][min(value_index, len(village_a[a]) - 1)] for a in rule.arguments}
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
            for method in sorted(rule.methods & {"GET", "POST"}):
                if method == "GET":
                    response = outsider.get(url)
                else:
                    response = outsider.post(url, data={"csrf_token": token, "reason": "越权测试", "code": "x"})
                walked += 1
                assert response.status_code in (403, 404), f"{method} {url} answered {response.status_code}"
                body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
                assert not any(word in body for word in SECRET_WORDS), f"{method} {url} shows village A's data"
    assert walked > 0
    assert _counts() == before, "a refused request changed something"


def test_list_pages_show_nothing_of_another_village(app, outsider, village_a):
    rules = [r for r in _admin_rules(app) if not r.arguments and "GET" in r.methods and r.endpoint not in SIGN_IN]
    a_id, household_id = village_a["village_id"][0], village_a["household_id"][0]
    query = f"?village={a_id}&village_id={a_id}&household={household_id}&household_id={household_id}"
    opened = 0
    for rule in rules:
        if rule.endpoint in ("admin.static",):
            continue
        for suffix in ("", query):
            response = outsider.get(rule.rule + suffix)
            assert response.status_code in (200, 302, 400, 403, 404), f"GET {rule.rule}{suffix}: {response.status_code}"
            assert "/admin/login" not in response.headers.get("Location", ""), f"GET {rule.rule} signed us out"
            body = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            if response.mimetype.startswith("application/vnd.openxmlformats"):
                body = _xlsx_text(response.data)
            leaked = [word for word in SECRET_WORDS if word in body]
            assert not leaked, f"GET {rule.rule}{suffix} shows village A's {leaked}"
            opened += 1
    assert opened >= 2


def _xlsx_text(data: bytes) -> str:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return " ".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row)


def test_every_route_with_an_id_answers_not_found_for_ids_no_column_can_hold(app, outsider):
    """A typed or hand-edited URL with an absurd id gets 404, never a database error (500)."""
    for rule in (r for r in _admin_rules(app) if r.arguments):
        for huge in (2**31, 2**63):
            url = app.url_map.bind("localhost").build(rule.endpoint, dict.fromkeys(rule.arguments, huge))
            response = outsider.get(url) if "GET" in rule.methods else outsider.post(url)
            assert response.status_code in (400, 403, 404, 405), f"{url} answered {response.status_code}"


def test_no_get_changes_anything_even_for_the_villages_own_admin(app, client, village_a):
    """No state change over GET: every GET route, opened by village A's own admin with A's ids,
    leaves every table as it was (only the audit log may grow: sensitive reads are logged)."""
    from app.models import Region

    village = db.session.scalar(select(Region).where(Region.id == village_a["village_id"][0]))
    login(client, make_account(village, "village_admin"))

    def snapshot() -> dict:
        db.session.expire_all()
        return {
            table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name not in ("audit_log", "audit_subjects")
        }

    before = snapshot()
    opened = 0
    for rule in (r for r in _admin_rules(app) if "GET" in r.methods and r.endpoint not in SIGN_IN):
        for index in range(max((len(village_a[a]) for a in rule.arguments), default=1)):
            values = {a: village_a[a][min(index, len(village_a[a]) - 1)] for a in rule.arguments}
            url = app.url_map.bind("localhost").build(rule.endpoint, values)
            response = client.get(url)
            assert response.status_code < 500, f"GET {url}: {response.status_code}"
            assert "/admin/login" not in response.headers.get("Location", ""), f"GET {url} signed us out"
            opened += 1
    assert opened > 20
    assert snapshot() == before
    for endpoint in SIGN_IN:  # the sign-in pages, opened while signed in, end nothing either
        client.get(app.url_map.bind("localhost").build(endpoint))
    assert client.get("/admin/").status_code == 200
