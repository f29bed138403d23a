"""The register's controlled vocabularies: what a cadre may pick for each field.

Stored values are the Chinese words themselves, so exports and charts read naturally.
"""

GENDERS = ("男", "女")
HOUSEHOLD_CATEGORIES = ("一般户", "脱贫户", "监测户", "低保户", "五保户", "特困户", "军烈属户")
LIVING_ENVIRONMENTS = ("整洁", "一般", "较差")
HOUSING = ("砖混", "砖木", "木结构", "土坯", "其他")
RELATIONS = (
    "户主", "配偶", "子", "女", "儿媳", "女婿", "孙子", "孙女",
    "父亲", "母亲", "祖父", "祖母", "兄弟姐妹", "其他",
)  # fmt: skip
EDUCATIONS = ("学龄前", "小学", "初中", "高中", "中专", "大专", "本科及以上", "文盲或半文盲")
POLITICAL_STATUSES = ("群众", "中共党员", "中共预备党员", "共青团员", "民主党派")
HEALTH = ("健康", "慢性病", "大病", "残疾", "长期卧床")
WORK_STATUSES = ("在家务农", "务工", "在校学生", "个体经营", "村组干部", "退休", "学龄前", "无劳动能力", "其他")
MARITAL_STATUSES = ("未婚", "已婚", "离异", "丧偶")
PERSON_STATUSES = {"current": "在册", "moved_out": "已迁出", "deceased": "已故"}

EVENT_KINDS = {
    "register": "建档",
    "birth": "出生",
    "move_in": "迁入",
    "move_out": "迁出",
    "death": "死亡",
    "marriage": "婚姻",
    "split": "分户",
    "change_head": "变更户主",
}

MAX_POINTS = 1000  # a single points entry larger than this is a typo, not a good deed
POINTS_CATEGORIES = ("好人好事", "志愿服务", "公德美德", "孝老爱亲", "环境卫生", "移风易俗", "遵纪守法", "其他")
