"""Household-level facts: hamlets, category, living environment, housing, motto and honours."""

from __future__ import annotations

import random
from datetime import date

from app.services.demo.households import HouseholdDraft

# 大苍村 merged 大同村 and 苍冲村; each villager group lives in one hamlet (屋场).
HAMLETS = (
    "白果树湾", "苍冲", "大同", "石门冲", "枫树坪", "杨家湾", "茶园坡", "竹山冲", "龙塘",
    "高家坳", "桐子湾", "新屋场", "黄泥坳", "樟树坪", "楠木冲", "油麻坪", "凉亭坳", "柳树湾",
)  # fmt: skip

MOTTOS = (
    "孝老爱亲 勤俭持家", "耕读传家 和睦邻里", "诚实守信 勤劳致富", "家和万事兴", "百善孝为先",
    "忠厚传家 诗书继世", "勤俭节约 团结互助", "尊老爱幼 邻里和睦", "读书明理 勤劳立身",
    "清白做人 踏实做事", "严以律己 宽以待人", "知足常乐 和气生财", "一粥一饭 当思来之不易",
    "爱国守法 明礼诚信", "好学上进 自强不息", "积善之家 必有余庆", "与人为善 助人为乐",
    "敬老孝亲 兄友弟恭", "勤劳致富 节俭持家", "忠孝传家 勤俭立业", "和睦相处 互敬互爱",
    "言必信 行必果", "以德立身 以勤持家", "吃亏是福 宽厚待人", "耕田读书 修身齐家",
    "家庭和睦 邻里团结", "勤俭持家久 诗书继世长", "守望相助 崇德向善", "重教兴家 尚德立身",
    "感党恩 听党话 跟党走", "好家风 传万代", "多读书 读好书", "身体力行 言传身教",
    "勤为本 俭为宝", "实干兴家 诚信立身", "爱家爱村 共建大苍", "孝敬父母 善待子女",
    "厚德载物 自强不息", "邻里守望 扶贫济困", "节俭养德 勤劳兴家", "和为贵 忍为高",
)  # fmt: skip

MODEL_FAMILY, FIVE_GOOD, BEST_YARD = "道德模范之家", "五好家庭", "最美庭院"

_HEALTH_BURDEN = {"大病": 3.0, "长期卧床": 3.0, "残疾": 2.0, "慢性病": 0.5}


def group_sizes(rng: random.Random, groups: int, households: int) -> list[int]:
    """Households per group: uneven (roughly 15–35), adding up exactly."""
    weights = [rng.uniform(0.6, 1.4) for _ in range(groups)]
    total = sum(weights)
    exact = [households * w / total for w in weights]
    sizes = [int(x) for x in exact]
    order = sorted(range(groups), key=lambda i: (sizes[i] - exact[i], i))  # largest remainder first
    for i in order[: households - sum(sizes)]:
        sizes[i] += 1
    return sizes


def _burden(h: HouseholdDraft, today: date) -> float:
    people = h.current
    score = sum(_HEALTH_BURDEN.get(p.health, 0.0) for p in people)
    workers = sum(p.work_status in ("务工", "个体经营") for p in people)
    if all(p.age(today) >= 60 for p in people):
        score += 2.0
    return score - 0.5 * workers


def categories(rng: random.Random, households: list[HouseholdDraft], today: date) -> list[str]:
    """Mostly 一般户; ~10% 脱贫户; a few 低保户, 监测户, 军烈属户; lone unmarried elders 五保户."""
    n = len(households)
    result = ["一般户"] * n
    for i, h in enumerate(households):
        head = h.members[0]
        alone = len(h.current) == 1 and head.age(today) >= 60
        # 五保: no one bound to support them: never married, or (rarely) widowed and childless.
        if alone and (head.marital_status == "未婚" or rng.random() < 0.1):
            result[i] = "五保户" if rng.random() < 0.9 else "特困户"
    free = [i for i in range(n) if result[i] == "一般户"]
    scored = sorted(free, key=lambda i: (-(_burden(households[i], today) + rng.uniform(0, 3)), i))
    n_low, n_watch = round(n * 0.03), round(n * 0.025)
    for i in scored[:n_low]:
        result[i] = "低保户"
    for i in scored[n_low : n_low + n_watch]:
        result[i] = "监测户"
    rest = scored[n_low + n_watch :]
    poor = sorted(rest, key=lambda i: (-(_burden(households[i], today) + rng.uniform(0, 8)), i))
    for i in poor[: round(n * 0.10)]:
        result[i] = "脱贫户"
    plain = [i for i in range(n) if result[i] == "一般户"]
    for i in rng.sample(plain, 3):
        result[i] = "军烈属户"
    return result


def honours(rng: random.Random, weights: list[float]) -> list[tuple[str, ...]]:
    """~8% 道德模范之家 among the most active households; a few 五好家庭 and 最美庭院."""
    n = len(weights)
    ranked = sorted(range(n), key=lambda i: (-(weights[i] * rng.uniform(0.6, 1.4)), i))
    model = set(ranked[: round(n * 0.08)])
    five_good = set(rng.sample(ranked[: n // 3], round(n * 0.03)))
    yard = set(rng.sample(ranked[: n // 2], round(n * 0.03)))
    out = []
    for i in range(n):
        titles = []
        if i in model:
            titles.append(MODEL_FAMILY)
        if i in five_good:
            titles.append(FIVE_GOOD)
        if i in yard:
            titles.append(BEST_YARD)
        out.append(tuple(titles))
    return out


def environment(rng: random.Random, category: str, titles: tuple[str, ...], elderly_only: bool) -> str:
    if BEST_YARD in titles or MODEL_FAMILY in titles:
        return "整洁"
    if category in ("五保户", "特困户", "低保户") or elderly_only:
        return rng.choices(("整洁", "一般", "较差"), (35, 50, 15))[0]
    return rng.choices(("整洁", "一般", "较差"), (57, 37, 6))[0]


def housing(rng: random.Random, category: str) -> str:
    if category in ("五保户", "特困户", "低保户", "脱贫户", "监测户"):
        # 危房改造 rebuilt the poorest families' houses: no 土坯 left among them.
        return rng.choices(("砖混", "砖木", "木结构", "其他"), (55, 25, 16, 4))[0]
    return rng.choices(("砖混", "砖木", "木结构", "土坯", "其他"), (63, 19, 12, 2, 4))[0]


def motto(rng: random.Random, titles: tuple[str, ...]) -> str | None:
    if not titles and rng.random() < 0.15:
        return None
    return rng.choice(MOTTOS)
