"""The one response envelope of the mini-program API."""

from __future__ import annotations

from flask import jsonify, request
from flask_smorest import Api
from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "机器可读的错误代码"})
    message = fields.String(required=True, metadata={"description": "给用户看的中文说明"})
    field = fields.String(allow_none=True, metadata={"description": "出错的字段（如有）"})


class ErrorEnvelopeSchema(Schema):
    ok = fields.Boolean(required=True, metadata={"example": False})
    error = fields.Nested(ErrorDetailSchema, required=True)


def envelope(data_schema: type[Schema], name: str) -> type[Schema]:
    """``{"ok": true, "data": <data_schema>}`` as a named schema for the OpenAPI document."""
    return Schema.from_dict(
        {
            "ok": fields.Boolean(required=True, metadata={"example": True}),
            "data": fields.Nested(data_schema, required=True),
        },
        name=name,
    )


def ok(data) -> dict:
    return {"ok": True, "data": data}


_MESSAGES = {
    400: "请求格式不对。",
    405: "不支持这种请求方式。",
    422: "请求参数不对，请检查后再试。",
    429: "操作太频繁，请稍后再试。",
}


class EnvelopeApi(Api):
    """flask-smorest's Api, answering HTTP errors under /api/ in our envelope."""

    ERROR_SCHEMA = ErrorEnvelopeSchema  # smorest documents its default errors with it

    def handle_http_exception(self, error):
        if not request.path.startswith("/api/"):
            return error  # HTML surfaces keep Flask's own handling
        fields_ = getattr(error, "data", {}).get("messages") or {}
        names = [name for location in fields_.values() for name in location]
        body = {
            "ok": False,
            "error": {
                "code": error.name.lower().replace(" ", "_"),
                "message": _MESSAGES.get(error.code, "请求没有成功。"),
                "field": names[0] if names else None,
            },
        }
        return jsonify(body), error.code
