"""Shared aiohttp plumbing for Satchel's servers (issuer node, wallet, verifier service).

Problem+json errors, body limits, security headers, sessions and CSRF, bearer tokens, rate limits,
templates, the OpenAPI document, mail, limited fetches and the multi-app runner. It depends on
aiohttp, jinja2, argon2-cffi and ``credentials`` only; the servers depend on it, never the reverse.
The contract is /work/helpers/WEBBASE.md; import the submodules directly.
"""
