"""The applications table family on a real SQLite file and a real PostgreSQL database: rounds, decisions, files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from issuer_node.achievements import AchievementInput, define_achievement
from issuer_node.config import IssuerConfig
from issuer_node.node import IssuerNode, open_node
from issuer_node.provisioning import init_node
from issuer_node.storage.applications import EvidenceFile

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
FILE = EvidenceFile(digest="a" * 64, filename="plan.pdf", media_type="application/pdf", size=10)


@pytest.fixture(params=["sqlite", "postgresql"])
def node(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[IssuerNode]:
    """A node on each backend (PostgreSQL: the throwaway cluster of tests/pgserver.py)."""
    database = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    init_node(tmp_path / "node", name="Riverside USD", url="https://riverside.example.org",
              public_url="https://badges.example.org", database=database)
    opened = open_node(IssuerConfig(data_dir=tmp_path / "node", database=database))
    yield opened
    opened.close()


def _application(node: IssuerNode, application_id: str = "app-1", files: tuple[EvidenceFile, ...] = (FILE,)) -> str:
    achievement = define_achievement(node, AchievementInput(name="A", description="B", criteria="C"))
    node.store.add_application(id=application_id, achievement_key=achievement.key, name="Ana", email="ana@x.example",
                               key_hash="h" + application_id, narrative="first", evidence_urls=["https://v.example/1"],
                               files=files, at=NOW)
    return application_id


def test_a_decision_counts_once_and_only_on_the_latest_round(node: IssuerNode) -> None:
    app_id = _application(node)
    assert node.store.add_decision(app_id, round=2, decision="approve", feedback=None, rubric=[], reviewer_id=None,
                                   at=NOW) is False
    assert node.store.add_decision(app_id, round=1, decision="resubmit", feedback="more", rubric=[{"criterion": "C"}],
                                   reviewer_id=None, at=NOW) is True
    # A second reviewer deciding the same round, after the first: refused, nothing written.
    assert node.store.add_decision(app_id, round=1, decision="reject", feedback="no", rubric=[], reviewer_id=None,
                                   at=NOW) is False
    application = node.store.get_application(app_id)
    assert application is not None
    assert application.status == "resubmit" and [d.decision for d in application.decisions] == ["resubmit"]


def test_a_resubmission_is_a_new_round_and_only_when_asked_for(node: IssuerNode) -> None:
    app_id = _application(node)
    assert node.store.add_submission(app_id, narrative="again", evidence_urls=[], files=[], at=NOW) is None
    node.store.add_decision(app_id, round=1, decision="resubmit", feedback="more", rubric=[], reviewer_id=None, at=NOW)
    assert node.store.add_submission(app_id, narrative="second", evidence_urls=[], files=[], at=NOW) == 2
    application = node.store.get_application(app_id)
    assert application is not None
    assert application.status == "pending"
    assert [(s.round, s.narrative) for s in application.submissions] == [(1, "first"), (2, "second")]
    assert application.submissions[0].files == (FILE,) and application.submissions[0].evidence_urls == (
        "https://v.example/1",)


def test_a_file_belongs_only_to_the_application_that_uploaded_it(node: IssuerNode) -> None:
    first = _application(node, "app-1")
    second = _application(node, "app-2", files=())
    assert node.store.application_file(first, FILE.digest) == FILE
    assert node.store.application_file(second, FILE.digest) is None


def test_the_queue_lists_pending_oldest_first_and_counts_by_status(node: IssuerNode) -> None:
    _application(node, "app-1")
    _application(node, "app-2")
    node.store.add_decision("app-2", round=1, decision="reject", feedback="no", rubric=[], reviewer_id=None, at=NOW)
    assert [a.id for a in node.store.list_applications(status="pending")] == ["app-1"]
    assert node.store.count_applications(status="rejected") == 1 and node.store.count_applications() == 2
