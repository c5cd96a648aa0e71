"""Editing an achievement from the admin pages: its words change, its id never does.

Credentials already issued embed the achievement as it was when they were
signed, so an edit affects only credentials issued afterwards. The id URL,
the image and the alignments stay as created (a new image or alignment is a
new achievement). Retiring is ``achievements.retire_achievement``.
"""

from __future__ import annotations

from .achievements import MAX_NAME, MAX_TAGS, MAX_TEXT, get_achievement
from .errors import InvalidRequest
from .node import IssuerNode
from .storage import Achievement
from .storage.records import EVIDENCE_POLICIES


def _text(value: str, field: str, *, max_len: int) -> str:
    text = value.strip()
    if not text:
        raise InvalidRequest(f"{field} must not be empty", field=field, code="missing_field")
    if len(text) > max_len:
        raise InvalidRequest(f"{field} must be at most {max_len:,} characters", field=field)
    return text


def parse_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tags, blanks dropped, each kept once."""
    tags: list[str] = []
    for tag in (t.strip() for t in text.split(",")):
        if tag and tag not in tags:
            if len(tag) > MAX_NAME:
                raise InvalidRequest(f"a tag must be at most {MAX_NAME} characters", field="tags")
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise InvalidRequest(f"at most {MAX_TAGS} tags", field="tags")
    return tuple(tags)


def edit_achievement(node: IssuerNode, ref: str, *, name: str, description: str, criteria: str, tags: str,
                     evidence_policy: str) -> Achievement:
    """Change the name, description, criteria, tags and evidence policy of an achievement."""
    achievement = get_achievement(node, ref)
    if evidence_policy not in EVIDENCE_POLICIES:
        raise InvalidRequest("evidence must be 'required' or 'optional'", field="evidence")
    node.store.update_achievement(achievement.key, name=_text(name, "name", max_len=MAX_NAME),
                                  description=_text(description, "description", max_len=MAX_TEXT),
                                  criteria=_text(criteria, "criteria", max_len=MAX_TEXT), tags=parse_tags(tags),
                                  evidence_policy=evidence_policy)
    return get_achievement(node, achievement.key)
