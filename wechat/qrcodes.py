"""Per-household WeChat codes (H4): the official account's permanent QR and the mini-program code.

Made by the ``codes.create_for_household`` task (queued after a reissue, and for every household
still lacking its codes by the periodic ``codes.create_missing``) and kept in ``WechatCode``: one
row per household code and kind, ``pending`` → ``ready`` | ``failed`` | ``skipped``, and ``revoked``
once the household's code is reissued.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import and_, exists, func, not_, or_, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Household, HouseholdCode, WechatCode
from app.services import codes, dispatch
from wechat import scenes
from wechat.client import WechatError, WechatUnavailable, get_client

KINDS = ("oa_qr", "mp_code")
FINAL = ("ready", "failed")  # a skipped kind is wanted again once the account allows it
MP_PAGE = "pages/household/index"
TASK = "codes.create_for_household"
CAP_ERROR = "公众号永久二维码已达上限（{limit} 个）：微信不再生成新的永久码，门牌请继续用普通二维码。"
PLATFORM_ERRORS = {
    45029: CAP_ERROR,
    40053: "二维码参数不合规（action_info / scene_str 不对）。",
    40129: "小程序码场景值不合规：scene 最多 32 个可见字符，只能用 0-9A-Za-z!#$&'()*+,/:;=?@-._~。",
    40169: "小程序码场景值不合规：scene 最多 32 个可见字符，只能用 0-9A-Za-z!#$&'()*+,/:;=?@-._~。",
    41030: "小程序页面 " + MP_PAGE + " 不存在，或小程序还没有发布这个页面。",
    48001: "账号没有这个接口的权限（带参数二维码要认证服务号）。",
    40013: "AppID 不对，请检查微信配置。",
    40125: "AppSecret 不对，请检查微信配置。",
}


class RetryLater(Exception):
    """The platform is busy (45009) or unreachable: the task tries again later."""


class CodeRefused(Exception):
    """A code we will not (or WeChat would not) make; the reason is recorded on the row."""


def create_for_household(household_id: int, *, retry_failed: bool = False) -> dict[str, str]:
    """Make the household's missing codes; returns {kind: status}, or raises ``RetryLater`` (busy, unreachable)."""
    if not current_app.config.get("WECHAT_ENABLED"):
        return {}
    household = db.session.get(Household, household_id)
    code = codes.active_code(household_id) if household is not None and household.status == "active" else None
    if code is None:
        return {}
    _revoke_stale(household_id, code)
    statuses: dict[str, str] = {}
    for kind in KINDS:  # RetryLater stops here: the other kind would fare no better
        statuses[kind] = _ensure(household_id, code, kind, retry_failed)
    return statuses


def create_missing() -> int:
    """Queue creation for every active household whose current code lacks a wanted kind; returns the count."""
    wanted = [kind for kind in KINDS if skip_reason(kind) is None]
    if not wanted:
        return 0
    done = [
        exists().where(WechatCode.code == HouseholdCode.code, WechatCode.kind == k, WechatCode.status.in_(FINAL))
        for k in wanted
    ]
    ids = db.session.scalars(
        select(Household.id)
        .join(HouseholdCode, and_(HouseholdCode.household_id == Household.id, HouseholdCode.status == "active"))
        .where(Household.status == "active", or_(*[not_(d) for d in done]))
        .order_by(Household.id)
    ).all()
    for household_id in ids:
        dispatch.send(TASK, household_id)
    return len(ids)


def skip_reason(kind: str) -> str | None:
    """Why this deployment does not make ``kind`` codes, or None when it does."""
    config = current_app.config
    if not config.get("WECHAT_ENABLED"):
        return "没有配置微信。"
    if kind == "oa_qr":
        account = config.get("WECHAT_ACCOUNT_TYPE")
        if account != "service_verified":
            return f"公众号类型是 {account}：只有认证服务号能生成带参数二维码，门牌继续用普通二维码。"
        if not (config.get("WECHAT_APPID") and config.get("WECHAT_SECRET")):
            return "没有配置公众号（WECHAT_APPID / WECHAT_SECRET）。"
    elif not (config.get("MP_APPID") and config.get("MP_SECRET")):
        return "没有配置小程序（MP_APPID / MP_SECRET）。"
    return None


def qr_limit() -> int:
    return int(current_app.config.get("WECHAT_QR_LIMIT", 100_000))


