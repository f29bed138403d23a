"""Charts of the register and of points (R8): one village, or a town's or county's roll-up."""

from __future__ import annotations

from flask import g, render_template, request

from app.admin import admin
from app.admin.guard import permission_required
from app.services.statistics_rollup import charts_for


@admin.route("/charts")
@permission_required("charts.view")
def charts():
    view = charts_for(g.scope, request.args.get("village"))
    return render_template("admin/charts/index.html", view=view)
