"""Forms of the register screens. Fields are plain text or vocab selects; every check with a
Chinese message lives in the services (``clean_person``, ``clean_household_fields``), so a form
here only carries values and the CSRF token."""

from __future__ import annotations

from dataclasses import fields

from flask import g, redirect, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, Form, FormField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.numbers import row_id
from app.privacy import mask_id_number, mask_phone
from app.query_limits import refuse_long
from app.services import vocab
from app.services.people import PersonInput
from app.services.permissions import allowed
from app.services.register_search import is_personal_number


def as_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms options."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(values, blank: str = "（未填）") -> list[SelectChoice]:
    return as_choices([("", blank)] + [(v, v) for v in values])


def _select(label: str, values, blank: str = "（未填）") -> SelectField:
    # validate_choice=False: an unknown value reaches the service, which names the allowed ones in Chinese.
    return SelectField(label, choices=_choices(values, blank), validate_choice=False, default="")


class PersonFields(Form):
    """One person's details (no CSRF of its own: it sits inside a FlaskForm or an event form)."""

    name = StringField("姓名")
    gender = _select("性别", vocab.GENDERS, "（按身份证号）")
    birth_date = StringField("出生日期")
    id_number = StringField("身份证号")
    phone = StringField("手机号")
    relation = _select("与户主关系", vocab.RELATIONS)
    ethnicity = StringField("民族", default="汉族")
    marital_status = _select("婚姻状况", vocab.MARITAL_STATUSES)
    education = _select("文化程度", vocab.EDUCATIONS)
    political_status = _select("政治面貌", vocab.POLITICAL_STATUSES)
    health = _select("健康状况", vocab.HEALTH)
    work_status = _select("就业状况", vocab.WORK_STATUSES)
    work_place = StringField("务工地点")
    skills = StringField("技能特长")

    def filled(self) -> bool:
        return bool((self.name.data or "").strip())

    def to_input(self) -> PersonInput:
        return PersonInput(**{f.name: (self[f.name].data or None) for f in fields(PersonInput)})


class HouseholdFieldsMixin:
    address = StringField("住址")
    category = _select("户类别", vocab.HOUSEHOLD_CATEGORIES, "一般户")
    living_environment = _select("人居环境", vocab.LIVING_ENVIRONMENTS)
    housing = _select("住房结构", vocab.HOUSING)
    motto = StringField("家风家训")


class HouseholdNewForm(HouseholdFieldsMixin, FlaskForm):
    number = StringField("户号")
    village_id = SelectField("村", choices=[], validate_choice=False)
    group_id = SelectField("村民小组", choices=[], validate_choice=False)
    new_group = StringField("或新建小组（编号）")
    head = FormField(PersonFields)
    members = FieldList(FormField(PersonFields), min_entries=3, max_entries=12)


class HouseholdEditForm(HouseholdFieldsMixin, FlaskForm):
    number = StringField("户号")
    group_id = SelectField("村民小组", choices=[], validate_choice=False)


class VillagerForm(PersonFields, FlaskForm):
    clear_id = BooleanField("删除身份证号")
    clear_phone = BooleanField("删除手机号")


def group_choices(village_id: int | None = None) -> list[tuple[str, str]]:
    """Groups in the account's scope; labelled with the village when it sees several."""
    several = not g.scope.is_single_village
    return [("", "（请选择）")] + [
        (str(grp.id), f"{grp.village.name} {grp.label}" if several else grp.label) for grp in g.scope.groups(village_id)
    ]


def village_choices(blank: str | None = "全部村") -> list[tuple[str, str]]:
    head = [("", blank)] if blank else []
    return head + [(str(v.id), v.name) for v in g.scope.villages]


def int_arg(name: str, source=None) -> int | None:
    """A positive whole number (an id, a group or page number) from the query string (or ``source``), else None."""
    return row_id((source if source is not None else request.args).get(name))


def may_reveal() -> bool:
    """Whether the signed-in account may see full numbers, and so also find people by them."""
    return allowed(g.account.role, "register.reveal")


def masks() -> dict:
    """Template helpers: personal numbers are shown masked unless revealed."""
    return {"mask_id_number": mask_id_number, "mask_phone": mask_phone}


def list_query(endpoint: str):
    """The search and filters of a register list, from the query string or the search form.

    The search form is POSTed so that a full ID or phone number never appears in a URL (URLs end
    up in access logs and browser history). Anything else is redirected to a plain GET URL that
    can be bookmarked. Returns ``(values, link_args, redirect_response_or_None)``; ``link_args``
    (for page links) leave out a personal number.
    """
    source = request.form if request.method == "POST" else request.args
    refuse_long(source)  # before a POSTed search becomes a GET URL too long for gunicorn
    values = {k: v.strip() for k, v in source.items() if k not in ("csrf_token", "page") and v.strip()}
    private = is_personal_number(values.get("q", ""))
    if request.method == "POST" and not private:
        return values, values, redirect(url_for(endpoint, **values))
    values["page"] = source.get("page", "")
    link_args = {k: v for k, v in values.items() if k != "page" and not (k == "q" and private)}
    return values, link_args, None
