"""Template field values fitted to the platform's per-type limits."""

from __future__ import annotations

import pytest

from wechat.fields import fit, template_data


@pytest.mark.parametrize(
    "key, value, expected",
    [
        ("thing1", "一二三四五六七八九十一二三四五六七八九十", "一二三四五六七八九十一二三四五六七八九十"),
        ("thing1", "一二三四五六七八九十一二三四五六七八九十多", "一二三四五六七八九十一二三四五六七八九…"),
        ("character_string2", "+5分", "+5"),
        ("number3", "共128分", "128"),
        ("phrase4", "已到账啦啦啦", "已到账啦啦"),
        ("date4", "2026年3月7日", "2026年3月7日"),
    ],
)
def test_fields_fit_the_platform_limits(key, value, expected):
    assert fit(key, value) == expected


def test_template_fields_are_capped_at_twenty_characters_whatever_their_type():
    data = template_data({"character_string2": "A" * 40, "name3": "张三"}, cap=20)
    assert data == {"character_string2": {"value": "A" * 20}, "name3": {"value": "张三"}}
