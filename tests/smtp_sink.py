"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts.

One sink for every test that sends mail: ``messages`` holds them parsed (what a
reader sees), ``envelopes`` the SMTP envelope and raw bytes (what was on the wire).
Use the ``smtp`` fixture, which yields ``(sink, port)``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller


class Sink:
    """An aiosmtpd handler that keeps every accepted message."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.messages.append(cast(EmailMessage, message_from_bytes(envelope.content, policy=default_policy)))
        return "250 OK"


def free_port() -> int:
    """A free loopback port (aiosmtpd's Controller cannot listen on port 0)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()
