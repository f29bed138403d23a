"""Sign-in and own-account forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请填写用户名。"), Length(max=32)])
    password = PasswordField("密码", validators=[DataRequired("请填写密码。"), Length(max=128)])


class CodeForm(FlaskForm):
    code = StringField("动态验证码", validators=[DataRequired("请填写 6 位动态验证码。"), Length(max=8)])


class PasswordForm(FlaskForm):
    current = PasswordField("原密码", validators=[DataRequired("请填写原密码。")])
    new = PasswordField("新密码", validators=[DataRequired("请填写新密码。"), Length(max=128)])
    confirm = PasswordField("再输一遍新密码", validators=[EqualTo("new", "两次输入的新密码不一样。")])


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token travels."""


def first_error(form: FlaskForm) -> str:
    for errors in form.errors.values():
        if errors:
            return errors[0] if isinstance(errors[0], str) else "表单有误，请检查后再提交。"
    return "表单有误，请检查后再提交。"
