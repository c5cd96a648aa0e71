"""OpenID4VCI end to end: a real issuer node and a real wallet on 127.0.0.1, an offer redeemed over HTTP.

The wallet runs the whole pre-authorized code flow against the node (offer,
metadata, token, nonce, credential with a proof JWT signed by the account's
holder key) and imports the credential through its normal verify-and-store path.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from conftest import Result
from oid4vci_harness import running_stack, save
from test_webbase_mail_fetch import Sink, smtp  # noqa: F401 (the fixture)

from issuer_node.awards import create_award


async def test_cli_offer_redeemed_in_the_wallet_is_bound_to_the_holder_did(tmp_path: Path, satchel) -> None:  # type: ignore[no-untyped-def]
    async with running_stack(tmp_path) as stack:
        # The CLI works while the node is serving (another connection on the same WAL database).
        result: Result = satchel("issuer", "offer", "--data-dir", str(stack.node_data), "--achievement",
                                 stack.achievement_id, "--email", "Ana@School.example", "--name", "Ana Ruiz")
        assert result.code == 0, result.err
        lines = result.out.splitlines()
        assert len(lines) == 1 and lines[0].startswith("openid-credential-offer://?credential_offer_uri=")
        assert stack.node_url.replace(":", "%3A").replace("/", "%2F") in lines[0]

        status, report = await stack.redeem(lines[0])
        assert status == 201, report
        assert len(report["added"]) == 1 and report["refused"] == [] and report["duplicates"] == []
        [credential] = await stack.held()
        assert credential["credentialSubject"]["id"] == stack.account["did"]
        assert credential["issuer"]["id"] == stack.node.did
        assert credential["credentialSubject"]["achievement"]["id"] == stack.achievement_id
        assert {"type": "IdentityObject", "identityHash": "Ana Ruiz", "identityType": "name",
                "hashed": False} in credential["credentialSubject"]["identifier"]
        verified = satchel("verify", save(tmp_path / "received.json", credential))
        assert verified.code == 0, verified.out + verified.err
        # With the node's status lists (fetched as a verifier would), the status checks pass: not revoked.
        lists = []
        for entry in credential["credentialStatus"]:
            async with stack.http.get(entry["statusListCredential"]) as response:
                assert response.status == 200
                lists += ["--status-list", save(tmp_path / f"{entry['statusPurpose']}.json", await response.json())]
        report = satchel("verify", "--json", *lists, str(tmp_path / "received.json")).json()
        assert report["verified"] is True, report
        assert [c["status"] for c in report["checks"] if c["name"] == "status"] == ["passed", "passed"]

        # The node's register knows the holder's DID; the award is spent.
        [record] = stack.node.store.list_credentials(recipient=stack.account["did"])
        assert record.id == credential["id"]
        [award] = stack.node.store.list_awards(email="ana@school.example")
        assert award.credential_key == record.key

        again, refused = await stack.redeem(lines[0])
        assert again == 400 and refused["type"].endswith("oid4vci_offer_gone"), refused
        assert len(await stack.held()) == 1


async def test_tx_code_is_required_and_checked(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        created = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                               name=None, tx_code=True)
        assert created.tx_code is not None
        status, body = await stack.redeem(created.offer_url)
        assert status == 400 and body["type"].endswith("oid4vci_tx_code_required") and "6" in body["detail"]
        wrong = "000000" if created.tx_code != "000000" else "111111"
        status, body = await stack.redeem(created.offer_url, tx_code=wrong)
        assert status == 400 and body["type"].endswith("oid4vci_invalid_grant"), body
        assert await stack.held() == []
        # A wrong code does not spend the offer: the right one still works.
        status, body = await stack.redeem(created.offer_url, tx_code=created.tx_code)
        assert status == 201 and len(body["added"]) == 1, body


async def test_expired_offer_is_refused(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        created = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                               name=None, now=datetime.now(timezone.utc) - timedelta(days=31))
        status, body = await stack.redeem(created.offer_url)
        assert status == 400 and body["type"].endswith("oid4vci_offer_gone"), body
        async with stack.http.get(created.credential_offer_uri) as response:
            assert response.status == 410
            assert (await response.json(content_type=None))["type"].endswith("offer_expired")
        assert await stack.held() == []


async def test_an_offer_by_value_works_too(tmp_path: Path) -> None:
    import json
    from urllib.parse import quote

    async with running_stack(tmp_path) as stack:
        created = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                               name=None)
        async with stack.http.get(created.credential_offer_uri) as response:
            offer = await response.json()
        by_value = "openid-credential-offer://?credential_offer=" + quote(json.dumps(offer))
        status, body = await stack.redeem(by_value)
        assert status == 201 and len(body["added"]) == 1, body


async def test_wallet_refuses_non_https_issuers_other_than_loopback(tmp_path: Path) -> None:
    async with running_stack(tmp_path) as stack:
        status, body = await stack.redeem(
            "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fbadges.example.org%2Foffers%2Fx")
        assert status == 400 and body["type"].endswith("oid4vci_bad_url"), body
        status, body = await stack.redeem("https://example.org/not-an-offer")
        assert status == 400 and body["type"].endswith("oid4vci_bad_offer"), body


async def test_offer_mail_goes_out_over_smtp_and_stays_in_the_outbox(tmp_path: Path, smtp) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    sink: Sink
    sink, port = smtp
    async with running_stack(tmp_path, smtp=("127.0.0.1", port)) as stack:
        created = create_award(stack.node.store, achievement_id=stack.achievement_id, email="ana@school.example",
                               name="Ana", tx_code=True)
        for _ in range(100):  # The sender polls the outbox every two seconds.
            if sink.messages:
                break
            await asyncio.sleep(0.1)
        [(_, recipients, content)] = sink.envelopes
        message = message_from_bytes(content, policy=default_policy)
        assert recipients == ["ana@school.example"]
        assert created.offer_url in message.get_content()
        assert created.tx_code not in message.get_content()
        [queued] = stack.node.store.list_outbox()
        assert queued.sent_at is not None and queued.body == message.get_content().replace("\r\n", "\n")
