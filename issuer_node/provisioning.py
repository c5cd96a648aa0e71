"""``satchel issuer init``: a new node's data directory, key, database, profile and first admin token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from credentials.keys import generate_key_pair
from credentials.secretbox import Argon2Params

from .accounts import BOOTSTRAP_ADMIN, issue_api_token
from .config import Secret, normalize_public_url
from .datadir import DataDir, write_node_key
from .errors import InvalidRequest, NodeSetupError
from .images import data_uri, generated_svg
from .node import PUBLIC_URL_SETTING, open_database
from .storage import Organization

# Settings row naming the DID of the node a database belongs to (written once, by the init that made it).
NODE_DID_SETTING = "node_did"


@dataclass(frozen=True)
class InitResult:
    did: str
    admin_token: str  # Shown once.
    data_dir: Path


def init_node(data_dir: Path, *, name: str, url: str, public_url: str | None = None,
              passphrase: Secret | None = None, email: str | None = None,
              argon2: Argon2Params | None = None, database: str | None = None) -> InitResult:
    """Create the node: key file first (0600, O_EXCL), then the database with the profile and an admin token.

    ``database`` is ``--database`` (default: ``issuer.db`` in the data directory). A
    database that already holds a node is refused, and the key just written removed.
    """
    if not name.strip():
        raise InvalidRequest("the organization needs a name", field="name")
    try:
        org_url = normalize_public_url(url)
        base = normalize_public_url(public_url) if public_url is not None else None
    except ValueError as exc:
        raise InvalidRequest(str(exc), field="url") from None
    layout = DataDir(Path(data_dir))
    target = layout.database(database)
    layout.prepare_new(target)
    key = generate_key_pair()
    write_node_key(layout, key, passphrase=passphrase, params=argon2)  # O_EXCL: two inits of one folder, one key.
    try:
        store = open_database(target)
    except BaseException:
        layout.key_path.unlink()
        raise
    try:
        now = datetime.now(timezone.utc)
        with store.atomic():
            # One statement decides between two inits racing on one PostgreSQL database.
            if store.get_organization() is not None or store.ensure_setting(NODE_DID_SETTING, key.did) != key.did:
                raise NodeSetupError(f"{target.describe()} already holds an issuer node; refusing to replace it",
                                     code="already_initialized")
            store.save_organization(Organization(did=key.did, name=name.strip(), url=org_url, email=email,
                                                 image=data_uri(generated_svg(name), "image/svg+xml")))
            if base is not None:
                store.set_setting(PUBLIC_URL_SETTING, base)
            admin = store.add_user(BOOTSTRAP_ADMIN, "admin", password_hash=None, created=now)
            token = issue_api_token(store, admin, label="init", now=now)
    except BaseException:
        layout.key_path.unlink()  # Ours, written above: the folder is left as it was found, but for itself.
        raise
    finally:
        store.close()
    return InitResult(did=key.did, admin_token=token, data_dir=layout.root)
