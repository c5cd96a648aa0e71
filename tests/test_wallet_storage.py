"""The wallet's store on both backends: migrations, once-only credentials, account scoping, atomic changes.

Every test runs on SQLite and on a real PostgreSQL (``tests/pgserver.py``): the two must
give the same answers, refuse the same things with the same codes and words. The
PostgreSQL-only tests stand two stores on one database for two wallet processes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from wallet.errors import Conflict
from wallet.storage import (
    AccountRecord,
    CredentialQuery,
    CredentialRecord,
    EmailRecord,
    ShareRecord,
    StatusListRecord,
    WalletStore,
    open_store,
)
from wallet.storage.migrations import MIGRATIONS, applied_versions, apply_migrations
from webbase.dburl import DatabaseTarget

T = "2026-12-01T10:00:00Z"
Opener = Callable[[], WalletStore]


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseTarget:
    if request.param == "sqlite":
        return DatabaseTarget("sqlite", path=tmp_path / "wallet.db")
    return DatabaseTarget("postgresql", url=request.getfixturevalue("pg_url"))


@pytest.fixture
def opener(target: DatabaseTarget) -> Iterator[Opener]:
    """Open the test's database (again): each call stands for one more wallet process."""
    opened: list[WalletStore] = []

    def open_one() -> WalletStore:
        opened.append(open_store(target))
        return opened[-1]

    yield open_one
    for store in opened:
        store.close()


@pytest.fixture
def store(opener: Opener) -> WalletStore:
    return opener()


@pytest.fixture
def pg_target(pg_url: str) -> DatabaseTarget:
    return DatabaseTarget("postgresql", url=pg_url)


def _account(store: WalletStore, name: str) -> AccountRecord:
    account = AccountRecord(id=f"acc-{name}", login_email=f"{name}@example.org", password_hash="h",
                            did=f"did:key:z6Mk{name}", holder_key_sealed=b"sealed\x00\xff", created_at=T)
    store.create_account(account, EmailRecord(account_id=account.id, email=account.login_email, created_at=T))
    return account


def _credential(account: AccountRecord, n: int, *, tag: str = "math", issuer: str = "did:key:z6MkIssuer") -> CredentialRecord:
    return CredentialRecord(id=f"{account.id}-c{n}", account_id=account.id, content_hash=f"rdfc:{n}", format="json",
                            document="{}", issuer_id=issuer, issuer_name="District", achievement_name=f"Badge {n}",
                            image=None, description="Fractions", tags=(tag,), valid_from=T, valid_until=None,
                            added_at=T, source="json", status_urls=("https://issuer.test/status/1",))


def test_migrations_run_once_and_record_their_versions(opener: Opener, target: DatabaseTarget) -> None:
    opener().close()
    store = opener()  # reopening applies nothing twice
    if target.is_postgres:
        rows = store.db.rows("SELECT version, name FROM schema_migrations ORDER BY version")  # type: ignore[attr-defined]
        assert [(r["version"], r["name"]) for r in rows] == [(m.version, m.name) for m in MIGRATIONS]
        # Debian's server ships pg_trgm: text search has its trigram index, as FTS5's on SQLite.
        assert store.db.value("SELECT count(*) FROM pg_indexes WHERE indexname = 'credentials_search_trgm'") == 1  # type: ignore[attr-defined]
    else:
        assert applied_versions(store.db) == {m.version for m in MIGRATIONS}  # type: ignore[attr-defined]
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # type: ignore[attr-defined]


# The CREATE texts SQLite keeps for version 1 (sqlite_master, by name), as the wallet first shipped them.
_SHIPPED_V1 = "804a4fc9067a624d3611932289bd04804e73823b5dec49578f82714215e80a70"


def test_sqlite_version_1_is_the_schema_that_shipped(tmp_path: Path) -> None:
    """Version 1's DDL is one text for both backends (``migrations.V1_CORE``); with SQLite's words it must stay,
    letter for letter, what the databases in the field ran, or fresh and old wallets would differ."""
    db = Database(str(tmp_path / "v1.db"))
    apply_migrations(db, MIGRATIONS[:1])
    texts = [r[0] for r in db.execute("SELECT sql FROM sqlite_master WHERE name != 'schema_migrations' "
                                      "AND sql IS NOT NULL ORDER BY name").fetchall()]
    db.close()
    assert hashlib.sha256("\n".join(texts).encode()).hexdigest() == _SHIPPED_V1


