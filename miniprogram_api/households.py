"""GET /api/mp/v1/households/{code}: the household page as JSON (the pattern for W3)."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.errors import Gone
from app.services.household_page import cached_view
from miniprogram_api.envelope import ErrorEnvelopeSchema, envelope, ok
from miniprogram_api.schemas import HouseholdViewSchema

blp = Blueprint("mp_households", __name__, description="户码：扫码看一户的积分与荣誉")


class PageArgs(Schema):
    page = fields.Integer(
        load_default=1, validate=validate.Range(min=1, max=10_000), metadata={"description": "积分明细页码"}
    )


@blp.get("/<code>")
@blp.arguments(PageArgs, location="query", as_kwargs=True)
@blp.response(200, envelope(HouseholdViewSchema, "HouseholdEnvelope"))
@blp.alt_response(404, schema=ErrorEnvelopeSchema, description="没有这个户码")
@blp.alt_response(410, schema=ErrorEnvelopeSchema, description="门牌已更换，旧户码作废")
def household(code: str, page: int):
    """一户的公开信息：标语、家风家训、荣誉、本月/本年/累计积分、排名和积分明细。

    不含身份证号、电话、健康、政治面貌等敏感信息。
    """
    view = cached_view(code, page, "json", lambda v: v)
    if view["replaced"]:
        raise Gone("这块门牌已更换，请扫描新门牌上的二维码。")
    return ok(HouseholdViewSchema().dump(view))
