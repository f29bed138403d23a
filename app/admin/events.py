"""Recording register events (R4) from a household's page: birth, move in, move out, death,
marriage, split and change of head, one form per kind, all through ``events.record_event``.

Member pickers list only this household's current members; a person from elsewhere (marrying in,
moving back) is found by a search held to the account's scope, and checked against it again
when the form comes back."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from app.admin import admin
from app.admin.forms import ConfirmForm
from app.admin.guard import permission_required
from app.admin.reads import audited
from app.admin.register_forms import PersonFields, int_arg
from app.errors import AppError
from app.extensions import db
from app.models import Household, Villager
from app.numbers import row_id
from app.services import clock, register_edit, register_search, vocab
from app.services.events import EventInput

KINDS = {k: v for k, v in vocab.EVENT_KINDS.items() if k != "register"}
# Who can be found by the search, per kind: a spouse must be in the register; someone coming
# back may have moved out earlier.
_FINDABLE = {"move_in": ("current", "moved_out"), "marriage": ("current",)}
BIRTH_RELATIONS = ("子", "女", "孙子", "孙女", "其他")


@admin.route("/households/<int:household_id>/events/new", methods=["GET", "POST"])
@permission_required("events.record")
def event_new(household_id: int):
    household = g.scope.household(household_id)
    kind = request.args.get("kind", "")
    if kind not in KINDS:
        return render_template("admin/register/event_kinds.html", household=household, kinds=KINDS)
    if household.status != "active":
        flash("这一户已注销，不能再登记变动。", "warning")
        return redirect(url_for("admin.household", household_id=household.id))
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            flash("页面已过期，请重新填写后提交。", "danger")
            return _form(household, kind, 400)
        if request.form.get("action") == "find":  # the search inside the form: nothing is recorded
            return _form(household, kind)
        data = _event_input(kind, household)  # a person picked from outside the scope is a 404 here
        try:
            event = register_edit.record_event(data)
        except AppError as error:
            flash(error.message, "danger")
            return _form(household, kind, 400)
        flash(_done_message(kind, event), "success")
        return redirect(url_for("admin.household", household_id=household.id) + "#timeline")
    return _form(household, kind)


def _form(household: Household, kind: str, status: int = 200):
    members = sorted(household.members, key=lambda p: (p.id != household.head_id, p.id))
    find = request.values.get("find", "").strip()[:64]
    candidates, note = [], None
    if kind in _FINDABLE and find:
        candidates, note = register_search.find_people_to_join(
            g.scope, find, exclude_household_id=household.id, statuses=_FINDABLE[kind]
        )
    values = request.form if request.method == "POST" else MultiDict({"occurred_on": clock.today().isoformat()})
    html = render_template(
        "admin/register/event_form.html",
        household=household,
        kind=kind,
        label=KINDS[kind],
        members=members,
        person=PersonFields(request.form if request.method == "POST" else None, prefix="person"),
        values=values,
        relations_open=any(k.startswith("relation-") and v for k, v in values.items()),
        find=find,
        candidates=candidates,
        find_note=note,
        groups=g.scope.groups(household.village_id),
        relations=[r for r in vocab.RELATIONS if r != "户主"],
        birth_relations=BIRTH_RELATIONS,
        button=ConfirmForm(),
    )
    # The search may be by a full ID number: whom it found, and so confirmed, is on the record.
    return (audited(html, "read.people_found", villagers=candidates) if candidates else html), status


def _outside_person(form) -> int | None:
    """A person chosen from the search: must be inside the account's scope (else 404)."""
    chosen = int_arg("existing_id", form)
    if chosen is not None:
        g.scope.villager(chosen)
    return chosen


def _event_input(kind: str, household: Household) -> EventInput:
    form = request.form
    fields = PersonFields(form, prefix="person")
    # "Someone already registered" is chosen by the radio, or by picking a person and typing no one new.
    source_new = form.get("source") != "existing" and (fields.filled() or not form.get("existing_id"))
    person = None
    if kind == "birth" or (kind in _FINDABLE and source_new):
        person = fields.to_input()
    villager_id = int_arg("villager_id", form)
    spouse_id = None
    relations = {}
    if kind == "move_in" and not source_new:
        villager_id = _outside_person(form)
        if villager_id is not None and form.get("existing_relation") in vocab.RELATIONS:
            relations[villager_id] = form["existing_relation"]
    if kind == "marriage" and not source_new:
        spouse_id = _outside_person(form)
    new_head_id, split_head_id = int_arg("new_head_id", form), int_arg("split_head_id", form)
    # Relation corrections, except for the people whose relation the event itself decides.
    decided = {villager_id, new_head_id, split_head_id}
    for key, value in form.items():
        if key.startswith("relation-") and value and row_id(key[9:]) not in (None, *decided):
            relations[int(key[9:])] = value
    return EventInput(
        kind=kind,
        household_id=household.id,
        occurred_on=form.get("occurred_on", ""),
        recorded_by=g.account.actor,
        villager_id=villager_id,
        person=person,
        spouse_id=spouse_id,
        new_head_id=new_head_id,
        member_ids=tuple(i for i in map(row_id, form.getlist("member_ids")) if i),
        split_head_id=split_head_id,
        new_household_number=form.get("new_household_number"),
        group_number=int_arg("group_number", form),
        address=form.get("address"),
        note=form.get("note"),
        relations=relations,
    )


def _done_message(kind: str, event) -> str:
    who = db.session.get(Villager, event.villager_id).name if event.villager_id else ""
    household = db.session.get(Household, event.household_id)
    message = f"已登记{KINDS[kind]}：{who}。" if who else f"已登记{KINDS[kind]}。"
    before = (event.before.get("households") or {}).get(str(household.id), {})
    if kind != "change_head" and household.head and before.get("head_id") not in (None, household.head_id):
        message += f"新户主：{household.head.name}。"
    if kind == "split" and event.related_household_id:
        message += f"新户户号：{db.session.get(Household, event.related_household_id).number}。"
    if household.status != "active":
        message += "本户已没有在册成员，已注销。"
    return message
