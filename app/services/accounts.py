"""Back-office accounts (A1): create, sign in with password and TOTP, lock out, change password.

Passwords are hashed with Argon2id (argon2-cffi); the second factor is RFC 6238 TOTP (pyotp),
each code accepted once. Five wrong answers in a row lock the account for a quarter of an hour
in browsers it never signed in from (``authenticate`` says why).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import func, select

from app.errors import Conflict, Forbidden, ValidationError
from app.extensions import db
from app.models import Account, Region, Role, VillagerGroup
from app.services import audit, clock
from app.services.permissions import ROLE_LEVEL, ROLE_NAMES, TOTP_REQUIRED

MAX_FAILURES = 5
LOCK_MINUTES = 15
TOTP_ISSUER = "村务通"
_USERNAME = re.compile(r"^[a-z][a-z0-9_.-]{2,31}$")
_hashers: dict[bool, PasswordHasher] = {}
_dummy_hashes: dict[PasswordHasher, str] = {}


def _hasher() -> PasswordHasher:
    # Tests may ask for a cheap hash; production keeps argon2-cffi's RFC 9106 defaults.
    fast = bool(current_app.config.get("PASSWORD_HASH_FAST"))
    if fast not in _hashers:
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if fast else PasswordHasher()
        # A hash of no one's password, made once: an unknown name then costs one verification,
        # like a real one (hashing afresh per attempt would cost two).
        _dummy_hashes[hasher] = hasher.hash("not-a-real-password-1")
        _hashers[fast] = hasher
    return _hashers[fast]


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def check_password_strength(password: str, username: str = "") -> str:
    password = password or ""
    if len(password) < 10:
        raise ValidationError("密码至少要 10 位。", field="password")
    if len(password) > 128:
        raise ValidationError("密码太长了，请不要超过 128 位。", field="password")
    if password.isdigit() or password.isalpha():
        raise ValidationError("密码要同时有字母和数字。", field="password")
    if username and username.lower() in password.lower():
        raise ValidationError("密码里不要包含用户名。", field="password")
    return password


@dataclass(frozen=True)
class AccountInput:
    username: str
    display_name: str
    role: str
    region_id: int
    password: str
    group_id: int | None = None


def create_account(data: AccountInput, *, created_by: str) -> Account:
    """Validate and store a new account; the caller has already checked who may create it."""
    username = (data.username or "").strip().lower()
    if not _USERNAME.match(username):
        raise ValidationError("用户名用 3 到 32 位小写字母、数字或 _ . -，以字母开头。", field="username")
    display_name = (data.display_name or "").strip()
    if not display_name or len(display_name) > 32:
        raise ValidationError("请填写姓名（不超过 32 个字）。", field="display_name")
    if data.role not in ROLE_NAMES:
        raise ValidationError("请选择一个角色。", field="role")
    region = db.session.get(Region, data.region_id)
    if region is None or region.level != ROLE_LEVEL[data.role]:
        level = {"county": "县", "town": "乡镇", "village": "村"}[ROLE_LEVEL[data.role]]
        raise ValidationError(f"{ROLE_NAMES[data.role]}要管辖一个{level}。", field="region_id")
    group_id = data.group_id if data.role == Role.GROUP_LEADER else None
    if data.role == Role.GROUP_LEADER:
        group = db.session.get(VillagerGroup, group_id) if group_id else None
        if group is None or group.village_id != region.id:
            raise ValidationError("村民小组长要选择本村的一个小组。", field="group_id")
    check_password_strength(data.password, username)
    if db.session.scalar(select(func.count()).select_from(Account).where(Account.username == username)):
        raise Conflict("这个用户名已经有人用了。", field="username")
    account = Account(
        username=username,
        display_name=display_name,
        role=data.role,
        region_id=region.id,
        group_id=group_id,
        password_hash=_hasher().hash(data.password),
        created_by=created_by,
    )
    db.session.add(account)
    db.session.flush()
    audit.record(
        created_by, "account.create", target=f"account:{account.id}", village_id=_village_of(region), role=data.role
    )
    db.session.commit()
    return account


def _village_of(region: Region) -> int | None:
    return region.id if region.level == "village" else None


def _home(account: Account) -> int | None:
    """The village an account's audit rows belong to (its village admins may read them)."""
    return _village_of(account.region)


def find(username: str) -> Account | None:
    return db.session.scalar(select(Account).where(Account.username == (username or "").strip().lower()))


def _locked(account: Account) -> bool:
    until = _aware(account.locked_until)
    return until is not None and until > clock.now()


