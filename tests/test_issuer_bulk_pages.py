"""The admin bulk upload page: the dry run as a table, issuing, the job page and its result CSV, who may use it."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import aiohttp
from bulk_support import csv_text
from evidence_harness import EvidenceNode, evidence_node, smtp  # noqa: F401

XSS = "<script>alert('x')</script>"


def _csrf(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)


async def _get(node: EvidenceNode, path: str) -> tuple[int, str, Any]:
    async with node.http.get(node.url + path, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers


async def _post(node: EvidenceNode, path: str, data: Any) -> tuple[int, str, Any]:
    async with node.http.post(node.url + path, data=data, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers


async def _sign_in_admin(node: EvidenceNode) -> None:
    from issuer_node.accounts import add_user

    store = node.store()
    try:
        admin = add_user(store, "ada@riverside.example.org", "admin")
    finally:
        store.close()
    _, page, _ = await _get(node, "/admin/login")
    status, _, _ = await _post(node, "/admin/login", {"csrf_token": _csrf(page), "email": admin.user.email,
                                                      "password": admin.password, "next": "/admin/bulk"})
    assert status == 303


def _upload(token: str | None, content: bytes, action: str, *, filename: str = "district.csv") -> aiohttp.FormData:
    form = aiohttp.FormData()
    if token is not None:
        form.add_field("csrf_token", token)
    form.add_field("action", action)
    form.add_field("file", io.BytesIO(content), filename=filename, content_type="text/csv")
    return form


def _count(node: EvidenceNode) -> int:
    store = node.store()
    try:
        return store.count_credentials()
    finally:
        store.close()


async def test_check_then_issue_from_the_page_and_download_the_result(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    await _sign_in_admin(node)
    status, page, _ = await _get(node, "/admin/bulk")
    assert status == 200 and '<label for="file">' in page and 'value="check"' in page
    content = csv_text(["name", "email", "achievement"], [
        ["Ann", "ann@school.example", achievement["id"]],
        [XSS, "not-an-email", achievement["id"]],
        ["Cy", "cy@school.example", achievement["key"]]]).encode()

    status, page, _ = await _post(node, "/admin/bulk", _upload(_csrf(page), content, "check"))
    assert status == 200
    assert "3 rows: 2 would be issued" in page and "Nothing was issued" in page
    cells = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", page)
    assert [(row, column) for row, column, _ in cells] == [("2", "email")]
    assert cells[0][2].startswith("not an email address")
    assert XSS not in page
    assert _count(node) == 0

    status, _, headers = await _post(node, "/admin/bulk", _upload(_csrf(page), content, "issue"))
    assert status == 303
    job_path = headers["Location"]
    assert re.fullmatch(r"/admin/bulk/[0-9a-f]{64}", job_path)
    status, page, _ = await _get(node, job_path)
    assert status == 200 and "Issued: 2" in page and "not an email address" in page
    assert _count(node) == 2
    status, text, headers = await _get(node, f"{job_path}/result.csv")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    result = list(csv.DictReader(io.StringIO(text)))
    assert [(r["row"], r["state"]) for r in result] == [("1", "issued"), ("2", "refused"), ("3", "issued")]

    # The same file again is the same job: nothing issued twice; the job is listed on the upload page.
    status, page, _ = await _get(node, "/admin/bulk")
    assert f'href="{job_path}"' in page
    status, _, headers = await _post(node, "/admin/bulk", _upload(_csrf(page), content, "issue"))
    assert (status, headers["Location"]) == (303, job_path)
    assert _count(node) == 2


async def test_a_file_that_cannot_be_read_is_refused_on_the_page(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    await _sign_in_admin(node)
    _, page, _ = await _get(node, "/admin/bulk")
    for content, expected in ((b"name,emial,achievement\nA,a@x.example,X\n", "unknown column &#39;emial&#39;"),
                              (b"name,email\nA,a@x.example\n", "lacks the required column achievement"),
                              (b"", "the file is empty"),
                              (b"name,email,achievement\nJos\xe9,j@x.example,X\n", "not UTF-8 text")):
        status, body, _ = await _post(node, "/admin/bulk", _upload(_csrf(page), content, "issue"))
        assert status == 400 and expected in body, body
        assert 'role="alert"' in body
    assert _count(node) == 0


async def test_only_a_signed_in_admin_with_the_csrf_token_may_upload(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    content = csv_text(["name", "email", "achievement"], [["Ann", "ann@school.example", achievement["id"]]]).encode()
    status, _, headers = await _get(node, "/admin/bulk")
    assert status == 303 and headers["Location"].startswith("/admin/login")

    _, page, _ = await _get(node, "/admin/login")
    assert (await _post(node, "/admin/login", {"csrf_token": _csrf(page), "email": node.reviewer_email,
                                               "password": node.reviewer_password}))[0] == 303
    status, _, _ = await _get(node, "/admin/bulk")
    assert status == 403
    status, _, _ = await _post(node, "/admin/bulk", _upload(None, content, "issue"))
    assert status == 403
    _, page, _ = await _get(node, "/admin/applications")
    await _post(node, "/admin/logout", {"csrf_token": _csrf(page)})

    await _sign_in_admin(node)
    status, _, _ = await _post(node, "/admin/bulk", _upload("forged", content, "issue"))
    assert status == 403
    assert _count(node) == 0
