"""Sending the outbox: every message the node queues (offer emails first of all) leaves through SMTP.

Features never send mail themselves: they add a message to the ``outbox``
table (``create_award`` does, in the same transaction as the award), which
admins can always read. When the node is served with ``--smtp HOST:PORT``, one
``OutboxSender`` per serving process sends each unsent message through
``webbase.mail.Mailer`` and marks it sent; it wakes at once when a handler
calls ``wake_outbox(app)``, and every ``POLL_SECONDS`` otherwise, so messages
queued by another process (``satchel issuer offer`` while the node serves)
leave within seconds. A message the SMTP server refuses is retried on later
rounds, up to ``MAX_ATTEMPTS`` times per process. Run one serving process per
node when SMTP is on: two would each send what they find unsent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from urllib.parse import urlsplit

from aiohttp import web

from webbase.mail import Mailer

from .config import IssuerConfig
from .state import NODE
from .storage import IssuerStore

log = logging.getLogger("issuer_node.outbox")

POLL_SECONDS = 2.0
MAX_ATTEMPTS = 5
BATCH = 1000


class OutboxSender:
    """Drains the outbox through a ``Mailer``; ``run`` until cancelled."""

    def __init__(self, store: IssuerStore, mailer: Mailer, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.store = store
        self.mailer = mailer
        self.poll_seconds = poll_seconds
        self._wake = asyncio.Event()
        self._attempts: dict[int, int] = {}

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Send every unsent message (oldest first); returns how many left."""
        # Storage calls go to a worker thread: a write can wait for another process's lock (a bulk run).
        sent = 0
        pending = [m for m in await asyncio.to_thread(self.store.list_outbox, limit=BATCH) if m.sent_at is None]
        for message in sorted(pending, key=lambda m: m.id):
            if self._attempts.get(message.id, 0) >= MAX_ATTEMPTS:
                continue
            if await self.mailer.send(message.to, message.subject, message.body):
                await asyncio.to_thread(self.store.mark_sent, message.id, at=datetime.now(timezone.utc))
                self._attempts.pop(message.id, None)
                sent += 1
            else:
                self._attempts[message.id] = self._attempts.get(message.id, 0) + 1
        return sent

    async def run(self) -> None:
        while True:
            try:
                await self.drain()
            except Exception:  # A database hiccup must not end the sender for the life of the process.
                log.exception("sending the outbox failed; retrying in %s s", self.poll_seconds)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)


SENDER = web.AppKey("issuer_node.outbox_sender", OutboxSender)


def _sender_address(app: web.Application) -> str:
    node = app[NODE]
    email = node.organization.email
    if email:
        return email
    host = urlsplit(node.public_url).hostname or "localhost"
    return f"badges@{host}"


def setup(app: web.Application, config: IssuerConfig) -> None:
    """With ``config.smtp``, run an ``OutboxSender`` for the app's lifetime; without, mail stays in the outbox."""
    if config.smtp is None:
        return
    smtp = config.smtp

    async def sender_ctx(app: web.Application) -> AsyncIterator[None]:
        sender = OutboxSender(app[NODE].store, Mailer(smtp, sender=_sender_address(app)))
        app[SENDER] = sender
        task = asyncio.create_task(sender.run(), name="issuer-outbox-sender")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(sender_ctx)


def wake_outbox(app: web.Application) -> None:
    """Send queued mail now (a no-op when the node has no SMTP server)."""
    sender = app.get(SENDER)
    if sender is not None:
        sender.wake()
