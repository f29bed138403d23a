"""The points ledger in the back office (P2, P4): filtered list, one entry with its evidence
photos, and reversal with a reason (the ledger is append-only: a mistake is undone by a
reversing entry, never edited)."""

from __future__ import annotations

import uuid

from flask import Response, flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.forms import first_error
from app.admin.guard import permission_required
from app.admin.points_forms import ReverseForm
from app.errors import AppError
from app.numbers import page_number, row_id
from app.services import ledger_query, rules, vocab
from app.services import points as ledger
from app.services.archive import local_time


@admin.route("/points")
@permission_required("points.view")
def points_ledger():
    args = request.args
    f = ledger_query.LedgerFilter(
        village_id=row_id(args.get("village_id")),
        group_id=row_id(args.get("group_id")),
        household_id=row_id(args.get("household_id")),
        household_number=args.get("number", "").strip() or None,
        category=args.get("category", "").strip() or None,
        rule_id=row_id(args.get("rule_id")),
        kind=args.get("kind", "").strip() or None,
        date_from=args.get("date_from", "").strip() or None,
        date_to=args.get("date_to", "").strip() or None,
        recorded_by=args.get("recorded_by", "").strip() or None,
        page=page_number(args.get("page")),
    )
    status = 200
    try:
        page = ledger_query.list_entries(g.scope, f)
    except AppError as error:
        if error.status == 404:
            raise
        flash(error.message, "danger")
        status = 400
        page = ledger_query.list_entries(g.scope, ledger_query.LedgerFilter())
    household = g.scope.household(f.household_id) if f.household_id else None
    village_ids = [f.village_id] if f.village_id else g.scope.village_ids
    return (
        render_template(
            "admin/points/ledger.html",
            page=page,
            f=f,
            household=household,
            groups=g.scope.groups(f.village_id),
            rule_list=rules.rules_of(village_ids),
            categories=rules.category_choices(village_ids) if village_ids else vocab.POINTS_CATEGORIES,
            kinds=ledger_query.KINDS,
            args={k: v for k, v in args.items() if k != "page" and v},
            local_time=local_time,
        ),
        status,
    )


@admin.route("/points/<int:entry_id>")
@permission_required("points.view")
def points_entry(entry_id: int):
    entry = ledger_query.entry_in_scope(g.scope, entry_id)
    form = ReverseForm()
    form.idempotency_key.data = uuid.uuid4().hex
    return _entry_page(entry, form, 200)


def _entry_page(entry, form: ReverseForm, status: int):
    reversal = ledger_query.reversals_of([entry.id]).get(entry.id)
    return (
        render_template(
            "admin/points/entry.html",
            entry=entry,
            reversal=reversal,
            photo_list=ledger_query.evidence_photos(entry.id),
            form=form,
            local_time=local_time,
            kinds=ledger_query.KINDS,
        ),
        status,
    )


@admin.route("/points/photos/<int:photo_id>")
@permission_required("points.view")
def points_photo(photo_id: int):
    """An evidence photo; the entries it proves are public to the village (P4), so no watermark."""
    photo = ledger_query.evidence_photo_in_scope(g.scope, photo_id)
    return Response(photo.data, mimetype=photo.content_type, headers={"Content-Disposition": "inline"})


@admin.route("/points/<int:entry_id>/reverse", methods=["POST"])
@permission_required("points.reverse")
def points_reverse(entry_id: int):
    entry = ledger_query.entry_in_scope(g.scope, entry_id)
    form = ReverseForm()
    if not form.validate_on_submit():
        flash(first_error(form), "danger")
        return _entry_page(entry, form, 400)
    try:
        correction = ledger.reverse_once(
            entry.id, reason=form.reason.data, recorded_by=g.account.actor, idempotency_key=form.idempotency_key.data
        )
    except AppError as error:
        flash(error.message, "danger")
        return _entry_page(entry, form, 400)
    what = f"{entry.household.number}户 {entry.points:+d}分"
    flash(f"已撤销第{entry.id}条（{what}），记了一条{correction.points:+d}分的更正记录。", "success")
    return redirect(url_for("admin.points_entry", entry_id=entry.id))
