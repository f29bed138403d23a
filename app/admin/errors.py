"""The back office's error pages, on its blueprint (errors raised by its views, its guard or
CSRF check); a URL under /admin/ that matches no view reaches ``page`` through the app-wide
fallback in app/web/errors.py, since Flask cannot know the blueprint of an unknown URL."""

from __future__ import annotations

from flask import current_app, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from app.admin import admin
from app.errors import AppError, described, http_message


def page(message: str, status: int):
    return render_template("admin/error.html", message=message, status=status), status


@admin.errorhandler(AppError)
def app_error(error: AppError):
    return page(error.message, error.status)


@admin.errorhandler(CSRFError)
def csrf_failed(_error):
    return page("页面已过期或来源不对，请刷新页面后再提交。", 400)


@admin.errorhandler(413)
def too_large(_error):
    limit = current_app.config["ADMIN_UPLOAD_MAX_BYTES"] // (1024 * 1024)
    return page(f"一次上传的文件太大了（合计不能超过 {limit} MB），请少选几张照片再试。", 413)


@admin.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return page(described(error), error.code or 500)


@admin.errorhandler(500)
def server_error(_error):
    return page(http_message(500), 500)
