"""Synthetic Chinese names: surnames common in Hunan (and 谌, typical of 安化), given names drawn
from character pools that follow how rural naming fashions changed by birth cohort and gender."""

from __future__ import annotations

import random

# (surname, weight): the weights are rough Hunan frequencies, not census figures.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("刘", 10), ("李", 8), ("陈", 7), ("王", 7), ("张", 6), ("黄", 6), ("周", 5), ("曾", 5),
    ("罗", 5), ("谢", 4), ("彭", 4), ("肖", 4), ("谭", 4), ("邓", 4), ("唐", 4), ("胡", 4),
    ("杨", 4), ("贺", 3), ("何", 3), ("吴", 3), ("谌", 3), ("夏", 2), ("易", 2), ("龚", 2),
    ("蒋", 2), ("廖", 2), ("文", 2), ("石", 2), ("邹", 2), ("熊", 2), ("袁", 2), ("朱", 2),
    ("龙", 1), ("姚", 1), ("梁", 1), ("钟", 1), ("卢", 1), ("戴", 1), ("粟", 1), ("伍", 1),
    ("晏", 1), ("蔡", 1), ("丁", 1), ("严", 1), ("孙", 1), ("欧阳", 1),
)  # fmt: skip
_SURNAME_VALUES = tuple(s for s, _ in SURNAMES)
_SURNAME_WEIGHTS = tuple(w for _, w in SURNAMES)

# cohort → gender → (first characters, second characters, single-character names, share single)
_POOLS: dict[str, dict[str, tuple[str, str, str, float]]] = {
    "old": {  # born before 1955
        "男": ("德国福贵长春桂海金汉松炳光树运连佑庚绍正秋云", "生林成明安和山清华元发泉云祥初来喜堂奇良", "", 0.0),
        "女": ("桂秀玉翠菊淑春月冬满凤金腊银梅香素润", "英兰娥香珍莲华秀梅花芝娇妹桃姑", "", 0.0),
    },
    "mid": {  # 1955–1974
        "男": ("建国志新卫立红跃正文光爱永明胜学利小政伟", "国军平华民强明东兵林良辉斌球清武峰忠雄", "伟勇军斌", 0.08),
        "女": ("红丽海春秀爱桂美小金冬艳凤玉建", "梅华英兰燕芳平珍霞莲娟琼容群", "艳芳英", 0.08),
    },
    "young": {  # 1975–1994
        "男": (
            "志文建俊伟家海振明晓宇少国永鹏浩",
            "勇斌鹏杰峰涛亮超辉强军波华龙飞磊俊",
            "磊鹏浩杰俊涛强亮勇超伟军波斌龙",
            0.3,
        ),
        "女": ("丽晓小海春雪美慧雅思玉嘉佳", "娟婷敏燕静琴霞丹慧莉芳娜萍玲", "丽娟婷敏燕静琴霞丹慧莉芳娜", 0.3),
    },
    "new": {  # 1995 and later
        "男": (
            "子浩宇俊梓博一睿思明嘉皓奕铭天泽晨锦宏家",
            "轩然航熙豪文鸣墨宸阳宇辰哲霖杰安凯瑞诚",
            "睿宇晨浩俊轩",
            0.15,
        ),
        "女": ("梓欣诗雨可思佳语梦一子紫若雅心艺美依", "涵怡桐馨琪瑶诺萱彤琳悦妍菲然雯", "琪瑶妍萱悦", 0.15),
    },
}


def surname(rng: random.Random, *, avoid: str | None = None) -> str:
    """A weighted surname, different from ``avoid`` (for people who married in)."""
    while True:
        s = rng.choices(_SURNAME_VALUES, _SURNAME_WEIGHTS)[0]
        if s != avoid:
            return s


def clan_surnames(rng: random.Random) -> tuple[str, str]:
    """The one or two big surnames of a hamlet: villages in Hunan grew around clans."""
    first = surname(rng)
    return first, surname(rng, avoid=first)


def cohort(birth_year: int) -> str:
    if birth_year < 1955:
        return "old"
    if birth_year < 1975:
        return "mid"
    if birth_year < 1995:
        return "young"
    return "new"


def given_name(rng: random.Random, gender: str, birth_year: int, *, first: str | None = None) -> str:
    """A given name of one or two characters. ``first`` fixes the generation character (字辈)."""
    firsts, seconds, singles, single_share = _POOLS[cohort(birth_year)][gender]
    if first is None and singles and rng.random() < single_share:
        return rng.choice(singles)
    head = first or rng.choice(firsts)
    tail = rng.choice(seconds)
    while tail == head:
        tail = rng.choice(seconds)
    return head + tail


def generation_character(rng: random.Random, gender: str, birth_year: int) -> str | None:
    """Brothers born before 1975 usually share the first character of the given name."""
    if gender != "男" or cohort(birth_year) not in ("old", "mid"):
        return None
    return rng.choice(_POOLS[cohort(birth_year)]["男"][0])


def full_name(
    rng: random.Random, family: str, gender: str, birth_year: int, taken: list[str], *, first: str | None = None
) -> str:
    """A name not already used in the household (``taken``), so events can name people unambiguously."""
    for attempt in range(50):
        name = family + given_name(rng, gender, birth_year, first=first if attempt < 25 else None)
        if name not in taken:
            return name
    raise RuntimeError("could not find a free name")  # pragma: no cover - pools are large
