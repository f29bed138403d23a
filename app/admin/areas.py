"""Import each back-office area so its routes register. An area added later goes in AREAS."""

from __future__ import annotations

import importlib

AREAS = [
    "account",
    "charts",
    "archive",
    "visits",
    "excel",
    "plaques",
    "audit",
    "settings",
    "accounts",
    "bindings",
    "households",
    "villagers",
    "events",
    "points",
    "points_ledger",
    "points_bulk",
    "rules",
]


def register_areas() -> None:
    for name in AREAS:
        importlib.import_module(f"app.admin.{name}")
