"""What 操作日志 shows a cadre for each stored code: actions, detail keys, coded values, actors.

Rows keep their codes (``points.award``, ``kind: birth``, ``wechat:2``): they are searched by them
and must not change when a label is reworded. Every code a service writes has a Chinese label
here, in one place; tests/admin/test_audit_labels.py writes one row of every action and checks
that no code reaches the page.
"""

from __future__ import annotations

import json
import re

from app.models import AuditLog, PhotoPurpose
from app.privacy import mask_id_number, mask_phone
from app.services import vocab
from app.services.audit_reads import READS
from app.services.permissions import ROLE_NAMES
from app.services.register_timeline import HOUSEHOLD_LABELS, HOUSEHOLD_STATUSES, PERSON_LABELS
from app.services.rules import CAP_PERIODS
from app.services.village_settings import LABELS as SETTINGS_LABELS

ACTIONS = {
    "login": "登录后台",
    "login.password_failed": "登录密码错误",
    "login.totp_failed": "动态验证码错误",
    "account.create": "新建后台账号",
    "account.enable": "启用后台账号",
    "account.disable": "停用后台账号",
    "account.locked": "账号因多次输错被锁定",
    "account.password": "修改自己的密码",
    "account.password_reset": "重置账号密码",
    "account.totp_on": "开启动态验证码",
    "account.totp_off": "关闭动态验证码",
    "account.totp_reset": "重置动态验证码",
    "points.award": "加分",
    "points.deduct": "扣分",
    "points.reversal": "冲正积分",
    "rules.create": "新建积分细则",
    "rules.update": "修改积分细则",
    "rules.activate": "启用积分细则",
    "rules.deactivate": "停用积分细则",
    "register.household_new": "新建户",
    "register.household_edit": "修改户籍资料",
    "register.villager_edit": "修改村民资料",
    "register.event": "登记人口变动",
    "register.import": "导入名册",
    "register.export": "导出名册",
    "register.reveal": "查看完整号码",
    "archive.upload": "上传档案照片",
    "archive.retire": "作废档案照片",
    "archive.view": "查看档案照片",
    "visits.create": "登记走访",
    "visits.export": "导出走访记录",
    "code.reissue": "更换户码",
    "plaques.print_village": "打印全村门牌",
    "settings.update": "修改村务设置",
    "identity.bind": "村民绑定微信",
    "identity.bind_failed": "微信绑定核对不符",
    "identity.bind_locked": "微信绑定尝试过多被暂停",
    "identity.request": "村民申请绑定微信",
    "identity.approve": "通过微信绑定申请",
    "identity.reject": "驳回微信绑定申请",
    "identity.member_chosen": "为绑定申请选定家庭成员",
    "identity.unbind": "解除微信绑定",
    "privacy.rotate_keys": "更换个人信息加密密钥",
    "demo.identities": "生成演示用微信身份",
    **READS,
}

DETAIL_LABELS = {
    **PERSON_LABELS,
    **HOUSEHOLD_LABELS,
    **SETTINGS_LABELS,
    "before": "修改前", "after": "修改后", "reason": "原因", "role": "角色", "points": "分值", "household": "户号",
    "ip": "IP 地址", "rows": "行数", "revoked": "作废户码数", "households": "户数", "photos": "照片数",
    "identity": "微信身份", "method": "方式", "failures": "失败次数", "request": "申请", "replaced_by": "替换为",
    "rule_id": "细则", "villager": "村民", "account": "账号", "active": "启用", "people": "人数",
    "kind": "类别", "app": "微信入口", "fields": "查看内容", "reverses": "冲正的记录", "item": "细则项目",
    "category": "类别", "cap_points": "上限分值", "cap_period": "上限周期", "evidence_required": "必须附佐证照片",
    "photo_ids": "照片", "skipped_duplicates": "重复未存照片数", "villager_id": "村民", "household_id": "所在户",
    "filters": "筛选条件", "village_id": "村", "date_from": "开始日期", "date_to": "结束日期",
    "household_number": "户号", "visitor": "走访人", "number": "户号", "id": "编号",
}  # fmt: skip

# Coded values, by the detail key they are written under.
VALUES = {
    "kind": {**vocab.EVENT_KINDS, PhotoPurpose.ID_CARD: "身份证", PhotoPurpose.HOUSEHOLD_REGISTER: "户口簿",
             "award": "加分", "deduct": "扣分", "reversal": "冲正"},  # fmt: skip
    "method": {"id": "姓名和身份证后6位", "phone": "户码和手机号"},
    "app": {"oa": "公众号", "mp": "小程序"},
    "fields": {"id_number": "身份证号", "phone": "手机号"},
    "role": ROLE_NAMES,
    "cap_period": CAP_PERIODS,
    "status": {**vocab.PERSON_STATUSES, **HOUSEHOLD_STATUSES},
}
_ID_LIKE = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_MOBILE_LIKE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_WECHAT_ACTOR = re.compile(r"wechat:(\d+)")


def action_label(action: str) -> str:
    """The action in words; a code this table does not know yet is shown as "其他操作", never raw."""
    return ACTIONS.get(action, "其他操作")


def actor_label(actor: str) -> str:
    """Cadres are stored by name; a villager acting through WeChat as ``wechat:<identity id>``."""
    found = _WECHAT_ACTOR.fullmatch(actor or "")
    return f"村民（微信身份 {found.group(1)} 号）" if found else actor


def _masked(text: str) -> str:
    """Whatever a service wrote, an ID or mobile number never reaches the page whole."""
    text = _ID_LIKE.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILE_LIKE.sub(lambda m: mask_phone(m.group()), text)


def _value(key: str, value) -> str:
    words = VALUES.get(key, {})
    if isinstance(value, str) and value in words:
        return words[value]
    if isinstance(value, list):
        return "、".join(_value(key, v) for v in value) or "（空）"
    if isinstance(value, dict):
        return "；".join(f"{DETAIL_LABELS.get(k, k)}：{_value(k, v)}" for k, v in value.items())
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "":
        return "（空）"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return _masked(text)


def detail_lines(row: AuditLog) -> list[tuple[str, str]]:
    """The row's detail as (label, value) pairs for the page."""
    return [(DETAIL_LABELS.get(key, key), _value(key, value)) for key, value in (row.detail or {}).items()]
