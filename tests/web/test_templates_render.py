"""Villager templates render from plain dicts: no database, no app factory.

A tiny Flask app points at the real template and static folders so `url_for('static', ...)`
works exactly as in the app.
"""

from __future__ import annotations

import copy
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Blueprint, Flask, render_template

from app.static_files import init_static

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = REPO / "app" / "templates"
STATIC = REPO / "app" / "static"

SLOGAN = "乡村振兴强国梦 美丽大苍在行动"


@pytest.fixture(scope="module")
def app():
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder=str(STATIC))
    app.config["TESTING"] = True
    init_static(app, {})  # the templates' inline_css and versioned static URLs
    # The villager pages link to each other (rules, binding, 我的): stand-ins build those URLs.
    web = Blueprint("web", __name__)
    for rule, endpoint in (("/h/<code>", "household"), ("/h/<code>/rules", "rules"), ("/me", "me"),
                           ("/me/bind", "me_bind")):  # fmt: skip
        web.add_url_rule(rule, endpoint, lambda **_: "")
    app.register_blueprint(web)
    return app


def render(app, name, *, keep_style=False, **context):
    """The page's HTML; without the inlined style sheet unless asked (its class names would
    count as the page's own)."""
    with app.test_request_context("/h/abc"):
        html = render_template(name, **context)
    return html if keep_style else re.sub(r"<style>.*?</style>", "<style></style>", html, flags=re.S)


def entry(**kw):
    base = {
        "date": "2026-11-03",
        "place": "村部广场",
        "reason": "参加义务大扫除",
        "category": "环境卫生",
        "points": 5,
        "member": "刘况男",
        "kind": "award",
        "reversed": False,
    }
    base.update(kw)
    return base


SAMPLE = {
    "code": "Xk3pQ9zrAbCd",
    "village": {"name": "大苍村", "town": "冷市镇", "county": "安化县", "slogan": SLOGAN},
    "household": {
        "number": "0307",
        "group": "第3组",
        "head_name": "刘况男",
        "motto": "勤俭持家，孝老爱亲",
        "honours": ["道德模范之家", "最美庭院"],
    },
    "totals": {"month": 35, "year": 412, "all": 1268},
    "period_labels": {"month": "11月", "year": "2026年"},
    "ranks": {
        "month": {"group": 1, "group_size": 24, "village": 5, "village_size": 436},
        "year": {"group": 3, "group_size": 24, "village": 17, "village_size": 436},
    },
    "members": [
        {"name": "刘况男", "relation": "户主", "month": 20, "year": 210, "all": 640},
        {"name": "王桂英", "relation": "妻子", "month": 15, "year": 202, "all": 628},
    ],
    "history": {
        "items": [
            entry(),
            entry(date="2026-11-02", place=None, reason="门前垃圾未清理", points=-3, member=None, kind="deduct"),
            entry(date="2026-10-28", reason="看望孤寡老人", category="孝老爱亲", points=10, reversed=True),
            entry(date="2026-10-29", place=None, reason="撤销：重复登记", points=-10, kind="reversal"),
            entry(date="2026-10-20", reason="捐书<script>alert(1)</script>", points=8),
        ],
        "page": 2,
        "pages": 5,
        "total": 43,
    },
}


def sample(**changes):
    view = copy.deepcopy(SAMPLE)
    for key, value in changes.items():
        view[key] = value
    return view


def text_of(html: str) -> str:
    """Visible text with tags removed and whitespace collapsed (what a villager reads)."""

    class P(HTMLParser):
        def __init__(self):
            super().__init__()
            self.parts = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in ("head", "style", "script"):
                self.skip += 1

        def handle_endtag(self, tag):
            if tag in ("head", "style", "script"):
                self.skip -= 1

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    p = P()
    p.feed(html)
    return re.sub(r"\s+", " ", "".join(p.parts))


def assert_no_script(html: str):
    assert "<script" not in html.lower()
    # no inline event handlers on any tag
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I)
    assert "javascript:" not in html.lower()


# --------------------------------------------------------------------------- base


def test_base_links_local_assets_and_is_mobile_first(app):
    html = render(app, "web/household.html", keep_style=True, **sample())
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport"' in html and "width=device-width" in html
    assert "user-scalable=no" not in html  # elderly users must be able to zoom
    # No style sheet to fetch before the first paint: the villager sheet is inline, WeUI is gone.
    assert 'rel="stylesheet"' not in html and "weui.min.css" not in html
    assert (STATIC / "css" / "villager.css").read_text(encoding="utf-8") in html
    # No CDN, no outside links (the inline icons' SVG namespace is a name, not a link).
    assert not re.search(r"""(href|src)=["']?https?:|url\(["']?https?:""", html)
    assert_no_script(html)


def test_villager_css_is_small_and_large_type():
    css = (STATIC / "css" / "villager.css").read_bytes()
    # Every villager page carries it inline (WeUI's few rules and the onward links): under 10 KB raw,
    # about 3 KB on the wire.
    assert len(css) < 10 * 1024
    m = re.search(r"body\.v-body\{[^}]*font-size:(\d+)px", css.decode())
    assert m and int(m.group(1)) >= 18


# ---------------------------------------------------------------------- household


