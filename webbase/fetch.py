"""Bounded HTTP fetches for status list credentials and ``--online`` lookups.

A fetched document is untrusted input from a URL someone else chose, so the fetch is bounded in
every dimension: a scheme allow list (never ``file:`` or ``ftp:``), an overall timeout, a byte limit
enforced while reading (a Content-Length is not trusted), and redirects followed only on the same
host (an upgrade from http to https is allowed) and only a few times, and only to addresses the
``AddressPolicy`` allows (``webbase.netpolicy``: no link-local or private address by default, loopback
allowed). Failures raise ``FetchError``, a ``LoaderError``, so the verifier reports "not checked" rather
than failing a credential.
"""

from __future__ import annotations

import asyncio

import aiohttp
from yarl import URL

from credentials.errors import LoaderError

from .netpolicy import DEFAULT_POLICY, AddressPolicy, AddressRefused, check_literal_host, guarded_session

ONE_MIB = 1024 * 1024
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_REDIRECTS = 3
_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024


class FetchError(LoaderError):
    """A fetch refused or failed; codes ``fetch_scheme_refused``, ``fetch_redirect_refused``,
    ``fetch_too_many_redirects``, ``fetch_too_large``, ``fetch_timeout``, ``fetch_http_status``, ``fetch_failed``,
    ``fetch_address_refused``."""

    code = "fetch_failed"


def _check_url(url: URL, allowed_schemes: tuple[str, ...], shown: str,
               policy: AddressPolicy = DEFAULT_POLICY) -> None:
    if url.scheme.lower() not in allowed_schemes:
        raise FetchError(f"refusing to fetch {shown}: the scheme must be one of {', '.join(allowed_schemes)}",
                         code="fetch_scheme_refused")
    if not url.host:
        raise FetchError(f"refusing to fetch {shown}: no host", code="fetch_scheme_refused")
    check_literal_host(url.host, policy)


def _redirect_allowed(current: URL, target: URL) -> bool:
    """Same host; same scheme and port, or an upgrade from http to https."""
    if (target.host or "").lower() != (current.host or "").lower():
        return False
    if target.scheme == current.scheme:
        return target.port == current.port
    return current.scheme == "http" and target.scheme == "https"


async def _fetch(session: aiohttp.ClientSession, url: str, *, max_bytes: int, allowed_schemes: tuple[str, ...],
                 max_redirects: int, accept: str, policy: AddressPolicy) -> bytes:
    current = URL(url)
    _check_url(current, allowed_schemes, url, policy)
    for _ in range(max_redirects + 1):
        async with session.get(current, allow_redirects=False, headers={"Accept": accept}) as response:
            if response.status in _REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(f"{current} redirected without a Location", code="fetch_redirect_refused")
                target = current.join(URL(location))
                _check_url(target, allowed_schemes, str(target), policy)
                if not _redirect_allowed(current, target):
                    raise FetchError(f"refusing the redirect from {current} to {target}: another host",
                                     code="fetch_redirect_refused")
                current = target
                continue
            if response.status != 200:
                raise FetchError(f"{current} answered HTTP {response.status}", code="fetch_http_status")
            if response.content_length is not None and response.content_length > max_bytes:
                raise _too_large(current, max_bytes)
            data = bytearray()
            async for chunk in response.content.iter_chunked(_CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise _too_large(current, max_bytes)
            return bytes(data)
    raise FetchError(f"{url} redirected more than {max_redirects} times", code="fetch_too_many_redirects")


def _too_large(url: URL, max_bytes: int) -> FetchError:
    return FetchError(f"{url} is larger than {max_bytes:,} bytes", code="fetch_too_large")


async def fetch_limited(url: str, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = ONE_MIB,
                        allowed_schemes: tuple[str, ...] = ("http", "https"),
                        max_redirects: int = DEFAULT_MAX_REDIRECTS, accept: str = "application/json, */*;q=0.5",
                        session: aiohttp.ClientSession | None = None,
                        policy: AddressPolicy = DEFAULT_POLICY) -> bytes:
    """The body of ``url`` (HTTP 200 only), within ``timeout`` seconds overall and ``max_bytes``.

    Pass a ``session`` to reuse connections (make it with ``netpolicy.guarded_session`` so that names
    resolving to refused addresses are refused too; IP literals are checked here either way);
    otherwise a short-lived guarded one is made for this fetch.
    """
    try:
        async with asyncio.timeout(timeout):
            if session is not None:
                return await _fetch(session, url, max_bytes=max_bytes, allowed_schemes=allowed_schemes,
                                    max_redirects=max_redirects, accept=accept, policy=policy)
            async with guarded_session(policy) as own:
                return await _fetch(own, url, max_bytes=max_bytes, allowed_schemes=allowed_schemes,
                                    max_redirects=max_redirects, accept=accept, policy=policy)
    except AddressRefused as exc:
        raise FetchError(str(exc), code="fetch_address_refused") from None
    except FetchError:
        raise
    except TimeoutError:
        raise FetchError(f"{url} did not answer within {timeout:g} seconds", code="fetch_timeout") from None
    except (aiohttp.ClientError, ValueError) as exc:
        raise FetchError(f"could not fetch {url}: {exc}", code="fetch_failed") from None
