"""Wallet accounts over real HTTP: sign-up with a holder did:key, tokens, rate limits, email confirmation."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from wallet.testing import PASSWORD, bearer, confirmation_link, running_wallet, sign_up

pytestmark = pytest.mark.usefixtures("wallet_backend")  # SQLite and PostgreSQL (tests/wallet_backends.py)


def assert_problem(status: int, body: dict, code: str) -> None:  # type: ignore[type-arg]
    assert body["type"] == f"urn:satchel:problem:{code}", body
    assert body["status"] == status and body["detail"]


async def test_sign_up_gives_a_holder_did_key_and_a_token_that_opens_the_api(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        account, token = await sign_up(http, w.url, "Ann@Example.org")
        assert account["did"].startswith("did:key:z6Mk") and account["email"] == "ann@example.org"
        async with http.get(f"{w.url}/api/account", headers=bearer(token)) as response:
            me = await response.json()
        assert me["did"] == account["did"]
        # Logging out ends the token.
        async with http.delete(f"{w.url}/api/tokens", headers=bearer(token)) as response:
            assert response.status == 204
        async with http.get(f"{w.url}/api/account", headers=bearer(token)) as response:
            assert response.status == 401
        assert me["emails"] == [{"email": "ann@example.org", "confirmed": False, "confirmedAt": None}]
        # The key is sealed in the database: neither the secret nor the seed appears in it.
        from credentials.multibase import decode_base58btc
        from wallet.accounts import holder_key

        stored = w.wallet.store.get_account(account["id"])
        assert stored is not None
        seed = decode_base58btc(holder_key(w.wallet, stored).secret_key_multibase())[2:34]
        raw = b"".join(p.read_bytes() for p in (tmp_path / "w").glob("wallet.db*"))
        assert seed not in raw and b"secretKeyMultibase" not in raw
        assert (tmp_path / "w" / "server.secret").stat().st_mode & 0o777 == 0o600


async def test_wrong_password_duplicate_account_and_weak_password_are_problems(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        await sign_up(http, w.url, "ann@example.org")
        async with http.post(f"{w.url}/api/tokens", json={"email": "ann@example.org", "password": "nope nope"}) as r:
            assert r.status == 401 and r.content_type == "application/problem+json"
            assert_problem(401, await r.json(), "bad_credentials")
        async with http.post(f"{w.url}/api/tokens", json={"email": "nobody@example.org", "password": PASSWORD}) as r:
            assert r.status == 401
            assert_problem(401, await r.json(), "bad_credentials")
        async with http.post(f"{w.url}/api/accounts", json={"email": "ANN@example.org", "password": PASSWORD}) as r:
            assert r.status == 409
            assert_problem(409, await r.json(), "account_exists")
        async with http.post(f"{w.url}/api/accounts", json={"email": "bob@example.org", "password": "short"}) as r:
            assert r.status == 400
            assert_problem(400, await r.json(), "weak_password")
        async with http.post(f"{w.url}/api/accounts", data="email=x", headers={"Content-Type": "text/plain"}) as r:
            assert r.status == 415
        async with http.get(f"{w.url}/api/account", headers=bearer("not-a-token")) as r:
            assert r.status == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


async def test_login_is_rate_limited(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        await sign_up(http, w.url, "ann@example.org")
        statuses = []
        for _ in range(12):
            async with http.post(f"{w.url}/api/tokens", json={"email": "ann@example.org", "password": "wrong pass"}) as r:
                statuses.append(r.status)
                if r.status == 429:
                    assert int(r.headers["Retry-After"]) >= 1
                    assert_problem(429, await r.json(), "rate_limited")
        assert statuses[0] == 401 and statuses[-1] == 429


async def test_an_added_email_is_confirmed_through_the_link_in_the_outbox(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        _, token = await sign_up(http, w.url, "ann@example.org")
        async with http.post(f"{w.url}/api/emails", json={"email": "ann.work@district.example"},
                             headers=bearer(token)) as r:
            assert r.status == 201
            assert (await r.json())["confirmation"] == "in the operator's outbox"
        link = confirmation_link(w.wallet, "ann.work@district.example")
        assert link.startswith(w.url + "/confirm/")
        async with http.get(link) as r:
            assert r.status == 200 and "ann.work@district.example" in await r.text()
        async with http.get(f"{w.url}/api/emails", headers=bearer(token)) as r:
            emails = {e["email"]: e["confirmed"] for e in (await r.json())["emails"]}
        assert emails == {"ann@example.org": False, "ann.work@district.example": True}
        # A link works once; an unknown one is a 404 page, not a traceback.
        async with http.get(link) as r:
            assert r.status == 404 and r.content_type == "text/html"


async def test_an_address_confirmed_by_one_account_cannot_be_added_by_another(tmp_path: Path) -> None:
    async with running_wallet(tmp_path / "w") as w, aiohttp.ClientSession() as http:
        _, ann = await sign_up(http, w.url, "ann@example.org")
        _, bob = await sign_up(http, w.url, "bob@example.org")
        async with http.get(confirmation_link(w.wallet, "ann@example.org")) as r:
            assert r.status == 200
        async with http.post(f"{w.url}/api/emails", json={"email": "ann@example.org"}, headers=bearer(bob)) as r:
            assert r.status == 409
            assert_problem(409, await r.json(), "email_exists")


async def test_with_smtp_the_confirmation_link_arrives_by_mail(tmp_path: Path) -> None:
    import re
    import socket

    from aiosmtpd.controller import Controller

    from webbase.mail import Mailer

    received: list[bytes] = []

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            received.append(envelope.content)  # type: ignore[attr-defined]
            return "250 OK"

    with socket.socket() as probe:  # aiosmtpd cannot listen on port 0: ask for a free port first
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = Mailer(("127.0.0.1", port), sender="wallet@example.org")
        async with running_wallet(tmp_path / "w", mailer=mailer) as w, aiohttp.ClientSession() as http:
            _, token = await sign_up(http, w.url, "ann@example.org")
            async with http.post(f"{w.url}/api/emails", json={"email": "ann.work@district.example"},
                                 headers=bearer(token)) as r:
                assert (await r.json())["confirmation"] == "sent by email"
            mail = received[-1].decode()
            assert "To: ann.work@district.example" in mail
            link = re.search(r"http://\S+/confirm/\S+", mail)
            assert link is not None
            async with http.get(link.group(0)) as r:
                assert r.status == 200
    finally:
        controller.stop()
