"""The whole role × permission table (A1), and the guard of every back-office view against it.

The intended table is written out here, role by role, independently of permissions.py: a
permission added to or dropped from a role by mistake fails the first test. The second signs in
one account of every role and requests every view guarded by ``permission_required``: a role
without the permission gets the 403 page naming it in Chinese, a role with it never a 403.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Role
from app.services.permissions import PERMISSIONS, ROLE_PERMISSIONS, allowed
from tests.admin_helpers import csrf_token, login, make_account
from tests.helpers import make_household, make_village

EVERYTHING = set(PERMISSIONS)
ADMIN_ONLY = {"accounts.manage", "settings.edit", "audit.view"}
READ_ALONG = {"register.view", "visits.view", "visits.edit", "points.view", "charts.view"}
INTENDED = {
    Role.COUNTY_ADMIN: EVERYTHING,
    Role.TOWN_ADMIN: EVERYTHING,
    Role.VILLAGE_ADMIN: EVERYTHING,
    Role.CADRE: EVERYTHING - ADMIN_ONLY,
    Role.WORK_TEAM: READ_ALONG | {"points.award", "plaques.print", "register.export"},
    Role.COOP_CLERK: {"points.view"},
    Role.GROUP_LEADER: READ_ALONG,
}


def test_every_role_has_exactly_the_intended_permissions():
    assert set(ROLE_PERMISSIONS) == set(Role) == set(INTENDED)
    wrong = [(role.value, permission, allowed(role, permission))
             for role in Role for permission in sorted(PERMISSIONS)
             if allowed(role, permission) != (permission in INTENDED[role])]  # fmt: skip
    assert not wrong, wrong
    assert not allowed("nobody", "register.view") and not allowed(Role.CADRE, "no.such.permission")


def guarded_views(app) -> dict[str, tuple[str, object]]:
    """endpoint → (permission, rule) for every /admin/ view wrapped by ``permission_required``."""
    found = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        cells = [c.cell_contents for c in (view.__closure__ or ()) if isinstance(c.cell_contents, str)]
        permission = next((c for c in cells if c in PERMISSIONS), None)
        if permission and rule.rule.startswith("/admin/"):
            found[rule.endpoint] = (permission, rule)
    return found


@pytest.fixture
def home(db):
    village = make_village()
    household = make_household(village, "0101")
    return village, household


def _signed_in(app, role: Role, village, household):
    region = {Role.COUNTY_ADMIN: village.parent.parent, Role.TOWN_ADMIN: village.parent}.get(role, village)
    account = make_account(region, role, totp=role in (Role.COUNTY_ADMIN, Role.TOWN_ADMIN),
                           group_id=household.group_id if role == Role.GROUP_LEADER else None)  # fmt: skip
    client = app.test_client()
    login(client, account)
    return client


def _rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog))


def test_every_guarded_view_answers_each_role_as_the_table_says(app, home):
    village, household = home
    views = guarded_views(app)
    assert {permission for permission, _ in views.values()} == EVERYTHING, "a permission guards no view"
    ids = dict.fromkeys(("household_id", "villager_id", "entry_id", "photo_id", "rule_id", "job_id", "visit_id",
                         "account_id", "request_id"), 1) | {"household_id": household.id}  # fmt: skip
    adapter = app.url_map.bind("localhost")
    for role in Role:
        client = _signed_in(app, role, village, household)
        token = csrf_token(client, "/admin/")
        for endpoint, (permission, rule) in sorted(views.items()):
            url = adapter.build(endpoint, {a: ids[a] for a in rule.arguments})
            may = permission in INTENDED[role]
            for method in sorted(rule.methods & {"GET", "POST"}):
                if method == "POST" and may:
                    continue  # a permitted POST would do something; its own tests cover it
                before = _rows()
                response = client.get(url) if method == "GET" else client.post(url, data={"csrf_token": token})
                where = f"{role.value} {method} {url} ({permission})"
                refused = f"你的角色不能{PERMISSIONS[permission]}".encode() in response.data  # files are bytes
                if may:  # a 403 of the scope (another account's page) is not the guard's
                    assert not refused, where
                else:
                    assert response.status_code == 403 and refused, where
                    assert _rows() == before, f"{where}: refused, yet something was written"
