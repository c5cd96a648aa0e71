"""``wallet_backend``: run a module's wallet tests on SQLite and again on a real PostgreSQL.

A module opts in with ``pytestmark = pytest.mark.usefixtures("wallet_backend")``; each of
its tests then runs twice, and in the PostgreSQL run every ``wallet.testing.running_wallet``
that is given no database stores into a fresh database of the test cluster
(``tests/pgserver.py``). Nothing else in the test changes: the wallet must answer the same.
"""

from __future__ import annotations

import pytest

import wallet.testing
from webbase.dburl import DatabaseTarget


@pytest.fixture(params=["sqlite", "postgresql"])
def wallet_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "postgresql":
        target = DatabaseTarget("postgresql", url=request.getfixturevalue("pg_url"))
        monkeypatch.setattr(wallet.testing, "DEFAULT_DATABASE", target)
    return str(request.param)
