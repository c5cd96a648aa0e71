"""The demo's first run: two issuer nodes, a wallet with a teacher, badges issued and imported, one share link.

Everything goes through the parts' own feature code, as an operator and a
learner would use it: ``init_node`` and ``define_achievement`` for the
districts, ``issue_credential`` for the badges (signed by each node's did:key,
with status list entries under the node's bound URL), the wallet's
``import_candidates`` (which verifies each badge and checks it is addressed to
the teacher's holder did) and ``create_share`` for the link. The logins are
random and kept, with the ports, in ``demo.json`` (mode 0600) in the data
directory, so a second run with the same ``--data-dir`` serves the same URLs.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from issuer_node.achievements import AchievementInput, define_achievement
from issuer_node.issuing import IssueRequest, Recipient, issue_credential
from issuer_node.node import IssuerNode
from issuer_node.provisioning import init_node
from issuer_node.storage import Alignment
from issuer_node.storage.records import Role
from wallet.accounts import confirm_email, create_account
from wallet.config import init_data_dir
from wallet.context import Wallet
from wallet.importing import import_candidates
from wallet.reading import from_value
from wallet.shares import create_share
from webbase.passwords import hash_password
from webbase.secretfile import write_secret_file

from .demo_data import DISTRICTS, TEACHER_EMAIL, TEACHER_NAME, DemoDistrict, badge_svg

STATE_FILE = "demo.json"
SERVICES = ("issuer-a", "issuer-b", "wallet", "verifier")


@dataclass
class DemoState:
    """What a run needs to serve the same demo again: ports, logins, the share token (``demo.json``)."""

    ports: dict[str, int] = field(default_factory=dict)
    logins: list[dict[str, str]] = field(default_factory=list)  # {"service", "role", "email", "password"}
    share_token: str | None = None

    @classmethod
    def load(cls, root: Path) -> DemoState | None:
        path = root / STATE_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(ports={k: int(v) for k, v in data["ports"].items()}, logins=list(data["logins"]),
                   share_token=data.get("shareToken"))

    def save(self, root: Path) -> None:
        text = json.dumps({"ports": self.ports, "logins": self.logins, "shareToken": self.share_token}, indent=2)
        write_secret_file(root / STATE_FILE, (text + "\n").encode(), overwrite=True)


def _password() -> str:
    return secrets.token_urlsafe(12)


def provision_district(root: Path, district: DemoDistrict, public_url: str) -> list[dict[str, str]]:
    """A new node for ``district``: key, profile, an admin and a reviewer with passwords, its achievements."""
    from issuer_node.config import IssuerConfig
    from issuer_node.node import open_node

    data_dir = root / district.slug
    init_node(data_dir, name=district.name, url=district.url, public_url=public_url, email=district.email)
    node = open_node(IssuerConfig(data_dir=data_dir, public_url=public_url))
    logins = []
    try:
        now = datetime.now(UTC)
        roles: tuple[tuple[Role, str], ...] = (("admin", district.admin_email), ("reviewer", district.reviewer_email))
        for role, email in roles:
            password = _password()
            node.store.add_user(email, role, password_hash=hash_password(password), created=now)
            logins.append({"service": district.slug, "role": role, "email": email, "password": password})
        for item in district.achievements:
            define_achievement(node, AchievementInput(
                name=item.name, description=item.description, criteria=item.criteria, image=badge_svg(item),
                tags=item.tags, alignments=tuple(Alignment(target_name=n, target_url=u) for n, u in item.alignments),
                evidence_policy=item.evidence), now=now)
    finally:
        node.close()
    return logins


def provision_wallet(root: Path, public_url: str) -> None:
    init_data_dir(root / "wallet", public_url=public_url)


def _confirmation_token(wallet: Wallet, email: str) -> str:
    messages = wallet.store.list_outbox(to=email)
    match = re.search(r"/confirm/(\S+)", messages[-1].body) if messages else None
    if match is None:
        raise RuntimeError(f"the wallet sent no confirmation link to {email}")
    return match.group(1)


async def seed_teacher(wallet: Wallet, nodes: dict[str, IssuerNode]) -> tuple[dict[str, str], list[str]]:
    """The teacher's account (email confirmed), with the demo badges issued by each node and imported.

    Returns the teacher's login and the ids of the imported credentials.
    """
    password = _password()
    account = await create_account(wallet, TEACHER_EMAIL, password)
    confirm_email(wallet, _confirmation_token(wallet, TEACHER_EMAIL))
    documents: list[dict[str, Any]] = []
    for district in DISTRICTS:
        node = nodes[district.slug]
        achievements = {a.name: a for a in node.store.list_achievements(include_retired=False)}
        for index in district.held:
            achievement = achievements[district.achievements[index].name]
            issued = issue_credential(node, IssueRequest(
                achievement=achievement.key, recipient=Recipient(did=account.did, name=TEACHER_NAME),
                narrative=f"{TEACHER_NAME} completed the {district.name} workshop and showed classroom use."))
            documents.append(issued.document)
    items = [item for i, doc in enumerate(documents) for item in from_value(f"demo-badge-{i + 1}.json", doc)]
    report = await import_candidates(wallet, account, items)
    if report.refused or len(report.added) != len(documents):
        raise RuntimeError(f"the wallet refused a demo badge: {json.dumps(report.to_json())[:500]}")
    login = {"service": "wallet", "role": "teacher", "email": TEACHER_EMAIL, "password": password}
    return login, [entry["id"] for entry in report.added]


async def seed_share(wallet: Wallet, credential_ids: list[str]) -> str:
    """The teacher's share link of every demo badge; returns its token."""
    account = wallet.store.account_by_login(TEACHER_EMAIL)
    if account is None:
        raise RuntimeError("the demo teacher's account is missing")
    share = await create_share(wallet, account, credential_ids, expires=None,
                               note="Classroom technology badges from two districts")
    return share.token


def registry_entries(dids: dict[str, str]) -> list[dict[str, str]]:
    """The demo's trust registry (Satchel's own JSON format): both districts, by did:key."""
    return [{"did": dids[d.slug], "name": d.name, "url": d.url} for d in DISTRICTS]
