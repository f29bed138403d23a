"""Importing the register from the Excel template (R7): dry run, row-level errors, one transaction."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, text

from app.errors import Conflict, ValidationError
from app.extensions import db as _db
from app.models import AuditLog, Household, RegisterEvent, Villager
from app.services import register_import
from app.services import register_import_files as files
from app.services import register_workbook as sheets
from app.services.people import find_by_id_number
from tests.helpers import make_household, make_id_number, make_village


def workbook_bytes(households: list[dict], people: list[dict], *, base: bytes | None = None) -> bytes:
    """The downloaded template filled in the way a cadre would: row 2 onwards, by header."""
    book = load_workbook(io.BytesIO(base or sheets.template_bytes()))
    for name, rows in ((sheets.HOUSEHOLD_SHEET, households), (sheets.PEOPLE_SHEET, people)):
        sheet = book[name]
        headers = [cell.value for cell in sheet[1]]
        for r, row in enumerate(rows, start=2):
            for key, value in row.items():
                sheet.cell(row=r, column=headers.index(key) + 1, value=value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def good_rows() -> tuple[list[dict], list[dict]]:
    """Two households, five people; the kinds of cells cadres really type (第3组, 1990/3/2 …)."""
    houses = [
        {"户号": "0301001", "组号": 3, "住址": "三组1号", "户类别": "脱贫户", "人居环境": "整洁", "住房结构": "砖混",
         "家风家训": "耕读传家"},
        {"户号": "0301002", "组号": "第3组"},
    ]  # fmt: skip
    people = [
        {"户号": "0301001", "姓名": "李守田", "与户主关系": "户主", "身份证号": make_id_number(date(1966, 3, 8)),
         "手机号": "13807370001", "文化程度": "初中", "务工状态": "在家务农"},
        {"户号": "0301001", "姓名": "张桂兰", "与户主关系": "配偶", "身份证号": make_id_number(date(1969, 7, 1), male=False)},
        {"户号": "0301001", "姓名": "李春生", "与户主关系": "子", "性别": "男", "出生日期": "1992/3/2",
         "务工状态": "务工", "务工地点": "广东东莞"},
        {"户号": "0301002", "姓名": "王福来", "与户主关系": "户主", "身份证号": make_id_number(date(1958, 11, 23))},
        {"户号": "0301002", "姓名": "王小梅", "与户主关系": "孙女", "性别": "女", "出生日期": date(2015, 6, 1)},
    ]  # fmt: skip
    return houses, people


def _count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def village(db):
    return make_village()


def _messages(plan) -> list[str]:
    return [str(e) for e in plan.errors]


def test_template_has_both_sheets_notes_drop_downs_and_an_example_that_is_never_imported(village):
    raw = sheets.template_bytes()
    book = load_workbook(io.BytesIO(raw))
    assert book.sheetnames == ["户", "人", "说明"]
    people = book["人"]
    assert [c.value for c in people[1]] == [c.header for c in sheets.PERSON_COLUMNS]
    assert "户主" in people["C1"].comment.text
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in people.data_validations.dataValidation}
    assert "户主" in lists["C2"] and "中共党员" in lists["J2"]
    assert people.max_row == 1 and book["户"].max_row == 1  # nothing but the header
    assert "示例" in " ".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    plan = register_import.plan_import(village, raw)
    assert not plan.ok and _messages(plan) == ["“户”表：没有填任何一户。"]


def test_a_filled_template_is_previewed_then_written_in_one_go(village, db):
    houses, people = good_rows()
    raw = workbook_bytes(houses, people)
    plan, token = register_import.upload(1, village, "名册.xlsx", raw)
    assert plan.ok, _messages(plan)
    assert (len(plan.households), plan.people) == (2, 5)
    assert _count(Household) == 0, "the dry run writes nothing"
    pending = files.find(1, token)
    assert files.read(pending) == raw
    assert raw not in pending.data_path.read_bytes(), "the waiting file is encrypted"

    counts, created = register_import.confirm(pending, village, actor="村干部甲")
    assert created and counts == {"households": 2, "people": 5}
    first = _db.session.scalar(select(Household).where(Household.number == "0301001"))
    assert first.group.number == 3 and first.category == "脱贫户" and first.motto == "耕读传家"
    assert first.head.name == "李守田" and len(first.members) == 3
    second = _db.session.scalar(select(Household).where(Household.number == "0301002"))
    assert second.group.number == 3 and second.category == "一般户"
    son = _db.session.scalar(select(Villager).where(Villager.name == "李春生"))
    assert son.birth_date == date(1992, 3, 2) and son.work_place == "广东东莞"
    # ID numbers are stored encrypted and found through the keyed hash.
    head_id = people[0]["身份证号"]
    stored = _db.session.execute(text("SELECT id_number FROM villagers WHERE name = '李守田'")).scalar()
    assert stored and head_id not in stored
    assert find_by_id_number(head_id).name == "李守田"
    assert _count(RegisterEvent) == 2
    row = _db.session.scalar(select(AuditLog).where(AuditLog.action == "register.import"))
    assert row.actor == "村干部甲" and row.detail == {"households": 2, "people": 5}
    assert not pending.data_path.exists() and not pending.claimed_path.exists(), "personal data is not kept"


def test_one_bad_check_digit_names_the_row_and_nothing_is_kept(village):
    houses, people = good_rows()
    good = people[3]["身份证号"]
    people[3]["身份证号"] = good[:-1] + ("1" if good[-1] == "0" else "0")
    plan, token = register_import.upload(1, village, "名册.xlsx", workbook_bytes(houses, people))
    assert token is None and plan.households == []
    assert len(plan.errors) == 1
    assert str(plan.errors[0]).startswith("人 表第 5 行（王福来）：身份证号最后一位（校验位）对不上")
    assert _count(Household) == 0


def test_a_household_needs_exactly_one_head(village):
    houses, people = good_rows()
    people[3]["与户主关系"] = "父亲"  # 0301002 now has no head
    people[1]["与户主关系"] = "户主"  # 0301001 now has two
    plan = register_import.plan_import(village, workbook_bytes(houses, people))
    assert _messages(plan) == [
        "户 表第 3 行：户号“0301002”在“人”表里没有户主（与户主关系填“户主”的一行）。",
        "人 表第 3 行：户号“0301001”有 2 个户主（第 2、3 行），一户只能有一个。",
    ]


def test_duplicate_id_numbers_in_the_file_and_unknown_households(village):
    houses, people = good_rows()
    people[4] |= {"身份证号": people[3]["身份证号"], "性别": None, "出生日期": None}
    people.append({"户号": "0309999", "姓名": "赵无家", "与户主关系": "子", "性别": "男"})
    plan = register_import.plan_import(village, workbook_bytes(houses, people))
    assert _messages(plan) == [
        "人 表第 6 行（王小梅）：身份证号和第 5 行的人重复了，同一个人不能登记两次。",
        "人 表第 7 行（赵无家）：户号“0309999”在“户”表里没有，请先在“户”表填这一户。",
    ]


def test_existing_household_numbers_and_registered_people_are_refused(village):
    existing = make_household(village, "0301001")
    houses, people = good_rows()
    people[3]["身份证号"] = existing.head.id_number
    plan = register_import.plan_import(village, workbook_bytes(houses, people))
    assert _messages(plan) == [
        "户 表第 2 行：户号“0301001”在大苍村已经有了。导入只新建户，不修改已有的户。",
        "人 表第 5 行（王福来）：这个身份证号已经登记在册了，同一个人不能登记两次。",
    ]
    # The same number in another village is no clash.
    other = make_village("小坪村")
    assert register_import.plan_import(other, workbook_bytes(*good_rows())).ok


def test_cells_excel_mangles_are_explained(village):
    houses, people = good_rows()
    houses[1]["组号"] = "三组"
    people[0]["身份证号"] = 4.30923196603081e17  # what Excel makes of an ID typed into a number cell
    people[2]["与户主关系"] = None
    plan = register_import.plan_import(village, workbook_bytes(houses, people))
    assert _messages(plan) == [
        "户 表第 3 行：组号请填 1 到 99 的数字，例如 3。",
        "人 表第 2 行（李守田）：身份证号被 Excel 存成了数字，后几位已经丢失；请把这一列设为“文本”后重新输入。",
        "人 表第 4 行（李春生）：请填写与户主关系。",
    ]


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "不是 Excel 表格"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "旧版 Excel（.xls）"),
        (b"", "没有收到文件"),
        (b"PK\x03\x04" + b"\0" * (sheets.MAX_BYTES), "文件太大了"),
    ],
)
def test_files_that_are_not_a_template_are_refused_in_chinese(village, raw, words):
    with pytest.raises(ValidationError) as refused:
        register_import.upload(1, village, "x.xlsx", raw)
    assert words in refused.value.message


def test_a_zip_that_is_not_a_workbook_or_lacks_a_sheet_is_refused(village):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(ValidationError, match="不是 Excel 表格"):
        register_import.plan_import(village, buffer.getvalue())
    book = load_workbook(io.BytesIO(sheets.template_bytes()))
    del book["人"]
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ValidationError, match="文件里没有“人”工作表"):
        register_import.plan_import(village, out.getvalue())


def test_too_many_people_is_refused_before_checking(village, monkeypatch):
    monkeypatch.setattr(sheets, "MAX_PEOPLE", 3)
    with pytest.raises(ValidationError, match="一次最多导入 3 人"):
        register_import.plan_import(village, workbook_bytes(*good_rows()))


def test_confirming_twice_writes_once(village):
    _, token = register_import.upload(7, village, "名册.xlsx", workbook_bytes(*good_rows()))
    pending = files.find(7, token)
    assert register_import.confirm(pending, village, actor="甲")[1] is True
    counts, created = register_import.confirm(files.find(7, token), village, actor="甲")
    assert created is False and counts == {"households": 2, "people": 5}
    assert (_count(Household), _count(Villager)) == (2, 5)
    assert register_import.state(pending, village).done == counts


def test_a_confirmation_racing_another_is_refused(village):
    _, token = register_import.upload(7, village, "名册.xlsx", workbook_bytes(*good_rows()))
    pending = files.find(7, token)
    assert files.claim(pending) is not None  # the other request holds the file
    with pytest.raises(Conflict, match="正在导入"):
        register_import.confirm(pending, village, actor="甲")
    assert register_import.state(pending, village).busy
    assert _count(Household) == 0


def test_confirm_checks_again_and_writes_nothing_if_the_register_changed(village):
    _, token = register_import.upload(7, village, "名册.xlsx", workbook_bytes(*good_rows()))
    make_household(village, "0301002")  # someone registered the same number meanwhile
    pending = files.find(7, token)
    with pytest.raises(ValidationError, match="什么都没有写入"):
        register_import.confirm(pending, village, actor="甲")
    assert _count(Household) == 1
    shown = register_import.state(pending, village)
    assert [str(e) for e in shown.plan.errors] == [
        "户 表第 3 行：户号“0301002”在大苍村已经有了。导入只新建户，不修改已有的户。"
    ]


def test_tokens_belong_to_their_account_and_expire(village, monkeypatch):
    from app.errors import NotFound

    _, token = register_import.upload(7, village, "名册.xlsx", workbook_bytes(*good_rows()))
    for account, guess in ((8, token), (7, "../../etc/passwd"), (7, "A" * 22)):
        with pytest.raises(NotFound):
            files.find(account, guess)
    monkeypatch.setattr(files, "KEEP_SECONDS", -1)
    with pytest.raises(NotFound, match="重新上传"):
        files.find(7, token)