def permanent_codes_used() -> int:
    """Permanent codes made so far. Revoked ones count too: WeChat has no way to delete them."""
    return db.session.scalar(
        select(func.count()).select_from(WechatCode).where(WechatCode.kind == "oa_qr", WechatCode.ticket.is_not(None))
    )


def _revoke_stale(household_id: int, code: str) -> None:
    """Safety net for reissues done elsewhere: codes for an old household code are never shown again."""
    stale = db.session.scalars(
        select(WechatCode).where(
            WechatCode.household_id == household_id, WechatCode.code != code, WechatCode.status != "revoked"
        )
    ).all()
    for row in stale:
        row.status = "revoked"
    if stale:
        db.session.commit()


def _ensure(household_id: int, code: str, kind: str, retry_failed: bool) -> str:
    row = db.session.scalar(select(WechatCode).where(WechatCode.code == code, WechatCode.kind == kind))
    if row is not None and (row.status == "ready" or (row.status == "failed" and not retry_failed)):
        return row.status
    reason = skip_reason(kind)
    row = row or _new_row(household_id, code, kind)
    if reason:
        row.status, row.error = "skipped", reason
        db.session.commit()
        return row.status
    try:
        (_create_oa_qr if kind == "oa_qr" else _create_mp_code)(row)
        row.status, row.error = "ready", None
    except CodeRefused as refused:
        row.status, row.error = "failed", str(refused)
    except WechatUnavailable as down:
        _still_pending(row, down.errmsg)
    except WechatError as error:
        if error.retryable:
            _still_pending(row, f"微信限流或繁忙（{error.errcode}），稍后重试。")
        else:
            row.status, row.error = "failed", _explain(error)
    db.session.commit()
    return row.status


def _new_row(household_id: int, code: str, kind: str) -> WechatCode:
    try:
        scene = _scene(kind, code)
    except ValueError:
        scene = code[:64]  # recorded as failed by _check_scene, with the rule it breaks
    row = WechatCode(household_id=household_id, code=code, kind=kind, scene=scene, status="pending")
    db.session.add(row)
    try:
        db.session.commit()
    except IntegrityError:  # another worker made it first; carry on with theirs
        db.session.rollback()
        row = db.session.scalar(select(WechatCode).where(WechatCode.code == code, WechatCode.kind == kind))
    return row


def _still_pending(row: WechatCode, why: str) -> None:
    row.status, row.error = "pending", why
    db.session.commit()
    raise RetryLater(why)


def _scene(kind: str, code: str) -> str:
    return scenes.oa_scene(code) if kind == "oa_qr" else scenes.mp_scene(code)


def _check_scene(row: WechatCode) -> None:
    """Refuse before calling WeChat: a scene it would reject (40169 / 40053) is our mistake, not theirs."""
    try:
        row.scene = _scene(row.kind, row.code)
    except ValueError as bad:
        raise CodeRefused(f"户码“{row.code}”不符合微信场景值规则：{bad}") from None


def _create_oa_qr(row: WechatCode) -> None:
    """生成带参数的二维码 https://developers.weixin.qq.com/doc/offiaccount/Account_Management/Generating_a_Parametric_QR_Code.html"""
    _check_scene(row)
    if permanent_codes_used() >= qr_limit():
        raise CodeRefused(CAP_ERROR.format(limit=qr_limit()))
    result = get_client("oa").qrcode.create(
        {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": row.scene}}}
    )
    if not result.get("ticket") or not result.get("url"):
        raise CodeRefused("微信没有返回二维码的 ticket 和 url。")
    row.ticket, row.url = result["ticket"], result["url"]


def _create_mp_code(row: WechatCode) -> None:
    """获取不限制的小程序码 https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/qrcode-link/qr-code/getUnlimitedQRCode.html"""
    _check_scene(row)
    env_version = current_app.config.get("MP_ENV_VERSION", "release")
    body = {"scene": row.scene, "page": MP_PAGE, "check_path": False, "env_version": env_version}
    answer = get_client("mp").post("/wxa/getwxacodeunlimit", data=body)
    image = getattr(answer, "content", None)
    if not image or not image.startswith((b"\x89PNG", b"\xff\xd8")):
        raise CodeRefused("小程序码接口没有返回图片。")
    row.image = image


def _explain(error: WechatError) -> str:
    known = PLATFORM_ERRORS.get(error.errcode)
    if known:
        return known.format(limit=qr_limit()) + f"（微信错误 {error.errcode}）"
    if error.errcode is None:
        return str(error.errmsg)
    return f"微信返回错误 {error.errcode}：{error.errmsg}"
