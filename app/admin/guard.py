"""Who may be in the back office: signed in, not idle for 30 minutes, session still valid, second
factor enrolled where required; and the ``permission_required`` check for each view."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, request, session, url_for

from app.admin import admin
from app.admin.nav import menu
from app.models import Account
from app.services import admin_sessions, clock
from app.services.accounts import must_enrol_totp
from app.services.permissions import PERMISSIONS, allowed
from app.services.scope import Scope

IDLE_SECONDS = int(admin_sessions.IDLE.total_seconds())
SESSION_KEYS = ("admin_id", "admin_sid", "admin_epoch", "admin_seen", "admin_pending", "admin_pending_at")
OPEN_ENDPOINTS = frozenset({"admin.login", "admin.login_totp"})
ENROL_ENDPOINTS = frozenset({"admin.enrol_totp", "admin.logout"})


def sign_in(account: Account) -> None:
    """Start a fresh back-office session (a new cookie value and a new server-side row: no fixation)."""
    end_session()
    session["admin_id"] = account.id
    session["admin_sid"] = admin_sessions.start(account)
    session["admin_epoch"] = account.session_epoch
    session["admin_seen"] = int(clock.timestamp())


def end_session() -> None:
    admin_sessions.end(session.get("admin_sid"))
    for key in SESSION_KEYS:
        session.pop(key, None)


def safe_next(target: str | None) -> str:
    """Only a path inside the back office: never an open redirect."""
    if (
        target
        and target.startswith("/admin/")
        and not urlsplit(target).netloc
        and "\\" not in target
        and target.isprintable()  # no CR/LF that would break the Location header
    ):
        return target
    return url_for("admin.dashboard")


@admin.before_request
def load_account():
    g.account = None
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    account_id = session.get("admin_id")
    if not account_id:
        return redirect(url_for("admin.login", next=request.full_path if request.method == "GET" else None))
    now = int(clock.timestamp())
    if now - int(session.get("admin_seen", 0)) > IDLE_SECONDS:
        end_session()
        flash("超过 30 分钟没有操作，已自动退出，请重新登录。", "warning")
        return redirect(url_for("admin.login"))
    found = admin_sessions.live(session.get("admin_sid"), account_id)
    account = found[0] if found else None
    if account is None or not account.active or account.session_epoch != session.get("admin_epoch"):
        end_session()
        flash("登录已失效，请重新登录。", "warning")
        return redirect(url_for("admin.login"))
    session["admin_seen"] = now
    g.account, g.admin_session = found
    g.scope = Scope.of(account)
    if must_enrol_totp(account) and request.endpoint not in ENROL_ENDPOINTS:
        return redirect(url_for("admin.enrol_totp"))
    return None


@admin.after_request
def sensitive_headers(response):
    # Back-office pages hold personal data: never cached. (Never framed, no referrer, no
    # sniffing: app/headers.py, for every page.)
    response.headers["Cache-Control"] = "no-store"
    return response


@admin.app_context_processor
def admin_globals():
    return {
        "admin_menu": menu,
        "can": lambda permission: bool(g.get("account")) and allowed(g.account.role, permission),
        "has_view": lambda endpoint: endpoint in current_app.view_functions,
    }


def permission_required(permission: str):
    """Refuse the view (403) unless the signed-in account's role has ``permission``."""
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not allowed(g.account.role, permission):
                abort(403, description=f"你的角色不能{PERMISSIONS[permission]}。")
            return view(*args, **kwargs)

        return wrapper

    return decorate
