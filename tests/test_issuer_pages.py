"""The issuer node's pages over HTTP, as a browser without JavaScript uses them: forms, redirects, cookies.

Apply from the public page, sign in, review with the rubric form, resubmit from
the status page, approve, and the offer by SMTP; CSRF refusals; escaping of
what applicants type; achievements, register and outbox pages.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any

import aiohttp
from evidence_harness import PDF, EvidenceNode, evidence_node, smtp  # noqa: F401

XSS = "<script>alert('x')</script>"


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match is not None, "the page has no CSRF field"
    return match.group(1)


async def get(node: EvidenceNode, path: str) -> tuple[int, str, aiohttp.typedefs.LooseHeaders]:
    async with node.http.get(node.url + path, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers


async def post(node: EvidenceNode, path: str, data: Any) -> tuple[int, str, Any]:
    async with node.http.post(node.url + path, data=data, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers


def apply_form(token: str | None, *, name: str = "Ana Ruiz", email: str = "ana@school.example") -> aiohttp.FormData:
    form = aiohttp.FormData()
    if token is not None:
        form.add_field("csrf_token", token)
    form.add_field("name", name)
    form.add_field("email", email)
    form.add_field("evidence_url", "https://video.example/ana-lesson")
    form.add_field("evidence_url", "")
    form.add_field("narrative", "I built a lesson\non the dashboard.")
    form.add_field("file", io.BytesIO(PDF), filename="lesson-plan.pdf", content_type="application/pdf")
    return form


async def sign_in(node: EvidenceNode, email: str, password: str) -> tuple[int, Any]:
    _, page, _ = await get(node, "/admin/login")
    status, _, headers = await post(node, "/admin/login", {"csrf_token": csrf_of(page), "email": email,
                                                           "password": password, "next": "/admin/applications"})
    return status, headers


async def test_apply_review_resubmit_approve_through_the_pages(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    status, page, headers = await get(node, f"/achievements/{achievement['key']}/apply")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "Builds a lesson plan on a class dashboard" in page and "Reflects on the result" in page
    for field in ("name", "email", "evidence-url-0", "evidence-files", "narrative"):
        assert f'<label for="{field}"' in page, field
    assert 'alt="Badge image of Classroom Data Literacy"' in page

    status, page, headers = await post(node, f"/achievements/{achievement['key']}/apply",
                                       apply_form(csrf_of(page), name=XSS))
    assert status == 303, page
    status_path = headers["Location"]
    assert re.fullmatch(r"/applications/[0-9a-f-]{36}\?key=[A-Za-z0-9_-]+", status_path)
    status, page, _ = await get(node, status_path)
    assert status == 200 and "Waiting for a reviewer" in page
    assert XSS not in page and html.escape(XSS, quote=False) in page.replace("&#39;", "'")

    # Sign in as the reviewer; the queue shows the (escaped) applicant.
    status, headers = await sign_in(node, node.reviewer_email, node.reviewer_password)
    assert (status, headers["Location"]) == (303, "/admin/applications")
    assert "satchel_issuer_session=" in headers["Set-Cookie"] and "HttpOnly" in headers["Set-Cookie"]
    status, page, _ = await get(node, "/admin/applications")
    assert status == 200 and XSS not in page
    application_id = re.search(r'href="/admin/applications/([0-9a-f-]{36})"', page).group(1)  # type: ignore[union-attr]

    status, page, _ = await get(node, f"/admin/applications/{application_id}")
    assert status == 200 and XSS not in page
    assert 'name="score_0"' in page and 'name="score_1"' in page
    file_link = re.search(r'href="([^"]*/files/[0-9a-f]{64})"', page).group(1)  # type: ignore[union-attr]
    async with node.http.get(file_link) as response:  # The signed-in reviewer reads the file.
        assert response.status == 200 and await response.read() == PDF
    token = csrf_of(page)

    # A resubmission request without a reason is refused on the page, nothing recorded.
    status, refused, _ = await post(node, f"/admin/applications/{application_id}/decision",
                                    {"csrf_token": token, "decision": "resubmit", "feedback": "", "score_0": "2"})
    assert status == 400 and "feedback is required" in refused
    status, _, headers = await post(node, f"/admin/applications/{application_id}/decision",
                                    {"csrf_token": token, "decision": "resubmit", "score_0": "2",
                                     "note_0": "Good plan", "score_1": "0", "feedback": "Add a reflection <b>please</b>."})
    assert (status, headers["Location"]) == (303, f"/admin/applications/{application_id}")

    status, page, _ = await get(node, status_path)
    assert "The reviewer asks you to resubmit" in page
    assert "Add a reflection &lt;b&gt;please&lt;/b&gt;." in page
    assert "Good plan" in page and "Not yet evident" in page
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf_of(page))
    form.add_field("key", status_path.split("key=")[1])
    form.add_field("narrative", "My reflection.")
    status, _, headers = await post(node, f"/applications/{application_id}/resubmit", form)
    assert (status, headers["Location"]) == (303, status_path)

    status, page, _ = await get(node, f"/admin/applications/{application_id}")
    assert "Decision on round 2" in page
    status, _, _ = await post(node, f"/admin/applications/{application_id}/decision",
                              {"csrf_token": csrf_of(page), "decision": "approve", "score_1": "3", "feedback": ""})
    assert status == 303
    status, page, _ = await get(node, status_path)
    assert "Approved" in page
    offer_url = html.unescape(re.search(r"<pre>(openid-credential-offer://[^<]+)</pre>", page).group(1))  # type: ignore[union-attr]
    assert await node.wait_for_mail(offer_url)
    assert "Round 1" in page and "Round 2" in page


async def test_forms_without_the_csrf_token_are_refused(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    await get(node, f"/achievements/{achievement['key']}/apply")  # The visitor has a pre-session cookie.
    status, page, headers = await post(node, f"/achievements/{achievement['key']}/apply", apply_form(None))
    assert status == 403 and headers["Content-Type"].startswith("text/html")
    status, page, _ = await post(node, f"/achievements/{achievement['key']}/apply", apply_form("forged"))
    assert status == 403
    status, _, _ = await post(node, "/admin/login", {"email": node.reviewer_email,
                                                     "password": node.reviewer_password})
    assert status == 403

    # Signed in, a decision posted without the token changes nothing.
    _, created, _ = await node.apply(achievement["id"])
    assert (await sign_in(node, node.reviewer_email, node.reviewer_password))[0] == 303
    status, _, _ = await post(node, f"/admin/applications/{created['id']}/decision", {"decision": "approve"})
    assert status == 403
    status, _, _ = await node.call("POST", f"/api/applications/{created['id']}/decision", json={"decision": "approve"})
    assert status == 403  # The API with the session cookie but no X-CSRF-Token header.
    _, listed, _ = await node.call("GET", f"/api/applications/{created['id']}", token=node.reviewer_token)
    assert listed["status"] == "pending" and listed["decisions"] == []


async def test_login_refuses_a_wrong_password_and_is_rate_limited(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    status, _ = await sign_in(node, node.reviewer_email, "wrong")
    assert status == 401
    statuses = [(await sign_in(node, node.reviewer_email, "wrong"))[0] for _ in range(10)]
    assert statuses[-1] == 429 and set(statuses) <= {401, 429}
    status, page, headers = await get(node, "/admin/applications")
    assert status == 303 and headers["Location"].startswith("/admin/login")


async def test_achievements_are_created_edited_and_retired_from_the_pages(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    store = node.store()
    try:
        from issuer_node.accounts import add_user

        admin = add_user(store, "ada@riverside.example.org", "admin")
    finally:
        store.close()
    assert (await sign_in(node, admin.user.email, admin.password))[0] == 303
    status, page, _ = await get(node, "/admin/achievements")
    assert status == 200
    form = aiohttp.FormData()
    for name, value in (("csrf_token", csrf_of(page)), ("name", "Formative Assessment <i>Pro</i>"),
                        ("description", "Checks for understanding"), ("criteria", "Plans checks\nActs on them"),
                        ("tags", "assessment, k-12"), ("evidence", "required")):
        form.add_field(name, value)
    status, _, headers = await post(node, "/admin/achievements", form)
    assert status == 303
    edit_path = headers["Location"].split("?")[0]
    key = edit_path.rsplit("/", 1)[1]
    status, page, _ = await get(node, edit_path)
    assert "Formative Assessment &lt;i&gt;Pro&lt;/i&gt;" in page and "<i>Pro</i>" not in page

    status, _, _ = await post(node, edit_path, {"csrf_token": csrf_of(page), "name": "Formative Assessment",
                                                "description": "Checks for understanding daily",
                                                "criteria": "Plans checks\nActs on them\nShares results",
                                                "tags": "assessment", "evidence": "optional"})
    assert status == 303
    status, public_page, _ = await get(node, f"/achievements/{key}/apply")
    assert "Shares results" in public_page and "Checks for understanding daily" in public_page

    status, page, _ = await get(node, edit_path)
    status, _, _ = await post(node, f"{edit_path}/retire", {"csrf_token": csrf_of(page), "retired": "1"})
    assert status == 303
    status, public_page, _ = await get(node, f"/achievements/{key}/apply")
    assert "retired" in public_page and "<form" not in public_page.split("Apply for this badge")[1]
    status, problem, _ = await node.call("POST", "/api/applications", json={
        "name": "Ana", "email": "ana@school.example", "achievement": key, "narrative": "x"})
    assert (status, problem["type"]) == (409, "urn:satchel:problem:achievement_retired")

    # The reviewer may not edit achievements or read the outbox.
    await post(node, "/admin/logout", {"csrf_token": csrf_of(page)})
    assert (await sign_in(node, node.reviewer_email, node.reviewer_password))[0] == 303
    for path in ("/admin/achievements", "/admin/outbox"):
        status, _, _ = await get(node, path)
        assert status == 403, path


async def test_register_search_suspend_and_revoke_with_a_reason(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    status, issued, _ = await node.call("POST", "/credentials/issue", token=node.admin_token, json={
        "credential": {"achievement": achievement["id"], "recipient": {"email": "bo@school.example", "name": XSS}},
        "options": {}})
    assert status == 201, issued
    credential_id = issued["verifiableCredential"]["id"]
    store = node.store()
    try:
        from issuer_node.accounts import add_user

        admin = add_user(store, "ada@riverside.example.org", "admin")
    finally:
        store.close()
    assert (await sign_in(node, admin.user.email, admin.password))[0] == 303
    status, page, _ = await get(node, "/admin/credentials?q=bo%40school.example")
    assert status == 200 and "1 credential" in page and XSS not in page
    status, page_none, _ = await get(node, "/admin/credentials?q=nobody%40school.example")
    assert "0 credentials" in page_none
    key = credential_id.rsplit("/", 1)[1]

    status, refused, _ = await post(node, f"/admin/credentials/{key}/status",
                                    {"csrf_token": csrf_of(page), "action": "suspend", "reason": " "})
    assert status == 400 and "reason is required" in refused
    status, _, headers = await post(node, f"/admin/credentials/{key}/status",
                                    {"csrf_token": csrf_of(page), "action": "suspend", "reason": "Under review"})
    assert status == 303
    status, page, _ = await get(node, headers["Location"])
    assert "suspended" in page and "Under review" in page
    _, entry, _ = await node.call("GET", f"/credentials/{key}", token=node.admin_token)
    assert entry["suspended"] is True and entry["suspendedReason"] == "Under review"
    status, _, _ = await post(node, f"/admin/credentials/{key}/status",
                              {"csrf_token": csrf_of(page), "action": "revoke", "reason": "Issued in error"})
    assert status == 303
    _, entry, _ = await node.call("GET", f"/credentials/{key}", token=node.admin_token)
    assert entry["revoked"] is True and entry["revokedReason"] == "Issued in error"


async def test_outbox_page_shows_queued_mail_to_admins(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    _, created, _ = await node.apply(achievement["id"], name=XSS)
    await node.call("POST", f"/api/applications/{created['id']}/decision", token=node.reviewer_token,
                    json={"decision": "approve"})
    store = node.store()
    try:
        from issuer_node.accounts import add_user

        admin = add_user(store, "ada@riverside.example.org", "admin")
    finally:
        store.close()
    assert (await sign_in(node, admin.user.email, admin.password))[0] == 303
    status, page, _ = await get(node, "/admin/outbox")
    assert status == 200
    assert "ana@school.example" in page and "openid-credential-offer://" in page
    assert XSS not in page


async def test_wrong_key_and_unknown_pages_are_html_errors(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    _, created, _ = await node.apply(achievement["id"])
    status, page, headers = await get(node, f"/applications/{created['id']}?key=guess")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    status, page, _ = await get(node, "/achievements/00000000-0000-0000-0000-000000000000/apply")
    assert status == 404


async def test_a_refused_page_form_is_shown_again_with_the_reason_and_the_values(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    path = f"/achievements/{achievement['key']}/apply"
    _, page, _ = await get(node, path)
    form = aiohttp.FormData()
    for name, value in (("csrf_token", csrf_of(page)), ("name", XSS), ("email", "ana@school.example"),
                        ("narrative", "My narrative </textarea><script>x</script>")):
        form.add_field(name, value)
    form.add_field("file", io.BytesIO(b"<svg onload='x'/>"), filename="a.svg", content_type="image/svg+xml")
    status, page, headers = await post(node, path, form)
    assert status == 415 and headers["Content-Type"].startswith("text/html")
    assert 'role="alert"' in page and "this file type is not accepted" in page
    assert "My narrative &lt;/textarea&gt;&lt;script&gt;" in page and "<script>" not in page
    assert 'value="ana@school.example"' in page

    big = aiohttp.FormData()
    big.add_field("csrf_token", csrf_of(page))
    big.add_field("file", io.BytesIO(b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)), filename="big.pdf",
                  content_type="application/pdf")
    status, page, headers = await post(node, path, big)
    assert status == 413 and headers["Content-Type"].startswith("text/html")
