"""The Satchel wallet server: learners collect credentials from every organization, share them, take them anywhere.

Stands on ``credentials/``, ``verifier/`` and ``webbase/``; never imports ``issuer_node``
or ``satchel``. Module map (feature modules take a ``context.Wallet``; routes and the CLI
call the same functions):

    config        data directory layout (wallet.db, server.secret 0600, settings.json), WalletConfig
    keyvault      holder keys sealed under the server secret (AES-GCM, account id as AAD)
    context       Wallet: config + store + vault + mailer + clock
    storage/      WalletStore (interface.py), records, SQLite backend, versioned migrations (append only)
    accounts      sign-up (holder did:key), login/tokens, emails and confirmation (SMTP or outbox)
    reading       uploads -> candidate credentials (JSON, presentation, VC-JWT, baked PNG/SVG)
    badge         facts filed with a credential (issuer, name, image, tags, dates, status URLs), content hash
    importing     verify + addressed-to-account + store once; the per-item import report
    standing      a credential's state (valid/expired/revoked/...) from a verification report
    oid4vci_client OpenID4VCI 1.0 pre-authorized flow against an issuer (bounded HTTP, holder-key proof JWT)
    receiving     redeem an offer for an account and import what it gives (POST /api/credentials {"offer"})
    holdings      list/filter/paginate, read, delete held credentials
    presenting    the share presentation: built, signed (authentication, challenge, domain), verified
    shares        share links: create, list, revoke, open (404/410), rebuild after changes
    statusrefresh fetch + verify status lists, update standings, re-sign affected shares
    portability   encrypted account export and its all-or-nothing import
    web/          create_app, auth (bearer), one module of routes per area, share page template
    cli           'satchel wallet init|serve|export|import' (registered by satchel/cli.py)
    testing       helpers for tests and bench (signed badges, a running wallet)
"""
