"""Sending mail over SMTP (offers, email confirmations) without ever blocking the loop.

The ``Mailer`` only sends: each server keeps its own outbox table and decides what to do when a send
fails (``send`` returns False and logs; it never raises for a mail problem). smtplib runs in a thread
with a timeout. Message bodies and SMTP passwords are never logged: a body can hold a one-time link.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

log = logging.getLogger("webbase.mail")

DEFAULT_TIMEOUT = 10.0
MAX_SUBJECT = 300


def parse_smtp(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (as given to ``--smtp``) → (host, port); ``[::1]:25`` for IPv6."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected HOST:PORT for SMTP, got {value!r}")
    return host.strip("[]"), int(port)


class Mailer:
    """Sends plain-text mail through ``smtp`` (host, port), or reports False when none is configured."""

    def __init__(self, smtp: tuple[str, int] | None, *, sender: str, timeout: float = DEFAULT_TIMEOUT,
                 starttls: bool = False, login: tuple[str, str] | None = None) -> None:
        self.smtp = smtp
        self.sender = sender
        self.timeout = timeout
        self.starttls = starttls
        self._login = login

    def __repr__(self) -> str:
        return f"Mailer(smtp={self.smtp!r}, sender={self.sender!r})"

    @property
    def configured(self) -> bool:
        return self.smtp is not None

    def build_message(self, to: str, subject: str, body: str) -> EmailMessage:
        """The message; a header value holding a line break (header injection) raises ValueError."""
        for name, value in (("To", to), ("Subject", subject), ("From", self.sender)):
            if "\r" in value or "\n" in value:
                raise ValueError(f"the {name} header must be one line")
        if len(subject) > MAX_SUBJECT:
            raise ValueError(f"the subject must be at most {MAX_SUBJECT} characters")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False, usegmt=True)
        domain = self.sender.rpartition("@")[2].strip("> ") or None
        message["Message-ID"] = make_msgid(domain=domain)
        message.set_content(body)
        return message

    def _send_blocking(self, message: EmailMessage) -> None:
        assert self.smtp is not None
        host, port = self.smtp
        with smtplib.SMTP(host, port, timeout=self.timeout) as client:
            if self.starttls:
                client.starttls(context=ssl.create_default_context())
            if self._login is not None:
                client.login(*self._login)
            client.send_message(message)

    async def send(self, to: str, subject: str, body: str) -> bool:
        """Send one message; True when the SMTP server accepted it, False (logged) otherwise."""
        if self.smtp is None:
            log.info("mail not sent (no SMTP server configured): %r to %s", subject, to)
            return False
        try:
            message = self.build_message(to, subject, body)
        except ValueError as exc:
            log.warning("mail not sent to %r: %s", to, exc)
            return False
        try:
            await asyncio.get_running_loop().run_in_executor(None, self._send_blocking, message)
        except (OSError, smtplib.SMTPException) as exc:
            # OSError covers refused connections and timeouts. The message names only the class
            # and the server's reply, never the body or the login.
            log.warning("mail to %s via %s:%s failed: %s: %s", to, *self.smtp, type(exc).__name__, exc)
            return False
        return True