def test_household_page_shows_plaque_totals_ranks_members(app):
    html = render(app, "web/household.html", **sample())
    text = text_of(html)

    assert SLOGAN in html
    assert "0307号" in text and "第3组" in text and "刘况男" in text
    assert "家风家训" in text and "勤俭持家，孝老爱亲" in text
    assert "道德模范之家" in text and "最美庭院" in text
    assert "大苍村 0307号 刘况男家" in html  # <title>

    # three household totals with their period labels
    assert "我家积分" in text
    for label in ("本月（11月）", "本年（2026年）", "累计"):
        assert label in text
    for number in ("35", "412", "1268"):
        assert re.search(rf'class="v-total__num">{number}<', html)

    # ranks, both periods; contiguous in the HTML too
    assert "组内第3名 / 共24户" in html
    assert "村内第17名 / 共436户" in html
    assert "组内第1名 / 共24户" in html
    assert "村内第5名 / 共436户" in html
    assert text.index("本年（2026年） 组内第3名") < text.index("本月（11月） 组内第1名")

    # members table
    assert "<table" in html
    assert "王桂英 妻子 15 202 628" in text
    assert "刘况男 户主 20 210 640" in text
    assert_no_script(html)


def test_history_entries_signs_dates_and_markers(app):
    html = render(app, "web/household.html", **sample())
    text = text_of(html)

    assert "积分记录（共43条）" in text
    assert "参加义务大扫除" in text
    assert "2026年11月3日 · 村部广场" in text
    assert 'datetime="2026-11-03"' in html
    assert "环境卫生 · 刘况男" in text
    assert "环境卫生 · 全家" in text  # no member: the whole household

    assert re.search(r'v-entry__points v-plus">\+5<', html)
    assert re.search(r'v-entry__points v-minus">−3<', html)

    # reversed original: struck through and marked; the reversing entry labelled 更正
    assert "<s>看望孤寡老人</s>" in html
    assert "已撤销" in text
    assert "<s>+10</s>" in html
    assert html.count("已撤销") == 1
    assert "更正 撤销：重复登记" in text
    assert html.count("v-tag_fix") == 1


def test_user_text_is_escaped(app):
    view = sample()
    view["household"]["motto"] = '<img src=x onerror="alert(1)">家和'
    view["household"]["honours"] = ["<b>荣誉</b>"]
    view["members"][0]["name"] = "<i>刘</i>"
    view["history"]["items"][0]["place"] = '"><script>alert(2)</script>'
    html = render(app, "web/household.html", **view)

    assert "捐书&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;家和" in html
    assert "&lt;b&gt;荣誉&lt;/b&gt;" in html
    assert "&lt;i&gt;刘&lt;/i&gt;" in html
    assert "&#34;&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>" not in html and "<i>" not in html
    assert_no_script(html)


def test_pagination_middle_page(app):
    html = render(app, "web/household.html", **sample())
    text = text_of(html)
    assert "第2页/共5页" in text
    assert 'href="?page=1#history"' in html and "上一页" in text
    assert 'href="?page=3#history"' in html and "下一页" in text
    assert 'id="history"' in html


def test_pagination_first_and_last_page_have_no_dead_links(app):
    first = sample()
    first["history"]["page"] = 1
    html = render(app, "web/household.html", **first)
    assert "第1页/共5页" in text_of(html)
    assert "?page=0" not in html
    assert 'href="?page=2#history"' in html

    last = sample()
    last["history"]["page"] = 5
    html = render(app, "web/household.html", **last)
    assert "第5页/共5页" in text_of(html)
    assert "?page=6" not in html
    assert 'href="?page=4#history"' in html


def test_no_pagination_for_a_single_page(app):
    view = sample()
    view["history"].update(page=1, pages=1, total=5)
    html = render(app, "web/household.html", **view)
    assert "?page=" not in html
    assert "上一页" not in html and "下一页" not in html and "共1页" not in html


def test_empty_household_is_friendly(app):
    view = sample(
        members=[],
        totals={"month": 0, "year": 0, "all": 0},
        ranks={
            "month": {"group": 0, "group_size": 24, "village": 0, "village_size": 436},
            "year": {"group": 0, "group_size": 24, "village": 0, "village_size": 436},
        },
        history={"items": [], "page": 1, "pages": 0, "total": 0},
    )
    view["household"].update(motto=None, honours=[])
    html = render(app, "web/household.html", **view)
    text = text_of(html)
    assert "还没有积分记录" in text
    assert "暂无成员信息" in text
    assert "组内暂无排名" in text and "村内暂无排名" in text
    assert "家风家训" not in text  # no empty motto frame
    assert "v-honours" not in html
    assert "None" not in text
    assert "?page=" not in html
    assert_no_script(html)


def test_odd_date_is_shown_as_given(app):
    view = sample()
    view["history"]["items"] = [entry(date="2026-11")]
    html = render(app, "web/household.html", **view)
    assert "2026-11" in text_of(html)


# ----------------------------------------------------------------- replaced / 404


def test_replaced_page_has_no_household_data(app):
    html = render(app, "web/replaced.html", village_name="大苍村")
    text = text_of(html)
    assert "这块门牌二维码已更换" in text
    assert "新门牌" in text
    assert "大苍村村委会" in text
    assert_no_script(html)

    # even if a careless view passed household data along, none of it shows
    leaky = render(app, "web/replaced.html", village_name="大苍村", **sample())
    for secret in ("0307", "刘况男", "勤俭持家", "道德模范之家", "1268", "王桂英", "Xk3pQ9zrAbCd"):
        assert secret not in leaky


def test_replaced_page_without_village(app):
    html = render(app, "web/replaced.html", village_name=None)
    text = text_of(html)
    assert "这块门牌二维码已更换" in text
    assert "请问村委会" in text
    assert "None" not in text


def test_not_found_page(app):
    html = render(app, "web/not_found.html")
    text = text_of(html)
    assert "没有找到这户人家" in text
    assert "村委会" in text
    assert "二维码" in text
    assert '<html lang="zh-CN">' in html
    assert_no_script(html)
