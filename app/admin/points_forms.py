"""Forms of the points screens. Fields are plain text: the services validate and word the errors;
the forms carry the CSRF token and keep what the cadre typed when a page comes back with an error."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Length


class AwardForm(FlaskForm):
    rule_id = StringField("积分细则")
    villager_id = StringField("记给")
    points = StringField("分值")
    category = StringField("类别")
    occurred_on = StringField("日期")
    place = StringField("地点", validators=[Length(max=64, message="地点太长了，最多64个字。")])
    reason = TextAreaField("事由", validators=[Length(max=255, message="事由太长了，最多255个字。")])
    idempotency_key = HiddenField()
    confirmed = BooleanField("我已核对，确认记入")


class ReverseForm(FlaskForm):
    reason = TextAreaField("撤销原因", validators=[Length(max=255, message="撤销原因太长了，最多255个字。")])
    idempotency_key = HiddenField()


class BulkForm(FlaskForm):
    village_id = HiddenField()
    rule_id = StringField("积分细则")
    points = StringField("分值")
    category = StringField("类别")
    occurred_on = StringField("日期")
    place = StringField("地点")
    reason = TextAreaField("事由")
    numbers = TextAreaField("户号")
    batch_key = HiddenField()


class RuleForm(FlaskForm):
    category = StringField("类别")
    item = StringField("细则内容")
    points = StringField("分值")
    evidence_required = BooleanField("必须附佐证照片")
    cap_points = StringField("上限分值")
    cap_period = StringField("上限周期")
