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
