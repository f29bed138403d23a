"""Demo back-office accounts for 大苍村, one per role, with random passwords written to
``instance/demo-accounts.txt`` (readable by the owner only) so ``make run`` can print them."""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

from sqlalchemy import select

from app.extensions import db
from app.models import Region, Role
from app.services import accounts, register
from app.services.demo_loader import DEMO_VILLAGE
from app.services.permissions import ROLE_NAMES

# username, display name, role, region level, group number
DEMO_ACCOUNTS = [
    ("xian", "县管理员（演示）", Role.COUNTY_ADMIN, "county", None),
    ("zhen", "镇管理员（演示）", Role.TOWN_ADMIN, "town", None),
    ("cunguan", "村管理员（演示）", Role.VILLAGE_ADMIN, "village", None),
    ("ganbu", "村干部（演示）", Role.CADRE, "village", None),
    ("gongzuodui", "驻村工作队（演示）", Role.WORK_TEAM, "village", None),
    ("dianyuan", "供销社店员（演示）", Role.COOP_CLERK, "village", None),
    ("zuzhang", "一组组长（演示）", Role.GROUP_LEADER, "village", 1),
]


def _password() -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in value) and any(c.isalpha() for c in value):
            return value


def ensure_demo_accounts(instance: Path) -> list[str]:
    """Create the demo accounts that are missing; return the lines of the credentials file."""
    village = register.find_village(DEMO_VILLAGE)
    regions = {"village": village, "town": village.parent, "county": village.parent.parent}
    path = instance / "demo-accounts.txt"
    known = _read(path)
    for username, name, role, level, group_number in DEMO_ACCOUNTS:
        if accounts.find(username) is not None:
            continue
        group_id = None
        if group_number is not None:
            group_id = next(g.id for g in village.groups if g.number == group_number)
        password = _password()
        accounts.create_account(
            accounts.AccountInput(username, name, role, regions[level].id, password, group_id), created_by="演示数据"
        )
        known[username] = f"{username}\t{password}\t{ROLE_NAMES[role]}\t{regions[level].name}"
    lines = [known[u] for u, *_ in DEMO_ACCOUNTS if u in known]
    _write(path, lines)
    return lines


def _read(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    return {line.split("\t", 1)[0]: line for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line}


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def region_by_name(name: str) -> Region | None:
    """A region named ``name``, or by a path such as ``安化县/冷市镇/大苍村``."""
    parts = [p for p in name.replace("›", "/").split("/") if p.strip()]
    region = None
    for part in parts:
        query = select(Region).where(Region.name == part.strip())
        query = query.where(Region.parent_id == region.id) if region else query
        found = list(db.session.scalars(query))
        if len(found) != 1:
            return None
        region = found[0]
    return region
