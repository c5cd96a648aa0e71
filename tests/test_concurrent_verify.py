"""Verifying from many threads at once gives the answers verifying one at a time gives.

The servers verify in a thread pool, and the fast path's caches (processed
contexts per loader, the loader's parsed documents, pyld's resolved contexts on
the fallback path) are shared by every thread. The documents here start from a
loader no other test used, so the caches are filled while eight threads race.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

from credentials.dataintegrity import add_proof
from credentials.keys import generate_key_pair
from credentials.loader import bundled_loader
from credentials.ob3 import build_credential
from credentials.presentation import build_presentation
from credentials.vcjwt import sign_vc_jwt
from verifier.verify import VerifyOptions, verify

NOW = datetime(2026, 10, 1, tzinfo=timezone.utc)
CREATED = datetime(2026, 9, 1, 8, tzinfo=timezone.utc)
EXTRA_URL = "https://example.org/satchel-tests/concurrency/v1"
EXTRA_CONTEXT = {"@context": {"@protected": True, "shoeSize": "https://example.org/satchel-tests#shoeSize"}}


def _credential(issuer: str, subject: str, index: int) -> dict[str, Any]:
    return build_credential(
        issuer={"id": issuer, "name": f"District {index}"},
        achievement={"id": f"https://district.example/achievements/{index}", "name": f"Badge {index}",
                     "description": "Uses formative checks.", "criteria": {"narrative": "Submit a plan."},
                     "alignment": [{"targetName": f"Standard {index}", "targetUrl": "https://standards.example/1"}]
                     * (1 + index % 3),
                     "tags": [f"tag-{index}", "shared"]},
        recipient_did=subject, credential_id=f"urn:uuid:00000000-0000-4000-8000-{index:012d}",
        evidence=[{"id": f"https://district.example/evidence/{index}", "name": "Lesson plan"}],
        valid_from=datetime(2026, 9, 1, tzinfo=timezone.utc))


def _documents() -> list[dict[str, Any] | str]:
    loader = bundled_loader().with_documents({EXTRA_URL: EXTRA_CONTEXT})
    documents: list[dict[str, Any] | str] = []
    holder = generate_key_pair()
    for index in range(12):
        issuer = generate_key_pair()
        unsigned = _credential(issuer.did, holder.did, index)
        signed = add_proof(unsigned, signer=issuer, loader=loader, created=CREATED)
        documents.append(signed)
        tampered = copy.deepcopy(signed)
        tampered["credentialSubject"]["achievement"]["name"] = "Forged"
        documents.append(tampered)
        undefined = copy.deepcopy(signed)
        undefined["credentialSubject"]["shoeSize"] = 44
        documents.append(undefined)
        if index % 3 == 0:
            extended = dict(unsigned, **{"@context": [*unsigned["@context"], EXTRA_URL]})
            extended["credentialSubject"] = dict(extended["credentialSubject"], shoeSize=44)
            documents.append(add_proof(extended, signer=issuer, loader=loader, created=CREATED))
            inline = dict(unsigned, **{"@context": [*unsigned["@context"], {"localNote": "https://example.org/n#"}]})
            documents.append(add_proof(dict(inline, localNote="x"), signer=issuer, loader=loader, created=CREATED))
            # "@base" is outside the fast path: these go through pyld and its process-wide caches.
            based = dict(unsigned, **{"@context": [*unsigned["@context"], {"@base": "https://district.example/"}]})
            documents.append(add_proof(based, signer=issuer, loader=loader, created=CREATED))
        if index % 4 == 0:
            documents.append(sign_vc_jwt(unsigned, signer=issuer))
            vp = build_presentation([signed], holder=holder.did, id=f"urn:uuid:vp-{index}")
            documents.append(add_proof(vp, signer=holder, loader=loader, created=CREATED, purpose="authentication",
                                       challenge="c-1"))
    return documents


# Verifying uses a loader whose content differs from the signing one (one more,
# unused URL), so its processed contexts are built while the threads race.
UNUSED_URL = "https://example.org/satchel-tests/concurrency/unused"


def _answer(document: dict[str, Any] | str) -> Any:
    loader = bundled_loader().with_documents({EXTRA_URL: EXTRA_CONTEXT, UNUSED_URL: {"@context": {}}})
    return verify(document, VerifyOptions(now=NOW, clock=NOW, challenge="c-1", loader=loader)).to_json()


def test_eight_threads_verify_as_one_thread_does() -> None:
    documents = _documents()
    racing = documents * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        concurrent = list(pool.map(_answer, racing))
    serial = [_answer(document) for document in documents]
    assert concurrent == serial * 4
    verdicts = [answer["verified"] for answer in serial]
    assert True in verdicts and False in verdicts
