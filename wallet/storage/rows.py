"""Rows to records, and the derived columns, shared by both backends (they store the same columns).

``status_urls`` and ``credential_ids`` arrive as one newline-joined text (SQLite's
``group_concat``, PostgreSQL's ``string_agg``); the search text is lower-cased here,
in Python, so both backends match the same substrings.
"""

from __future__ import annotations

import json
from typing import Any

from .records import AccountRecord, CredentialRecord, EmailRecord, ShareRecord


def account_row(row: dict[str, Any]) -> AccountRecord:
    return AccountRecord(id=row["id"], login_email=row["login_email"], password_hash=row["password_hash"],
                         did=row["did"], holder_key_sealed=bytes(row["holder_key_sealed"]), created_at=row["created_at"])


def email_row(row: dict[str, Any]) -> EmailRecord:
    return EmailRecord(account_id=row["account_id"], email=row["email"], created_at=row["created_at"],
                       confirmed_at=row["confirmed_at"], confirm_token_hash=row["confirm_token_hash"])


def credential_row(row: dict[str, Any]) -> CredentialRecord:
    urls = row.get("status_urls")
    return CredentialRecord(
        id=row["id"], account_id=row["account_id"], content_hash=row["content_hash"], format=row["format"],
        document=row["document"], issuer_id=row["issuer_id"], issuer_name=row["issuer_name"],
        achievement_name=row["achievement_name"], image=row["image"], description=row["description"],
        tags=tuple(json.loads(row["tags"])), valid_from=row["valid_from"], valid_until=row["valid_until"],
        added_at=row["added_at"], source=row["source"], state=row["state"], state_detail=row["state_detail"],
        status_urls=tuple(sorted(urls.split("\n"))) if urls else (), status_checked_at=row["status_checked_at"],
        status_attempted_at=row["status_attempted_at"], seq=row["seq"])


def share_row(row: dict[str, Any]) -> ShareRecord:
    ids = row.get("credential_ids")
    return ShareRecord(id=row["id"], account_id=row["account_id"], token=row["token"], note=row["note"],
                       expires_at=row["expires_at"], created_at=row["created_at"],
                       credential_ids=tuple(ids.split("\n")) if ids else (), presentation=row["presentation"],
                       results=row["results"], checked_at=row["checked_at"], revoked_at=row["revoked_at"],
                       views=row["views"])


def search_text(record: CredentialRecord) -> str:
    parts = [record.achievement_name, record.issuer_name, record.issuer_id, record.description, *record.tags]
    return "\n".join(p for p in parts if p).lower()


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
