"""Field checks shared by every way data enters the register (forms, CLI, import, API).

Each check returns the cleaned value or raises ``ValidationError`` with a plain Chinese message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from app.errors import ValidationError
from app.services import clock

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# GB/T 2260 province codes.
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82".split()
)
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_LANDLINE = re.compile(r"0[0-9]{2,3}-[0-9]{7,8}")
MAX_AGE = 120


def _ascii(raw: str | None) -> str:
    """Full-width digits, letters and dashes (as Chinese input methods type them) → ASCII, no spaces."""
    value = unicodedata.normalize("NFKC", raw or "")
    return re.sub(r"\s", "", value).replace("\u2014", "-").replace("\u2013", "-")


def id_check_digit(first17: str) -> str:
    """GB 11643 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def birth_date_from_id(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def gender_from_id(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def clean_id_number(raw: str, *, today: date | None = None) -> str:
    """18 characters, a real province, a plausible birth date, the right check digit."""
    value = _ascii(raw).upper()
    if len(value) != 18:
        raise ValidationError(f"身份证号应为18位，现在是{len(value)}位，请核对。", field="id_number")
    if not re.fullmatch(r"[0-9]{17}[0-9X]", value):
        raise ValidationError("身份证号前17位只能是数字，最后一位是数字或X。", field="id_number")
    if value[:2] not in _PROVINCES:
        raise ValidationError("身份证号开头的地区码不对，请核对。", field="id_number")
    try:
        born = birth_date_from_id(value)
    except ValueError:
        raise ValidationError("身份证号里的出生日期不是真实日期，请核对。", field="id_number") from None
    today = today or clock.today()
    if born > today:
        raise ValidationError("身份证号里的出生日期在今天之后，请核对。", field="id_number")
    if _age(born, today) > MAX_AGE:
        raise ValidationError(f"身份证号里的出生日期算下来超过{MAX_AGE}岁，请核对。", field="id_number")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError("身份证号最后一位（校验位）对不上，可能有数字抄错了，请核对。", field="id_number")
    return value


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def clean_phone(raw: str) -> str:
    """A mainland mobile number (11 digits) or a landline written as 区号-号码."""
    value = _ascii(raw)
    if value.startswith("+86"):
        value = value[3:]
    digits = value.replace("-", "")
    if _MOBILE.fullmatch(digits):
        return digits
    if _LANDLINE.fullmatch(value):
        return value
    raise ValidationError(
        "电话号码不对：手机号是1开头的11位数字；座机请写成“区号-号码”，例如 0737-7221234。",
        field="phone",
    )


def clean_choice(value: str | None, choices, label: str, field: str, *, required: bool = False):
    """A value from a fixed list, or None when optional and empty."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError(f"请填写{label}。", field=field)
        return None
    if value not in choices:
        raise ValidationError(f"{label}只能是：{'、'.join(choices)}。", field=field)
    return value


def clean_text(value: str | None, label: str, field: str, *, max_len: int, required: bool = False):
    """Trimmed text within a length limit."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError(f"请填写{label}。", field=field)
        return None
    if len(value) > max_len:
        raise ValidationError(f"{label}太长了，最多{max_len}个字。", field=field)
    return value


def clean_name(value: str | None) -> str:
    name = clean_text(value, "姓名", "name", max_len=32, required=True)
    if re.search(r"[\d<>{}\\/\[\]@#$%^&*=+|]", name):
        raise ValidationError("姓名里不能有数字或符号。", field="name")
    odd = _unprintable_in_name(name)
    if odd:
        # Like a slogan's missing glyphs: an emoji prints as an empty box on the plaque and the
        # register's paper forms, and a name is how the township checks a person against 户籍.
        raise ValidationError(f"姓名里有表情或特殊符号：{odd}，请只用汉字、字母和间隔号“·”。", field="name")
    return name


def _unprintable_in_name(name: str) -> str:
    """The characters of a name that are symbols (emoji and the like), invisible or control ones."""
    odd = []
    for char in name:
        kind = unicodedata.category(char)
        selector = "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"
        if kind[0] in "SC" or selector:
            odd.append(char)
    return "".join(dict.fromkeys(odd))


def clean_past_date(value: date | str | None, label: str, field: str, *, today: date | None = None) -> date:
    """A date that is not in the future (accepts ``YYYY-MM-DD`` text)."""
    if value is None or value == "":
        raise ValidationError(f"请填写{label}。", field=field)
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(f"{label}格式不对，请写成 2026-05-01 这样的日期。", field=field) from None
    if isinstance(value, datetime):
        value = value.date()
    today = today or clock.today()
    if value > today:
        raise ValidationError(f"{label}不能晚于今天。", field=field)
    if value.year < 1900:
        raise ValidationError(f"{label}不合理，请核对。", field=field)
    return value
