"""Domain errors. Services raise these with a message a villager or cadre can read."""

from __future__ import annotations


class AppError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(AppError):
    """The input is wrong; nothing was changed."""

    code = "invalid"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class Conflict(AppError):
    """The request clashes with the current state (a duplicate, a second reversal ...)."""

    status = 409
    code = "conflict"


class Gone(AppError):
    """The thing existed but was withdrawn (a replaced plaque code)."""

    status = 410
    code = "gone"


# What a person is told for each HTTP error no service raised on purpose, on every surface.
HTTP_MESSAGES = {
    400: "请求格式不对，请返回重新操作。",
    403: "没有权限。",
    404: "没有找到这个页面或这条记录。",
    405: "不支持这种请求方式。",
    413: "提交的内容太大了。",
    414: "网址太长了，请少输入一些内容再试。",
    422: "请求参数不对，请检查后再试。",
    429: "操作太频繁，请稍后再试。",
    431: "网址太长了，请少输入一些内容再试。",
    500: "系统出了点问题，请稍后再试。",
}


def http_message(status: int) -> str:
    return HTTP_MESSAGES.get(status, "请求没有成功，请稍后再试。")


def described(error) -> str:
    """An HTTP error's message for people: ours when the code gave one in Chinese (the guard's 403
    names the permission, a rate limit says when to retry), else the one for its status. Werkzeug's
    and the libraries' own descriptions are English and never shown."""
    text = getattr(error, "description", None)
    return text if isinstance(text, str) and text and not text.isascii() else http_message(error.code or 500)


def error_body(code: str, message: str, field: str | None = None) -> dict:
    """The one JSON error body: the mini-program API's envelope and every other JSON error."""
    return {"ok": False, "error": {"code": code, "message": message, "field": field}}
