"""The evidence workflow over HTTP on a real node: apply, review, resubmit, approve, the offer by SMTP."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from evidence_harness import PDF, EvidenceNode, evidence_node, key_of, smtp  # noqa: F401

PROBLEM = "application/problem+json"


async def test_apply_resubmit_approve_and_the_offer_arrives_by_smtp(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    status, created, _ = await node.apply(achievement["id"])
    assert status == 201, created
    assert created["status"] == "pending"
    assert created["status_url"].startswith(f"{node.url}/applications/{created['id']}?key=")
    key = key_of(created["status_url"])
    app_id = created["id"]

    # The reviewer sees it in the queue, with the criteria to score.
    status, queue, _ = await node.call("GET", "/api/applications?status=pending", token=node.reviewer_token)
    assert status == 200
    [listed] = queue["applications"]
    assert listed["id"] == app_id and listed["name"] == "Ana Ruiz"
    assert listed["criteria"] == ["Builds a lesson plan on a class dashboard", "Reflects on the result"]
    assert listed["submissions"][0]["files"][0]["name"] == "lesson-plan.pdf"
    assert listed["submissions"][0]["evidenceUrls"] == ["https://video.example/ana-lesson"]

    # Asking for a resubmission needs a reason.
    status, problem, content_type = await node.call("POST", f"/api/applications/{app_id}/decision",
                                                    token=node.reviewer_token, json={"decision": "resubmit"})
    assert (status, content_type, problem["type"]) == (400, PROBLEM, "urn:satchel:problem:feedback_required")
    rubric = [{"criterion": 0, "score": 2, "note": "Solid plan"}, {"criterion": 1, "score": 0}]
    status, decided, _ = await node.call("POST", f"/api/applications/{app_id}/decision", token=node.reviewer_token,
                                         json={"decision": "resubmit", "feedback": "Add your reflection, please.",
                                               "rubric": rubric})
    assert status == 200, decided
    assert decided["status"] == "resubmit"
    assert decided["decisions"][0]["rubric"][1]["criterion"] == "Reflects on the result"
    assert decided["decisions"][0]["reviewer"] == node.reviewer_email

    # The applicant's private view shows the reason; nothing is approved yet.
    status, mine, _ = await node.call("GET", f"/api/applications/{app_id}?key={key}")
    assert status == 200
    assert mine["status"] == "resubmit" and mine["feedback"] == "Add your reflection, please."
    assert mine["offer"] is None

    # A resubmission is a second round; the first stays in the history.
    status, resubmitted, _ = await node.call("POST", f"/api/applications/{app_id}/resubmit?key={key}",
                                             json={"narrative": "My reflection: the dashboard showed gaps.",
                                                   "evidence_urls": ["https://blog.example/ana/reflection"]})
    assert status == 200, resubmitted
    assert resubmitted["status"] == "pending"
    assert [s["round"] for s in resubmitted["submissions"]] == [1, 2]

    status, approved, _ = await node.call("POST", f"/api/applications/{app_id}/decision", token=node.reviewer_token,
                                          json={"decision": "approve", "feedback": "Well done",
                                                "rubric": [{"criterion": 1, "score": 3}]})
    assert status == 200, approved
    assert approved["status"] == "approved"
    assert [d["decision"] for d in approved["decisions"]] == ["resubmit", "approve"]

    status, mine, _ = await node.call("GET", f"/api/applications/{app_id}?key={key}")
    offer_url = mine["offer"]["offerUrl"]
    assert offer_url.startswith("openid-credential-offer://?credential_offer_uri=")
    offer_uri = parse_qs(urlsplit(offer_url).query)["credential_offer_uri"][0]
    assert offer_uri.startswith(f"{node.url}/offers/")

    # The offer went out over SMTP to the applicant, holding the offer URL.
    offers = await node.wait_for_mail(offer_url)
    assert len(offers) == 1
    assert offers[0]["To"] == "ana@school.example"

    # The outbox keeps it, marked sent; the award carries the latest narrative and URL, not the file.
    store = node.store()
    try:
        # The sink has the message before the sender records it as sent; wait for that record.
        import asyncio

        for _ in range(200):
            sent = [m for m in store.list_outbox() if offer_url in m.body]
            if len(sent) == 1 and sent[0].sent_at is not None:
                break
            await asyncio.sleep(0.05)
        assert len(sent) == 1 and sent[0].sent_at is not None
        application = store.get_application(app_id)
        award = store.get_award(application.award_id)
        assert award.narrative == "My reflection: the dashboard showed gaps."
        assert [e.get("id") for e in award.evidence] == ["https://blog.example/ana/reflection"]
    finally:
        store.close()

    # A decided application takes no second decision.
    status, problem, _ = await node.call("POST", f"/api/applications/{app_id}/decision", token=node.reviewer_token,
                                         json={"decision": "reject", "feedback": "changed my mind"})
    assert (status, problem["type"]) == (409, "urn:satchel:problem:not_pending")


async def test_rejection_shows_the_reason_and_refuses_a_resubmission(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    _, created, _ = await node.apply(achievement["key"], files=())
    key = key_of(created["status_url"])
    status, _, _ = await node.call("POST", f"/api/applications/{created['id']}/decision", token=node.reviewer_token,
                                   json={"decision": "reject", "feedback": "This is not a lesson plan."})
    assert status == 200
    _, mine, _ = await node.call("GET", f"/api/applications/{created['id']}?key={key}")
    assert (mine["status"], mine["feedback"]) == ("rejected", "This is not a lesson plan.")
    status, problem, _ = await node.call("POST", f"/api/applications/{created['id']}/resubmit?key={key}",
                                         json={"narrative": "again"})
    assert (status, problem["type"]) == (409, "urn:satchel:problem:not_awaiting_resubmission")
    assert await node.wait_for_mail("This is not a lesson plan.")


async def test_evidence_files_are_served_to_reviewers_and_the_applicant_only(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    _, created, _ = await node.apply(achievement["id"])
    _, other, _ = await node.apply(achievement["id"], name="Bo Chen", email="bo@school.example", files=())
    key, other_key = key_of(created["status_url"]), key_of(other["status_url"])
    _, mine, _ = await node.call("GET", f"/api/applications/{created['id']}?key={key}")
    file_url = mine["submissions"][0]["files"][0]["url"]
    assert f"key={key}" in file_url
    bare = file_url.split("?")[0]

    async with node.http.get(bare, headers=node.auth(node.reviewer_token)) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/pdf")
        assert "sandbox" in response.headers["Content-Security-Policy"]
        assert await response.read() == PDF
    async with node.http.get(file_url) as response:
        assert response.status == 200 and await response.read() == PDF

    for url, headers, expected in [
        (bare, {}, 404),                                                  # anonymous
        (f"{bare}?key={other_key}", {}, 404),                             # another applicant's key
        (f"{bare}?key=not-the-key", {}, 404),                             # a guessed key
        (bare, {"Authorization": "Bearer wrong"}, 401),                   # a bad token
    ]:
        async with node.http.get(url, headers=headers) as response:
            assert response.status == expected, url
            assert response.content_type == PROBLEM
            assert PDF not in await response.read()
    # The applicant's view of someone else's application does not open with their own key.
    status, _, _ = await node.call("GET", f"/api/applications/{created['id']}?key={other_key}")
    assert status == 404


async def test_the_queue_and_decisions_need_a_reviewer(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    _, created, _ = await node.apply(achievement["id"])
    status, problem, content_type = await node.call("GET", "/api/applications?status=pending")
    assert (status, content_type) == (401, PROBLEM)
    status, _, _ = await node.call("POST", f"/api/applications/{created['id']}/decision",
                                   json={"decision": "approve"})
    assert status == 401
    status, problem, _ = await node.call("GET", "/api/applications?status=bogus", token=node.reviewer_token)
    assert (status, problem["type"]) == (400, "urn:satchel:problem:invalid_request")
    status, problem, _ = await node.call("POST", f"/api/applications/{created['id']}/decision",
                                         token=node.reviewer_token,
                                         json={"decision": "approve", "rubric": [{"criterion": 7, "score": 2}]})
    assert (status, problem["field"]) == (400, "rubric")


async def test_validation_errors_are_problems(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define(evidence="required")
    status, problem, content_type = await node.apply(achievement["id"], email="")
    assert (status, content_type, problem["field"]) == (400, PROBLEM, "email")
    status, problem, _ = await node.call("POST", "/api/applications",
                                         json={"name": "Ana", "email": "ana@school.example",
                                               "achievement": achievement["id"]})
    assert (status, problem["type"]) == (400, "urn:satchel:problem:evidence_required")
    status, problem, _ = await node.call("POST", "/api/applications",
                                         json={"name": "Ana", "email": "ana@school.example", "narrative": "x",
                                               "achievement": achievement["id"], "evidence_urls": ["javascript:x"]})
    assert (status, problem["field"]) == (400, "evidence_url")

    # Past the app's 2 MiB body limit but within the 10 MiB file limit: accepted (files stream to their own limit).
    fine = b"%PDF-1.4\n" + b"0" * (4 * 1024 * 1024)
    status, created, _ = await node.apply(achievement["id"], files=(("scan.pdf", fine, "application/pdf"),))
    assert status == 201, created
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    status, problem, content_type = await node.apply(achievement["id"], files=(("big.pdf", big, "application/pdf"),))
    assert (status, content_type, problem["type"]) == (413, PROBLEM, "urn:satchel:problem:upload_too_large")

    for name, data, claimed in [("page.html", b"<!DOCTYPE html><script>alert(1)</script>", "application/pdf"),
                                ("badge.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
                                ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00", "application/pdf")]:
        status, problem, content_type = await node.apply(achievement["id"], files=((name, data, claimed),))
        assert (status, content_type, problem["type"]) == (415, PROBLEM, "urn:satchel:problem:unsupported_file_type")

    status, problem, _ = await node.call("POST", "/api/applications", data="name=x",
                                         headers={"Content-Type": "text/csv"})
    assert (status, problem["type"]) == (415, "urn:satchel:problem:unsupported_media_type")
    status, problem, _ = await node.call("POST", "/api/applications",
                                         json={"name": "Ana", "email": "ana@school.example", "narrative": "x",
                                               "achievement": "https://elsewhere.example/achievements/1"})
    assert (status, problem["type"]) == (404, "urn:satchel:problem:achievement_not_found")
    # Nothing refused was stored: only the one accepted application is in the queue.
    status, queue, _ = await node.call("GET", "/api/applications", token=node.reviewer_token)
    assert [a["id"] for a in queue["applications"]] == [created["id"]]


async def test_office_documents_images_and_text_are_accepted(evidence_node: EvidenceNode) -> None:
    import io
    import zipfile

    docx = io.BytesIO()
    with zipfile.ZipFile(docx, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    node = evidence_node
    achievement = await node.define()
    status, created, _ = await node.apply(achievement["id"], files=(
        ("plan.docx", docx.getvalue(), "application/octet-stream"), ("photo.png", png, "image/png"),
        ("notes.txt", "Reflexión: la clase…\n".encode(), "text/plain")))
    assert status == 201, created
    _, mine, _ = await node.call("GET", f"/api/applications/{created['id']}?key={key_of(created['status_url'])}")
    assert [f["mediaType"] for f in mine["submissions"][0]["files"]] == [
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "image/png", "text/plain"]


async def test_a_retired_achievement_refuses_applications_and_approval(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    _, created, _ = await node.apply(achievement["id"])
    status, _, _ = await node.call("POST", f"/api/achievements/{achievement['key']}/retire", token=node.admin_token)
    assert status == 200
    status, problem, content_type = await node.apply(achievement["id"])
    assert (status, content_type, problem["type"]) == (409, PROBLEM, "urn:satchel:problem:achievement_retired")
    status, problem, _ = await node.call("POST", f"/api/applications/{created['id']}/decision",
                                         token=node.reviewer_token, json={"decision": "approve"})
    assert (status, problem["type"]) == (409, "urn:satchel:problem:achievement_retired")


async def test_applications_are_rate_limited(evidence_node: EvidenceNode) -> None:
    node = evidence_node
    achievement = await node.define()
    statuses = []
    for _ in range(21):
        status, body, _ = await node.call("POST", "/api/applications",
                                          json={"name": "Ana", "email": "ana@school.example", "narrative": "x",
                                                "achievement": achievement["id"]})
        statuses.append(status)
    assert statuses[:20] == [201] * 20
    assert statuses[20] == 429 and body["type"] == "urn:satchel:problem:rate_limited"


async def test_an_application_without_smtp_stays_in_the_outbox(tmp_path: object) -> None:
    # Covered by the SMTP flow's outbox assertion; here the node runs without --smtp.
    from pathlib import Path

    from issuer_node.app import adopt_bound_url, create_app
    from issuer_node.config import IssuerConfig
    from issuer_node.provisioning import init_node
    from issuer_node.storage import open_store
    from webbase.testing import serving

    data = Path(str(tmp_path)) / "node"
    result = init_node(data, name="Riverside USD", url="https://riverside.example.org")
    app = create_app(IssuerConfig(data_dir=data))
    async with serving(app) as url, aiohttp.ClientSession() as http:
        adopt_bound_url(app, url)
        auth = {"Authorization": f"Bearer {result.admin_token}"}
        async with http.post(url + "/api/achievements", json={"name": "A", "description": "B", "criteria": "C"},
                             headers=auth) as response:
            achievement = await response.json()
        async with http.post(url + "/api/applications", json={"name": "Ana", "email": "ana@school.example",
                                                               "achievement": achievement["id"]}) as response:
            created = await response.json()
        async with http.post(url + f"/api/applications/{created['id']}/decision", json={"decision": "approve"},
                             headers=auth) as response:
            assert response.status == 200
    store = open_store(data / "issuer.db")
    try:
        [message] = store.list_outbox()
        assert message.to == "ana@school.example" and message.sent_at is None
        assert "openid-credential-offer://" in message.body
    finally:
        store.close()


async def test_the_approved_offer_redeems_to_a_verifiable_credential_carrying_the_evidence(
        evidence_node: EvidenceNode, satchel: Any, write_json: Any) -> None:
    import time

    from credentials.keys import generate_key_pair
    from wallet.oid4vci_client import redeem_offer

    node = evidence_node
    achievement = await node.define(evidence="required")
    _, created, _ = await node.apply(achievement["id"], narrative="I taught the unit with the dashboard.")
    status, _, _ = await node.call("POST", f"/api/applications/{created['id']}/decision", token=node.reviewer_token,
                                   json={"decision": "approve"})
    assert status == 200
    _, mine, _ = await node.call("GET", f"/api/applications/{created['id']}?key={key_of(created['status_url'])}")
    holder = generate_key_pair()
    received = await redeem_offer(mine["offer"]["offerUrl"], tx_code=None, signer=holder, issued_at=int(time.time()),
                                  session=node.http, allow_http_hosts=("127.0.0.1",))
    [credential] = received.credentials
    assert isinstance(credential, dict)
    assert credential["credentialSubject"]["id"] == holder.did
    evidence = credential["evidence"]
    assert {"id": "https://video.example/ana-lesson", "type": ["Evidence"]} in evidence
    assert any(item.get("narrative") == "I taught the unit with the dashboard." for item in evidence)
    # The uploaded file is never published: neither its bytes' address nor its name.
    assert "lesson-plan.pdf" not in str(credential) and "/files/" not in str(credential)
    result = satchel("verify", write_json("badge.json", credential))
    assert result.code == 0, result.out + result.err
