"""One badge's whole life on a real node: evidence, review, the offer by SMTP, OpenID4VCI, suspend, revoke.

The issue's end-to-end line in one test, so that a break anywhere in the chain
shows as the step it broke: every call goes over HTTP to a node on 127.0.0.1,
the offer arrives through a real SMTP server, and each status verdict is
`satchel verify` reading the node's own published lists.
"""

from __future__ import annotations

import time
from typing import Any

from evidence_harness import EvidenceNode, evidence_node, key_of, smtp  # noqa: F401

from credentials.keys import generate_key_pair
from wallet.oid4vci_client import redeem_offer


async def _status_lists(node: EvidenceNode, credential: dict[str, Any], write_json: Any) -> list[str]:
    """Fetch the lists the credential's entries name, as a verifier given them would hold them."""
    paths = []
    for entry in credential["credentialStatus"]:
        url = entry["statusListCredential"]
        assert url.startswith(node.url + "/")
        async with node.http.get(url) as response:
            assert response.status == 200
            document = await response.json()
        paths.append(write_json(f"{entry['statusPurpose']}-{len(paths)}.json", document))
    return paths


def _status_checks(satchel: Any, badge: str, lists: list[str]) -> tuple[int, list[dict[str, Any]]]:
    args = ["verify", "--json", "--require-status"]
    for path in lists:
        args += ["--status-list", path]
    result = satchel(*args, badge)
    report = result.json()
    return result.code, [check for check in report["checks"] if check["name"] == "status"]


async def test_apply_review_offer_redeem_suspend_revoke(evidence_node: EvidenceNode, satchel: Any,
                                                        write_json: Any) -> None:
    node = evidence_node
    achievement = await node.define(evidence="required")

    # The teacher applies with a lesson plan and a video link; the reviewer asks for more.
    status, created, _ = await node.apply(achievement["id"])
    assert status == 201, created
    app_id, key = created["id"], key_of(created["status_url"])
    status, _, _ = await node.call("POST", f"/api/applications/{app_id}/decision", token=node.reviewer_token,
                                   json={"decision": "resubmit", "feedback": "Add a reflection."})
    assert status == 200
    status, _, _ = await node.call("POST", f"/api/applications/{app_id}/resubmit?key={key}",
                                   json={"narrative": "Reflection: the class used the board daily."})
    assert status == 200
    status, _, _ = await node.call("POST", f"/api/applications/{app_id}/decision", token=node.reviewer_token,
                                   json={"decision": "approve"})
    assert status == 200

    # The offer arrives by SMTP and is redeemed through OpenID4VCI with a holder key.
    _, mine, _ = await node.call("GET", f"/api/applications/{app_id}?key={key}")
    offer_url = mine["offer"]["offerUrl"]
    assert await node.wait_for_mail(offer_url), "the offer email did not arrive"
    holder = generate_key_pair()
    received = await redeem_offer(offer_url, tx_code=None, signer=holder, issued_at=int(time.time()),
                                  session=node.http, allow_http_hosts=("127.0.0.1",))
    [credential] = received.credentials
    assert isinstance(credential, dict)
    assert credential["credentialSubject"]["id"] == holder.did
    assert sorted(entry["statusPurpose"] for entry in credential["credentialStatus"]) == ["revocation", "suspension"]
    badge = write_json("badge.json", credential)

    # Fresh: verified, with both status entries checked against the node's signed lists.
    code, checks = _status_checks(satchel, badge, await _status_lists(node, credential, write_json))
    assert code == 0, checks
    assert [check["status"] for check in checks] == ["passed", "passed"]

    key_of_credential = credential["id"].rsplit("/", 1)[1]
    # Suspended: the suspension bit is set in a list that still verifies.
    status, body, _ = await node.call("POST", f"/api/credentials/{key_of_credential}/suspend", token=node.admin_token,
                                      json={"reason": "evidence under review"})
    assert status == 200, body
    lists = await _status_lists(node, credential, write_json)
    code, checks = _status_checks(satchel, badge, lists)
    assert code == 1
    by_purpose = {check["code"]: check for check in checks}
    assert "suspended" in by_purpose, checks
    assert by_purpose["suspended"]["status"] == "failed"

    # Revoked: the revocation bit is set too, and each list's own proof verifies.
    status, body, _ = await node.call("POST", f"/api/credentials/{key_of_credential}/revoke", token=node.admin_token,
                                      json={"reason": "evidence was not the applicant's"})
    assert status == 200, body
    lists = await _status_lists(node, credential, write_json)
    code, checks = _status_checks(satchel, badge, lists)
    assert code == 1
    assert "revoked" in {check["code"] for check in checks}, checks
    for path in lists:
        result = satchel("verify", "--json", path)
        proofs = [check for check in result.json()["checks"] if check["name"] == "proof"]
        assert [check["status"] for check in proofs] == ["passed"], result.out
