"""Satchel's verifier service: the VC-API verify routes and the page where a person checks a badge.

It stands on ``verifier`` (every check is the library's; nothing here decides
whether a credential holds) and ``webbase`` (problem+json, sessions and CSRF,
limits, the runner). Modules: ``config`` (what the service is started with),
``registries`` (reading trust registry files, signed ones included),
``checking`` (one call from a document to a report, and the VC-API result),
``sharelink`` (when a share link may be fetched, and fetching it),
``view`` (the report in plain words for the page), ``api`` and ``pages``
(routes that only translate HTTP), ``app`` (``create_app``).
"""