def _refuse_locked(account: Account) -> None:
    if _locked(account):
        minutes = max(1, int((_aware(account.locked_until) - clock.now()).total_seconds() // 60) + 1)
        raise Forbidden(f"错误次数太多，账号已锁定，请 {minutes} 分钟后再试，或请管理员解锁。")


def _failure(account: Account, what: str, ip: str | None) -> None:
    home = _home(account)
    account.failed_logins += 1
    if account.failed_logins >= MAX_FAILURES and not _locked(account):  # a lock never extends itself
        account.locked_until = clock.now() + timedelta(minutes=LOCK_MINUTES)
        account.failed_logins = 0
        account.session_epoch += 1
        audit.record(account.actor, "account.locked", target=f"account:{account.id}", village_id=home, ip=ip)
    audit.record(account.actor, f"login.{what}_failed", target=f"account:{account.id}", village_id=home, ip=ip)
    db.session.commit()


WRONG = "用户名或密码不对。连续输错 5 次，这个账号在陌生的浏览器上会暂停登录 15 分钟。"


def authenticate(username: str, password: str, *, ip: str | None = None, trusted: Collection[int] = ()) -> Account:
    """First step of signing in.

    Every refusal (unknown name, disabled account, locked account, wrong password) gets the same
    answer after the same work, one Argon2 verification, so neither the message nor the time
    tells a stranger which names exist or which accounts are locked. No refusal says "locked":
    that would tell the stranger the name is real and, during a lock, whether a guess was right.

    A lock holds against browsers that never signed in to the account. ``trusted`` are the
    accounts that signed in before in this browser (a signed cookie, see app/admin/devices.py);
    there the right password still works during a lock, so strangers' guesses, however often
    they re-lock the account, cannot keep a cadre out of their own office computer or phone.
    Failures during a lock are not counted: a lock ends LOCK_MINUTES after it began.
    """
    account = find(username)
    usable = account is not None and account.active
    try:
        _hasher().verify(account.password_hash if usable else _dummy_hash(), password or "")
        right = usable
    except (VerificationError, InvalidHashError):
        right = False
    if usable and _locked(account) and account.id not in trusted:
        raise ValidationError(WRONG)
    if not right:
        if usable:
            _failure(account, "password", ip)
        raise ValidationError(WRONG)
    if _hasher().check_needs_rehash(account.password_hash):
        account.password_hash = _hasher().hash(password)
    return account


def _dummy_hash() -> str:
    return _dummy_hashes[_hasher()]


def needs_second_factor(account: Account) -> bool:
    return account.totp_enabled


def must_enrol_totp(account: Account) -> bool:
    return account.role in TOTP_REQUIRED and not account.totp_enabled


def verify_totp(account: Account, code: str, *, ip: str | None = None, trusted: Collection[int] = ()) -> None:
    """Second step: a 6-digit code from the authenticator app, each accepted once. Only someone
    who gave the right password gets here, so a lock may be named; as at the first step, it does
    not hold in a browser the account signed in from before (``trusted``)."""
    if account.id not in trusted:
        _refuse_locked(account)
    step = _matching_step(account.totp_secret, code)
    if step is None or (account.totp_last_step is not None and step <= account.totp_last_step):
        _failure(account, "totp", ip)
        if account.id not in trusted:
            _refuse_locked(account)
        raise ValidationError("动态验证码不对或已用过，请看手机上最新的 6 位数字。", field="code")
    account.totp_last_step = step


def _matching_step(secret: str | None, code: str) -> int | None:
    code = (code or "").strip().replace(" ", "")
    if not secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret)
    now = clock.now()
    for drift in (0, -1, 1):  # one 30-second step either way for a phone clock slightly off
        at = now + timedelta(seconds=30 * drift)
        if totp.verify(code, for_time=at, valid_window=0):
            return totp.timecode(at)
    return None


def signed_in(account: Account, *, ip: str | None) -> None:
    account.failed_logins = 0
    # A lock is left to run out: signing in from a trusted browser must not reopen guessing.
    account.last_login_at = clock.now()
    audit.record(account.actor, "login", target=f"account:{account.id}", village_id=_home(account), ip=ip)
    db.session.commit()


def start_totp(account: Account) -> tuple[str, str]:
    """A new secret for enrolment (not active until confirmed) and its otpauth:// URI."""
    secret = pyotp.random_base32()
    return secret, totp_uri(account, secret)


def totp_uri(account: Account, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=TOTP_ISSUER)


def confirm_totp(account: Account, secret: str, code: str) -> None:
    step = _matching_step(secret, code)
    if step is None:
        raise ValidationError("验证码不对。请确认手机上的时间准确，再输入最新的 6 位数字。", field="code")
    account.totp_secret = secret
    account.totp_enabled = True
    account.totp_last_step = step
    account.session_epoch += 1
    audit.record(account.actor, "account.totp_on", target=f"account:{account.id}")
    db.session.commit()


def disable_totp(account: Account, *, actor: str) -> None:
    if account.role in TOTP_REQUIRED:
        raise Forbidden("县级和镇级管理员必须使用动态验证码，不能关闭。")
    account.totp_secret = None
    account.totp_enabled = False
    account.totp_last_step = None
    audit.record(actor, "account.totp_off", target=f"account:{account.id}")
    db.session.commit()


def change_password(account: Account, current: str, new: str) -> None:
    try:
        _hasher().verify(account.password_hash, current or "")
    except (VerificationError, InvalidHashError):
        raise ValidationError("原密码不对。", field="current") from None
    check_password_strength(new, account.username)
    account.password_hash = _hasher().hash(new)
    account.session_epoch += 1  # every other session of this account ends
    audit.record(account.actor, "account.password", target=f"account:{account.id}")
    db.session.commit()


def set_password(account: Account, new: str, *, actor: str) -> None:
    """An admin resets a password (and unlocks); the owner's sessions end."""
    check_password_strength(new, account.username)
    account.password_hash = _hasher().hash(new)
    account.session_epoch += 1
    account.locked_until = None
    account.failed_logins = 0
    audit.record(actor, "account.password_reset", target=f"account:{account.id}", village_id=_home(account))
    db.session.commit()


def set_active(account: Account, active: bool, *, actor: str) -> None:
    account.active = active
    account.session_epoch += 1
    action = "account.enable" if active else "account.disable"
    audit.record(actor, action, target=f"account:{account.id}", village_id=_home(account))
    db.session.commit()


def reset_totp(account: Account, *, actor: str) -> None:
    """An admin turns the second factor off (a lost phone): the owner's sessions end, and a county
    or town admin is asked to enrol a new one at the next sign-in (``must_enrol_totp``)."""
    account.totp_secret = None
    account.totp_enabled = False
    account.totp_last_step = None
    account.session_epoch += 1
    audit.record(actor, "account.totp_reset", target=f"account:{account.id}", village_id=_home(account))
    db.session.commit()
