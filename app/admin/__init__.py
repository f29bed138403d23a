"""The cadres' back office at /admin/: one module per area, all behind ``guard``."""

from flask import Blueprint

admin = Blueprint("admin", __name__, url_prefix="/admin")

from app.admin import (  # noqa: E402,F401
    auth,
    dashboard,
    errors,
    guard,  # noqa: E402,F401  (must run before the area routes)
)
from app.admin.areas import register_areas  # noqa: E402

register_areas()
