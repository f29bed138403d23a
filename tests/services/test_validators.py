"""Field checks: every bad ID number, phone or choice gets its own plain Chinese message."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.errors import ValidationError
from app.services import clock, vocab
from app.services.validators import (
    clean_choice,
    clean_id_number,
    clean_name,
    clean_past_date,
    clean_phone,
    clean_text,
)

TODAY = date(2026, 5, 1)


def with_check(first17: str) -> str:
    """GB 11643 check character, computed from the standard's formula (not the app's table)."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    c = (12 - total % 11) % 11
    return first17 + ("X" if c == 10 else str(c))


def id_for(born: date | str, region: str = "430923", seq: str = "123") -> str:
    born = born if isinstance(born, str) else f"{born:%Y%m%d}"
    return with_check(f"{region}{born}{seq}")


def wrong_check(number: str) -> str:
    """The same number with any other check character."""
    return number[:17] + next(c for c in "0123456789X" if c != number[17])


def rejects(func, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        func(*args, **kwargs)
    return caught.value


# --- ID numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("11010519491231002X", "11010519491231002X"),  # the example printed in GB 11643 itself
        ("11010519491231002x", "11010519491231002X"),  # typed with a lowercase x
        (" 110105 19491231 002X ", "11010519491231002X"),  # spaces as copied from a card
        ("１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),  # full-width, as some input methods type
        (id_for("19900101"), id_for("19900101")),
    ],
)
def test_valid_id_numbers_are_accepted_and_normalised(raw, expected):
    assert clean_id_number(raw, today=TODAY) == expected


def test_every_check_character_including_x_is_accepted():
    seen = set()
    for seq in range(100, 160):
        number = id_for(date(1985, 7, 9), seq=str(seq))
        assert clean_id_number(number, today=TODAY) == number
        seen.add(number[-1])
    assert seen == set("0123456789X")


@pytest.mark.parametrize(
    "raw, message",
    [
        ("43092319900101123", "身份证号应为18位，现在是17位"),
        ("4309231990010112345", "身份证号应为18位，现在是19位"),
        ("", "身份证号应为18位，现在是0位"),
        ("43092319900101A234", "前17位只能是数字"),
        ("4309231990010112Y4", "前17位只能是数字"),
        ("43092319900101123Y", "前17位只能是数字"),
        (id_for("19900101", region="000923"), "开头的地区码不对"),
        (id_for("19900101", region="990923"), "开头的地区码不对"),
        (id_for("19990230"), "出生日期不是真实日期"),
        (id_for("19901301"), "出生日期不是真实日期"),
        (id_for("20260502"), "出生日期在今天之后"),
        (id_for("19050501"), "超过120岁"),
    ],
)
def test_bad_id_numbers_get_a_specific_message(raw, message):
    error = rejects(clean_id_number, raw, today=TODAY)
    assert message in error.message
    assert error.field == "id_number"


def test_wrong_check_digit_is_caught():
    error = rejects(clean_id_number, wrong_check(id_for("19900101")), today=TODAY)
    assert "校验位" in error.message and "抄错" in error.message


def test_one_mistyped_digit_is_caught_by_the_check_digit():
    good = id_for("19900101")
    typo = good[:15] + str((int(good[15]) + 1) % 10) + good[16:]  # a sequence digit; the date stays real
    assert "校验位" in rejects(clean_id_number, typo, today=TODAY).message


def test_messages_are_distinct_so_the_cadre_knows_what_to_fix():
    samples = ["4309231990", "43092319900101A234", id_for("19900101", region="000923"), id_for("19990230"),
               id_for("20260502"), id_for("19050501"), wrong_check(id_for("19900101"))]  # fmt: skip
    messages = {rejects(clean_id_number, s, today=TODAY).message for s in samples}
    assert len(messages) == len(samples)


def test_age_limit_is_exactly_120_years():
    assert clean_id_number(id_for("19060501"), today=TODAY)  # 120 today
    assert clean_id_number(id_for("19050502"), today=TODAY)  # 120, 121 tomorrow
    assert "超过120岁" in rejects(clean_id_number, id_for("19050501"), today=TODAY).message


def test_a_baby_born_today_is_fine_and_tomorrow_is_not():
    today = clock.today()
    assert clean_id_number(id_for(today)) == id_for(today)
    assert "今天之后" in rejects(clean_id_number, id_for(today + timedelta(days=1))).message


