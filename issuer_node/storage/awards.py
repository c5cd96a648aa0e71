"""Awards waiting to be claimed, and the OpenID4VCI state around them: one table family of the issuer store.

An award is "this person has earned this achievement": it becomes a
credential when the learner's wallet redeems its credential offer (OpenID4VCI
pre-authorized code flow). Everything the protocol needs between requests
lives here, so that any number of stateless node processes can serve it:

- ``awards``: the award, the hashes of its offer token and pre-authorized code,
  the (salted) hash of its transaction code, how often a wrong transaction code
  was tried, when it expires, when its code was exchanged and which credential
  it became;
- ``oid4vci_tokens``: access tokens (hashed) handed out by the token endpoint;
- ``oid4vci_nonces``: the ``c_nonce`` values already spent in a key proof, kept
  until they would have expired anyway (a nonce is self-certifying, see
  ``oid4vci.new_nonce``, so handing one out writes nothing: an anonymous caller
  of the nonce endpoint cannot grow the database).

Secrets (offer token, pre-authorized code, transaction code, access token)
are stored only as hashes; a ``c_nonce`` is not a secret (it travels in the
clear inside the proof), so it is stored as it is.

``AwardStore`` is the protocol; ``SqlAwardStore`` the mixin both backends'
stores inherit (written in the SQL they share, on ``sqlaccess.SqlAccess``).
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from .sqlaccess import Row, SqlAccess
from .values import parse_timestamp as _dt
from .values import timestamp_text as _ts


@dataclass(frozen=True)
class Award:
    """One award. ``redeemed_at``: its pre-authorized code was exchanged; ``credential_key``: it was issued."""

    id: str
    achievement_key: str
    email: str
    name: str | None
    narrative: str | None
    evidence: tuple[dict[str, Any], ...]
    offer_hash: str
    code_hash: str
    tx_code_hash: str | None
    tx_failures: int
    source: str | None
    created: datetime
    expires: datetime
    redeemed_at: datetime | None = None
    credential_key: str | None = None
    issued_at: datetime | None = None


class AwardStore(Protocol):
    """Awards, their offers, access tokens and nonces (OpenID4VCI pre-authorized code flow)."""

    def atomic(self) -> AbstractContextManager[None]: ...

    def add_award(self, award: Award) -> None: ...

    def get_award(self, award_id: str) -> Award | None: ...

    def award_by_offer(self, offer_hash: str) -> Award | None: ...

    def award_by_code(self, code_hash: str) -> Award | None: ...

    def list_awards(self, *, email: str | None = None, limit: int = 100, offset: int = 0) -> list[Award]: ...

    def count_tx_failure(self, award_id: str) -> int:
        """Count one wrong transaction code; returns the new count."""
        ...

    def withdraw_award(self, award_id: str, *, at: datetime) -> bool:
        """End an offer now (its expiry becomes ``at``); False when it was already redeemed or is unknown."""
        ...

    def mark_award_redeemed(self, award_id: str, *, at: datetime) -> bool:
        """True for the one call that exchanges the code; False when it was exchanged before."""
        ...

    def mark_award_issued(self, award_id: str, credential_key: str, *, at: datetime) -> bool:
        """True for the one call that records the credential; False when the award was issued before."""
        ...

    def add_access_token(self, token_hash: str, award_id: str, *, expires: datetime) -> None: ...

    def award_for_access_token(self, token_hash: str, *, now: datetime) -> Award | None:
        """The award an unexpired access token was issued for."""
        ...

    def spend_nonce(self, nonce: str, *, expires: datetime, now: datetime) -> bool:
        """Record ``nonce`` as used: True the first time, False when it was spent before.

        Rows past their ``expires`` are swept in the same transaction (the
        caller refuses an expired nonce before asking, so none is needed longer).
        """
        ...


def _award(row: Row) -> Award:
    return Award(
        id=row["id"], achievement_key=row["achievement_key"], email=row["email"], name=row["name"],
        narrative=row["narrative"], evidence=tuple(json.loads(row["evidence"])), offer_hash=row["offer_hash"],
        code_hash=row["code_hash"], tx_code_hash=row["tx_code_hash"], tx_failures=int(row["tx_failures"]),
        source=row["source"], created=_dt(row["created"]) or datetime.min,
        expires=_dt(row["expires"]) or datetime.min, redeemed_at=_dt(row["redeemed_at"]),
        credential_key=row["credential_key"], issued_at=_dt(row["issued_at"]))


class SqlAwardStore(SqlAccess):
    """The methods of ``AwardStore``, in SQL both backends run; mixed into each backend's store."""

    def add_award(self, award: Award) -> None:
        with self._write():
            self._run(
                "INSERT INTO awards (id, achievement_key, email, name, narrative, evidence, offer_hash, code_hash, "
                "tx_code_hash, tx_failures, source, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (award.id, award.achievement_key, award.email, award.name, award.narrative,
                 json.dumps(list(award.evidence), ensure_ascii=False, separators=(",", ":")), award.offer_hash,
                 award.code_hash, award.tx_code_hash, award.tx_failures, award.source, _ts(award.created),
                 _ts(award.expires)))

    def get_award(self, award_id: str) -> Award | None:
        row = self._one("SELECT * FROM awards WHERE id = ?", (award_id,))
        return None if row is None else _award(row)

    def award_by_offer(self, offer_hash: str) -> Award | None:
        row = self._one("SELECT * FROM awards WHERE offer_hash = ?", (offer_hash,))
        return None if row is None else _award(row)

    def award_by_code(self, code_hash: str) -> Award | None:
        row = self._one("SELECT * FROM awards WHERE code_hash = ?", (code_hash,))
        return None if row is None else _award(row)

    def list_awards(self, *, email: str | None = None, limit: int = 100, offset: int = 0) -> list[Award]:
        where, params = ("WHERE email = ?", [email.lower()]) if email else ("", [])
        rows = self._all_rows(f"SELECT * FROM awards {where} ORDER BY created DESC, id LIMIT ? OFFSET ?",
                              (*params, limit, offset))
        return [_award(r) for r in rows]

    def count_tx_failure(self, award_id: str) -> int:
        with self._write():
            self._run("UPDATE awards SET tx_failures = tx_failures + 1 WHERE id = ?", (award_id,))
            row = self._one("SELECT tx_failures FROM awards WHERE id = ?", (award_id,))
        return int(row["tx_failures"]) if row is not None else 0

    def withdraw_award(self, award_id: str, *, at: datetime) -> bool:
        with self._write():
            changed = self._run("UPDATE awards SET expires = ? WHERE id = ? AND redeemed_at IS NULL "
                                "AND expires > ?", (_ts(at), award_id, _ts(at)))
        return changed == 1

    def mark_award_redeemed(self, award_id: str, *, at: datetime) -> bool:
        with self._write():
            changed = self._run("UPDATE awards SET redeemed_at = ? WHERE id = ? AND redeemed_at IS NULL",
                                (_ts(at), award_id))
        return changed == 1

    def mark_award_issued(self, award_id: str, credential_key: str, *, at: datetime) -> bool:
        with self._write():
            changed = self._run(
                "UPDATE awards SET credential_key = ?, issued_at = ? WHERE id = ? AND credential_key IS NULL",
                (credential_key, _ts(at), award_id))
        return changed == 1

    def add_access_token(self, token_hash: str, award_id: str, *, expires: datetime) -> None:
        with self._write():
            self._run("INSERT INTO oid4vci_tokens (hash, award_id, expires) VALUES (?, ?, ?)",
                      (token_hash, award_id, _ts(expires)))

    def award_for_access_token(self, token_hash: str, *, now: datetime) -> Award | None:
        row = self._one("SELECT a.* FROM oid4vci_tokens t JOIN awards a ON a.id = t.award_id "
                        "WHERE t.hash = ? AND t.expires > ?", (token_hash, _ts(now)))
        return None if row is None else _award(row)

    def spend_nonce(self, nonce: str, *, expires: datetime, now: datetime) -> bool:
        with self._write():
            self._run("DELETE FROM oid4vci_nonces WHERE expires <= ?", (_ts(now),))
            changed = self._run("INSERT INTO oid4vci_nonces (nonce, expires) VALUES (?, ?) ON CONFLICT DO NOTHING",
                                (nonce, _ts(expires)))
        return changed == 1
