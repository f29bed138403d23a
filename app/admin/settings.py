"""村务设置 (A4): slogan, default motto, contacts and the settings later features read, per village."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import ConfirmForm
from app.admin.guard import permission_required
from app.errors import AppError
from app.numbers import row_id
from app.services import village_settings
from app.services.village_settings import SettingsInput

FIELDS = ("slogan", "default_motto", "contacts", "feedback_overdue_days", "duty_phone", "statement_day", "store_hours",
          "points_confirm_above")  # fmt: skip


@admin.route("/settings", methods=["GET", "POST"])
@permission_required("settings.edit")
def settings():
    village_id = row_id(request.values.get("village"))
    if village_id is None and not g.scope.is_single_village:
        # A town or county admin first picks the village whose settings to change.
        if request.values.get("village"):
            g.scope.village(0)  # junk in ?village=: not found, like any other village not theirs
        return render_template("admin/settings/pick.html", villages=g.scope.villages)
    village = g.scope.village(village_id) if village_id is not None else g.scope.villages[0]
    values, status = village_settings.current(village), 200
    if request.method == "POST":
        typed = {name: request.form.get(name, "") for name in FIELDS}
        if not ConfirmForm().validate_on_submit():
            flash("页面已过期，请刷新后再保存。", "danger")
            values, status = typed, 400
        else:
            try:
                changed = village_settings.update_settings(village, SettingsInput(**typed), actor=g.account.actor)
            except AppError as error:
                flash(error.message, "danger")
                values, status = typed, 400
            else:
                if changed:
                    flash(f"已保存：{'、'.join(changed)}。", "success")
                else:
                    flash("没有修改任何设置。", "info")
                return redirect(url_for("admin.settings", village=None if g.scope.is_single_village else village.id))
    return render_template(
        "admin/settings/edit.html", village=village, values=values, form=ConfirmForm(),
        limits=village_settings, many=not g.scope.is_single_village,
    ), status  # fmt: skip
