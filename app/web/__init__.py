"""Villager-facing H5 pages and the operational endpoints."""

from flask import Blueprint

web = Blueprint("web", __name__)

from app.web import health, household, me  # noqa: E402,F401  (routes register on import)
