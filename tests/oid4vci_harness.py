"""A real issuer node and a real wallet on 127.0.0.1 in one event loop, for the OpenID4VCI tests."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from issuer_node.app import adopt_bound_url, create_app
from issuer_node.config import IssuerConfig
from issuer_node.node import IssuerNode
from issuer_node.provisioning import init_node
from issuer_node.state import NODE
from wallet.testing import RunningWallet, bearer, running_wallet, sign_up
from webbase.testing import serving

ACHIEVEMENT = {"name": "Classroom Data Literacy", "description": "Uses student data to plan lessons",
               "criteria": {"narrative": "Submit a lesson plan built on a class dashboard"}, "tags": ["data"],
               "achievementType": "Badge"}


@dataclass
class Stack:
    """The node (URL, admin token, data dir, the open node) and the wallet with one account."""

    node_url: str
    admin_token: str
    node_data: Path
    node: IssuerNode
    wallet: RunningWallet
    account: dict[str, Any]
    wallet_token: str
    http: aiohttp.ClientSession
    achievement_id: str

    async def redeem(self, offer: str, tx_code: str | None = None) -> tuple[int, dict[str, Any]]:
        """``POST /api/credentials {"offer", "tx_code"?}`` on the wallet."""
        body: dict[str, Any] = {"offer": offer}
        if tx_code is not None:
            body["tx_code"] = tx_code
        async with self.http.post(f"{self.wallet.url}/api/credentials", json=body,
                                  headers=bearer(self.wallet_token)) as response:
            return response.status, await response.json(content_type=None)

    async def held(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.wallet.url}/api/credentials", headers=bearer(self.wallet_token)) as r:
            assert r.status == 200
            items = (await r.json())["items"]
        documents = []
        for item in items:
            async with self.http.get(f"{self.wallet.url}/api/credentials/{item['id']}",
                                     headers=bearer(self.wallet_token)) as r:
                documents.append((await r.json())["credential"])
        return documents


@asynccontextmanager
async def running_stack(tmp_path: Path, *, smtp: tuple[str, int] | None = None,
                        achievement: dict[str, Any] | None = None) -> AsyncIterator[Stack]:
    data = tmp_path / "node"
    result = init_node(data, name="Riverside USD", url="https://riverside.example.org")
    app = create_app(IssuerConfig(data_dir=data, smtp=smtp))
    async with serving(app) as node_url, aiohttp.ClientSession() as http, \
            running_wallet(tmp_path / "wallet") as wallet:
        adopt_bound_url(app, node_url)
        async with http.post(f"{node_url}/api/achievements", json=achievement or ACHIEVEMENT,
                             headers=bearer(result.admin_token)) as response:
            assert response.status == 201, await response.text()
            achievement_id = (await response.json())["id"]
        account, token = await sign_up(http, wallet.url, "ana@school.example")
        yield Stack(node_url=node_url, admin_token=result.admin_token, node_data=data, node=app[NODE],
                    wallet=wallet, account=account, wallet_token=token, http=http, achievement_id=achievement_id)


def save(path: Path, data: bytes | dict[str, Any]) -> str:
    """Write a document (JSON) or raw bytes to ``path`` for ``satchel verify``; returns the path."""
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode("utf-8"))
    return str(path)
