"""Generate the malicious corpus of issue 16: forged and tampered credentials, presentations and bytes.

Deterministic: every key comes from a fixed seed and every date is fixed, so
the same recipient DID always gives the same corpus byte for byte. The wallet's
holder DID is drawn when an account is made, so the corpus is built for a
recipient (``build_corpus(recipient)``); the test regenerates it in a tmp
directory instead of committing hundreds of files. Run as a script to write
it to a folder for inspection::

    .venv/bin/python tests/make_malicious_corpus.py OUT_DIR [RECIPIENT_DID]

Each ``Case`` says what it is, how it is sent (``kind``), what else the check
needs (status lists, a registry, a challenge/domain) and which entry points it
goes through (``via``: ``cli``, ``wallet``, ``verifier``, ``issuer``);
``tests/test_malicious_corpus.py`` asserts the named failure at each one. See
tests/vectors/SOURCE.md.
"""

from __future__ import annotations

import copy
import gzip
import json
import struct
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credentials.baking import bake_png, bake_svg
from credentials.dataintegrity import add_proof
from credentials.keys import Ed25519KeyPair, key_pair_from_seed
from credentials.loader import bundled_loader
from credentials.multibase import encode_base64url
from credentials.ob3 import build_credential
from credentials.statuslist import build_status_list_credential, new_status_list, status_entry

VC_V2 = "https://www.w3.org/ns/credentials/v2"
VC_V1 = "https://www.w3.org/2018/credentials/v1"
OB3 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
FUTURE = "2099-01-01T00:00:00Z"
LIST_URL = "https://lakeside.example/status/1"
DISTRICT_NAME = "Lakeside School District"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"><rect width="2" height="2"/></svg>'
ALL = ("cli", "wallet", "verifier", "issuer")

DISTRICT = key_pair_from_seed(bytes([1]) * 32)
OTHER_DISTRICT = key_pair_from_seed(bytes([2]) * 32)
ATTACKER = key_pair_from_seed(bytes([3]) * 32)
HOLDER = key_pair_from_seed(bytes([4]) * 32)  # the learner presenting in the presentation cases
VICTIM = key_pair_from_seed(bytes([5]) * 32)


@dataclass
class Case:
    """One malicious document and how to send it.

    kind: ``credential`` (JSON object), ``presentation`` (JSON object), ``bytes``
    (a file / raw request body: broken JSON, images). ``via`` names the entry
    points it goes through; a missing one is explained in ``why_not``.
    """

    name: str
    kind: str
    document: Any
    via: tuple[str, ...] = ALL
    status_lists: list[dict[str, Any]] = field(default_factory=list)
    registry: bool = False
    challenge: str | None = None
    domain: str | None = None
    filename: str = "case.json"
    why_not: str = ""

    def payload(self) -> bytes:
        return self.document if isinstance(self.document, bytes) else json.dumps(self.document).encode()


def _sign(document: dict[str, Any], signer: Ed25519KeyPair, **kwargs: Any) -> dict[str, Any]:
    return add_proof(document, signer=signer, loader=bundled_loader(), created=kwargs.pop("created", START), **kwargs)


