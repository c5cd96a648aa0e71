"""A real issuer node on 127.0.0.1 with a real SMTP server on loopback, for the evidence workflow tests.

Import the fixtures into a test module: ``from evidence_harness import evidence_node, smtp  # noqa: F401``.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import aiohttp
import pytest
from smtp_sink import Sink, smtp  # noqa: F401  (the fixture, re-exported for the test modules)

from issuer_node.accounts import add_user, issue_api_token
from issuer_node.app import adopt_bound_url, create_app
from issuer_node.config import IssuerConfig
from issuer_node.provisioning import init_node
from issuer_node.storage import open_store
from webbase.testing import serving

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ACHIEVEMENT = {"name": "Classroom Data Literacy", "description": "Uses student data to plan lessons",
               "criteria": {"narrative": "- Builds a lesson plan on a class dashboard\n- Reflects on the result"},
               "tags": ["data"], "achievementType": "Badge"}


@dataclass
class EvidenceNode:
    url: str
    data: Path
    admin_token: str
    reviewer_token: str
    reviewer_email: str
    reviewer_password: str
    http: aiohttp.ClientSession
    sink: Sink

    def auth(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def call(self, method: str, path: str, *, token: str | None = None, headers: dict[str, str] | None = None,
                   **kwargs: Any) -> tuple[int, Any, str]:
        url = path if path.startswith("http") else self.url + path
        async with self.http.request(method, url, headers={**self.auth(token), **(headers or {})},
                                     **kwargs) as response:
            text = await response.text()
            body: Any = text
            if response.content_type.endswith("json"):
                import json

                body = json.loads(text)
            return response.status, body, response.content_type

    async def define(self, **overrides: Any) -> dict[str, Any]:
        status, body, _ = await self.call("POST", "/api/achievements", token=self.admin_token,
                                          json={**ACHIEVEMENT, **overrides})
        assert status == 201, body
        return cast(dict[str, Any], body)

    async def apply(self, achievement: str, *, name: str = "Ana Ruiz", email: str = "ana@school.example",
                    urls: tuple[str, ...] = ("https://video.example/ana-lesson",), narrative: str | None = "I built it",
                    files: tuple[tuple[str, bytes, str], ...] = (("lesson-plan.pdf", PDF, "application/pdf"),),
                    ) -> tuple[int, Any, str]:
        form = aiohttp.FormData()
        for field, value in (("name", name), ("email", email), ("achievement", achievement),
                             ("narrative", narrative)):
            if value is not None:
                form.add_field(field, value)
        for url in urls:
            form.add_field("evidence_url", url)
        for filename, data, content_type in files:
            form.add_field("file", io.BytesIO(data), filename=filename, content_type=content_type)
        return await self.call("POST", "/api/applications", data=form)

    async def wait_for_mail(self, text: str, *, seconds: float = 15.0) -> list[EmailMessage]:
        """The messages holding ``text``, waiting for the node's outbox sender to deliver them."""
        import asyncio

        for _ in range(int(seconds * 20)):
            found = [m for m in self.sink.messages if text in m.get_content()]
            if found:
                return found
            await asyncio.sleep(0.05)
        return []

    def store(self) -> Any:
        return open_store(self.data / "issuer.db")


def key_of(status_url: str) -> str:
    match = re.search(r"[?&]key=([A-Za-z0-9_-]+)", status_url)
    assert match is not None, status_url
    return match.group(1)


@pytest.fixture
async def evidence_node(tmp_path: Path, smtp: tuple[Sink, int]) -> AsyncIterator[EvidenceNode]:
    sink, port = smtp
    data = tmp_path / "node"
    result = init_node(data, name="Riverside USD", url="https://riverside.example.org")
    store = open_store(data / "issuer.db")
    try:
        reviewer = add_user(store, "rita@riverside.example.org", "reviewer")
        reviewer_token = issue_api_token(store, reviewer.user)
    finally:
        store.close()
    app = create_app(IssuerConfig(data_dir=data, smtp=("127.0.0.1", port)))
    async with serving(app) as url, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        adopt_bound_url(app, url)
        yield EvidenceNode(url=url, data=data, admin_token=result.admin_token, reviewer_token=reviewer_token,
                           reviewer_email=reviewer.user.email, reviewer_password=reviewer.password, http=http,
                           sink=sink)
