"""The issuer node: one organization's server that defines badges, issues, publishes status, revokes.

Module map (features take an ``IssuerNode``; handlers only translate HTTP):

- ``config`` (``IssuerConfig``, ``Secret``), ``datadir`` (issuer.db, issuer.key 0600 / sealed,
  evidence/), ``provisioning`` (``init_node``), ``node`` (``open_node`` → ``IssuerNode``: store,
  key as a ``Signer``, public URL), ``errors`` (``IssuerError`` tree with HTTP status and code).
- ``storage/``: ``interface.IssuerStore`` (one Protocol per table family, composed), ``records``
  (frozen dataclasses), ``sqlstore.SqlIssuerStore`` (the SQL both backends share, + one mixin per
  later family, on ``sqlaccess.SqlAccess``), ``sqlite.SqliteIssuerStore`` and ``postgres.PgIssuerStore``
  (``--database postgresql://…``: several serving processes on one database), ``migrations.MIGRATIONS``
  and ``pg_migrations.PG_MIGRATIONS`` (one append-only history, same versions on both).
- Features: ``achievements``, ``issuing`` (``issue_batch`` / ``issue_credential`` /
  ``check_requests``), ``statuslists`` (published list, ``change_status``), ``accounts``
  (users, bearer tokens, roles), ``images``; ``bulk_csv`` (the bulk CSV format, row checks) and
  ``bulk`` (the resumable bulk runner, ``storage/bulk.py`` its jobs), ``cli_bulk`` (``satchel issuer bulk``).
- HTTP: ``app.create_app`` (problem+json for ``IssuerError``), ``state`` (app keys),
  ``routes/<family>.py`` each with ``setup(app)``, listed in ``app.ROUTE_FAMILIES``.
- Delivery (OpenID4VCI 1.0, pre-authorized code): ``awards`` (``create_award``: an award waiting to be
  claimed, its offer URL, the offer email queued; ``storage/awards.py`` its table family), ``oid4vci``
  (metadata, offer, token, nonce, credential; OAuth-shaped ``OAuthError``), ``outbox`` (sends queued
  mail over SMTP with ``--smtp``), ``downloads`` (JSON / baked PNG / SVG, HMAC link or operator),
  ``cli_offer`` (``satchel issuer offer``); routes ``oid4vci``, ``delivery`` (QR, downloads), ``api_awards``.
- ``cli.add_parser``: ``satchel issuer …`` (registered by satchel/cli.py; nothing here imports satchel).
"""
