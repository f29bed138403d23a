"""Error pages for the H5 surface; the mini-program API answers with its own envelope."""

from __future__ import annotations

from flask import jsonify, render_template, request

from app.errors import AppError


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def register_web_errors(app) -> None:
    @app.errorhandler(AppError)
    def app_error(error: AppError):
        if _wants_json():
            body = {"ok": False, "error": {"code": error.code, "message": error.message, "field": error.field}}
            return jsonify(body), error.status
        if error.status == 404:
            return render_template("web/not_found.html"), 404
        return render_template("web/error.html", message=error.message), error.status

    @app.errorhandler(404)
    def not_found(error):
        if _wants_json():
            return jsonify(ok=False, error={"code": "not_found", "message": "没有这个地址。"}), 404
        return render_template("web/not_found.html"), 404

    @app.errorhandler(500)
    def server_error(error):
        if _wants_json():
            return jsonify(ok=False, error={"code": "server_error", "message": "系统出了点问题，请稍后再试。"}), 500
        return render_template("web/error.html", message="系统出了点问题，请稍后再试。"), 500
