"""操作日志 (A3): search the append-only audit log, held to the admin's scope.

Searches are POSTed, paging too (each page button is a small form carrying the search): what an
admin searches for (a cadre's name, a household number, an ID number in a target) never appears
in a URL, so it never lands in a web server's access log or the browser's history. A GET shows
the newest rows unfiltered and ignores any query string.
"""

from __future__ import annotations

from flask import flash, g, render_template, request

from app.admin import admin
from app.admin.guard import permission_required
from app.errors import ValidationError
from app.services import audit_labels, audit_reads, audit_search
from app.services.audit_search import AuditQuery


@admin.route("/audit", methods=["GET", "POST"])
@permission_required("audit.view")
def audit():
    status = 200
    try:
        query = audit_search.parse(request.form if request.method == "POST" else {})
    except ValidationError as error:
        flash(error.message, "danger")
        query, status = None, 400
    rows, page, pages, total = audit_search.search(g.scope, query) if query else ([], 1, 1, 0)
    return render_template(
        "admin/audit/index.html",
        query=query or AuditQuery(),
        rows=rows,
        page=page,
        pages=pages,
        total=total,
        names=audit_search.target_names(g.scope, rows),
        reads=audit_reads.summaries(g.scope, rows),
        villages={v.id: v.name for v in g.scope.villages},
        kinds=audit_search.ACTION_KINDS,
        detail=audit_labels.detail_lines,
        label=audit_labels.action_label,
        actor=audit_labels.actor_label,
        when=audit_search.local_minute,
        unplaced=audit_search.sees_unplaced_rows(g.scope),
    ), status
