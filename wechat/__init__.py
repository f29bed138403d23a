"""The WeChat platform adapter: callback, OAuth, codes, pushes, menu, and the local sandbox."""

from __future__ import annotations


def init_wechat(app) -> None:
    """Register WeChat's blueprints; the sandbox only when no real account is configured."""
    from app.extensions import csrf
    from wechat.callback import bp as callback
    from wechat.cli import wechat_cli
    from wechat.oauth import bp as oauth
    from wechat.push import check_template_keys

    app.cli.add_command(wechat_cli)  # also when WeChat is off: the commands then say so plainly
    check_template_keys(app.config)
    if not app.config["WECHAT_ENABLED"]:
        return
    csrf.exempt(callback)  # WeChat signs its requests; it cannot send our CSRF token
    app.register_blueprint(callback)
    app.register_blueprint(oauth)
    if app.config["WECHAT_SANDBOX"]:
        from wechat.sandbox import bp as sandbox

        csrf.exempt(sandbox)  # stands in for another party's API
        app.register_blueprint(sandbox)
