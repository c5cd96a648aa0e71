"""The canonicalization work budget: crafted documents are refused quickly, real ones are untouched."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest
from pyld.canon import permutations as pyld_permutations
from reference import reference_dir

from credentials.canonical import canonicalize, canonicalize_reference, find_undefined_terms
from credentials.errors import CanonicalizationError, CanonicalizationLimitError
from credentials.fastld import budget
from credentials.fastld.rdfc import _permutations
from credentials.loader import bundled_loader

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"


def _achievement(index: int, alignments: int) -> dict[str, Any]:
    return {"id": f"https://example.org/achievements/{index}", "type": ["Achievement"], "name": f"A{index}",
            "criteria": {"narrative": "n"},
            "alignment": [{"type": ["Alignment"], "targetName": "x", "targetUrl": "https://example.org/x"}
                          for _ in range(alignments)]}


def _credential(achievements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": [VC_V2, OB3], "id": "urn:uuid:1", "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": "did:example:issuer", "type": ["Profile"], "name": "I"}, "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "did:example:subject", "type": ["AchievementSubject"],
                                  "achievement": achievements[0] if len(achievements) == 1 else achievements}}


def _presentation(credentials: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@context": [VC_V2], "type": ["VerifiablePresentation"], "holder": "did:example:subject",
            "verifiableCredential": credentials}


def _limit(call: Any) -> CanonicalizationLimitError:
    with pytest.raises(CanonicalizationLimitError) as caught:
        call()
    assert caught.value.code == "canonicalization_limit"
    assert isinstance(caught.value, CanonicalizationError)
    return caught.value


@pytest.mark.parametrize("count", [10_000, 15_000])
def test_identical_blank_nodes_past_the_budget_are_refused(count: int) -> None:
    document = _credential([_achievement(1, count)])
    error = _limit(lambda: canonicalize(document, loader=bundled_loader()))
    assert "Hash N-Degree Quads calls" in str(error) or "blank nodes" in str(error)


def test_too_many_json_values_are_refused_before_any_json_ld_work() -> None:
    document = _credential([_achievement(1, 0)])
    document["evidence"] = [{"id": f"https://example.org/e/{i}"} for i in range(budget.MAX_JSON_VALUES)]
    assert "JSON values" in str(_limit(lambda: canonicalize(document, loader=bundled_loader())))
    assert "JSON values" in str(_limit(lambda: find_undefined_terms(document, loader=bundled_loader())))


def test_a_dict_nested_past_the_depth_limit_is_refused_without_recursion() -> None:
    node: Any = "leaf"
    for _ in range(100_000):
        node = {"a": node}
    document = dict(_credential([_achievement(1, 0)]), extra=node)
    assert "deeper than" in str(_limit(lambda: canonicalize(document, loader=bundled_loader())))


def test_pyld_path_refuses_a_long_array_before_its_quadratic_node_map() -> None:
    document = _credential([_achievement(1, 600)])
    error = _limit(lambda: canonicalize_reference(document, loader=bundled_loader()))
    assert "node-map work" in str(error)


def test_pyld_path_counts_values_that_objects_with_one_id_give_a_node() -> None:
    document = _credential([_achievement(1, 0)])
    document["evidence"] = [[{"id": "https://example.org/e", "name": f"n{i}"}] for i in range(600)]
    assert "node-map work" in str(_limit(lambda: canonicalize_reference(document, loader=bundled_loader())))


def test_pyld_path_measures_the_n_degree_work_before_urdna2015_runs() -> None:
    # 40 achievements of 40 identical alignments: within the node-map bound, past the reference call bound.
    document = _credential([_achievement(index, 40) for index in range(40)])
    error = _limit(lambda: canonicalize_reference(document, loader=bundled_loader()))
    assert "Hash N-Degree Quads calls" in str(error)
    # The fast path, with its larger bounds, still canonicalizes it (1,600 calls).
    assert canonicalize(document, loader=bundled_loader()).count("\n") > 6_000


def test_identical_blank_nodes_within_the_budget_agree_with_pyld() -> None:
    document = _credential([_achievement(1, 200)])
    assert canonicalize(document, loader=bundled_loader()) == canonicalize_reference(document, loader=bundled_loader())


def test_presentation_of_the_largest_real_credential_agrees_with_pyld() -> None:
    """Inside a presentation its blank nodes form groups of 10 with repeats: the case that needs SJT's order."""
    credential = json.loads((reference_dir() / "realworld" / "33-1edtech-complete.json").read_text(encoding="utf-8"))
    credentials = []
    for index in range(3):
        copy_ = copy.deepcopy(credential)
        copy_["id"] = f"urn:uuid:{index}"
        credentials.append(copy_)
    for presentation in (_presentation(credentials[:1]), _presentation(credentials)):
        assert canonicalize(presentation, loader=bundled_loader()) == canonicalize_reference(presentation,
                                                                                              loader=bundled_loader())


@pytest.mark.parametrize("items", [[], ["a"], ["b", "a"], ["c", "a", "b"], list("dcba"), list("edcba")])
def test_permutations_of_distinct_nodes_are_all_of_them(items: list[str]) -> None:
    produced = list(_permutations(items))
    assert sorted(produced) == sorted(itertools.permutations(items))
    assert len(set(produced)) == len(produced)


@pytest.mark.parametrize("items", [list("aab"), list("abab"), list("aaabbc"), list("aabbccdd"), list("xxxxxxxxxy")])
def test_permutations_with_repeats_follow_rdf_canonize(items: list[str]) -> None:
    assert list(_permutations(items)) == [tuple(p) for p in pyld_permutations(list(items))]
