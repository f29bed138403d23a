"""Schemas of the household view; they describe the JSON in the OpenAPI document."""

from __future__ import annotations

from marshmallow import Schema, fields


class VillageSchema(Schema):
    name = fields.String(required=True)
    town = fields.String(allow_none=True)
    county = fields.String(allow_none=True)
    slogan = fields.String(required=True, metadata={"description": "村标语"})


class HouseholdInfoSchema(Schema):
    number = fields.String(required=True, metadata={"description": "户号"})
    group = fields.String(required=True, metadata={"description": "村民小组"})
    head_name = fields.String(allow_none=True, metadata={"description": "户主姓名"})
    motto = fields.String(allow_none=True, metadata={"description": "家风家训"})
    honours = fields.List(fields.String(), required=True, metadata={"description": "荣誉称号"})


class TotalsSchema(Schema):
    month = fields.Integer(required=True)
    year = fields.Integer(required=True)
    all = fields.Integer(required=True)


class RankSchema(Schema):
    group = fields.Integer(required=True, metadata={"description": "组内名次"})
    group_size = fields.Integer(required=True)
    village = fields.Integer(required=True, metadata={"description": "村内名次"})
    village_size = fields.Integer(required=True)


class RanksSchema(Schema):
    month = fields.Nested(RankSchema, required=True)
    year = fields.Nested(RankSchema, required=True)


class MemberSchema(TotalsSchema):
    name = fields.String(required=True)
    relation = fields.String(required=True, metadata={"description": "与户主关系"})


class HistoryItemSchema(Schema):
    id = fields.Integer(required=True)
    date = fields.String(required=True, metadata={"description": "何时"})
    place = fields.String(allow_none=True, metadata={"description": "何地"})
    reason = fields.String(required=True, metadata={"description": "何事"})
    category = fields.String(required=True)
    points = fields.Integer(required=True)
    member = fields.String(allow_none=True, metadata={"description": "记到哪位成员（空为全户）"})
    kind = fields.String(required=True, metadata={"description": "award 加分 / deduct 扣分 / reversal 更正"})
    reversed = fields.Boolean(required=True, metadata={"description": "已被更正撤销"})


class HistorySchema(Schema):
    items = fields.List(fields.Nested(HistoryItemSchema), required=True)
    page = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    total = fields.Integer(required=True)


class PeriodLabelsSchema(Schema):
    month = fields.String(required=True)
    year = fields.String(required=True)


class HouseholdViewSchema(Schema):
    code = fields.String(required=True)
    village = fields.Nested(VillageSchema, required=True)
    household = fields.Nested(HouseholdInfoSchema, required=True)
    totals = fields.Nested(TotalsSchema, required=True)
    period_labels = fields.Nested(PeriodLabelsSchema, required=True)
    ranks = fields.Nested(RanksSchema, required=True)
    members = fields.List(fields.Nested(MemberSchema), required=True)
    history = fields.Nested(HistorySchema, required=True)
