"""The wallet's SQLite store: migrations, once-only credentials, account scoping, atomic changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from wallet.errors import Conflict
from wallet.storage import AccountRecord, CredentialQuery, CredentialRecord, EmailRecord, ShareRecord, open_store
from wallet.storage.migrations import MIGRATIONS, applied_versions

T = "2026-12-01T10:00:00Z"


def _account(store, name: str) -> AccountRecord:  # type: ignore[no-untyped-def]
    account = AccountRecord(id=f"acc-{name}", login_email=f"{name}@example.org", password_hash="h",
                            did=f"did:key:z6Mk{name}", holder_key_sealed=b"sealed", created_at=T)
    store.create_account(account, EmailRecord(account_id=account.id, email=account.login_email, created_at=T))
    return account


def _credential(account: AccountRecord, n: int, *, tag: str = "math", issuer: str = "did:key:z6MkIssuer") -> CredentialRecord:
    return CredentialRecord(id=f"{account.id}-c{n}", account_id=account.id, content_hash=f"rdfc:{n}", format="json",
                            document="{}", issuer_id=issuer, issuer_name="District", achievement_name=f"Badge {n}",
                            image=None, description="Fractions", tags=(tag,), valid_from=T, valid_until=None,
                            added_at=T, source="json", status_urls=("https://issuer.test/status/1",))


def test_migrations_run_once_and_record_their_versions(tmp_path: Path) -> None:
    path = tmp_path / "wallet.db"
    open_store(path).close()
    store = open_store(path)  # reopening applies nothing twice
    assert applied_versions(store.db) == {m.version for m in MIGRATIONS}  # type: ignore[attr-defined]
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # type: ignore[attr-defined]


def test_the_same_credential_is_stored_once_per_account(tmp_path: Path) -> None:
    store = open_store(tmp_path / "wallet.db")
    ann, bob = _account(store, "ann"), _account(store, "bob")
    added, dups = store.add_credentials([_credential(ann, 1)])
    assert added == ["acc-ann-c1"] and dups == []
    again = _credential(ann, 1)
    added, dups = store.add_credentials([CredentialRecord(**{**again.__dict__, "id": "other-id"})])
    assert added == [] and dups == ["acc-ann-c1"]
    # Another account holding the same credential is a different holding.
    added, _ = store.add_credentials([_credential(bob, 1)])
    assert added == ["acc-bob-c1"]
    assert store.count_credentials(ann.id) == 1


def test_an_account_never_reads_another_accounts_credentials_or_shares(tmp_path: Path) -> None:
    store = open_store(tmp_path / "wallet.db")
    ann, bob = _account(store, "ann"), _account(store, "bob")
    store.add_credentials([_credential(ann, 1)])
    assert store.get_credential(bob.id, "acc-ann-c1") is None
    assert store.get_credentials(bob.id, ["acc-ann-c1"]) == []
    assert not store.delete_credential(bob.id, "acc-ann-c1")
    store.add_share(ShareRecord(id="s1", account_id=ann.id, token="t" * 32, note=None, expires_at=None, created_at=T,
                                credential_ids=("acc-ann-c1",)))
    assert store.get_share(bob.id, "s1") is None
    assert not store.revoke_share(bob.id, "s1", now=T)
    assert store.share_by_token("t" * 32).revoked_at is None  # type: ignore[union-attr]


def test_pages_filter_by_issuer_tag_and_text_and_follow_the_cursor(tmp_path: Path) -> None:
    store = open_store(tmp_path / "wallet.db")
    ann = _account(store, "ann")
    store.add_credentials([_credential(ann, n, tag="math" if n % 2 else "art",
                                       issuer="did:key:z6MkA" if n < 5 else "did:key:z6MkB") for n in range(10)])
    seen, cursor = [], None
    while True:
        page = store.list_credentials(ann.id, CredentialQuery(limit=3, cursor=cursor))
        seen += [r.id for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"acc-ann-c{n}" for n in reversed(range(10))]
    assert len(store.list_credentials(ann.id, CredentialQuery(tag="art")).items) == 5
    assert len(store.list_credentials(ann.id, CredentialQuery(issuer="did:key:z6MkB")).items) == 5
    assert [r.id for r in store.list_credentials(ann.id, CredentialQuery(text="BADGE 7")).items] == ["acc-ann-c7"]
    assert store.list_credentials(ann.id, CredentialQuery(text="100%")).items == ()
    assert [r.id for r in store.list_credentials(ann.id, CredentialQuery(text="e 7", tag="math")).items] == ["acc-ann-c7"]
    # The search index follows deletions.
    assert store.delete_credential(ann.id, "acc-ann-c7")
    assert store.list_credentials(ann.id, CredentialQuery(text="badge 7")).items == ()


def test_a_failed_multi_row_change_writes_nothing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "wallet.db")
    ann = _account(store, "ann")
    with pytest.raises(Conflict):
        with store.transaction():
            store.add_credentials([_credential(ann, 1)])
            _account(store, "ann")  # the same account again: refused
    assert store.count_credentials(ann.id) == 0


def test_an_address_is_confirmed_for_one_account_only(tmp_path: Path) -> None:
    store = open_store(tmp_path / "wallet.db")
    ann, bob = _account(store, "ann"), _account(store, "bob")
    store.add_email(EmailRecord(account_id=ann.id, email="shared@example.org", created_at=T, confirm_token_hash="a"))
    store.add_email(EmailRecord(account_id=bob.id, email="shared@example.org", created_at=T, confirm_token_hash="b"))
    assert store.confirm_email("a", now=T) is not None
    with pytest.raises(Conflict):
        store.confirm_email("b", now=T)
    assert store.email_confirmed_elsewhere("shared@example.org", bob.id)
