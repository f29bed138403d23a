"""Error pages for the H5 surface; the mini-program API answers with its own envelope."""

from __future__ import annotations

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from app.errors import AppError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _in_admin() -> bool:
    return request.path.startswith("/admin/")


def _admin_page(message: str, status: int):
    return render_template("admin/error.html", message=message, status=status), status


def register_web_errors(app) -> None:
    @app.errorhandler(AppError)
    def app_error(error: AppError):
        if _wants_json():
            body = {"ok": False, "error": {"code": error.code, "message": error.message, "field": error.field}}
            return jsonify(body), error.status
        if _in_admin():
            return _admin_page(error.message, error.status)
        if error.status == 404:
            return render_template("web/not_found.html"), 404
        return render_template("web/error.html", message=error.message), error.status

    @app.errorhandler(403)
    def forbidden(error):
        message = error.description if _in_admin() else "没有权限。"
        if _in_admin():
            return _admin_page(message, 403)
        return render_template("web/error.html", message=message), 403

    @app.errorhandler(413)
    def too_large(error):
        if _in_admin():
            limit = app.config["ADMIN_UPLOAD_MAX_BYTES"] // (1024 * 1024)
            return _admin_page(f"一次上传的文件太大了（合计不能超过 {limit} MB），请少选几张照片再试。", 413)
        if _wants_json():
            return jsonify(ok=False, error={"code": "too_large", "message": "提交的内容太大了。"}), 413
        return render_template("web/error.html", message="提交的内容太大了。"), 413

    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        message = "页面已过期或来源不对，请刷新页面后再提交。"
        if _in_admin():
            return _admin_page(message, 400)
        return render_template("web/error.html", message=message), 400

    @app.errorhandler(404)
    def not_found(error):
        if _in_admin():
            return _admin_page("没有找到这个页面或这条记录。", 404)
        if _wants_json():
            return jsonify(ok=False, error={"code": "not_found", "message": "没有这个地址。"}), 404
        return render_template("web/not_found.html"), 404

    @app.errorhandler(500)
    def server_error(error):
        if _in_admin():
            return _admin_page("系统出了点问题，请稍后再试。", 500)
        if _wants_json():
            return jsonify(ok=False, error={"code": "server_error", "message": "系统出了点问题，请稍后再试。"}), 500
        return render_template("web/error.html", message="系统出了点问题，请稍后再试。"), 500
