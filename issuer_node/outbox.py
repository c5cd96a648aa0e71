"""Sending the outbox: every message the node queues (offer emails first of all) leaves through SMTP.

Features never send mail themselves: they add a message to the ``outbox``
table (``create_award`` does, in the same transaction as the award), which
admins can always read. When the node is served with ``--smtp HOST:PORT``, one
``OutboxSender`` per serving process sends the unsent messages through
``webbase.mail.Mailer`` and marks them sent; it wakes at once when a handler
calls ``wake_outbox(app)``, and every ``POLL_SECONDS`` otherwise, so messages
queued by another process (``satchel issuer offer`` while the node serves)
leave within seconds.

Several serving processes on one database each run a sender: a sender first
claims a few messages in one statement (``store.claim_outbox``: ``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, under the write lock on SQLite), so each message
is sent by one process only. A message the SMTP server refuses is given back
with its failed attempt counted in the row, and retried on a later round, at
most ``MAX_ATTEMPTS`` times in all. A claim whose sender died before marking
the message sent is taken over after ``CLAIM_TIMEOUT``: a message is sent at
least once, and twice only when a process dies between the SMTP server's
acceptance and the ``mark_sent`` that follows it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from aiohttp import web

from webbase.mail import Mailer

from .config import IssuerConfig
from .state import NODE
from .storage import IssuerStore

log = logging.getLogger("issuer_node.outbox")

POLL_SECONDS = 2.0
MAX_ATTEMPTS = 5
CLAIM_BATCH = 20
CLAIM_TIMEOUT = timedelta(minutes=10)  # Far longer than sending CLAIM_BATCH messages takes.


def worker_name() -> str:
    """Who claims: host, process and a random tag (a restarted process with the same pid is someone else)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class OutboxSender:
    """Drains the outbox through a ``Mailer``; ``run`` until cancelled."""

    def __init__(self, store: IssuerStore, mailer: Mailer, *, poll_seconds: float = POLL_SECONDS) -> None:
        self.store = store
        self.mailer = mailer
        self.poll_seconds = poll_seconds
        self.worker = worker_name()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def drain(self) -> int:
        """Claim and send unsent messages (oldest first) until none is left or a round sends nothing; returns how many left."""
        # Storage calls go to a worker thread: a write can wait for another process's lock (a bulk run).
        sent = 0
        while True:
            now = datetime.now(timezone.utc)
            claimed = await asyncio.to_thread(self.store.claim_outbox, self.worker, now=now,
                                              stale_before=now - CLAIM_TIMEOUT, max_attempts=MAX_ATTEMPTS,
                                              limit=CLAIM_BATCH)
            round_sent = 0
            for message in claimed:
                if await self.mailer.send(message.to, message.subject, message.body):
                    await asyncio.to_thread(self.store.mark_sent, message.id, at=datetime.now(timezone.utc))
                    round_sent += 1
                else:  # Given back, the attempt counted; tried again on a later round (by any process).
                    await asyncio.to_thread(self.store.release_outbox, message.id, self.worker, failed=True)
            sent += round_sent
            if len(claimed) < CLAIM_BATCH or round_sent == 0:
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
