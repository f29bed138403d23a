"""Reads of personal data on the record (A3, 等保 2.0 安全审计).

Every back-office page that shows a person's health, political status, household category, ID or
phone number (masked or not), or the notes of visits to a household, writes one audit row for the
view: who (the account), what (the kind of page, ``read.*``), whom (every person and household on
the page, in ``audit_subjects``) and when. A list of 30 people costs the same as one person: one
INSERT into ``audit_log`` and one multi-row INSERT naming them, never a statement per person.

A page that spans several villages (a town admin's list) writes one row per village, each naming
that village's people, so each village's own log is complete for the cadres who may read it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import insert, select

from app.extensions import db
from app.models import AuditLog, AuditSubject, Household, Villager
from app.services.scope import Scope

# What each kind of read is called in 操作日志.
READS = {
    "read.villagers": "查看村民名单",
    "read.villager": "查看村民资料",
    "read.villager_edit": "打开村民修改页",
    "read.households": "查看户籍名单",
    "read.household": "查看户籍资料",
    "read.household_edit": "打开户籍修改页",
    "read.people_found": "查找村民",
    "read.visit_list": "查看走访列表",
    "read.visit": "查看走访记录",
    "read.household_visits": "查看一户的走访记录",
}
NAMES_SHOWN = 3  # names spelled out in the log's summary; the rest are counted


def record_read(
    actor: str,
    action: str,
    *,
    villagers: Iterable[Villager] = (),
    households: Iterable[Household] = (),
    target: str | None = None,
) -> None:
    """Put one page view on the record and commit it. A page that shows nobody records nothing.

    Call it once the page is rendered: the commit expires the loaded rows, and the page is only
    sent once its read is durable."""
    if action not in READS:
        raise KeyError(action)
    subjects: dict[int, list[tuple[str, int]]] = {}
    for kind, items in (("household", households), ("villager", villagers)):
        for item in items:
            subjects.setdefault(item.village_id, []).append((kind, item.id))
    if not subjects:
        return
    rows = {
        village_id: AuditLog(
            actor=actor,
            action=action,
            target=target,
            village_id=village_id,
            detail=_counts(named),
        )
        for village_id, named in subjects.items()
    }
    db.session.add_all(rows.values())
    db.session.flush()  # one INSERT for all rows (with their ids)
    lines = {
        (rows[village_id].id, kind, ident) for village_id, named in subjects.items() for kind, ident in named
    }  # a set: a person shown twice on one page is named once
    db.session.execute(
        insert(AuditSubject).values([{"audit_id": a, "kind": k, "subject_id": i} for a, k, i in sorted(lines)])
    )
    db.session.commit()


def _counts(named: list[tuple[str, int]]) -> dict[str, int]:
    counts = {"people": sum(k == "villager" for k, _ in named), "households": sum(k == "household" for k, _ in named)}
    return {key: n for key, n in counts.items() if n}


def naming(kind: str, ids: Iterable[int]):
    """Audit rows whose page showed any of these people (``kind="villager"``) or households."""
    return AuditLog.id.in_(
        select(AuditSubject.audit_id).where(AuditSubject.kind == kind, AuditSubject.subject_id.in_(list(ids)))
    )


def _listed(names: list[str], unit: str) -> str:
    if len(names) <= NAMES_SHOWN:
        return "、".join(names)
    return f"{'、'.join(names[:NAMES_SHOWN])}等 {len(names)} {unit}"


def summaries(scope: Scope, rows: list[AuditLog]) -> dict[int, str]:
    """``查看村民名单：刘建华、王芳、李四等 25 人`` for each read row on one page of the log; names
    are looked up in the reader's scope (three queries for the whole page)."""
    reads = {row.id for row in rows if row.action in READS}
    if not reads:
        return {}
    shown: dict[int, list[tuple[str, int]]] = {}
    for audit_id, kind, ident in db.session.execute(
        select(AuditSubject.audit_id, AuditSubject.kind, AuditSubject.subject_id)
        .where(AuditSubject.audit_id.in_(reads))
        .order_by(AuditSubject.audit_id, AuditSubject.kind, AuditSubject.subject_id)
    ):
        shown.setdefault(audit_id, []).append((kind, ident))
    pairs_shown = [pair for pairs in shown.values() for pair in pairs]
    wanted = {kind: {i for k, i in pairs_shown if k == kind} for kind in ("villager", "household")}
    people = dict(
        db.session.execute(
            scope.villagers_query()
            .with_only_columns(Villager.id, Villager.name)
            .where(Villager.id.in_(wanted["villager"] or [-1]))
        ).all()
    )
    homes = dict(
        db.session.execute(
            scope.households_query()
            .with_only_columns(Household.id, Household.number)
            .where(Household.id.in_(wanted["household"] or [-1]))
        ).all()
    )
    out = {}
    for row in rows:
        if row.id not in reads:
            continue
        pairs = shown.get(row.id, [])
        parts = [
            _listed([f"{homes.get(i, f'{i}号')}户" for k, i in pairs if k == "household"], "户"),
            _listed([people.get(i, f"村民 {i}号") for k, i in pairs if k == "villager"], "人"),
        ]
        out[row.id] = f"{READS[row.action]}：{'，'.join(p for p in parts if p)}"
    return out
