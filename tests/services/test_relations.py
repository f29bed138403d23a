"""Who is who to the new head: the rules behind change of head, split and widowhood."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from app.services.relations import relation_to_new_head, relations_for_new_head, spouse_relation, widowed_by

_ids = itertools.count(1)


def p(name: str, relation: str, gender: str, married: str | None = None) -> SimpleNamespace:
    return SimpleNamespace(id=next(_ids), name=name, relation=relation, gender=gender, marital_status=married)


def family(*extra):
    members = [
        p("刘建华", "户主", "男", "已婚"), p("王秀英", "配偶", "女", "已婚"), p("刘建国", "父亲", "男", "已婚"),
        p("张桂兰", "母亲", "女", "已婚"), p("刘强", "子", "男", "已婚"), p("李梅", "儿媳", "女", "已婚"),
        p("刘小宝", "孙子", "男", "未婚"), p("刘芳", "女", "女", "未婚"), *extra,
    ]  # fmt: skip
    return {m.name: m for m in members}


def new_relations(people: dict, new_head: str) -> dict[str, str]:
    members = list(people.values())
    result = relations_for_new_head(members, people["刘建华"], people[new_head])
    return {m.name: result[m.id] for m in members}


def test_eldest_son_takes_over():
    assert new_relations(family(), "刘强") == {
        "刘建华": "父亲", "王秀英": "母亲", "刘建国": "祖父", "张桂兰": "祖母", "刘强": "户主", "李梅": "配偶",
        "刘小宝": "子", "刘芳": "兄弟姐妹",
    }  # fmt: skip


def test_wife_takes_over():
    assert new_relations(family(), "王秀英") == {
        "刘建华": "配偶", "王秀英": "户主", "刘建国": "其他", "张桂兰": "其他", "刘强": "子", "李梅": "儿媳",
        "刘小宝": "孙子", "刘芳": "女",
    }  # fmt: skip


def test_daughter_takes_over_with_her_husband():
    people = family(p("赵军", "女婿", "男", "已婚"))
    people["刘芳"].marital_status = "已婚"
    result = new_relations(people, "刘芳")
    assert (result["赵军"], result["刘建华"], result["王秀英"], result["刘强"]) == ("配偶", "父亲", "母亲", "兄弟姐妹")
    assert result["李梅"] == "其他"  # her brother's wife


def test_head_keeping_his_role_keeps_everyone_s_relation():
    people = family()
    head = people["刘建华"]
    assert {m.name: relation_to_new_head(m, head, head) for m in people.values()} == {
        m.name: m.relation for m in people.values()
    }


def test_two_married_sons_leave_the_wives_and_grandchildren_to_the_cadre():
    result = new_relations(family(p("刘勇", "子", "男", "已婚"), p("陈红", "儿媳", "女", "已婚")), "刘强")
    assert result["李梅"] == result["陈红"] == result["刘小宝"] == "其他"
    assert result["刘勇"] == "兄弟姐妹"
    assert list(result.values()).count("配偶") == 0


def test_an_unmarried_new_head_gets_no_wife():
    people = family()
    people["刘强"].marital_status = "未婚"
    assert new_relations(people, "刘强")["李梅"] == "其他"


def test_a_grandson_taking_over_leaves_the_rest_to_the_cadre():
    result = new_relations(family(), "刘小宝")
    assert result["刘小宝"] == "户主" and set(result.values()) == {"户主", "其他"}


@pytest.mark.parametrize(
    "who, widowed",
    [("刘建华", ["王秀英"]), ("王秀英", ["刘建华"]), ("刘强", ["李梅"]), ("李梅", ["刘强"]), ("刘建国", ["张桂兰"]),
     ("刘芳", []), ("刘小宝", [])],
)  # fmt: skip
def test_who_is_widowed(who, widowed):
    people = family()
    others = [m for m in people.values() if m.name != who]
    assert [m.name for m in widowed_by(people[who], others)] == widowed


def test_no_widow_guessed_when_the_register_cannot_tell():
    people = family(p("刘勇", "子", "男", "已婚"), p("陈红", "儿媳", "女", "已婚"))
    others = [m for m in people.values() if m.name != "刘强"]
    assert widowed_by(people["刘强"], others) == []
    divorced = family()
    divorced["刘建华"].marital_status = "离异"
    assert widowed_by(divorced["刘建华"], list(divorced.values())[1:]) == []


@pytest.mark.parametrize("partner, relation", [("户主", "配偶"), ("子", "儿媳"), ("女", "女婿"), ("孙子", "其他")])
def test_spouse_marrying_in(partner, relation):
    assert spouse_relation(partner) == relation
