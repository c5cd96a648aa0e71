"""The servers the XSS test attacks, with script payloads planted in everything a page shows.

One issuer node, one wallet and one verifier service on 127.0.0.1, plus a
listener on 127.0.0.2 (another origin) that records every request it gets: a
payload that made a browser fetch anything from there would show up in
``World.hits``. The servers run in an event loop of their own in a background
thread, because the browser tests' thread belongs to Playwright's sync loop
(``tests/browser/conftest.py``); the test drives them only over HTTP, from
Chromium.

What is planted (every text carries ``payload(...)``; URLs are hostile schemes):
the issuer's organization name, an achievement's name, description, criteria,
tags and alignment name; a credential the node really issues (its did:key)
with a payload recipient name, narrative and evidence name; three credentials
signed by an attacker's own did:key whose evidence URLs are ``javascript:``,
``data:text/html`` and another origin, whose images are ``javascript:``,
``http:``/``https:`` URLs of another origin, a ``data:`` URI with an attribute
breakout and an SVG with script, and whose issuer claims a payload name (one
claims the node's name: impersonation); every credential is imported into the
learner's wallet. Applicant text, share notes, search words and the pasted
credential are typed by the test itself, in the browser.
"""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import threading
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair, generate_key_pair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from issuer_node.achievements import AchievementInput, define_achievement
from issuer_node.app import adopt_bound_url
from issuer_node.app import create_app as issuer_app
from issuer_node.config import IssuerConfig
from issuer_node.issuing import IssueRequest, Recipient, issue_credential
from issuer_node.provisioning import init_node
from issuer_node.state import NODE
from issuer_node.storage import Alignment
from verifier_web.app import create_app as verifier_app
from verifier_web.config import ServiceConfig
from verifier_web.registries import read_registry
from wallet.accounts import confirm_email, create_account
from wallet.config import init_data_dir, load_config
from wallet.context import Wallet, open_wallet
from wallet.importing import import_candidates
from wallet.reading import from_value
from wallet.trust import REGISTRY_FILE
from wallet.web.app import create_app as wallet_app
from wallet.web.app import set_public_url
from webbase.passwords import hash_password
from webbase.runner import start_site
from webbase.testing import serving

T = TypeVar("T")

HOST = "127.0.0.1"
OTHER_HOST = "127.0.0.2"  # Loopback too, but another origin for the browser.
PASSWORD = "correct horse battery staple"
LEARNER = "learner@school.example"
ADMIN = "admin@district.example"
REVIEWER = "reviewer@district.example"
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
PNG_DATA_URI = "data:image/png;base64," + base64.b64encode(PNG_1X1).decode()


def payload(label: str, other: str) -> str:
    """``label`` followed by script in every context a page might put it: text, either attribute quote, a
    textarea, a template engine, and an image of another origin (a request the listener would record)."""
    return (f"{label} <script>alert(1);window.__xss=1</script>\"><img src=x onerror=window.__xss=1>"
            f"'><svg onload=alert(2)></textarea><img src={other}/pwned/{label}>{{{{7*7}}}}")


