"""Awards waiting to be claimed: ``create_award`` (the API the evidence review calls) and its stored secrets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from issuer_node.achievements import AchievementInput, define_achievement, retire_achievement
from issuer_node.awards import create_award, pre_authorized_code, render_offer_email
from issuer_node.config import IssuerConfig
from issuer_node.errors import Conflict, InvalidRequest, NotFound
from issuer_node.node import IssuerNode, open_node
from issuer_node.provisioning import init_node

PUBLIC = "https://badges.riverside.example.org"


@pytest.fixture
def node(tmp_path: Path) -> Iterator[IssuerNode]:
    init_node(tmp_path / "node", name="Riverside USD", url="https://riverside.example.org", public_url=PUBLIC,
              passphrase=None)
    opened = open_node(IssuerConfig(data_dir=tmp_path / "node"))
    yield opened
    opened.close()


def _achievement(node: IssuerNode, evidence: str = "optional") -> str:
    spec = AchievementInput(name="Classroom Data Literacy", description="Uses student data to plan lessons",
                            criteria="Submit a lesson plan", evidence_policy=evidence)
    return define_achievement(node, spec).id


def test_create_award_gives_an_offer_url_by_reference_under_the_public_url(node: IssuerNode) -> None:
    created = create_award(node.store, achievement_id=_achievement(node), email="Ana@School.example", name="Ana Ruiz")
    parts = urlsplit(created.offer_url)
    assert created.offer_url.startswith("openid-credential-offer://?credential_offer_uri=")
    assert parse_qs(parts.query) == {"credential_offer_uri": [created.credential_offer_uri]}
    assert created.credential_offer_uri.startswith(f"{PUBLIC}/offers/")
    assert created.tx_code is None
    award = node.store.get_award(created.award_id)
    assert award is not None and award.email == "ana@school.example" and award.name == "Ana Ruiz"
    assert award.expires > datetime.now(timezone.utc) + timedelta(days=29)


def test_offer_secrets_are_stored_only_as_hashes(node: IssuerNode) -> None:
    # Without the email (whose body is the offer URL, for the admins' outbox), the database holds no secret.
    created = create_award(node.store, achievement_id=_achievement(node), email="ana@school.example", name=None,
                           tx_code=True, notify=False)
    assert created.tx_code is not None and len(created.tx_code) == 6 and created.tx_code.isdigit()
    node.store.close()
    raw = b"".join(path.read_bytes() for path in node.data_dir.root.glob("issuer.db*"))
    assert created.offer_token.encode() not in raw
    assert pre_authorized_code(created.offer_token).encode() not in raw


def test_the_offer_email_is_queued_and_never_carries_the_tx_code(node: IssuerNode) -> None:
    created = create_award(node.store, achievement_id=_achievement(node), email="ana@school.example", name="Ana",
                           tx_code=True)
    [message] = node.store.list_outbox()
    assert message.id == created.outbox_id and message.to == "ana@school.example"
    assert "Classroom Data Literacy" in message.subject
    assert created.offer_url in message.body and created.qr_url in message.body
    assert created.tx_code not in message.body
    subject, body = render_offer_email(created, achievement_name="X", organization_name="Riverside USD")
    assert subject == "Your badge from Riverside USD: X" and created.offer_url in body


@pytest.mark.parametrize("case", ["unknown achievement", "retired", "bad email", "evidence required"])
def test_create_award_refuses(node: IssuerNode, case: str) -> None:
    achievement = _achievement(node, evidence="required" if case == "evidence required" else "optional")
    if case == "retired":
        retire_achievement(node, achievement)
    kwargs = {"achievement_id": achievement, "email": "ana@school.example", "name": None,
              "narrative": "My lesson plan" if case != "evidence required" else None}
    if case == "unknown achievement":
        kwargs["achievement_id"] = f"{PUBLIC}/achievements/nope"
    if case == "bad email":
        kwargs["email"] = "not-an-email"
    expected = {"unknown achievement": NotFound, "retired": Conflict, "bad email": InvalidRequest,
                "evidence required": InvalidRequest}[case]
    with pytest.raises(expected):
        create_award(node.store, **kwargs)
    assert node.store.list_awards() == [] and node.store.list_outbox() == []


def test_cli_offer_prints_the_url_then_the_tx_code(node: IssuerNode, satchel) -> None:  # type: ignore[no-untyped-def]
    achievement = _achievement(node)
    result = satchel("issuer", "offer", "--data-dir", str(node.data_dir.root), "--achievement", achievement,
                     "--email", "ana@school.example", "--tx-code", "--evidence-url", "https://example.org/plan")
    assert result.code == 0, result.err
    url, pin = result.out.splitlines()
    assert url.startswith("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fbadges.riverside")
    assert pin.startswith("tx_code: ") and len(pin.removeprefix("tx_code: ")) == 6
    assert pin.removeprefix("tx_code: ") not in node.store.list_outbox()[0].body
    [award] = node.store.list_awards()
    assert award.source == "cli" and award.evidence == ({"id": "https://example.org/plan", "type": ["Evidence"]},)

    refused = satchel("issuer", "offer", "--data-dir", str(node.data_dir.root), "--achievement", achievement,
                      "--email", "not-an-email")
    assert refused.code == 2 and refused.err.startswith("error:") and refused.out == ""
    assert satchel("issuer", "offer", "--help").code == 0
