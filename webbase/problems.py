"""RFC 9457 problem details: one exception type and one middleware that renders every error.

Handlers raise ``Problem`` (or let a ``CredentialError`` or an aiohttp ``HTTPException`` escape); the
middleware turns each into ``application/problem+json`` with a stable ``code`` in the ``type`` URN, and
anything unexpected into a generic 500 whose traceback goes to the server log, never to the client.
Page routes (marked with ``page``) and unmatched URLs asked for by a browser get an escaped HTML error
page with the same status instead (a page asked for with an Accept header that ranks JSON first gets problem+json).
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError

from credentials.errors import CredentialError

log = logging.getLogger("webbase")

PROBLEM_TYPE_PREFIX = "urn:satchel:problem:"
PROBLEM_CONTENT_TYPE = "application/problem+json"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H", bound=Callable[..., Any])

# Codes for aiohttp's own HTTP exceptions, by status; anything else becomes ``http_<status>``.
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    411: "length_required",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "rate_limited",
}
_STATUS_DETAILS = {
    404: "There is nothing at this URL.",
    405: "This URL does not accept that method.",
    413: "The request body is larger than this server accepts.",
}
# Headers of an HTTPException worth keeping on the problem response (Allow for 405, and so on).
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate", "Location")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Problem(Exception):
    """An HTTP error with an RFC 9457 body: ``{"type": "urn:satchel:problem:<code>", "title", "status", "detail", **extra}``.

    ``headers`` (an extension of the contract) are added to the response, e.g. ``Retry-After``.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.title = title or _phrase(status)
        self.extra: dict[str, Any] = dict(extra or {})
        self.headers: dict[str, str] = dict(headers or {})

    def to_json(self) -> dict[str, Any]:
        """The problem document; ``extra`` cannot replace the four standard members."""
        body = dict(self.extra)
        body.update(type=PROBLEM_TYPE_PREFIX + self.code, title=self.title, status=self.status, detail=self.detail)
        return body

    def to_response(self) -> web.Response:
        response = web.json_response(
            self.to_json(), status=self.status, content_type=PROBLEM_CONTENT_TYPE,
            dumps=lambda value: json.dumps(value, ensure_ascii=False),
        )
        response.headers.update(self.headers)
        return response

    def to_html_response(self) -> web.Response:
        """An escaped HTML error page (no template needed, so it works before templates are set up)."""
        title = html.escape(f"{self.status} {self.title}")
        page = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{title}</title>\n<link rel="stylesheet" href="/static/webbase.css">\n</head>\n<body>\n'
            f'<main id="content">\n<h1>{title}</h1>\n<p>{html.escape(self.detail)}</p>\n'
            '<p><a href="/">Back to the start page</a></p>\n</main>\n</body>\n</html>\n'
        )
        response = web.Response(text=page, status=self.status, content_type="text/html", charset="utf-8")
        response.headers.update(self.headers)
        return response


PAGE_ATTRIBUTE = "__webbase_page__"


def page(handler: H) -> H:
    """Mark a handler as an HTML page, so its errors are rendered as HTML, not problem+json."""
    setattr(handler, PAGE_ATTRIBUTE, True)
    return handler


def _accept_quality(accept: str, wanted: set[str]) -> float:
    best = 0.0
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        if media.strip().lower() not in wanted:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = max(best, quality)
    return best


def prefers_html(request: web.Request) -> bool:
    """True when the client's Accept header ranks text/html above every JSON type."""
    accept = request.headers.get("Accept", "")
    return _accept_quality(accept, {"text/html"}) > _accept_quality(
        accept, {"application/json", PROBLEM_CONTENT_TYPE, "application/ld+json"}
    )


def prefers_json(request: web.Request) -> bool:
    """True when the client's Accept header ranks a JSON type (problem+json included) above text/html."""
    accept = request.headers.get("Accept", "")
    return _accept_quality(accept, {"application/json", PROBLEM_CONTENT_TYPE, "application/ld+json"}) > _accept_quality(
        accept, {"text/html"}
    )


