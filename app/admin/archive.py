"""The document archive (R5): a household's ID-card and household-register photos.

Listing shows no image at all; each photo is fetched only when a cadre clicks 查看, through
``archive_photo``, which watermarks it and writes the audit row for that one view.
"""

from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from app.admin import admin
from app.admin.guard import permission_required
from app.errors import AppError, Conflict
from app.models import Photo
from app.numbers import row_id
from app.services import archive, photos
from app.services.permissions import PERMISSIONS, allowed


@admin.route("/households/<int:household_id>/archive", methods=["GET", "POST"])
@permission_required("archive.view")
def household_archive(household_id: int):
    household = g.scope.household(household_id)
    status = 200
    if request.method == "POST":
        _require("archive.upload")
        data = archive.ArchiveUpload(
            kind=request.form.get("kind", ""),
            villager_id=row_id(request.form.get("villager_id")),
            caption=request.form.get("caption"),
        )
        try:
            images = photos.clean_uploads(request.files.getlist("photos"))
            stored = archive.upload_documents(household, data, images, actor=g.account.actor)
        except Conflict as error:  # the same photos again (a double click): nothing new, nothing wrong
            flash(error.message, "warning")
            return redirect(url_for("admin.household_archive", household_id=household.id))
        except AppError as error:
            flash(error.message, "danger")
            status = 400
        else:
            flash(f"已存档 {len(stored)} 张{archive.KINDS[data.kind]}照片。", "success")
            return redirect(url_for("admin.household_archive", household_id=household.id))
    documents = archive.documents_of(household)
    page = render_template(
        "admin/archive/household.html",
        household=household,
        documents=documents,
        names=archive.person_names(documents),
        kinds=archive.KINDS,
        captions=archive.CAPTIONS,
        local_time=archive.local_time,
        values=request.form if status == 400 else {},
    )
    return page, status


@admin.route("/archive/<int:photo_id>")
@permission_required("archive.view")
def archive_photo(photo_id: int):
    """One watermarked view of one document photo; never cached anywhere."""
    photo = _scoped_document(photo_id)
    image = archive.view_document(photo, viewer=g.account.actor, actor=g.account.actor)
    response = Response(image, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store, private"
    response.headers["Content-Disposition"] = f'inline; filename="archive-{photo.id}.jpg"'
    return response


@admin.post("/archive/<int:photo_id>/retire")
@permission_required("archive.upload")
def archive_retire(photo_id: int):
    photo = _scoped_document(photo_id)
    try:
        archive.retire(photo, actor=g.account.actor)
    except AppError as error:
        flash(error.message, "warning")
    else:
        flash("这张照片已停用。它仍留在档案里，需要时还能查看。", "success")
    return redirect(url_for("admin.household_archive", household_id=photo.household_id))


def _scoped_document(photo_id: int) -> Photo:
    """The photo if it is an archive photo inside this account's scope; otherwise 404."""
    photo = archive.get_document(photo_id)
    g.scope.require_village(photo.village_id)
    if photo.villager_id is not None:
        g.scope.villager(photo.villager_id)  # an ID card follows its person
    else:
        g.scope.household(photo.household_id)
    return photo


def _require(permission: str) -> None:
    if not allowed(g.account.role, permission):
        abort(403, description=f"你的角色不能{PERMISSIONS[permission]}。")
