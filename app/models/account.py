"""Back-office accounts (A1): cadres and staff, each with one role scoped to a part of the map."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import Timestamped, utcnow
from app.privacy import EncryptedString


class Role(StrEnum):
    COUNTY_ADMIN = "county_admin"
    TOWN_ADMIN = "town_admin"
    VILLAGE_ADMIN = "village_admin"
    CADRE = "cadre"
    WORK_TEAM = "work_team"
    COOP_CLERK = "coop_clerk"
    GROUP_LEADER = "group_leader"


class Account(Timestamped, db.Model):
    """One person's login. ``region`` is the root of what they may see (county, town or village);
    a group leader is further held to ``group``."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32), unique=True)
    display_name: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("villager_groups.id"))
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None]  # a TOTP code is accepted once, never replayed
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on password change, lock or deactivation: every session carrying an older value ends.
    session_epoch: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(64), default="system")

    region = relationship("Region")
    group = relationship("VillagerGroup")

    @property
    def actor(self) -> str:
        """How this account is named in audit rows and ledger entries."""
        return f"{self.display_name}({self.username})"


class AdminSession(db.Model):
    """One signed-in back-office session, kept server-side so that logging out really ends it:
    the signed cookie only names the row, and a cookie whose row is gone is refused."""

    __tablename__ = "admin_sessions"

    id: Mapped[str] = mapped_column(String(43), primary_key=True)  # secrets.token_urlsafe(32)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Refreshed at most once a minute (not on every request); old rows are swept at each sign-in.
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # A TOTP secret being enrolled: here, encrypted, never in the (readable) cookie.
    pending_totp: Mapped[str | None] = mapped_column(EncryptedString)