# --- phones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13812345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        (" 138-1234-5678 ", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        ("19912345678", "19912345678"),
        ("0737-7221234", "0737-7221234"),
        ("010-12345678", "010-12345678"),
        ("0737－7221234", "0737-7221234"),  # full-width dash
    ],
)
def test_good_phones_are_accepted_and_normalised(raw, expected):
    assert clean_phone(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "12812345678",  # no mobile network starts 12
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "23812345678",
        "07377221234",  # landline without the dash: area code unknowable
        "0737-722123",  # local number too short
        "737-7221234",  # area code must start with 0
        "138abcd5678",
        "电话13812345678",
        "+86",
    ],
)
def test_bad_phones_are_rejected_with_the_message(raw):
    error = rejects(clean_phone, raw)
    assert "电话号码不对" in error.message and "0737-7221234" in error.message
    assert error.field == "phone"


# --- choices, text, names, dates --------------------------------------------------------------


def test_choice_accepts_listed_values_trimmed():
    assert clean_choice(" 女 ", vocab.GENDERS, "性别", "gender") == "女"
    assert clean_choice("中共党员", vocab.POLITICAL_STATUSES, "政治面貌", "political_status") == "中共党员"


def test_choice_rejects_others_and_lists_what_is_allowed():
    error = rejects(clean_choice, "male", vocab.GENDERS, "性别", "gender")
    assert error.message == "性别只能是：男、女。"
    assert error.field == "gender"


def test_choice_optional_empty_is_none_required_empty_asks():
    assert clean_choice("  ", vocab.HEALTH, "健康状况", "health") is None
    assert clean_choice(None, vocab.HEALTH, "健康状况", "health") is None
    assert rejects(clean_choice, "", vocab.GENDERS, "性别", "gender", required=True).message == "请填写性别。"


def test_text_is_trimmed_and_limited():
    assert clean_text("  村口老樟树下  ", "住址", "address", max_len=8) == "村口老樟树下"
    assert clean_text("一" * 8, "住址", "address", max_len=8) == "一" * 8
    error = rejects(clean_text, "一" * 9, "住址", "address", max_len=8)
    assert error.message == "住址太长了，最多8个字。"
    assert clean_text("   ", "住址", "address", max_len=8) is None
    assert rejects(clean_text, " ", "户号", "number", max_len=8, required=True).message == "请填写户号。"


def test_names_reject_digits_and_symbols():
    assert clean_name(" 刘建华 ") == "刘建华"
    assert clean_name("阿依古丽·买买提") == "阿依古丽·买买提"
    for bad in ("刘建华1", "<script>", "刘@华"):
        assert rejects(clean_name, bad).message == "姓名里不能有数字或符号。"
    assert rejects(clean_name, "").message == "请填写姓名。"


def test_names_with_emoji_are_refused_like_slogans_with_unprintable_characters():
    for bad, shown in (("刘小宝😀", "😀"), ("李❤️梅", "❤"), ("王\u200b华", "\u200b"), ("张👨\u200d👩\u200d👧", "👨")):
        error = rejects(clean_name, bad)
        assert error.message.startswith("姓名里有表情或特殊符号：") and shown in error.message, bad
        assert error.field == "name"
    assert clean_name("欧阳㵘") == "欧阳㵘"  # a rare character is a real name, not a symbol
    assert clean_name("Anna Li") == "Anna Li"


def test_past_dates():
    today = clock.today()
    assert clean_past_date("2026-01-05", "发生日期", "occurred_on", today=TODAY) == date(2026, 1, 5)
    assert clean_past_date(today, "发生日期", "occurred_on") == today
    assert clean_past_date(datetime(2026, 1, 5, 8, 30), "发生日期", "occurred_on", today=TODAY) == date(2026, 1, 5)
    assert rejects(clean_past_date, today + timedelta(days=1), "发生日期", "x").message == "发生日期不能晚于今天。"
    assert "格式不对" in rejects(clean_past_date, "2026/01/05", "发生日期", "x").message
    assert rejects(clean_past_date, None, "发生日期", "x").message == "请填写发生日期。"
    assert "不合理" in rejects(clean_past_date, "1899-12-31", "发生日期", "x").message
