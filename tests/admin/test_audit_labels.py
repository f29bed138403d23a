"""操作日志 in Chinese: one row of every action the code can write, with the detail keys its
call writes and coded values, rendered for an admin; no code (``points.award``, ``kind：birth``,
``方式：phone``, ``wechat:2``, a role code) may reach the page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from app.extensions import db
from app.models import AuditLog
from app.services import audit_search
from app.services.audit_labels import ACTIONS, VALUES
from app.services.audit_reads import READS
from app.services.permissions import ROLE_NAMES
from tests.helpers import make_household, make_village

ROOT = Path(__file__).resolve().parents[2]
# The f-string actions and what their placeholder can be (a new f-string fails the test below).
TEMPLATES = {
    "login.{what}_failed": ("login.password_failed", "login.totp_failed"),
    "points.{entry.kind}": ("points.award", "points.deduct", "points.reversal"),
}


def _function_strings(func: ast.AST, name: str) -> set[str]:
    """Strings a variable ``name`` can hold inside ``func``: its default and what is assigned to it."""
    found = set()
    args = func.args
    positional = args.args[len(args.args) - len(args.defaults):]
    for arg, default in zip(positional + args.kwonlyargs, args.defaults + args.kw_defaults, strict=True):
        if arg.arg == name and isinstance(default, ast.Constant):
            found.add(default.value)
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == name for t in node.targets):
            found |= {c.value for c in ast.walk(node.value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


def written_actions() -> tuple[set[str], dict[str, set[str]]]:
    """Every action ``audit.record`` (or ``record_read``, ``bind(action=…)``, or a row dict for
    ``audit.record_many``) can write, and the
    detail keys each call writes, read from the source."""
    actions, keys = set(READS), {}
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("wechat/**/*.py"), *ROOT.glob("tasks/**/*.py")]:
        tree = ast.parse(path.read_text())
        funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        for func in funcs:
            for row in (n for n in ast.walk(func) if isinstance(n, ast.Dict)):  # audit.record_many's rows
                fields = {k.value: v for k, v in zip(row.keys, row.values, strict=True) if isinstance(k, ast.Constant)}
                if not {"actor", "action"} <= fields.keys():
                    continue
                arg = fields["action"]
                names = {arg.value} if isinstance(arg, ast.Constant) else set(TEMPLATES[ast.unparse(arg)[2:-1]])
                actions |= names
                detail = fields.get("detail")
                for action in names:
                    if isinstance(detail, ast.Dict):
                        keys.setdefault(action, set()).update(k.value for k in detail.keys if isinstance(k, ast.Constant))
            for call in (n for n in ast.walk(func) if isinstance(n, ast.Call)):
                callee = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
                for kw in call.keywords:  # bind(..., action="identity.approve")
                    if callee == "bind" and kw.arg == "action" and isinstance(kw.value, ast.Constant):
                        actions.add(kw.value.value)
                if callee != "record" or len(call.args) < 2 or "audit" not in ast.unparse(call.func) + path.stem:
                    continue
                arg = call.args[1]
                if isinstance(arg, ast.Constant):
                    names = {arg.value}
                elif isinstance(arg, ast.JoinedStr):
                    names = set(TEMPLATES[ast.unparse(arg)[2:-1]])
                else:
                    names = _function_strings(func, arg.id)
                assert names, f"{path}:{call.lineno}: cannot tell which action this writes"
                actions |= names
                for action in names:
                    keys.setdefault(action, set()).update(k.arg for k in call.keywords if k.arg not in (None, "target", "village_id"))
    return actions, keys


def _sample(key: str):
    """A value as services write it for ``key``: a code where the key has coded values."""
    if key in VALUES:
        return next(iter(VALUES[key]))
    if key in ("before", "after"):
        return {"status": "current", "category": "一般户", "cap_period": "month", "health": "健康", "duty_phone": "13807371234"}
    if key == "filters":
        return {"village_id": 1, "kind": "走访", "date_from": "2026-03-01"}
    if key in ("fields", "photo_ids"):
        return ["id_number", "phone"] if key == "fields" else [1, 2]
    return 3


def test_the_source_scan_finds_the_actions_we_know_are_written():
    actions, _ = written_actions()
    for known in ("points.award", "points.reversal", "login.totp_failed", "account.disable", "identity.approve",
                  "identity.bind", "rules.deactivate", "register.event", "read.villager"):  # fmt: skip
        assert known in actions, known


def test_every_action_the_code_writes_has_a_chinese_label():
    actions, _ = written_actions()
    missing = sorted(a for a in actions if a not in ACTIONS)
    assert not missing, missing


@pytest.fixture
def village(db):
    return make_village()


def test_the_audit_log_shows_no_code_to_a_cadre(client, village, auth, monkeypatch):
    monkeypatch.setattr(audit_search, "PAGE_SIZE", 500)  # every row on one page
    household = make_household(village, "0101")
    actions, keys = written_actions()
    for action in sorted(actions):
        detail = {key: _sample(key) for key in sorted(keys.get(action, ()))}
        db.session.add(AuditLog(actor="wechat:2" if action.startswith("identity.") else "测试干部(ganbu)",
                                action=action, target=f"household:{household.id}", village_id=village.id, detail=detail))  # fmt: skip
    for kind in VALUES["kind"]:  # every coded kind, one row each
        db.session.add(AuditLog(actor="测试", action="register.event", village_id=village.id, detail={"kind": kind}))
    db.session.add(AuditLog(actor="测试", action="account.create", village_id=village.id, detail={"role": "group_leader"}))
    db.session.commit()
    auth.login(village, "village_admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    table = html[html.index("<table"):html.index("</table>")]
    text = re.sub(r"<[^>]+>", " ", table)
    for action in actions:  # every action's row is on the page, in words
        assert ACTIONS[action] in text, action
    assert not re.findall(r"\b[a-z_]+\.[a-z_]+\b", text), "action codes on the page"
    assert not re.findall(r"[A-Za-z_]{2,}：", text), "English detail keys on the page"
    assert "wechat:" not in text
    for code in (*ROLE_NAMES, "birth", "move_in", "phone", "id_number", "current", "month", "award", "deduct", "oa", "hukou"):
        assert not re.search(rf"(?<![A-Za-z_]){code}(?![A-Za-z_])", text), code
