"""Showing a villager's full ID and phone numbers to a permitted cadre, once, and on the record.

The numbers are returned for one page only (never kept in the session), and every reveal writes
an audit row naming who looked at whose numbers, without the numbers themselves.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.errors import Forbidden
from app.extensions import db
from app.models import Account, Villager
from app.services import audit
from app.services.permissions import PERMISSIONS, allowed


@dataclass(frozen=True)
class Revealed:
    id_number: str | None
    phone: str | None


def reveal(villager: Villager, account: Account) -> Revealed:
    """The full numbers, if ``account``'s role may see them; audited every time."""
    if not allowed(account.role, "register.reveal"):
        raise Forbidden(f"你的角色不能{PERMISSIONS['register.reveal']}。")
    shown = Revealed(id_number=villager.id_number, phone=villager.phone)
    audit.record(
        account.actor,
        "register.reveal",
        target=f"villager:{villager.id}",
        village_id=villager.village_id,
        fields=[name for name in ("id_number", "phone") if getattr(shown, name)],
    )
    db.session.commit()
    return shown
