"""Who is who to the new head when a household's head changes."""

from __future__ import annotations

# relation to the old head → relation to the new head, keyed by the new head's relation to the
# old head. Anything not listed becomes 其他 and a cadre can correct it.
_WHEN_SPOUSE_TAKES_OVER = {
    "子": "子", "女": "女", "儿媳": "儿媳", "女婿": "女婿", "孙子": "孙子", "孙女": "孙女",
}  # fmt: skip
_WHEN_CHILD_TAKES_OVER = {
    "子": "兄弟姐妹", "女": "兄弟姐妹", "孙子": "子", "孙女": "女", "父亲": "祖父", "母亲": "祖母",
}  # fmt: skip
# Relations to the head that come in married pairs: each one's partner.
_PARTNER = {
    "户主": "配偶", "配偶": "户主", "父亲": "母亲", "母亲": "父亲", "祖父": "祖母", "祖母": "祖父",
    "子": "儿媳", "儿媳": "子", "女": "女婿", "女婿": "女",
}  # fmt: skip
_NOT_MARRIED = ("未婚", "离异", "丧偶")


def _parent_word(gender: str) -> str:
    return "父亲" if gender == "男" else "母亲"


def relation_to_new_head(member, old_head, new_head) -> str:
    """Best guess of ``member``'s relation to ``new_head``, from relations to ``old_head``."""
    if member is new_head:
        return "户主"
    if new_head is old_head:  # e.g. the head splits off with his family: nothing changes
        return member.relation
    via = new_head.relation
    if member is old_head:
        if via == "配偶":
            return "配偶"
        if via in ("子", "女"):
            return _parent_word(old_head.gender)
        return "其他"
    rel = member.relation
    if via == "配偶":
        return _WHEN_SPOUSE_TAKES_OVER.get(rel, "其他")
    if via in ("子", "女"):
        if rel == "配偶":
            return _parent_word(member.gender)
        if (via, rel) in (("子", "儿媳"), ("女", "女婿")):
            return "配偶"
        return _WHEN_CHILD_TAKES_OVER.get(rel, "其他")
    return "其他"


def relations_for_new_head(members, old_head, new_head) -> dict[int, str]:
    """Every member's relation to ``new_head`` (villager id → relation).

    When a child takes over and a brother or sister may also be married, a daughter-in-law (or
    grandchild) might belong to either; those become 其他 for a cadre to correct rather than
    giving the new head two wives.
    """
    result = {m.id: relation_to_new_head(m, old_head, new_head) for m in members}
    via = new_head.relation if new_head is not old_head else None
    if via in ("子", "女"):
        married_siblings = [
            m for m in members if m is not new_head and m.relation in ("子", "女") and m.marital_status != "未婚"
        ]
        in_laws = [m for m in members if m.relation == _PARTNER[via]]
        spouse_sure = (
            len(in_laws) == 1
            and new_head.marital_status not in _NOT_MARRIED
            and not any(m.relation == via for m in married_siblings)
        )
        for m in members:
            if (m in in_laws and not spouse_sure) or (m.relation in ("孙子", "孙女") and married_siblings):
                result[m.id] = "其他"
    return result


def widowed_by(deceased, others) -> list:
    """Who is left widowed when ``deceased`` dies, when the register says so unambiguously."""
    partner = _PARTNER.get(deceased.relation)
    if partner is None or deceased.marital_status in _NOT_MARRIED:
        return []
    candidates = [m for m in others if m.relation == partner and m.marital_status not in _NOT_MARRIED]
    rivals = [m for m in others if m.relation == deceased.relation and m.marital_status not in _NOT_MARRIED]
    return candidates if len(candidates) == 1 and not rivals else []


def spouse_relation(partner_relation: str) -> str:
    """Relation to the head of someone who marries into the household."""
    if partner_relation == "户主":
        return "配偶"
    if partner_relation == "子":
        return "儿媳"
    if partner_relation == "女":
        return "女婿"
    return "其他"
