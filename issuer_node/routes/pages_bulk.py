"""Admin pages for bulk CSV uploads: the same dry run as ``satchel issuer bulk --dry-run``, shown as a table.

``GET /admin/bulk`` is the upload form and the recent jobs; ``POST /admin/bulk``
checks (``action=check``: nothing issued) or issues (``action=issue``) the
uploaded file through ``bulk.run_bulk`` off the loop, then redirects to the
job's page. A job is keyed by the file's sha256, so uploading the same file
again resumes it and never issues a row twice (a dropped connection mid-run
loses nothing). Uploads here are limited to ``PAGE_MAX_BYTES``; larger files go
through the command line. Admins only.
"""

from __future__ import annotations

from aiohttp import web

from webbase.cpu import run_cpu
from webbase.sessions import check_csrf
from webbase.templates import page
from webbase.uploads import read_multipart

from ..bulk import dry_run, reason_text, result_csv_text, run_bulk
from ..bulk_csv import COLUMNS, REQUIRED_COLUMNS, BulkFileError, RowError, parse_bulk_csv
from ..errors import NotFound
from ..state import NODE
from ..storage import User
from .operators import page_user
from .pages_admin import admin_page

PAGE_MAX_BYTES = 2 * 1024 * 1024  # The app's body limit; a bigger file goes through ``satchel issuer bulk``.
SHOWN_FAULTS = 500


def _bulk_page(request: web.Request, user: User, *, faults: list[RowError] | None = None, rows: int = 0,
               already_done: int = 0, filename: str | None = None, error: str | None = None,
               status: int = 200) -> web.Response:
    jobs = request.app[NODE].store.list_bulk_jobs(limit=20)
    return admin_page(request, "admin_bulk.html", user, "Bulk issue", http_status=status, jobs=jobs,
                      faults=None if faults is None else faults[:SHOWN_FAULTS], fault_count=len(faults or []),
                      rows=rows, already_done=already_done, filename=filename, error=error, columns=COLUMNS, required=REQUIRED_COLUMNS,
                      max_mib=PAGE_MAX_BYTES // (1024 * 1024))


@page
async def bulk_page(request: web.Request) -> web.Response:
    """The upload form (check or issue a CSV file) and the recent bulk jobs (admin)."""
    return _bulk_page(request, page_user(request, "admin"))


@page
async def bulk_submit(request: web.Request) -> web.Response:
    """Check (dry run) or issue an uploaded CSV file (admin, CSRF-checked)."""
    user = page_user(request, "admin")
    form = await read_multipart(request, max_file_bytes=PAGE_MAX_BYTES, max_parts=8)
    check_csrf(request, form.fields)
    upload = form.files.get("file")
    if upload is None or not upload.filename:
        return _bulk_page(request, user, error="Choose a CSV file to upload.", status=400)
    node = request.app[NODE]
    try:
        bulk = await run_cpu(parse_bulk_csv, upload.data)
    except BulkFileError as exc:
        return _bulk_page(request, user, filename=upload.filename, error=f"{upload.filename}: {exc}", status=400)
    rows = len(bulk.rows) + len(bulk.read_errors)
    allow_duplicates = form.fields.get("allow_duplicates") == "1"
    if form.fields.get("action") != "issue":
        checked = await run_cpu(dry_run, node, bulk, allow_duplicates=allow_duplicates)
        return _bulk_page(request, user, faults=list(checked.faults), rows=rows, already_done=checked.already_done,
                          filename=upload.filename)
    await run_cpu(run_bulk, node, bulk, filename=upload.filename[:200], offer=form.fields.get("offer") == "1",
                  allow_duplicates=allow_duplicates)
    raise web.HTTPSeeOther(f"/admin/bulk/{bulk.sha256}")


def _job(request: web.Request) -> str:
    job_id = request.match_info["job"]
    if request.app[NODE].store.get_bulk_job(job_id) is None:
        raise NotFound(f"no bulk job {job_id[:64]}", code="bulk_job_not_found")
    return job_id


@page
async def job_page(request: web.Request) -> web.Response:
    """One job: how many rows were issued, offered and refused, the refused rows, the result CSV (admin)."""
    user = page_user(request, "admin")
    store = request.app[NODE].store
    job_id = _job(request)
    job = store.get_bulk_job(job_id)
    outcomes = store.list_bulk_rows(job_id)
    counts = {state: sum(1 for o in outcomes if o.state == state) for state in ("issued", "offer sent", "refused")}
    refused = [o for o in outcomes if o.state == "refused"]
    return admin_page(request, "admin_bulk_job.html", user, f"Bulk job {job_id[:12]}", job=job, counts=counts,
                      refused=[(o, reason_text(o)) for o in refused[:SHOWN_FAULTS]], refused_count=len(refused))


@page
async def job_result(request: web.Request) -> web.Response:
    """The job's result CSV: row, state, reason, credential id, offer URL (admin)."""
    page_user(request, "admin")
    job_id = _job(request)
    text = result_csv_text(request.app[NODE].store.list_bulk_rows(job_id))
    return web.Response(text=text, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="bulk-{job_id[:12]}.result.csv"'})


def setup(app: web.Application) -> None:
    app.router.add_get("/admin/bulk", bulk_page)
    app.router.add_post("/admin/bulk", bulk_submit)
    app.router.add_get("/admin/bulk/{job}", job_page)
    app.router.add_get("/admin/bulk/{job}/result.csv", job_result)
