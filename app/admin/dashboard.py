"""The back office's home: headline numbers, the day's quick actions, and any household in one search."""

from __future__ import annotations

from flask import g, render_template

from app.admin import admin
from app.services import binding_review
from app.services.permissions import allowed
from app.services.statistics_rollup import headline_for


@admin.route("/")
def dashboard():
    # Kept numbers only (register statistics and the village's points totals): cheap at county scale.
    headline = headline_for(g.scope) if allowed(g.account.role, "charts.view") else None
    waiting = binding_review.pending_count(g.scope) if allowed(g.account.role, "register.edit") else 0
    return render_template("admin/dashboard.html", headline=headline, waiting_bindings=waiting)
