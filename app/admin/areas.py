"""Import each back-office area so its routes register. An area added later goes in AREAS."""

from __future__ import annotations

import importlib

AREAS = [
    "account",
]


def register_areas() -> None:
    for name in AREAS:
        importlib.import_module(f"app.admin.{name}")