def test_both_backends_have_the_same_tables_and_columns(tmp_path: Path, pg_target: DatabaseTarget) -> None:
    sqlite_store, pg_store = open_store(tmp_path / "w.db"), open_store(pg_target)
    try:
        sqlite_db = sqlite_store.db  # type: ignore[attr-defined]
        on_sqlite = {(t, c.name) for t in sqlite_db.table_names() for c in sqlite_db[t].columns
                     if not t.startswith(("credentials_fts", "sqlite_"))}
        on_pg = {(r["table_name"], r["column_name"]) for r in pg_store.db.rows(  # type: ignore[attr-defined]
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'")}
    finally:
        sqlite_store.close()
        pg_store.close()
    assert on_sqlite == on_pg and ("credential_tags", "credential_seq") in on_pg


def test_the_same_credential_is_stored_once_per_account(store: WalletStore) -> None:
    ann, bob = _account(store, "ann"), _account(store, "bob")
    added, dups = store.add_credentials([_credential(ann, 1)])
    assert added == ["acc-ann-c1"] and dups == []
    again = _credential(ann, 1)
    added, dups = store.add_credentials([replace(again, id="other-id")])
    assert added == [] and dups == ["acc-ann-c1"]
    # Another account holding the same credential is a different holding.
    added, _ = store.add_credentials([_credential(bob, 1)])
    assert added == ["acc-bob-c1"]
    assert store.count_credentials(ann.id) == 1
    held = store.get_credential(ann.id, "acc-ann-c1")
    assert held is not None and held.tags == ("math",) and held.status_urls == ("https://issuer.test/status/1",)
    assert store.get_account(ann.id).holder_key_sealed == b"sealed\x00\xff"  # type: ignore[union-attr]


def test_an_account_never_reads_another_accounts_credentials_or_shares(store: WalletStore) -> None:
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


def test_pages_filter_by_issuer_tag_and_text_and_follow_the_cursor(store: WalletStore) -> None:
    ann = _account(store, "ann")
    store.add_credentials([_credential(ann, n, tag="math" if n % 2 else "art",
                                       issuer="did:key:z6MkA" if n < 5 else "did:key:z6MkB") for n in range(10)])
    seen: list[str] = []
    cursor = None
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
    assert store.list_credentials(ann.id, CredentialQuery(text="badge_7")).items == ()
    assert [r.id for r in store.list_credentials(ann.id, CredentialQuery(text="e 7", tag="math")).items] == ["acc-ann-c7"]
    assert len(store.list_credentials(ann.id, CredentialQuery(text="ge")).items) == 10  # shorter than a trigram
    assert store.issuers(ann.id) == [("did:key:z6MkA", "District", 5), ("did:key:z6MkB", "District", 5)]
    # The search index follows deletions.
    assert store.delete_credential(ann.id, "acc-ann-c7")
    assert store.list_credentials(ann.id, CredentialQuery(text="badge 7")).items == ()


def test_shares_keep_their_badges_in_order_and_count_views(store: WalletStore) -> None:
    ann = _account(store, "ann")
    store.add_credentials([_credential(ann, n) for n in range(3)])
    store.add_share(ShareRecord(id="s1", account_id=ann.id, token="t" * 32, note="for the interview", expires_at=None,
                                created_at=T, credential_ids=("acc-ann-c2", "acc-ann-c0")))
    store.count_view("s1")
    store.set_share_presentation("s1", credential_ids=("acc-ann-c1", "acc-ann-c2"), presentation="{}", results="{}",
                                 checked_at=T)
    share = store.get_share(ann.id, "s1")
    assert share is not None and share.credential_ids == ("acc-ann-c1", "acc-ann-c2") and share.views == 1
    assert [s.id for s in store.shares_holding("acc-ann-c2")] == ["s1"]
    store.put_status_list(StatusListRecord(url="https://issuer.test/status/1", document=None, fetched_at=T,
                                           verified=False, error="unreachable"))
    store.put_status_list(StatusListRecord(url="https://issuer.test/status/1", document="{}", fetched_at=T,
                                           verified=True))
    assert store.get_status_lists(["https://issuer.test/status/1"]) == [
        StatusListRecord(url="https://issuer.test/status/1", document="{}", fetched_at=T, verified=True)]
    assert store.status_urls_in_use() == ["https://issuer.test/status/1"]


def test_a_failed_multi_row_change_writes_nothing(store: WalletStore) -> None:
    ann = _account(store, "ann")
    with pytest.raises(Conflict) as refused:
        with store.transaction():
            store.add_credentials([_credential(ann, 1)])
            _account(store, "ann")  # the same account again: refused
    assert refused.value.code == "account_exists"
    assert store.count_credentials(ann.id) == 0


def test_an_account_taken_by_email_or_did_is_refused_in_the_same_words(store: WalletStore) -> None:
    ann = _account(store, "ann")
    with pytest.raises(Conflict) as by_email:
        store.create_account(replace(ann, id="acc-2", did="did:key:z6Mkother"),
                             EmailRecord(account_id="acc-2", email=ann.login_email, created_at=T))
    assert (by_email.value.code, by_email.value.detail) == (
        "account_exists", "an account with the email ann@example.org exists already")
    with pytest.raises(Conflict) as by_did:
        store.create_account(replace(ann, id="acc-3"), EmailRecord(account_id="acc-3", email=ann.login_email,
                                                                   created_at=T))
    assert (by_did.value.code, by_did.value.detail) == (
        "account_exists", f"an account with the holder did {ann.did} exists already")


def test_a_refused_step_inside_a_transaction_leaves_the_rest_of_it(store: WalletStore) -> None:
    ann = _account(store, "ann")
    with store.transaction():
        store.add_credentials([_credential(ann, 1)])
        with pytest.raises(Conflict):
            store.add_email(EmailRecord(account_id=ann.id, email=ann.login_email, created_at=T))
        store.add_credentials([_credential(ann, 2)])
    assert store.count_credentials(ann.id) == 2


def test_an_address_is_confirmed_for_one_account_only(store: WalletStore) -> None:
    ann, bob = _account(store, "ann"), _account(store, "bob")
    store.add_email(EmailRecord(account_id=ann.id, email="shared@example.org", created_at=T, confirm_token_hash="a"))
    store.add_email(EmailRecord(account_id=bob.id, email="shared@example.org", created_at=T, confirm_token_hash="b"))
    assert store.confirm_email("a", now=T) is not None
    with pytest.raises(Conflict) as refused:
        store.confirm_email("b", now=T)
    assert refused.value.code == "email_exists"
    assert store.email_confirmed_elsewhere("shared@example.org", bob.id)
    with pytest.raises(Conflict) as again:
        store.create_account(replace(ann, id="acc-other", login_email="other@example.org"),
                             EmailRecord(account_id="acc-other", email="other@example.org", created_at=T))
    assert again.value.detail == f"an account with the holder did {ann.did} exists already"


def test_tokens_outbox_and_emails(store: WalletStore) -> None:
    ann = _account(store, "ann")
    store.add_token("h1", ann.id, created_at=T, expires_at="2026-12-02T10:00:00Z")
    assert store.account_for_token("h1", now=T) == ann
    assert store.account_for_token("h1", now="2026-12-03T00:00:00Z") is None
    assert store.delete_token("h1") and not store.delete_token("h1")
    from wallet.storage import OutboxMessage

    first = store.add_outbox(OutboxMessage(to="ann@example.org", subject="Confirm", body="link", created_at=T))
    second = store.add_outbox(OutboxMessage(to="bob@example.org", subject="Confirm", body="link", created_at=T))
    assert second > first > 0
    assert [m.id for m in store.list_outbox(to="ann@example.org")] == [first]
    assert [e.email for e in store.list_emails(ann.id)] == ["ann@example.org"]


# -- an older database upgrades in place ------------------------------------------------------


def _fill_at_version(target: DatabaseTarget, version: int) -> None:
    """Write one account, two credentials (tags, status URL), a share and a cached list with the schema
    of ``version``: the statements an older wallet would have run (the v1 columns exist in every version)."""
    rows: list[tuple[str, list[object]]] = [
        ("INSERT INTO accounts (id, login_email, password_hash, did, holder_key_sealed, created_at) "
         "VALUES (?, ?, ?, ?, ?, ?)", ["acc-ann", "ann@example.org", "h", "did:key:z6Mkann", b"sealed", T]),
        ("INSERT INTO emails (account_id, email, created_at, confirmed_at) VALUES (?, ?, ?, ?)",
         ["acc-ann", "ann@example.org", T, T]),
    ]
    for n in (1, 2):
        rows.append(("INSERT INTO credentials (id, account_id, content_hash, format, document, issuer_id, issuer_name, "
                     "achievement_name, image, description, tags, search, valid_from, valid_until, added_at, source, "
                     "state, state_detail) VALUES (?, ?, ?, 'json', '{}', 'did:key:z6MkIssuer', 'District', ?, NULL, "
                     "'Fractions', ?, ?, ?, NULL, ?, 'json', 'valid', '')",
                     [f"c{n}", "acc-ann", f"rdfc:{n}", f"Old badge {n}", '["math"]',
                      f"old badge {n}\ndistrict\ndid:key:z6mkissuer\nfractions\nmath", T, T]))
        tag_columns = ("credential_id, account_id, tag", "?, ?, ?") if version < 2 else \
            ("credential_id, account_id, tag, credential_seq",
             "?, ?, ?, (SELECT seq FROM credentials WHERE id = '" + f"c{n}" + "')")
        rows.append((f"INSERT INTO credential_tags ({tag_columns[0]}) VALUES ({tag_columns[1]})",
                     [f"c{n}", "acc-ann", "math"]))
        rows.append(("INSERT INTO credential_status_urls (credential_id, url) VALUES (?, ?)",
                     [f"c{n}", "https://issuer.test/status/1"]))
    rows.append(("INSERT INTO shares (id, account_id, token, note, created_at) VALUES (?, ?, ?, ?, ?)",
                 ["s1", "acc-ann", "t" * 32, "old note", T]))
    rows.append(("INSERT INTO share_credentials (share_id, credential_id, position) VALUES (?, ?, ?)", ["s1", "c2", 0]))
    rows.append(("INSERT INTO status_lists (url, document, fetched_at, verified) VALUES (?, ?, ?, ?)",
                 ["https://issuer.test/status/1", "{}", T, 1]))
    if target.is_postgres:
        from wallet.storage import pg_migrations
        from webbase.pg import PgDatabase

        db = PgDatabase(target.url or "")
        try:
            assert pg_migrations.migrate(db, pg_migrations.MIGRATIONS[:version]) == version
            with db.transaction():
                for sql, params in rows:
                    db.execute(sql, params)
        finally:
            db.close()
    else:
        from sqlite_utils import Database

        from wallet.storage.migrations import apply_migrations

        sdb = Database(str(target.path))
        assert apply_migrations(sdb, MIGRATIONS[:version]) == list(range(1, version + 1))
        with sdb.atomic():
            for sql, params in rows:
                sdb.execute(sql, params)
        if version >= 2:  # the FTS index of version 2 is kept by triggers: the rows above are in it
            assert sdb.execute("SELECT count(*) FROM credentials_fts").fetchone()[0] == 2
        sdb.close()


@pytest.mark.parametrize("version", range(1, len(MIGRATIONS)))
def test_a_database_of_an_older_version_upgrades_in_place_with_nothing_lost(target: DatabaseTarget, opener: Opener,
                                                                           version: int) -> None:
    _fill_at_version(target, version)
    store = opener()  # the newest program opens it: the missing steps run, in place
    account = store.account_by_login("ann@example.org")
    assert account is not None and account.holder_key_sealed == b"sealed"
    assert [e.confirmed_at for e in store.list_emails("acc-ann")] == [T]
    assert store.count_credentials("acc-ann") == 2
    assert [r.id for r in store.list_credentials("acc-ann", CredentialQuery(tag="math")).items] == ["c2", "c1"]
    assert [r.id for r in store.list_credentials("acc-ann", CredentialQuery(text="badge 1")).items] == ["c1"]
    assert [r.id for r in store.list_credentials("acc-ann", CredentialQuery(limit=1, cursor=2)).items] == ["c1"]
    share = store.share_by_token("t" * 32)
    assert share is not None and share.credential_ids == ("c2",) and share.note == "old note"
    assert store.get_status_lists(["https://issuer.test/status/1"])[0].verified
    # New writes after the upgrade land beside the old rows and are found the same ways.
    store.add_credentials([_credential(account, 3)])
    assert [r.id for r in store.list_credentials("acc-ann", CredentialQuery(tag="math", limit=2)).items] == \
        ["acc-ann-c3", "c2"]
    assert [r.id for r in store.list_credentials("acc-ann", CredentialQuery(text="badge 3")).items] == ["acc-ann-c3"]
    added, dups = store.add_credentials([replace(_credential(account, 1), id="again", content_hash="rdfc:1")])
    assert added == [] and dups == ["c1"]


# -- several processes on one PostgreSQL database ---------------------------------------------------


def test_racing_processes_store_one_credential_once(pg_target: DatabaseTarget) -> None:
    stores = [open_store(pg_target) for _ in range(2)]
    try:
        ann = _account(stores[0], "ann")
        answers: list[tuple[list[str], list[str]]] = []
        errors: list[BaseException] = []
        start = threading.Barrier(20)

        def one(n: int) -> None:
            try:
                start.wait()
                answers.append(stores[n % 2].add_credentials([replace(_credential(ann, 1), id=f"try-{n}")]))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=one, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        winners = [added[0] for added, _ in answers if added]
        assert len(winners) == 1
        assert sorted(dups[0] for _, dups in answers if dups) == [winners[0]] * 19
        assert stores[1].count_credentials(ann.id) == 1
    finally:
        for store in stores:
            store.close()


def test_rate_limit_hits_are_shared_and_old_ones_are_dropped(pg_target: DatabaseTarget) -> None:
    a, b = open_store(pg_target), open_store(pg_target)
    try:
        hits_a, hits_b = a.shared_hit_store(), b.shared_hit_store()
        assert hits_a is not None and hits_b is not None
        now = time.time()
        assert hits_a.record_hit("login|ip", now=now - 7200, window=60, limit=1) is None   # two hours ago
        assert hits_b.record_hit("login|ip2", now=now, window=60, limit=1) is None
        assert hits_a.record_hit("login|ip2", now=now, window=60, limit=1) == now          # B's hit counts on A
        assert b.forget_rate_hits(older_than_seconds=3600) == 1
        assert a.db.value("SELECT count(*) FROM rate_limit_hits") == 1  # type: ignore[attr-defined]
    finally:
        a.close()
        b.close()


def test_a_background_job_is_claimed_by_one_process_at_a_time(pg_target: DatabaseTarget) -> None:
    a, b = open_store(pg_target), open_store(pg_target)
    try:
        with a.job_claims() as on_a:
            assert on_a.claim("status:https://issuer.test/status/1")
            with b.job_claims() as on_b:
                assert not on_b.claim("status:https://issuer.test/status/1")
                assert on_b.claim("status:https://issuer.test/status/2")
        with b.job_claims() as on_b:  # A's pass is over: the job is free again
            assert on_b.claim("status:https://issuer.test/status/1")
    finally:
        a.close()
        b.close()


def test_two_processes_opening_a_new_database_at_once_migrate_it_once(pg_target: DatabaseTarget) -> None:
    stores: list[WalletStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(open_store(pg_target))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        versions = stores[0].db.rows("SELECT version FROM schema_migrations")  # type: ignore[attr-defined]
        assert sorted(r["version"] for r in versions) == [m.version for m in MIGRATIONS]
    finally:
        for store in stores:
            store.close()
