"""The back office's home: the day's quick actions, and the way to any household in one search."""

from __future__ import annotations

from flask import g, render_template

from app.admin import admin


@admin.route("/")
def dashboard():
    return render_template("admin/dashboard.html", villages=g.scope.villages)
