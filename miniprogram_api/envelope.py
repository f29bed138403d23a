"""The one response envelope of the mini-program API."""

from __future__ import annotations

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


class EnvelopeApi(Api):
    """flask-smorest's Api documenting its errors in our envelope. The errors themselves are
    answered by the app-wide handlers (app/web/errors.py), with the same body as every JSON
    error of the app (``app.errors.error_body``)."""

    ERROR_SCHEMA = ErrorEnvelopeSchema  # smorest documents its default errors with it
