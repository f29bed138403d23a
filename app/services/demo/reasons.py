"""What people earn or lose moral points (道德积分) for, in the words a cadre would write.

Each reason: category (vocab.POINTS_CATEGORIES), text, lowest and highest points, who gets it
("household", "adult", "child", "any", "party" = a party member, "wife" = a married-in wife),
where ("hamlet", "village_office", "school", "road", "clinic", "plaza", "town", "river",
"forest", "home" = no place), the months it happens in (None = all year) and how common it is.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    category: str
    text: str
    low: int
    high: int
    who: str
    place: str
    months: tuple[int, ...] | None
    weight: float


_SUMMER, _HARVEST, _WINTER, _NEW_YEAR = (5, 6, 7, 8), (7, 8, 10, 11), (11, 12, 1, 2, 3), (1, 2)

_GOOD: tuple[tuple, ...] = (
    # 环境卫生
    ("环境卫生", "清扫屋场公共道路", 1, 2, "adult", "hamlet", None, 14),
    ("环境卫生", "庭院整洁，评为月度清洁户", 2, 3, "household", "home", None, 10),
    ("环境卫生", "垃圾分类做得好", 1, 2, "household", "home", None, 8),
    ("环境卫生", "房前屋后种花植绿", 1, 3, "household", "home", (3, 4, 5), 4),
    ("环境卫生", "拆除房前废旧猪栏", 2, 3, "household", "home", None, 2),
    ("环境卫生", "清理门前沟渠淤泥", 1, 2, "adult", "hamlet", (3, 4, 5, 9), 4),
    ("环境卫生", "清理河道垃圾", 2, 3, "adult", "river", None, 3),
    # 志愿服务
    ("志愿服务", "参加屋场义务劳动", 1, 3, "adult", "hamlet", None, 12),
    ("志愿服务", "义务修补村道", 2, 4, "adult", "road", None, 5),
    ("志愿服务", "参加防汛值守", 2, 5, "adult", "river", _SUMMER, 6),
    ("志愿服务", "参加森林防火巡护", 2, 3, "adult", "forest", _WINTER, 5),
    ("志愿服务", "协助开展医保缴费宣传", 1, 2, "adult", "village_office", (9, 10, 11, 12), 3),
    ("志愿服务", "协助村卫生室组织老人体检", 1, 2, "adult", "clinic", None, 2),
    ("志愿服务", "参加交通安全劝导", 1, 2, "adult", "road", None, 2),
    ("志愿服务", "参加禁毒宣传志愿活动", 1, 2, "adult", "plaza", (6,), 2),
    ("志愿服务", "为村小学义务修缮桌椅", 2, 3, "adult", "school", (1, 2, 7, 8), 1),
    ("志愿服务", "参加村春节联欢会筹备", 1, 2, "any", "plaza", _NEW_YEAR, 2),
    ("志愿服务", "义务为屋场老人理发", 2, 3, "adult", "hamlet", None, 1),
    ("志愿服务", "参加村文艺队排练演出", 1, 2, "adult", "plaza", None, 3),
    # 好人好事
    ("好人好事", "拾金不昧，归还失主钱包", 3, 5, "any", "town", None, 2),
    ("好人好事", "帮助邻居抢收稻谷", 2, 3, "adult", "hamlet", _HARVEST, 4),
    ("好人好事", "护送走失老人回家", 3, 5, "adult", "road", None, 1),
    ("好人好事", "帮助邻居扑灭灶屋火情", 5, 10, "adult", "hamlet", None, 0.3),
    ("好人好事", "为孤寡老人挑水劈柴", 2, 3, "adult", "hamlet", _WINTER, 3),
    ("好人好事", "协助寻找走失儿童", 3, 5, "adult", "hamlet", None, 0.5),
    ("好人好事", "下河救起落水儿童", 10, 10, "adult", "river", _SUMMER, 0.15),
    ("好人好事", "捐款助学", 5, 10, "household", "village_office", (8, 9), 2),
    ("好人好事", "为村道硬化捐款", 3, 10, "household", "village_office", None, 1.5),
    ("好人好事", "为受灾群众捐赠衣物", 2, 4, "household", "village_office", None, 1),
    # 公德美德
    ("公德美德", "调解邻里纠纷", 3, 5, "adult", "hamlet", None, 3),
    ("公德美德", "主动让出土地拓宽村道", 5, 10, "household", "road", None, 0.5),
    ("公德美德", "无偿提供场地建屋场活动室", 5, 10, "household", "hamlet", None, 0.3),
    ("公德美德", "邻里互助，照看留守儿童", 2, 3, "adult", "hamlet", None, 3),
    ("公德美德", "主动退回多领的补贴", 3, 5, "household", "village_office", None, 0.5),
    ("公德美德", "劝阻他人在河中电鱼", 2, 3, "adult", "river", _SUMMER, 1),
    # 孝老爱亲
    ("孝老爱亲", "照顾邻居孤寡老人", 2, 5, "adult", "hamlet", None, 5),
    ("孝老爱亲", "悉心照料长期卧床的老人", 3, 5, "adult", "home", None, 2),
    ("孝老爱亲", "孝敬公婆，被评为好媳妇", 5, 5, "wife", "village_office", (3, 9), 0.8),
    ("孝老爱亲", "春节回乡看望村里老人", 1, 2, "adult", "hamlet", _NEW_YEAR, 3),
    ("孝老爱亲", "定期给独居老人送菜送药", 2, 3, "adult", "hamlet", None, 2),
    ("孝老爱亲", "陪老人到镇卫生院看病", 1, 2, "any", "town", None, 1.5),
    # 移风易俗
    ("移风易俗", "红白喜事简办", 3, 5, "household", "home", None, 2),
    ("移风易俗", "婚事新办，不收高额彩礼", 5, 5, "household", "home", (1, 2, 10, 12), 0.6),
    ("移风易俗", "寿宴简办，不请客收礼", 3, 3, "household", "home", None, 1),
    ("移风易俗", "主动劝阻打牌赌博", 2, 3, "adult", "hamlet", _NEW_YEAR, 1),
    ("移风易俗", "春节文明祭扫，不燃放大型烟花", 1, 2, "household", "home", _NEW_YEAR, 2),
    # 遵纪守法
    ("遵纪守法", "按时缴纳医保", 1, 1, "household", "village_office", (9, 10, 11, 12), 10),
    ("遵纪守法", "子女积极应征入伍", 5, 10, "household", "village_office", (8, 9), 0.3),
    ("遵纪守法", "签订防溺水安全承诺书", 1, 1, "household", "school", (5, 6), 3),
    ("遵纪守法", "提供违法线索协助破案", 3, 5, "adult", "town", None, 0.3),
    ("遵纪守法", "主动配合禁止野外用火宣传", 1, 1, "household", "home", _WINTER, 2),
    # 其他
    ("其他", "参加村民代表大会", 1, 1, "adult", "village_office", (1, 4, 7, 12), 3),
    ("其他", "参加主题党日活动", 1, 1, "party", "village_office", None, 2),
    ("其他", "参加农技培训", 1, 2, "adult", "village_office", (2, 3, 10), 3),
    ("其他", "参加安全知识讲座", 1, 1, "adult", "village_office", None, 2),
    ("其他", "学习宣传积分细则", 1, 1, "adult", "village_office", None, 1.5),
    ("其他", "被评为三好学生", 3, 5, "child", "school", (1, 6, 7), 2),
    ("其他", "参加屋场读书会", 1, 1, "child", "hamlet", (1, 2, 7, 8), 2),
    ("其他", "参加暑期防溺水安全教育", 1, 1, "child", "school", (6, 7), 2),
)  # fmt: skip

_BAD: tuple[tuple, ...] = (
    ("环境卫生", "乱扔垃圾被劝导", -3, -2, "adult", "road", None, 6),
    ("环境卫生", "房前屋后柴草乱堆，经提醒未整改", -5, -2, "household", "home", None, 5),
    ("环境卫生", "生活污水直排路面", -5, -3, "household", "road", None, 2),
    ("环境卫生", "露天焚烧秸秆被制止", -5, -3, "adult", "hamlet", (10, 11), 2),
    ("遵纪守法", "野外违规用火被制止", -10, -5, "adult", "forest", _WINTER, 1.5),
    ("遵纪守法", "在河中电鱼被查处", -10, -5, "adult", "river", _SUMMER, 1),
    ("遵纪守法", "酒后与人争吵斗殴", -10, -8, "adult", "hamlet", None, 0.5),
    ("遵纪守法", "放养的狗咬伤路人", -5, -3, "household", "road", None, 1),
    ("移风易俗", "大操大办酒席", -10, -5, "household", "home", None, 1.5),
    ("移风易俗", "燃放烟花爆竹扰民", -3, -2, "household", "hamlet", _NEW_YEAR, 2),
    ("移风易俗", "参与赌博被查处", -10, -10, "adult", "hamlet", _NEW_YEAR, 0.5),
    ("公德美德", "占用村道晾晒谷物", -2, -2, "household", "road", _HARVEST, 3),
    ("公德美德", "与邻里争吵影响和睦", -5, -2, "adult", "hamlet", None, 2),
    ("公德美德", "损坏屋场公共设施", -5, -3, "adult", "hamlet", None, 1),
    ("孝老爱亲", "未尽赡养义务，经调解后整改", -10, -5, "adult", "home", None, 0.5),
)  # fmt: skip

GOOD: tuple[Reason, ...] = tuple(Reason(*r) for r in _GOOD)
BAD: tuple[Reason, ...] = tuple(Reason(*r) for r in _BAD)

SCHOOL = "大苍村小学"
_PLACES = {
    "village_office": ("村部",),
    "school": (SCHOOL,),
    "clinic": ("村卫生室",),
    "plaza": ("村文化广场", "村部"),
    "town": ("冷市镇集镇", "冷市镇卫生院", None),
    "river": ("村河堤", "村河段", "{hamlet}河边"),
    "forest": ("后山林区", "{hamlet}后山"),
    "road": ("村主干道", "{hamlet}组道", "村级公路"),
    "hamlet": ("{hamlet}屋场", "{hamlet}屋场", "{hamlet}"),
    "home": (None,),
}


def place_options(kind: str, hamlet: str) -> tuple[str | None, ...]:
    return tuple(p.format(hamlet=hamlet) if p else None for p in _PLACES[kind])
