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


def _reference_walk(document: Any, max_values: int, max_depth: int) -> None:
    """The budget walk as first written (a stack of (value, depth) pairs): what budget.check_document must match."""
    import math

    from credentials.errors import JsonInputError

    count = 0
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > max_values:
            raise budget.limit_error("JSON values", count, max_values)
        if depth > max_depth and isinstance(node, (dict, list)):
            raise CanonicalizationLimitError(
                f"the document nests arrays/objects deeper than {max_depth} levels; it is not canonicalized")
        if isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    raise JsonInputError(f"the document has an object key {key!r} that is not a string", code="json_syntax")
                if key in ("verifiableCredential", "proof", "@graph"):
                    stack.extend((item, depth + 1) for item in (value if isinstance(value, list) else [value]))
                else:
                    stack.append((value, depth + 1))
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise JsonInputError(f"the document holds the number {node!r}, which is not JSON", code="json_bad_number")
        elif type(node) is int and math.isinf(_as_float(node)):
            digits = int(node.bit_length() * math.log10(2)) + 1
            raise JsonInputError(f"the document holds an integer of about {digits:,} digits, past the range of a 64-bit "
                                 "float (JSON-LD reads such a number as an xsd:double)", code="json_bad_number")
        elif node is not None and not isinstance(node, (str, int, float)):
            raise JsonInputError(f"the document holds a {type(node).__name__}, which is not a JSON value", code="json_syntax")


def _as_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return float("inf")


def _outcome(check: Any, document: Any) -> tuple[str, str, str | None] | None:
    try:
        check(document)
    except Exception as exc:  # The refusal itself is what is compared.
        return type(exc).__name__, str(exc), getattr(exc, "code", None)
    return None


@pytest.mark.parametrize(("max_values", "max_depth"), [(100_000, 0), (1, 3), (2, 2), (5, 3), (13, 6), (30, 4), (100_000, 3)])
def test_the_fast_budget_walk_refuses_what_the_plain_walk_refuses(monkeypatch: pytest.MonkeyPatch, max_values: int,
                                                                  max_depth: int) -> None:
    # The walk every verification starts with skips work (no pairs, scalars counted in place, a
    # graph's array items taken as its children): the same verdict and the same first error for
    # random documents that cross every bound, non-string keys, NaN, sets and graph keys included.
    import random

    from credentials.strictjson import MAX_JSON_DEPTH

    max_depth = max_depth or MAX_JSON_DEPTH
    monkeypatch.setattr(budget, "MAX_JSON_VALUES", max_values)
    monkeypatch.setattr(budget, "MAX_JSON_DEPTH", max_depth)
    chooser = random.Random(max_values * 31 + max_depth)
    keys: list[Any] = ["a", "b", "id", 1, "proof", "verifiableCredential", "@graph", "@id"]

    def generate(depth: int) -> Any:
        roll = chooser.random()
        if depth > 0 and roll < 0.3:
            return {chooser.choice(keys) if chooser.random() < 0.3 else chooser.choice("abcdefg"): generate(depth - 1)
                    for _ in range(chooser.randint(0, 4))}
        if depth > 0 and roll < 0.5:
            return [generate(depth - 1) for _ in range(chooser.randint(0, 4))]
        return chooser.choice([1, "x", None, True, 1.5, 10**30, float("nan") if chooser.random() < 0.1 else 2,
                               {1, 2} if chooser.random() < 0.05 else 3, -(10**400) if chooser.random() < 0.05 else 4,
                               2**1024 - 2**970 - 1 if chooser.random() < 0.5 else 2**1024 - 2**970])

    refused = 0
    for _ in range(3_000):
        document = generate(chooser.randint(1, 8))
        expected = _outcome(lambda d: _reference_walk(d, max_values, max_depth), document)
        assert _outcome(budget.check_document, document) == expected, document
        refused += expected is not None
        # The verifier's first walk: the same verdict, and whether an object has a watched key.
        watch = frozenset({"b", "proof"})
        assert budget.within_budget(document, None, watch=watch) == (expected is None), document
    assert refused > 100  # The bounds were crossed, not only met.
