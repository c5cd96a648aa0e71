"""Achievements: define, list, retire, and their Open Badges 3.0 ``Achievement`` JSON.

An achievement's ``id`` is ``{public_url}/achievements/{uuid}``, fixed when it is
created: credentials embed it, so it never changes, even if the public URL does.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from credentials.ob3 import ACHIEVEMENT_TYPES, OB3_CONTEXT
from credentials.vcdm import VC_V2_CONTEXT

from .errors import Conflict, InvalidRequest, NotFound
from .images import generated_svg, sniff_image_type
from .node import IssuerNode
from .storage import Achievement, Alignment, Organization
from .storage.records import EVIDENCE_POLICIES

MAX_NAME = 200
MAX_TEXT = 10_000
MAX_TAGS = 30
MAX_ALIGNMENTS = 30
_URI = re.compile(r"https?://[^\s]+")


@dataclass(frozen=True)
class AchievementInput:
    """What an operator gives to define an achievement (from the CLI or ``POST /api/achievements``)."""

    name: str
    description: str
    criteria: str
    image: bytes | None = None
    tags: tuple[str, ...] = ()
    alignments: tuple[Alignment, ...] = ()
    evidence_policy: str = "optional"
    achievement_type: str | None = None


def _text(value: Any, field: str, *, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{field} must be a non-empty string", field=field)
    if len(value) > max_len:
        raise InvalidRequest(f"{field} must be at most {max_len:,} characters", field=field)
    return value.strip()


def parse_alignment(text: str) -> Alignment:
    """``NAME=URL`` (the CLI's ``--alignment``) → an Alignment."""
    name, sep, url = text.rpartition("=")
    if not sep or not name.strip() or not _URI.fullmatch(url.strip()):
        raise InvalidRequest(f"an alignment is NAME=URL with an http(s) URL, not {text!r}", field="alignment")
    return Alignment(target_name=name.strip(), target_url=url.strip())


def input_from_json(body: dict[str, Any]) -> AchievementInput:
    """The API body: ``{"name", "description", "criteria": text | {"narrative"}, "tags", "alignment":
    [{"targetName", "targetUrl"}], "evidence": "required"|"optional", "achievementType"}``."""
    criteria = body.get("criteria")
    if isinstance(criteria, dict):
        criteria = criteria.get("narrative")
    tags = body.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidRequest("tags must be a list of strings", field="tags")
    raw_alignments = body.get("alignment", [])
    if not isinstance(raw_alignments, list):
        raise InvalidRequest("alignment must be a list of {targetName, targetUrl}", field="alignment")
    alignments = []
    for i, item in enumerate(raw_alignments):
        if not isinstance(item, dict):
            raise InvalidRequest(f"alignment[{i}] must be an object {{targetName, targetUrl}}", field="alignment")
        url = item.get("targetUrl")
        if not isinstance(url, str) or not _URI.fullmatch(url):
            raise InvalidRequest(f"alignment[{i}].targetUrl must be an http(s) URL", field="alignment")
        alignments.append(Alignment(_text(item.get("targetName"), f"alignment[{i}].targetName", max_len=MAX_NAME), url))
    kind = body.get("achievementType")
    if kind is not None and not isinstance(kind, str):
        raise InvalidRequest("achievementType must be a string", field="achievementType")
    policy = body.get("evidence", "optional")
    if not isinstance(policy, str):
        raise InvalidRequest("evidence must be 'required' or 'optional'", field="evidence")
    return AchievementInput(name=_text(body.get("name"), "name", max_len=MAX_NAME),
                            description=_text(body.get("description"), "description", max_len=MAX_TEXT),
                            criteria=_text(criteria, "criteria", max_len=MAX_TEXT), tags=tuple(tags),
                            alignments=tuple(alignments), evidence_policy=policy, achievement_type=kind)


def define_achievement(node: IssuerNode, spec: AchievementInput, *, now: datetime | None = None) -> Achievement:
    """Store a new achievement with an id under the node's public URL; its image is stored by content hash."""
    name = _text(spec.name, "name", max_len=MAX_NAME)
    description = _text(spec.description, "description", max_len=MAX_TEXT)
    criteria = _text(spec.criteria, "criteria", max_len=MAX_TEXT)
    if spec.evidence_policy not in EVIDENCE_POLICIES:
        raise InvalidRequest(f"evidence must be 'required' or 'optional', not {spec.evidence_policy!r}", field="evidence")
    if len(spec.tags) > MAX_TAGS or len(spec.alignments) > MAX_ALIGNMENTS:
        raise InvalidRequest(f"at most {MAX_TAGS} tags and {MAX_ALIGNMENTS} alignments", field="tags")
    tags = tuple(_text(t, "tags", max_len=MAX_NAME) for t in spec.tags)
    if spec.achievement_type is not None and spec.achievement_type not in ACHIEVEMENT_TYPES \
            and not re.fullmatch(r"ext:[A-Za-z0-9._-]+", spec.achievement_type):
        raise InvalidRequest(f"achievementType {spec.achievement_type!r} is not an Open Badges 3.0 AchievementType",
                             field="achievementType")
    image = spec.image if spec.image is not None else generated_svg(name)
    digest = node.store.put_image(image, sniff_image_type(image))
    key = str(uuid.uuid4())
    achievement = Achievement(
        key=key, id=f"{node.public_url}/achievements/{key}", name=name, description=description, criteria=criteria,
        image=f"{node.public_url}/images/{digest}", tags=tags, alignments=spec.alignments,
        evidence_policy=spec.evidence_policy,
        retired=False, created=now or datetime.now(timezone.utc), achievement_type=spec.achievement_type)
    node.store.add_achievement(achievement)
    return achievement


def get_achievement(node: IssuerNode, ref: str) -> Achievement:
    """By uuid or full id URL; ``NotFound`` otherwise."""
    achievement = node.store.get_achievement(ref)
    if achievement is None:
        raise NotFound(f"no achievement {ref}", code="achievement_not_found")
    return achievement


def retire_achievement(node: IssuerNode, ref: str, *, retired: bool = True) -> Achievement:
    """A retired achievement stays published (issued credentials name it) but issues nothing new."""
    achievement = get_achievement(node, ref)
    node.store.set_achievement_retired(achievement.key, retired)
    return get_achievement(node, achievement.key)


def require_issuable(achievement: Achievement) -> None:
    if achievement.retired:
        raise Conflict(f"the achievement {achievement.name!r} is retired and issues nothing new",
                       code="achievement_retired")


def profile_json(organization: Organization) -> dict[str, Any]:
    """The issuer ``Profile`` (OB 3.0): id = the node's did:key, name, url, image, email."""
    profile: dict[str, Any] = {"id": organization.did, "type": ["Profile"], "name": organization.name,
                               "url": organization.url}
    if organization.image:
        profile["image"] = {"id": organization.image, "type": "Image"}
    if organization.email:
        profile["email"] = organization.email
    if organization.description:
        profile["description"] = organization.description
    return profile


def builder_achievement(achievement: Achievement) -> dict[str, Any]:
    """The achievement in the form ``credentials.ob3.build_credential`` takes (``creator`` is added after)."""
    value: dict[str, Any] = {"id": achievement.id, "name": achievement.name, "description": achievement.description,
                             "criteria": {"narrative": achievement.criteria}}
    if achievement.achievement_type:
        value["achievementType"] = achievement.achievement_type
    if achievement.image:
        value["image"] = {"id": achievement.image, "type": "Image"}
    if achievement.alignments:
        value["alignment"] = [{"targetName": a.target_name, "targetUrl": a.target_url} for a in achievement.alignments]
    if achievement.tags:
        value["tags"] = list(achievement.tags)
    return value


def achievement_json(achievement: Achievement, organization: Organization) -> dict[str, Any]:
    """The public OB 3.0 ``Achievement`` document served at its id, with its ``creator`` Profile."""
    value: dict[str, Any] = {"@context": [VC_V2_CONTEXT, OB3_CONTEXT], "id": achievement.id, "type": ["Achievement"]}
    if achievement.achievement_type:
        value["achievementType"] = achievement.achievement_type
    value.update(name=achievement.name, description=achievement.description,
                 criteria={"narrative": achievement.criteria})
    if achievement.image:
        value["image"] = {"id": achievement.image, "type": "Image"}
    if achievement.alignments:
        value["alignment"] = [{"type": ["Alignment"], "targetName": a.target_name, "targetUrl": a.target_url}
                              for a in achievement.alignments]
    if achievement.tags:
        value["tag"] = list(achievement.tags)
    value["creator"] = profile_json(organization)
    return value


def achievement_admin_json(achievement: Achievement) -> dict[str, Any]:
    """The operator's view (API listing): the public fields plus key, evidence policy, retired, created."""
    return {"key": achievement.key, "id": achievement.id, "name": achievement.name,
            "description": achievement.description, "criteria": achievement.criteria, "image": achievement.image,
            "tags": list(achievement.tags),
            "alignment": [{"targetName": a.target_name, "targetUrl": a.target_url} for a in achievement.alignments],
            "achievementType": achievement.achievement_type, "evidence": achievement.evidence_policy,
            "retired": achievement.retired, "created": achievement.created.isoformat()}