def wants_html_errors(request: web.Request) -> bool:
    """Pages get HTML errors; so do unmatched URLs a browser navigates to. API routes never do."""
    match_info = request.match_info
    route = match_info.route if match_info is not None else None
    handler = getattr(route, "handler", None)
    if handler is not None and getattr(handler, PAGE_ATTRIBUTE, False):
        # A page's errors are HTML, unless the client ranks JSON above HTML (a script, a test): then problem+json.
        return not prefers_json(request)
    if match_info is not None and match_info.http_exception is not None:
        return prefers_html(request)
    return False


def problem_from_http_exception(exc: web.HTTPException) -> Problem:
    status = exc.status
    code = _STATUS_CODES.get(status, f"http_{status}")
    # A handler's own text (``HTTPBadRequest(text=...)``) is kept; aiohttp's default "404: Not Found" is not.
    own_text = exc.text if exc.text and exc.text != f"{status}: {exc.reason}" else None
    detail = own_text or _STATUS_DETAILS.get(status) or exc.reason or _phrase(status)
    headers = {name: exc.headers[name] for name in _KEPT_HEADERS if name in exc.headers}
    return Problem(status, detail, code=code, headers=headers)


def problem_from_credential_error(exc: CredentialError) -> Problem:
    extra = {"path": exc.path} if exc.path else None
    return Problem(400, str(exc) or "The input was refused.", code=exc.code, extra=extra)


def internal_problem() -> Problem:
    return Problem(500, "The server could not complete this request; the error has been logged.", code="internal_error")


def render_problem(request: web.Request, problem: Problem) -> web.Response:
    if wants_html_errors(request):
        return problem.to_html_response()
    return problem.to_response()


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error a handler raises into problem+json (or an HTML error page for pages)."""
    try:
        return await handler(request)
    except Problem as problem:
        return render_problem(request, problem)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise  # Redirects and other non-errors pass through untouched.
        return render_problem(request, problem_from_http_exception(exc))
    except CredentialError as exc:
        return render_problem(request, problem_from_credential_error(exc))
    except RequestPayloadError:
        # The body cannot be read as sent (a gzip or deflate Content-Encoding over bytes that are not, a broken
        # chunked encoding): the client's fault, a 400 with no traceback.
        return render_problem(request, Problem(400, "The request body cannot be read: its Content-Encoding or "
                                                    "chunked framing does not match its bytes.",
                                               code="body_unreadable"))
    except Exception as exc:
        if isinstance(exc, ConnectionResetError) and (request.transport is None or request.transport.is_closing()):
            # The client's connection is gone (it left, or aiohttp dropped it over a body it could not read):
            # nobody will read an answer, and no fault of ours to log with a traceback.
            log.info("%s %s: the connection was lost before the request was read", request.method, request.path)
            return render_problem(request, Problem(400, "The connection was lost before the request was read.",
                                                   code="connection_lost"))
        log.exception("unhandled error in %s %s", request.method, request.path)
        return render_problem(request, internal_problem())


class UnreadableBodyFilter(logging.Filter):
    """Demote aiohttp's own tracebacks about a client's malformed request to an INFO line.

    After an answer, aiohttp reads and discards what is left of the request body; when the client's bytes are not
    what its Content-Encoding says (gzip or deflate over other bytes), that read raises ``RequestPayloadError``,
    logged as "Unhandled exception" at ERROR with a traceback. A request aiohttp cannot parse at all (a bad header,
    a Content-Encoding it cannot decode) is answered by aiohttp itself and logged the same way. Either is a
    traceback any client could write into the server log, about its own request: the record is kept, at INFO and
    without the traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, (RequestPayloadError, HttpProcessingError)):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args, record.exc_info, record.exc_text = (
                "a malformed request from a client (%s)", (" ".join(str(exc).split()),), None, None)
        return True


def quiet_unreadable_bodies() -> None:
    """Install ``UnreadableBodyFilter`` on aiohttp's server logger (once per process)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, UnreadableBodyFilter) for f in logger.filters):
        logger.addFilter(UnreadableBodyFilter())
