"""The access log, without the capabilities that travel in URLs.

Share links (``/s/<token>``), offers (``/offers/<token>``), email confirmations
(``/confirm/<token>``), an applicant's status page (``?key=``) and download links
(``?token=``) are secrets carried in the URL: whoever reads them may use them. aiohttp's
default access log writes the request line as sent, so anyone with the server's log would
hold every live share link and offer. This logger writes the same facts (client, method,
path, status, size, time) with each such value replaced by ``[redacted]``: a path segment
that looks like a random token (20 or more base64url characters, not a hex id or UUID), and
the value of every query parameter whose name says it is a secret.
"""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from yarl import URL

REDACTED = "[redacted]"
SECRET_PARAMETERS = frozenset({"key", "token", "code", "pre-authorized_code", "tx_code", "access_token",
                               "password", "passphrase", "csrf_token"})
_TOKEN_LIKE = re.compile(r"[A-Za-z0-9_-]{20,}")
_HEX_OR_UUID = re.compile(r"[0-9A-Fa-f-]+")


def _segment(segment: str) -> str:
    stem, dot, suffix = segment.partition(".")
    if _TOKEN_LIKE.fullmatch(stem) and not _HEX_OR_UUID.fullmatch(stem):
        return REDACTED + dot + suffix
    return segment


def redact_target(url: URL) -> str:
    """The request target (path and query, as sent) with token-like path segments and secret parameters hidden."""
    path = "/".join(_segment(part) for part in url.raw_path.split("/"))
    if not url.raw_query_string:
        return path
    pairs = []
    for pair in url.raw_query_string.split("&"):
        name, equals, _ = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if equals and name.lower() in SECRET_PARAMETERS else pair)
    return f"{path}?{'&'.join(pairs)}"


class RedactingAccessLogger(AbstractAccessLogger):
    """``client "METHOD target HTTP/x.y" status bytes seconds`` on the ``aiohttp.access`` logger, target redacted."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info('%s "%s %s HTTP/%d.%d" %d %s %.3fs', request.remote, request.method,
                         redact_target(request.rel_url), request.version.major, request.version.minor,
                         response.status, response.body_length, time)
