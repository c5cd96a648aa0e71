"""Receive: redeem an OpenID4VCI credential offer for an account and import what it gives.

``POST /api/credentials`` with ``{"offer": "openid-credential-offer://…", "tx_code"?}``
lands here. The flow (``oid4vci_client.redeem_offer``) signs the key proof with
the account's own holder key, so the credential comes back bound to the
account's did:key; it then goes through the same ``import_candidates`` as any
upload: verified, addressed to the account, stored once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from webbase.netpolicy import guarded_session

from .accounts import holder_key
from .context import Wallet
from .importing import ImportReport, import_candidates
from .oid4vci_client import describe, offer_request, redeem_offer
from .reading import Item, from_value
from .storage import AccountRecord


async def offer_items(wallet: Wallet, account: AccountRecord, body: Mapping[str, Any]) -> list[Item]:
    """Redeem the offer in ``body`` and return the received credentials as import candidates."""
    offer_url, tx_code = offer_request(body)
    signer = holder_key(wallet, account)
    # Guarded: the offer's URLs are the sender's choice, so no private or link-local address (SSRF).
    policy = wallet.config.address_policy
    async with guarded_session(policy) as session:
        received = await redeem_offer(offer_url, tx_code=tx_code, signer=signer,
                                      issued_at=int(wallet.now().timestamp()), session=session,
                                      allow_http_hosts=wallet.config.http_issuer_hosts, policy=policy)
    items: list[Item] = []
    for credential in received.credentials:
        items += from_value(describe(received), credential)
    return items


async def receive_offer(wallet: Wallet, account: AccountRecord, body: Mapping[str, Any]) -> ImportReport:
    """Redeem and import: the per-item report of ``import_candidates``."""
    return await import_candidates(wallet, account, await offer_items(wallet, account, body))