def unsigned(recipient: str, *, issuer: Ed25519KeyPair = DISTRICT, name: str = DISTRICT_NAME,
             status_index: int | None = None) -> dict[str, Any]:
    """A real OB 3.0 credential of the issuer node's shape: criteria, image, alignment, tags, evidence."""
    credential = build_credential(
        issuer={"id": issuer.did, "name": name, "url": "https://lakeside.example"},
        achievement={"id": "https://lakeside.example/achievements/padlet", "name": "Padlet for Class Discussion",
                     "description": "Runs a class discussion on a Padlet board.",
                     "criteria": {"narrative": "Run two discussions and share the boards."},
                     "image": {"id": "https://lakeside.example/img/padlet.png", "type": "Image"},
                     "tags": ["edtech", "discussion"],
                     "alignment": [{"type": ["Alignment"], "targetName": "ISTE 2.3",
                                    "targetUrl": "https://iste.example/standards/2-3"}]},
        recipient_did=recipient, credential_id="urn:uuid:3f0b7a52-8f0e-4a43-9d6c-0d7d2b1c5e41", valid_from=START,
        evidence=[{"id": "https://lakeside.example/evidence/1", "type": ["Evidence"], "name": "Board",
                   "narrative": "Two boards."}])
    if status_index is not None:
        credential["credentialStatus"] = status_entry(list_credential_id=LIST_URL, index=status_index,
                                                      purpose="revocation")
    return credential


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every scalar under ``value`` (excluding the proof): the signed fields to change one at a time."""
    if isinstance(value, dict):
        for key, child in value.items():
            if path == () and key == "proof":
                continue
            yield from _leaf_paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _leaf_paths(child, (*path, index))
    else:
        yield path


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    text = str(value)
    if text.startswith("did:key:"):
        return OTHER_DISTRICT.did if text != OTHER_DISTRICT.did else DISTRICT.did
    if text.endswith("Z") and text[:4].isdigit():
        return "2025-01-05T09:00:00Z"
    if text.startswith("http") or text.startswith("urn:"):
        return text + "x"
    return text + " (edited)"


def _set(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value


def _label(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path)


def _status_list(signer: Ed25519KeyPair, *, issuer: str | None = None, size: int | None = None,
                 valid_until: datetime | None = None, encoded: str | None = None) -> dict[str, Any]:
    bits = new_status_list() if size is None else bytearray(size // 8)
    document = build_status_list_credential(list_id=LIST_URL, issuer=issuer or signer.did, purpose="revocation",
                                            bits=bits, valid_from=START, valid_until=valid_until)
    if encoded is not None:
        document["credentialSubject"]["encodedList"] = encoded
    return _sign(document, signer)


def _gzip_zeros(size: int) -> bytes:
    """GZIP of ``size`` zero bytes, compressed in chunks (the bomb: ~250 KiB that inflates to ``size``)."""
    out = gzip.compress(b"", mtime=0)[:10]
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1024 * 1024)
    body = b"".join(compressor.compress(chunk) for _ in range(size // len(chunk))) + compressor.flush()
    return out + body + struct.pack("<II", 0, size & 0xFFFFFFFF)


def _present(holder: Ed25519KeyPair, items: list[Any], **kwargs: Any) -> dict[str, Any]:
    vp = {"@context": [VC_V2], "id": "urn:uuid:6e5d4c3b-2a19-4f8e-8d7c-6b5a49382716",
          "type": ["VerifiablePresentation"], "holder": holder.did, "verifiableCredential": items}
    return _sign(vp, holder, purpose="authentication", **kwargs)


def _png() -> bytes:
    from wallet.testing import tiny_png

    return tiny_png()


def build_corpus(recipient: str) -> list[Case]:
    """The corpus for credentials addressed to ``recipient`` (the wallet account's holder DID)."""
    base_unsigned = unsigned(recipient)
    good = _sign(base_unsigned, DISTRICT)
    cases: list[Case] = []

    # 1. Every signed field changed, one document per scalar (top level and nested).
    for path in _leaf_paths(base_unsigned):
        if path == ("credentialSubject", "id"):
            continue  # Changing the recipient is the wallet's "not addressed" case, covered elsewhere.
        doc = copy.deepcopy(good)
        _set(doc, path, _changed(_get(doc, path)))
        cases.append(Case(f"field-changed:{_label(path)}", "credential", doc))

    # 2. Proofs and keys.
    other = _sign(unsigned(recipient) | {"id": "urn:uuid:0c0c0c0c-0c0c-4c0c-8c0c-0c0c0c0c0c0c"}, DISTRICT)
    cases.append(Case("proof-lifted-from-another-credential", "credential", dict(good, proof=other["proof"])))
    swapped = copy.deepcopy(good)
    swapped["issuer"]["id"] = ATTACKER.did
    cases.append(Case("issuer-swapped-to-another-did-key", "credential", swapped))
    impostor = _sign(unsigned(recipient, issuer=ATTACKER, name=DISTRICT_NAME), ATTACKER)
    cases.append(Case("attacker-signed-names-registered-district", "credential", impostor, via=("cli", "verifier", "issuer"),
                      registry=True, why_not="the wallet import has no registry: its pages say 'impersonation "
                                             "suspected' (tests/test_wallet_pages.py)"))
    for key, value in (("verificationMethod", f"{ATTACKER.did}#{ATTACKER.did.removeprefix('did:key:')}"),
                       ("cryptosuite", "ecdsa-rdfc-2019"), ("proofPurpose", "authentication"),
                       ("created", FUTURE)):
        doc = copy.deepcopy(good)
        doc["proof"][key] = value
        cases.append(Case(f"proof-{key}-wrong", "credential", doc))
    cases.append(Case("proof-created-in-the-future-and-resigned", "credential",
                      _sign(base_unsigned, DISTRICT, created=FUTURE)))

    # 3. Contexts and terms (each re-signed by the district, so only the defect refuses it).
    # Our signer refuses undefined terms, so these carry the clean credential's proof.
    top = dict(base_unsigned, grade="A+")
    cases.append(Case("undefined-term-top", "credential", dict(top, proof=good["proof"])))
    nested = copy.deepcopy(base_unsigned)
    nested["credentialSubject"]["achievement"]["secretLevel"] = "gold"
    nested["proof"] = good["proof"]
    cases.append(Case("undefined-term-nested", "credential", nested))
    reordered = copy.deepcopy(good)
    reordered["@context"] = list(reversed(reordered["@context"]))
    cases.append(Case("context-reordered", "credential", reordered))
    v1 = copy.deepcopy(good)
    v1["@context"][0] = VC_V1
    cases.append(Case("context-swapped-to-vc-1.1", "credential", v1))
    # An attacker adds an inline context to the district's credential and keeps its proof.
    redefine = copy.deepcopy(base_unsigned)
    redefine["@context"] = [*redefine["@context"], {"name": "https://evil.example/name"}]
    cases.append(Case("inline-context-redefines-protected-term", "credential", dict(redefine, proof=good["proof"])))
    vocab = copy.deepcopy(base_unsigned)
    vocab["@context"] = [*vocab["@context"], {"@vocab": "https://evil.example/#"}]
    vocab["grade"] = "A+"
    cases.append(Case("vocab-injection", "credential", dict(vocab, proof=good["proof"])))

    # 4. Presentations.
    victims = _sign(unsigned(VICTIM.did), DISTRICT)
    cases.append(Case("presentation-of-someone-elses-credential", "presentation", _present(HOLDER, [victims])))
    mine = _sign(unsigned(HOLDER.did), DISTRICT)
    replay = _present(HOLDER, [mine], challenge="c-1", domain="https://hr.example")
    no_wallet = ("cli", "verifier", "issuer")
    why = "the wallet imports the credentials a presentation holds (its own, valid) and asks for no challenge"
    cases.append(Case("presentation-replayed-other-challenge", "presentation", replay, via=no_wallet,
                      challenge="c-2", domain="https://hr.example", why_not=why))
    cases.append(Case("presentation-replayed-other-domain", "presentation", replay, via=no_wallet,
                      challenge="c-1", domain="https://other.example", why_not=why))

    # 5. Status lists (the credential is the district's, pointing at bit 7 of LIST_URL).
    with_status = _sign(unsigned(HOLDER.did, status_index=7), DISTRICT)
    why = ("the wallet takes status lists only from its own verified cache (refresh), never from an import; "
           "tests/test_wallet_status.py covers an impostor's list")
    gz_bomb = encode_base64url(_gzip_zeros(256 * 1024 * 1024))
    for label, lists in (
            ("status-list-missing", []),
            ("status-list-signed-by-another-key", [_resigned(_status_list(DISTRICT), ATTACKER)]),
            ("status-list-issued-by-another-did", [_status_list(ATTACKER)]),
            ("status-list-expired", [_status_list(DISTRICT, valid_until=datetime(2026, 2, 1, tzinfo=UTC))]),
            ("status-list-malformed-encodedList", [_status_list(DISTRICT, encoded="u!!not-base64!!")]),
            ("status-list-gzip-bomb", [_status_list(DISTRICT, encoded=gz_bomb)]),
            ("status-list-shorter-than-index", [_status_list(DISTRICT, encoded=encode_base64url(
                gzip.compress(b"", mtime=0)))])):
        cases.append(Case(label, "presentation", _present(HOLDER, [with_status, *lists]), via=no_wallet,
                          status_lists=lists, why_not=why))

    # 6. Broken JSON.
    text = json.dumps(good)
    cases += [
        Case("json-oversized", "bytes", b'{"a": "' + b"x" * (12 * 1024 * 1024) + b'"}'),
        Case("json-200000-levels-deep", "bytes", b"[" * 200_000 + b"]" * 200_000),
        Case("json-duplicate-keys", "bytes", (text[:-1] + ', "issuer": "did:key:z6MkEvil"}').encode()),
        Case("json-not-utf8", "bytes", text.encode().replace(b"Padlet", b"Pad\xff\xfelet")),
        Case("json-nan", "bytes", text.replace('"Padlet', 'NaN, "x": "Padlet', 1).encode()),
        Case("json-1e400", "bytes", (text[:-1] + ', "n": 1e400}').encode()),
    ]

    # 7. Baked images (through files: the command and the wallet's upload).
    images = ("cli", "wallet", "issuer")
    why = "the verifier's VC-API takes JSON; images go through its upload page (tests/test_verifier_service_page.py)"
    png = bake_png(_png(), good)
    svg = bake_svg(SVG, good)
    bomb = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">'
            + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9))
            + ']><svg xmlns="http://www.w3.org/2000/svg"><text>&j;</text></svg>')
    xxe = ('<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           '<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>')
    cases += [
        Case("png-truncated", "bytes", png[: len(png) // 2], via=images, filename="badge.png", why_not=why),
        Case("png-huge", "bytes", png[:-12] + b"\x00" * (21 * 1024 * 1024) + png[-12:], via=images,
             filename="badge.png", why_not=why),
        Case("svg-truncated", "bytes", svg.encode()[: len(svg) // 2], via=images, filename="badge.svg", why_not=why),
        Case("svg-billion-laughs", "bytes", bomb.encode(), via=images, filename="badge.svg", why_not=why),
        Case("svg-xxe-etc-passwd", "bytes", xxe.encode(), via=images, filename="badge.svg", why_not=why),
    ]
    return cases


def _get(document: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _resigned(document: dict[str, Any], signer: Ed25519KeyPair) -> dict[str, Any]:
    """The document with its proof replaced by ``signer``'s (the issuer field still names the district)."""
    return _sign({k: v for k, v in document.items() if k != "proof"}, signer)


def registry_json() -> list[dict[str, str]]:
    return [{"did": DISTRICT.did, "name": DISTRICT_NAME, "url": "https://lakeside.example"}]


def verify_command(case: Case, number: int, folder: Path, registry: Path) -> list[str]:
    """The ``satchel verify`` arguments for this case, its files written to ``folder``.

    A status-list case is checked as an employer would: the bare credential, with the lists
    given as files and ``--require-status``.
    """
    path = folder / f"{number:03d}{Path(case.filename).suffix}"
    path.write_bytes(case.payload())
    args = ["verify", "--json", str(path)]
    if case.registry:
        args += ["--registry", str(registry)]
    if case.challenge is not None:
        args += ["--challenge", case.challenge, "--domain", str(case.domain)]
    if case.name.startswith("status-list"):
        path.write_text(json.dumps(case.document["verifiableCredential"][0]))
        args.append("--require-status")
        for index, document in enumerate(case.status_lists):
            list_path = folder / f"{number:03d}-list{index}.json"
            list_path.write_text(json.dumps(document))
            args += ["--status-list", str(list_path)]
    return args


def write_corpus(out: Path, recipient: str) -> list[Path]:
    """Write every case to ``out`` (one file each) plus index.json; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    index = []
    for number, case in enumerate(build_corpus(recipient)):
        suffix = Path(case.filename).suffix
        path = out / f"{number:03d}-{case.name.replace(':', '_')}{suffix}"
        path.write_bytes(case.payload())
        written.append(path)
        index.append({"file": path.name, "case": case.name, "kind": case.kind, "via": list(case.via),
                      "why_not": case.why_not})
    (out / "index.json").write_text(json.dumps(index, indent=1))
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("tests/vectors/malicious")
    did = sys.argv[2] if len(sys.argv) > 2 else HOLDER.did
    print(f"{len(write_corpus(target, did))} documents in {target}")
