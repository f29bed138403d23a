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


def _parent_word(gender: str) -> str:
    return "父亲" if gender == "男" else "母亲"


def relation_to_new_head(member, old_head, new_head) -> str:
    """Best guess of ``member``'s relation to ``new_head``, from relations to ``old_head``."""
    if member is new_head:
        return "户主"
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


def spouse_relation(partner_relation: str) -> str:
    """Relation to the head of someone who marries into the household."""
    if partner_relation == "户主":
        return "配偶"
    if partner_relation == "子":
        return "儿媳"
    if partner_relation == "女":
        return "女婿"
    return "其他"
