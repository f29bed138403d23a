"""The register as Excel (R7): the columns, the blank import template, and reading a filled one back.

The template's ``户`` and ``人`` sheets carry only a header row, so whatever a cadre types from row 2
on is data; the worked example lives on the ``说明`` sheet, which the import never reads.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.errors import ValidationError
from app.services import vocab

HOUSEHOLD_SHEET = "户"
PEOPLE_SHEET = "人"
GUIDE_SHEET = "说明"
TEMPLATE_ROWS = 2000  # rows that get the drop-downs; typing below them still imports
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BYTES = 5 * 1024 * 1024
MAX_PEOPLE = 5000
MAX_UNZIPPED = 60 * 1024 * 1024  # a 5 MB xlsx that inflates past this is not a register
MAX_SHEET_ROWS = 20000  # rows read per sheet, blank ones included
NOT_XLSX = "这个文件不是 Excel 表格（.xlsx），或者文件已经损坏。请用本页“下载导入模板”得到的表格填写后上传。"


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    note: str = ""
    required: bool = False
    choices: tuple[str, ...] = ()
    text: bool = False  # formatted as text so Excel keeps leading zeros and all 18 ID digits
    width: int = 12


HOUSEHOLD_COLUMNS = (
    Column("户号", "number", "必填。本村唯一，如 0101001。已有的户号不能再导入。", True, text=True),
    Column("组号", "group_number", "必填。村民小组的编号，1 到 99 的数字。", True, width=8),
    Column("住址", "address", "如 大苍村一组12号。", width=24),
    Column("户类别", "category", "从下拉中选；不填按“一般户”。", choices=vocab.HOUSEHOLD_CATEGORIES),
    Column("人居环境", "living_environment", "从下拉中选。", choices=vocab.LIVING_ENVIRONMENTS),
    Column("住房结构", "housing", "从下拉中选。", choices=vocab.HOUSING),
    Column("家风家训", "motto", "会印在门牌上，最多 255 个字。", width=30),
)
PERSON_COLUMNS = (
    Column("户号", "household_number", "必填。和“户”表里这一户的户号一样。", True, text=True),
    Column("姓名", "name", "必填。", True, width=10),
    Column("与户主关系", "relation", "必填，从下拉中选。每户必须有且只有一行是“户主”。", True, vocab.RELATIONS),
    Column("性别", "gender", "填了身份证号可以不填。", choices=vocab.GENDERS, width=8),
    Column("出生日期", "birth_date", "如 1968-05-04；填了身份证号可以不填。", text=True),
    Column("身份证号", "id_number", "18 位，最后一位可以是 X。同一个人不能登记两次。", text=True, width=22),
    Column("手机号", "phone", "11 位手机号，或“区号-号码”的座机。", text=True, width=15),
    Column("民族", "ethnicity", "不填按“汉族”。", width=8),
    Column("文化程度", "education", "从下拉中选。", choices=vocab.EDUCATIONS),
    Column("政治面貌", "political_status", "从下拉中选。", choices=vocab.POLITICAL_STATUSES),
    Column("健康状况", "health", "从下拉中选。", choices=vocab.HEALTH),
    Column("技能特长", "skills", "如 泥瓦匠、种茶。", width=16),
    Column("务工状态", "work_status", "从下拉中选。", choices=vocab.WORK_STATUSES),
    Column("务工地点", "work_place", "如 长沙、广东东莞。", width=14),
)

_HEADER_FILL = PatternFill("solid", fgColor="E2EFDA")
_REQUIRED_FILL = PatternFill("solid", fgColor="FCE4D6")
_BOLD = Font(bold=True)

_EXAMPLE_HOUSEHOLD = ("0101001", 1, "大苍村一组12号", "一般户", "整洁", "砖混", "勤俭持家，和睦邻里")
_EXAMPLE_PEOPLE = (
    ("0101001", "刘建华", "户主", "男", "1968-05-04", "43092319680504001X", "13807371234", "汉族", "初中", "中共党员",
     "健康", "泥瓦匠", "在家务农", ""),
    ("0101001", "王秀英", "配偶", "女", "1970-02-11", "", "", "汉族", "小学", "群众", "慢性病", "", "在家务农", ""),
    ("0101001", "刘小军", "子", "男", "1995-09-20", "430923199509200035", "13907375678", "汉族", "大专", "共青团员",
     "健康", "电工", "务工", "广东东莞"),
)  # fmt: skip


def template_bytes() -> bytes:
    """The blank import template: 户 and 人 sheets with header notes and drop-downs, and 说明."""
    book = Workbook()
    book.remove(book.active)
    _input_sheet(book.create_sheet(HOUSEHOLD_SHEET), HOUSEHOLD_COLUMNS)
    _input_sheet(book.create_sheet(PEOPLE_SHEET), PERSON_COLUMNS)
    _guide_sheet(book.create_sheet(GUIDE_SHEET))
    return save_workbook(book)


def _input_sheet(sheet, columns: tuple[Column, ...]) -> None:
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=column.header)
        cell.font = _BOLD
        cell.fill = _REQUIRED_FILL if column.required else _HEADER_FILL
        cell.comment = Comment(column.note, "村务通", width=220, height=90)
        dimension = sheet.column_dimensions[letter]
        dimension.width = column.width
        if column.text:
            dimension.number_format = "@"
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        if column.choices:
            check = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
            check.error, check.errorTitle = f"{column.header}只能从下拉里选：{'、'.join(column.choices)}", "填写有误"
        elif column.field == "group_number":
            check = DataValidation(type="whole", operator="between", formula1="1", formula2="99", allow_blank=True)
            check.error, check.errorTitle = "组号是 1 到 99 的整数。", "填写有误"
        else:
            continue
        check.showErrorMessage = True
        check.add(cells)
        sheet.add_data_validation(check)


def _guide_sheet(sheet) -> None:
    lines = [
        "村务通 户籍导入模板 · 填写说明",
        "1. 在“户”表每行填一户，在“人”表每行填一个人；从第 2 行开始填，第 1 行的表头不要改。",
        "2. 每户在“人”表里必须有且只有一行“与户主关系”是“户主”。",
        "3. 户号在本村不能重复；已经在系统里的户号不能再导入（导入只新建，不修改已有的户）。",
        "4. 身份证号、户号、手机号请按文本填写（模板里这几列已设为文本），否则 Excel 会把身份证号后几位变成 0。",
        "5. 表头带浅橙色的列必须填；鼠标停在表头上可以看到每一列的填法。",
        "6. 上传后系统先检查每一行，有任何一行不对，整份文件都不会导入，并会告诉您是哪个表第几行。",
        "",
        "下面是示例（只在本说明页，不会被导入）：",
    ]
    for line in lines:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["示例 · “户”表"])
    sheet.append([c.header for c in HOUSEHOLD_COLUMNS])
    sheet.append(list(_EXAMPLE_HOUSEHOLD))
    sheet.append([])
    sheet.append(["示例 · “人”表"])
    sheet.append([c.header for c in PERSON_COLUMNS])
    for row in _EXAMPLE_PEOPLE:
        sheet.append(list(row))
    sheet.column_dimensions["A"].width = 14
    for row in sheet.iter_rows(min_row=len(lines) + 1):
        for cell in row:
            cell.alignment = Alignment(vertical="top")


@dataclass(frozen=True)
class Row:
    number: int  # the row number Excel shows
    values: dict


def read_sheets(raw: bytes) -> tuple[list[Row], list[Row]]:
    """The data rows of 户 and 人; refuses anything that is not an xlsx by its content."""
    if not raw:
        raise ValidationError("没有收到文件，请选择要导入的 Excel 文件。", field="file")
    if len(raw) > MAX_BYTES:
        raise ValidationError(f"文件太大了（超过 {MAX_BYTES // 1024 // 1024} MB），请分成几个文件导入。", field="file")
    if raw.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError("这是旧版 Excel（.xls）文件。请在 Excel 里“另存为”.xlsx 格式后再上传。", field="file")
    if not raw.startswith(b"PK\x03\x04"):  # every xlsx is a zip archive
        raise ValidationError(NOT_XLSX, field="file")
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNZIPPED:
                raise ValidationError("这个表格解压后太大了，请只保留“户”“人”两个表的数据再上传。", field="file")
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except ValidationError:
        raise
    except Exception:  # openpyxl raises many kinds for a broken or foreign file; all mean the same to a cadre
        raise ValidationError(NOT_XLSX, field="file") from None
    try:
        return _rows(book, HOUSEHOLD_SHEET, HOUSEHOLD_COLUMNS), _rows(book, PEOPLE_SHEET, PERSON_COLUMNS)
    finally:
        book.close()


def _rows(book, name: str, columns: tuple[Column, ...]) -> list[Row]:
    sheet = next((book[s] for s in book.sheetnames if s.strip() == name), None)
    if sheet is None:
        raise ValidationError(f"文件里没有“{name}”工作表。请用本页“下载导入模板”得到的表格填写。", field="file")
    lines = sheet.iter_rows(values_only=True)
    header = [str(v).strip().rstrip("*＊") if v is not None else "" for v in next(lines, ())]
    where = {c.field: header.index(c.header) for c in columns if c.header in header}
    missing = [c.header for c in columns if c.required and c.field not in where]
    if missing:
        raise ValidationError(f"“{name}”表第 1 行缺少“{'”“'.join(missing)}”列，请不要改动模板的表头。", field="file")
    rows: list[Row] = []
    for number, line in enumerate(lines, start=2):
        if number > MAX_SHEET_ROWS:
            raise ValidationError(f"“{name}”表超过 {MAX_SHEET_ROWS} 行，请分成几个文件导入。", field="file")
        values = {f: _text(line[i]) if i < len(line) else None for f, i in where.items()}
        if any(v is not None for v in values.values()):
            rows.append(Row(number, values))
            if len(rows) > MAX_PEOPLE:
                raise ValidationError(
                    f"“{name}”表超过 {MAX_PEOPLE} 行，一次最多导入 {MAX_PEOPLE} 人，请分开导入。", field="file"
                )
    return rows


def _text(value) -> str | None:
    """A cell as the text a cadre meant: 1001 (a number) is "1001", a date is "1968-05-04". An ID
    number Excel turned into a number shows as "4.30923196805041e+17" and is reported as such."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = str(value).strip()
    return text or None


def save_workbook(book: Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
