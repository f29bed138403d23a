"""The villager register (R3): the list, one person's page with their own timeline, corrections,
and revealing the full ID and phone numbers to a permitted cadre (audited every time)."""

from __future__ import annotations

from datetime import date

from flask import flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import ConfirmForm, first_error
from app.admin.guard import permission_required
from app.admin.reads import audited
from app.admin.register_forms import (
    VillagerForm,
    group_choices,
    int_arg,
    list_query,
    masks,
    may_reveal,
    village_choices,
)
from app.errors import AppError
from app.services import clock, register_edit, register_search, register_timeline, reveal, standings, vocab
from app.services.register_search import AGE_BANDS, VillagerFilters


@admin.route("/villagers", methods=["GET", "POST"])
@permission_required("register.view")
def villagers():
    values, link_args, go = list_query("admin.villagers")
    if go is not None:
        return go
    status = values.get("status", "current")
    filters = VillagerFilters(
        q=values.get("q", "")[:64],
        village_id=int_arg("village", values),
        group_id=int_arg("group", values),
        work_status=values.get("work_status", ""),
        status="" if status == "all" else status,
        gender=values.get("gender", ""),
        age_band=values.get("age", ""),
        page=int_arg("page", values) or 1,
        by_number=may_reveal(),
    )
    page = register_search.search_villagers(g.scope, filters)
    html = render_template(
        "admin/register/villagers.html",
        page=page,
        filters=filters,
        link_args=link_args,
        status=status,
        statuses=[*vocab.PERSON_STATUSES.items(), ("all", "全部")],
        status_names=vocab.PERSON_STATUSES,
        work_statuses=[(w, w) for w in vocab.WORK_STATUSES],
        genders=[(x, x) for x in vocab.GENDERS],
        age_bands=[(key, label) for key, label, *_ in AGE_BANDS],
        groups=group_choices(filters.village_id)[1:],
        villages=village_choices()[1:] if not g.scope.is_single_village else [],
        today=clock.today(),
        **masks(),
    )
    return audited(html, "read.villagers", villagers=page.rows)


def _detail(villager, *, revealed: reveal.Revealed | None = None):
    """The person's page; a reveal is already on the record (``register.reveal``), a plain view
    is recorded here."""
    points = standings.totals_for("villager", [villager.id])[villager.id]
    html = render_template(
        "admin/register/villager.html",
        villager=villager,
        household=villager.household,
        points=points,
        revealed=revealed,
        history=register_timeline.villager_timeline(villager, g.scope.village_ids),
        status_names=vocab.PERSON_STATUSES,
        today=clock.today(),
        button=ConfirmForm(),
        **masks(),
    )
    return html if revealed else audited(html, "read.villager", villagers=[villager], target=f"villager:{villager.id}")


@admin.route("/villagers/<int:villager_id>")
@permission_required("register.view")
def villager(villager_id: int):
    return _detail(g.scope.villager(villager_id))


@admin.route("/villagers/<int:villager_id>/reveal", methods=["POST"])
@permission_required("register.reveal")
def villager_reveal(villager_id: int):
    """The full numbers on this one response; reloading the page by GET shows them masked again."""
    person = g.scope.villager(villager_id)
    if not ConfirmForm().validate_on_submit():
        flash("页面已过期，请重新点“查看完整号码”。", "danger")
        return redirect(url_for("admin.villager", villager_id=person.id))
    return _detail(person, revealed=reveal.reveal(person, g.account))


@admin.route("/villagers/<int:villager_id>/edit", methods=["GET", "POST"])
@permission_required("register.edit")
def villager_edit(villager_id: int):
    person = g.scope.villager(villager_id)
    form = VillagerForm()
    status = 200
    if request.method == "GET":
        # With an ID number on file the birth date comes from it (a blank field keeps it), so
        # the form needs no full date: the day is part of the number, shown only on a reveal.
        hidden = ("csrf_token", "clear_id", "clear_phone", "id_number", "phone") + (
            ("birth_date",) if person.id_number else ()
        )
        for name in form._fields:
            if name not in hidden:
                value = getattr(person, name)
                form[name].data = value.isoformat() if isinstance(value, date) else (value or "")
    elif form.validate_on_submit():
        try:
            changes = register_edit.edit_villager(
                person, form.to_input(), actor=g.account.actor,
                clear_id=form.clear_id.data, clear_phone=form.clear_phone.data,
            )  # fmt: skip
        except AppError as error:
            flash(error.message, "danger")
            status = 400
        else:
            flash("已保存修改。" if changes else "没有改动。", "success" if changes else "info")
            return redirect(url_for("admin.villager", villager_id=person.id))
    else:
        flash(first_error(form), "danger")
        status = 400
    html = render_template(
        "admin/register/villager_edit.html", form=form, villager=person, is_head=person.household.head_id == person.id,
        **masks(),
    )  # fmt: skip
    return audited(html, "read.villager_edit", villagers=[person], target=f"villager:{person.id}"), status