@dataclass
class World:
    """The running servers (URLs without a trailing slash), the logins, and what the other origin saw."""

    issuer: str
    wallet: str
    verifier: str
    other: str
    achievement_key: str
    organization: str
    achievement_name: str
    node_badge: str                      # the name of the badge the node issued
    attacker_badges: tuple[str, ...]     # the names of the attacker-signed badges
    attacker_credential: dict[str, Any]  # one of them, to paste on the verifier page
    admin: tuple[str, str]
    reviewer: tuple[str, str]
    learner: tuple[str, str]
    hits: list[str] = field(default_factory=list)
    share_url: str | None = None         # the share link the wallet test makes, for the verifier test

    def payload(self, label: str) -> str:
        return payload(label, self.other)


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _attacker_badge(attacker: Ed25519KeyPair, holder: str, other: str, *, name: str, issuer_name: str,
                    image: str, issuer_image: str, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    """A validly signed credential whose fields the builder would refuse: set after building, before signing."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    credential = build_credential(
        issuer={"id": attacker.did, "name": issuer_name},
        achievement={"id": f"urn:uuid:{uuid.uuid4()}", "name": name, "description": payload("attacker-description", other),
                     "criteria": {"narrative": payload("attacker-criteria", other)},
                     "tags": [payload("tag", other)[:120]]},
        recipient_did=holder, credential_id=f"urn:uuid:{uuid.uuid4()}", valid_from=start)
    credential["credentialSubject"]["achievement"]["image"] = {"id": image, "type": "Image"}
    credential["issuer"]["image"] = {"id": issuer_image, "type": "Image"}
    credential["issuer"]["url"] = "javascript:alert(3)"
    credential["evidence"] = evidence
    return add_proof(credential, signer=attacker, loader=bundled_loader(), created=start)


def _svg_with_script(other: str) -> str:
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8" onload="alert(4)"><script>alert(5)</script>'
           f'<image href="{other}/pwned/svg-image" width="8" height="8"/><rect width="8" height="8"/></svg>')
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def attacker_badges(attacker: Ed25519KeyPair, holder: str, other: str, organization: str) -> list[dict[str, Any]]:
    """Three attacker badges: hostile evidence links and images of every kind, hostile issuer names."""
    evidence = [
        {"id": "javascript:alert(6);window.__xss=1", "type": ["Evidence"], "name": payload("evidence-js", other),
         "narrative": payload("evidence-narrative", other)},
        {"id": "JaVaScRiPt:alert(7)", "type": ["Evidence"], "name": "evidence-js-mixed-case"},
        {"id": "data:text/html,<script>alert(8)</script>", "type": ["Evidence"], "name": "evidence-data-html"},
        {"id": f"{other}/pwned/evidence-link", "type": ["Evidence"], "name": "evidence-other-origin"},
        {"id": 'https://evidence.example/lesson?q="><script>alert(9)</script>', "type": ["Evidence"],
         "name": "evidence-https-breakout"},
    ]
    return [
        _attacker_badge(attacker, holder, other, name=payload("attacker-js-image", other),
                        issuer_name=payload("attacker-issuer", other), image="javascript:alert(10)",
                        issuer_image=f"https://{OTHER_HOST}/pwned/issuer-logo.png", evidence=evidence),
        _attacker_badge(attacker, holder, other, name=payload("attacker-remote-image", other),
                        issuer_name=payload("attacker-issuer", other), image=f"{other}/pwned/badge.png",
                        issuer_image=f"{other}/pwned/issuer-logo.png",
                        evidence=[{"id": f"https://{OTHER_HOST}/pwned/https-evidence", "type": ["Evidence"],
                                   "name": "evidence-https-other"}]),
        # Claims the node's own organization name: the pages must say "impersonation suspected".
        _attacker_badge(attacker, holder, other, name=payload("attacker-data-images", other),
                        issuer_name=organization, image=_svg_with_script(other),
                        issuer_image=PNG_DATA_URI + '"><script>alert(12)</script>',
                        evidence=[{"type": ["Evidence"], "narrative": payload("evidence-only-text", other)}]),
    ]


async def _listener(hits: list[str], port: int) -> web.AppRunner:
    """Another origin that records every request (the test asserts it saw none)."""
    async def record(request: web.Request) -> web.Response:
        hits.append(f"{request.method} {request.path_qs}")
        return web.Response(status=204)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, OTHER_HOST, port).start()
    return runner


async def _learner(wallet: Wallet) -> str:
    """The learner's account with a confirmed email; returns its holder did."""
    import re

    account = await create_account(wallet, LEARNER, PASSWORD)
    body = wallet.store.list_outbox(to=LEARNER)[-1].body
    match = re.search(r"/confirm/(\S+)", body)
    assert match is not None, body
    confirm_email(wallet, match.group(1))
    return account.did


class WorldThread:
    """Runs the world's event loop in a daemon thread; ``start`` returns once every server is up and seeded."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="xss-world", daemon=True)
        self._stack: list[Callable[[], Awaitable[Any]]] = []

    def run(self, coroutine: Awaitable[T], timeout: float = 120.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)  # type: ignore[arg-type]

    def start(self) -> World:
        self.thread.start()
        return self.run(self._start())

    def stop(self) -> None:
        try:
            self.run(self._stop(), timeout=30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)
            if not self.thread.is_alive():
                self.loop.close()  # else its self-pipe sockets are left for a later test's garbage collection

    async def _stop(self) -> None:
        while self._stack:
            await self._stack.pop()()

    async def _serve(self, app: web.Application) -> str:
        context = serving(app)
        url = await context.__aenter__()
        self._stack.append(lambda: context.__aexit__(None, None, None))
        return url

    async def _start(self) -> World:
        hits: list[str] = []
        other_port = _free_port(OTHER_HOST)
        runner = await _listener(hits, other_port)
        self._stack.append(runner.cleanup)
        other = f"http://{OTHER_HOST}:{other_port}"

        # The issuer node: every text an operator gives it carries a payload.
        organization = payload("org", other)
        node_dir = self.root / "issuer"
        init_node(node_dir, name=organization, url="https://district.example/")
        app = issuer_app(IssuerConfig(data_dir=node_dir, cookie_prefix="xss_issuer"))
        issuer = await self._serve(app)
        adopt_bound_url(app, issuer)
        node = app[NODE]
        now = datetime.now(UTC)
        for email, role in ((ADMIN, "admin"), (REVIEWER, "reviewer")):
            node.store.add_user(email, role, password_hash=hash_password(PASSWORD), created=now)  # type: ignore[arg-type]
        achievement_name = payload("achievement", other)
        achievement = define_achievement(node, AchievementInput(
            name=achievement_name, description=payload("description", other),
            criteria=payload("criteria-1", other) + "\n- " + payload("criteria-2", other),
            tags=(payload("tag", other)[:100],), alignments=(Alignment(payload("alignment", other),
                                                                         "https://standards.example/1"),)), now=now)

        # The wallet and its learner.
        wallet_dir = self.root / "wallet"
        init_data_dir(wallet_dir, public_url=None)
        # Both the wallet's and the verifier's registries give the node the organization's (payload) name, so the
        # attacker badge claiming that name reads "impersonation suspected".
        entries = [{"did": node.did, "name": organization, "url": "https://district.example/"}]
        (wallet_dir / REGISTRY_FILE).write_text(json.dumps(entries), encoding="utf-8")
        wallet = open_wallet(load_config(wallet_dir, default_public_url="http://127.0.0.1"))

        async def close_wallet() -> None:  # In this thread: SQLite connections belong to the thread that opened them.
            wallet.close()

        self._stack.append(close_wallet)
        wallet_web = wallet_app(wallet, background_refresh=False)
        site = await start_site(wallet_web, HOST, 0)
        self._stack.append(site.stop)
        set_public_url(wallet_web, site.url)
        holder = await _learner(wallet)

        # A badge the node really issues (its own key), and the attacker's badges; all imported.
        node_badge = issue_credential(node, IssueRequest(
            achievement=achievement.key, recipient=Recipient(did=holder, name=payload("recipient", other)[:200]),
            narrative=payload("narrative", other),
            evidence=({"id": "https://evidence.example/lesson", "type": ["Evidence"],
                       "name": payload("evidence-name", other), "narrative": payload("evidence-narrative", other)},)))
        attacker = generate_key_pair()
        badges = attacker_badges(attacker, holder, other, organization)
        items = [item for i, doc in enumerate([node_badge.document, *badges])
                 for item in from_value(f"badge-{i}.json", doc)]
        account = wallet.store.account_by_login(LEARNER)
        assert account is not None
        report = await import_candidates(wallet, account, items)
        assert not report.refused and len(report.added) == 1 + len(badges), report.to_json()

        # The verifier: the same registry (under a payload label), and it may fetch the wallet's share links.
        registry, source = read_registry(entries, label=payload("registry-label", other), now=now)
        wallet_host = site.url.split("://", 1)[1]
        verifier = await self._serve(verifier_app(ServiceConfig(
            registry=registry, registry_sources=(source,), allow_hosts=frozenset({wallet_host}))))
        return World(issuer=issuer, wallet=site.url, verifier=verifier, other=other,
                     achievement_key=achievement.key, organization=organization, achievement_name=achievement_name,
                     node_badge=achievement_name,
                     attacker_badges=tuple(b["credentialSubject"]["achievement"]["name"] for b in badges),
                     attacker_credential=badges[0], admin=(ADMIN, PASSWORD), reviewer=(REVIEWER, PASSWORD),
                     learner=(LEARNER, PASSWORD), hits=hits)
