"""Excel in and out of the register (R7): the import template, the masked export, and an import
that shows a row-by-row dry run before anything is written."""

from __future__ import annotations

import io

from flask import flash, g, redirect, render_template, request, send_file, url_for

from app.admin import admin
from app.admin.forms import ConfirmForm
from app.admin.guard import permission_required
from app.errors import AppError, ValidationError
from app.numbers import row_id
from app.services import exports, register_import
from app.services import register_import_files as import_files
from app.services import register_workbook as sheets


def _village(value):
    """The village a form or link names, held to the scope (404 outside it); a one-village
    account that names none means its own."""
    if (value or "").strip():
        return g.scope.village(row_id(value))  # None is no one's village: a plain 404
    return g.scope.villages[0] if g.scope.is_single_village else None


def _page(status: int = 200, **context):
    context.setdefault("report", None)
    context.setdefault("chosen_id", None)
    return render_template(
        "admin/excel/index.html", form=ConfirmForm(), max_people=sheets.MAX_PEOPLE, **context
    ), status


@admin.route("/excel")
@permission_required("register.export")
def excel():
    return _page(chosen_id=row_id(request.args.get("village")))


@admin.route("/excel/template.xlsx")
@permission_required("register.import")
def excel_template():
    return _xlsx(sheets.template_bytes(), "户籍导入模板.xlsx")


@admin.route("/excel/export.xlsx")
@permission_required("register.export")
def excel_export():
    village = _village(request.args.get("village"))
    if village is None:
        flash("请先选择要导出哪个村。", "warning")
        return redirect(url_for("admin.excel"))
    result = exports.export_register(
        village, g.scope.households_query(), g.scope.villagers_query(), actor=g.account.actor
    )
    return _xlsx(result.data, f"{village.name}户籍名册.xlsx")


@admin.route("/excel/import", methods=["POST"])
@permission_required("register.import")
def excel_import():
    if not ConfirmForm().validate_on_submit():
        flash("页面已过期，请刷新后重新上传。", "danger")
        return _page(400)
    chosen = request.form.get("village")
    upload = request.files.get("file")
    try:
        village = _village(chosen)
        if village is None:
            raise ValidationError("请先选择导入到哪个村。", field="village")
        if upload is None or not upload.filename:
            raise ValidationError("请选择要导入的 Excel 文件。", field="file")
        raw = upload.stream.read(sheets.MAX_BYTES + 1)  # one byte more than allowed is enough to refuse
        plan, token = register_import.upload(g.account.id, village, upload.filename, raw)
    except AppError as error:
        if error.status == 404:
            raise
        flash(error.message, "danger")
        return _page(400, chosen_id=row_id(chosen))
    if token is None:
        report = {"plan": plan, "filename": upload.filename, "village": village}
        return _page(400, report=report, chosen_id=village.id)
    return redirect(url_for("admin.excel_import_preview", token=token))


# The upload's token travels in the query string and the form, not the path: it names a file in
# the account's own folder, never a database object, so another account's token is simply absent.
@admin.route("/excel/import/preview")
@permission_required("register.import")
def excel_import_preview():
    token = request.args.get("token", "")
    pending = import_files.find(g.account.id, token)
    village = g.scope.village(pending.village_id)
    state = register_import.state(pending, village)
    return render_template(
        "admin/excel/preview.html", pending=pending, village=village, state=state, form=ConfirmForm()
    )


@admin.route("/excel/import/confirm", methods=["POST"])
@permission_required("register.import")
def excel_import_confirm():
    token = request.form.get("token", "")
    pending = import_files.find(g.account.id, token)
    village = g.scope.village(pending.village_id)
    if not ConfirmForm().validate_on_submit():
        flash("页面已过期，请刷新后再确认。", "danger")
        return redirect(url_for("admin.excel_import_preview", token=token))
    try:
        counts, created = register_import.confirm(pending, village, actor=g.account.actor)
    except AppError as error:
        flash(error.message, "danger")
        return redirect(url_for("admin.excel_import_preview", token=token))
    if created:
        flash(f"导入完成：{village.name}新建了 {counts['households']} 户、{counts['people']} 人。", "success")
    else:
        flash(f"这份文件已经导入过了（{counts['households']} 户、{counts['people']} 人），这次没有重复导入。", "info")
    return redirect(url_for("admin.excel_import_preview", token=token))


def _xlsx(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=sheets.XLSX_MIME, as_attachment=True, download_name=name)
