"""One open issuer node: its store, its key, its public URL. Features take an ``IssuerNode``.

The CLI opens a node for one command; ``serve`` opens one for the life of the
process. A node opened without its key (``need_key=False``: revoke from the CLI
while a sealed key's passphrase is not at hand) can change the register but not
sign; the serving node re-signs the affected status lists when asked for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from credentials.keys import Ed25519KeyPair
from credentials.loader import DocumentLoader, bundled_loader
from webbase.dburl import DatabaseTarget

from .config import DEFAULT_HOST, DEFAULT_PORT, IssuerConfig, normalize_public_url
from .datadir import DataDir, load_node_key
from .errors import NodeSetupError
from .storage import IssuerStore, Organization, open_store

# Settings rows: the public URL an operator configured (init or serve --public-url), and the URL
# the last ``serve`` without one was bound to (so that CLI commands mint ids the node serves).
PUBLIC_URL_SETTING = "public_url"
SERVED_URL_SETTING = "served_url"


@dataclass
class IssuerNode:
    store: IssuerStore
    data_dir: DataDir
    public_url: str
    loader: DocumentLoader = field(default_factory=bundled_loader)
    key: Ed25519KeyPair | None = field(default=None, repr=False)

    @property
    def signer(self) -> Ed25519KeyPair:
        if self.key is None:
            raise NodeSetupError("this command needs the node's key; give --passphrase-file", code="key_locked")
        return self.key

    @property
    def organization(self) -> Organization:
        organization = self.store.get_organization()
        if organization is None:
            raise NodeSetupError("the database has no organization profile (not initialized?)", code="not_initialized")
        return organization

    @property
    def did(self) -> str:
        return self.organization.did

    def adopt_public_url(self, url: str) -> None:
        """Publish under ``url`` from now on (``serve`` calls this with the bound URL when none was configured)."""
        self.public_url = normalize_public_url(url)
        self.store.set_setting(SERVED_URL_SETTING, self.public_url)

    def close(self) -> None:
        self.store.close()


def open_database(target: DatabaseTarget) -> IssuerStore:
    """Open (and migrate) the store; a database that cannot be reached is a ``NodeSetupError``, not a traceback."""
    if not target.is_postgres:
        return open_store(target)
    import psycopg
    from psycopg_pool import PoolTimeout

    assert target.url is not None
    try:
        # One plain connection first: an unreachable server or a wrong name fails at once, in one line
        # (the pool would retry for its whole timeout and log every attempt).
        with psycopg.connect(target.url, connect_timeout=10):
            pass
        return open_store(target)
    except (psycopg.Error, PoolTimeout) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NodeSetupError(f"cannot open the database {target.describe()}: {detail}", code="database_unavailable") \
            from None


def open_node(config: IssuerConfig, *, need_key: bool = True) -> IssuerNode:
    """Open the node in ``config.data_dir``: the store (migrated), the key (unless not needed), the public URL.

    The database is ``config.database`` (``--database``), else ``issuer.db`` in
    the data directory. The public URL is the configured one (remembered from now on), else the one
    configured earlier (``init --public-url``, ``serve --public-url``), else the
    URL the last ``serve`` was bound to, else ``http://HOST:PORT``.
    """
    layout = DataDir(config.data_dir)
    target = layout.database(config.database)
    layout.require_initialized(target)
    key = load_node_key(layout, passphrase=config.passphrase) if need_key else None
    store = open_database(target)
    try:
        if store.get_organization() is None and target.is_postgres:
            raise NodeSetupError(f"{target.describe()} holds no issuer node (run 'satchel issuer init --database …' "
                                 "first)", code="not_initialized")
        if config.public_url is not None:
            public_url = normalize_public_url(config.public_url)
            store.set_setting(PUBLIC_URL_SETTING, public_url)
        else:
            public_url = (store.get_setting(PUBLIC_URL_SETTING) or store.get_setting(SERVED_URL_SETTING)
                          or f"http://{config.host or DEFAULT_HOST}:{config.port or DEFAULT_PORT}")
        node = IssuerNode(store=store, data_dir=layout, public_url=public_url, key=key)
        if key is not None and node.organization.did != key.did:
            raise NodeSetupError("the key file does not belong to this database's organization", code="key_mismatch")
    except BaseException:
        store.close()
        raise
    return node
