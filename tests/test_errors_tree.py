"""Every error the core and the verifier raise is a ``CredentialError`` with a code, and none carries a secret.

One table of bad inputs to the public functions of ``credentials/`` and
``verifier/``: wrong types, malformed did:keys and multibase, bad JWTs, key files
with one wrong character, bad registries, status lists and badge-building input.
Each must raise a ``CredentialError`` whose ``code`` is a non-empty snake_case
word (never a bare ``ValueError``, ``TypeError`` or ``KeyError``). Functions
that report instead of raising (``verify``, ``validate_credential``) must not
raise at all. Key-file errors are checked for the secret: neither the
multibase string, nor its hex, nor any 8 characters of either may appear in the
message, the path or the repr.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from credentials import (
    b64,
    baking,
    canonical,
    dataintegrity,
    didkey,
    jws,
    keys,
    multibase,
    ob3,
    presentation,
    resolver,
    secretbox,
    statuslist,
    strictjson,
    suites,
    vcdm,
    vcjwt,
)
from credentials.errors import CredentialError
from credentials.loader import DocumentLoader, bundled_loader, read_manifest
from verifier import didweb, inputs, registry, status
from verifier.verify import VerifyOptions, verify

NOW = datetime(2026, 10, 1, tzinfo=timezone.utc)
LOADER = bundled_loader()
PAIR = keys.key_pair_from_seed(bytes(range(32)))
SECRET = PAIR.secret_key_multibase()
CODE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
VC_V2 = "https://www.w3.org/ns/credentials/v2"


def _with_char(text: str, index: int, char: str) -> str:
    return text[:index] + char + text[index + 1:]


def _key_file(secret: Any, **extra: Any) -> dict[str, Any]:
    return {"id": PAIR.did, "publicKeyMultibase": PAIR.public_key_multibase, "secretKeyMultibase": secret, **extra}


def _signed() -> dict[str, Any]:
    unsigned = {"@context": [VC_V2], "type": ["VerifiableCredential"], "issuer": PAIR.did,
                "validFrom": "2026-01-01T00:00:00Z", "credentialSubject": {"id": "did:example:learner"}}
    return dataintegrity.add_proof(unsigned, signer=PAIR, loader=LOADER, created="2026-01-01T00:00:00Z")


SIGNED = _signed()
PROOF = SIGNED["proof"]
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")
ALG_NONE_JWT = b64.b64url_encode(b'{"alg":"none"}') + "." + b64.b64url_encode(b'{"iss":"did:example:1","vc":{}}') + "."
GOOD_ACHIEVEMENT = {"id": "https://a.example/1", "name": "N", "description": "D", "criteria": {"narrative": "C"}}
GOOD_ISSUER = {"id": PAIR.did, "name": "District"}


def _build(**overrides: Any) -> Any:
    arguments: dict[str, Any] = {"issuer": GOOD_ISSUER, "achievement": GOOD_ACHIEVEMENT,
                                 "recipient_did": "did:example:learner", "credential_id": "urn:uuid:1",
                                 "valid_from": NOW}
    arguments.update(overrides)
    return ob3.build_credential(**arguments)


def _status_list(encoded: Any) -> dict[str, Any]:
    return {"@context": [VC_V2], "id": "https://s.example/1", "type": ["VerifiableCredential",
            "BitstringStatusListCredential"], "issuer": PAIR.did, "validFrom": "2026-01-01T00:00:00Z",
            "credentialSubject": {"id": "https://s.example/1#list", "type": "BitstringStatusList",
                                  "statusPurpose": "revocation", "encodedList": encoded}}


# name → a call that must raise a CredentialError.
RAISES: dict[str, Callable[[], Any]] = {
    # did:key and multibase
    "did_key_not_a_string": lambda: didkey.did_key_fingerprint(42),  # type: ignore[arg-type]
    "did_key_other_method": lambda: didkey.did_key_fingerprint("did:web:example.org"),
    "did_key_bad_base58": lambda: didkey.did_key_fingerprint("did:key:z6Mk0OIl"),
    "did_key_too_long": lambda: didkey.did_key_fingerprint("did:key:z" + "1" * 400_000),
    "did_key_p256_as_ed25519": lambda: didkey.public_key_from_did("did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"),
    "did_key_wrong_fragment": lambda: didkey.public_key_from_did(PAIR.did + "#z6MkOther"),
    "public_key_multibase_none": lambda: didkey.decode_public_key(None),  # type: ignore[arg-type]
    "public_key_short": lambda: didkey.encode_public_key(b"short"),
    "multibase_bytes": lambda: multibase.decode_base58btc(b"z123"),  # type: ignore[arg-type]
    "multibase_no_prefix": lambda: multibase.decode_base58btc("123"),
    "multibase_bad_char": lambda: multibase.decode_base58btc("z12l"),
    "multibase_400k": lambda: multibase.decode_base58btc("z" + "2" * 400_000),
    "multicodec_unknown": lambda: multibase.split_multicodec(b"\x00\x01abc", multibase.ED25519_PUB),
    "base64url_padding": lambda: b64.b64url_decode("AA=="),
    "base64url_not_a_string": lambda: b64.b64url_decode(None),  # type: ignore[arg-type]
    "base64_lenient_garbage": lambda: b64.b64_decode_lenient("***"),
    "base64_mixed_alphabets": lambda: b64.b64_decode_lenient("ab-/"),
    "seed_wrong_length": lambda: keys.key_pair_from_seed(b"x" * 31),
    # key files
    "key_file_not_object": lambda: keys.key_pair_from_json(["secret"]),
    "key_file_no_secret": lambda: keys.key_pair_from_json({"id": PAIR.did}),
    "key_file_secret_number": lambda: keys.key_pair_from_json(_key_file(12345)),
    "key_file_one_char_changed": lambda: keys.key_pair_from_json(_key_file(_with_char(SECRET, 20, "A" if SECRET[20] != "A" else "B"))),
    "key_file_one_char_not_base58": lambda: keys.key_pair_from_json(_key_file(_with_char(SECRET, 20, "0"))),
    "key_file_last_char_changed": lambda: keys.key_pair_from_json(_key_file(_with_char(SECRET, len(SECRET) - 1, "2" if SECRET[-1] != "2" else "3"))),
    "key_file_truncated": lambda: keys.key_pair_from_json(_key_file(SECRET[:-3])),
    "key_file_no_z": lambda: keys.key_pair_from_json(_key_file(SECRET[1:])),
    "key_file_other_did": lambda: keys.key_pair_from_json(_key_file(SECRET, id="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")),
    "key_file_private_field_changed": lambda: keys.key_pair_from_json({"privateKeyMultibase": _with_char(SECRET, 9, "0")}),
    # strict JSON
    "json_duplicate": lambda: strictjson.parse_json(b'{"a":1,"a":2}'),
    "json_nan": lambda: strictjson.parse_json(b'{"a":NaN}'),
    "json_1e400": lambda: strictjson.parse_json(b"[1e400]"),
    "json_deep": lambda: strictjson.parse_json(b"[" * 100_000 + b"]" * 100_000),
    "json_not_utf8": lambda: strictjson.parse_json(b'{"a":"\xff"}'),
    "json_not_bytes": lambda: strictjson.parse_json(42),  # type: ignore[arg-type]
    # canonicalization and proofs
    "canonicalize_unbundled_context": lambda: canonical.canonicalize({"@context": "https://evil.example/ctx"}, loader=LOADER),
    "canonicalize_undefined_term": lambda: canonical.canonicalize({**SIGNED, "shoeSize": 1}, loader=LOADER),
    "canonicalize_context_number": lambda: canonical.canonicalize({"@context": 5, "a": 1}, loader=LOADER),
    "canonicalize_deep": lambda: canonical.canonicalize(_deep(5000), loader=LOADER),
    "with_documents_pinned": lambda: LOADER.with_documents({VC_V2: {"@context": {}}}),
    "loader_unknown_url": lambda: LOADER.load("https://evil.example/ctx"),
    "verify_proof_unknown_type": lambda: dataintegrity.verify_proof(SIGNED, {"type": "Nope"}, loader=LOADER, resolver=resolver.KeyResolver()),
    "verify_proof_tampered": lambda: dataintegrity.verify_proof({**SIGNED, "issuer": "did:example:x"}, PROOF, loader=LOADER, resolver=resolver.KeyResolver()),
    "verify_proof_value_400k": lambda: dataintegrity.verify_proof(SIGNED, {**PROOF, "proofValue": "z" + "2" * 400_000}, loader=LOADER, resolver=resolver.KeyResolver()),
    "verify_proof_value_number": lambda: dataintegrity.verify_proof(SIGNED, {**PROOF, "proofValue": 7}, loader=LOADER, resolver=resolver.KeyResolver()),
    "verify_proof_method_400k": lambda: dataintegrity.verify_proof(SIGNED, {**PROOF, "verificationMethod": "did:key:z" + "2" * 400_000}, loader=LOADER, resolver=resolver.KeyResolver()),
    "verify_proof_wrong_purpose": lambda: dataintegrity.verify_proof(SIGNED, PROOF, loader=LOADER, resolver=resolver.KeyResolver(), purpose="authentication"),
    "resolver_bad_document": lambda: resolver.KeyResolver([{"no": "id"}]),
    "resolver_did_web_unknown": lambda: resolver.KeyResolver().resolve("did:web:evil.example#k"),
    "resolver_not_a_string": lambda: resolver.KeyResolver().resolve(None),  # type: ignore[arg-type]
    "resolver_bad_jwk": lambda: resolver.KeyResolver([{"id": "did:web:a.example", "verificationMethod": [
        {"id": "did:web:a.example#k", "type": "JsonWebKey", "publicKeyJwk": {"kty": "OKP", "crv": "Ed25519", "x": "***"}}],
        "assertionMethod": ["did:web:a.example#k"]}]).resolve("did:web:a.example#k"),
    # JWTs and JWS
    "jwt_not_a_string": lambda: vcjwt.decode_jwt(None),  # type: ignore[arg-type]
    "jwt_two_parts": lambda: vcjwt.decode_jwt("a.b"),
    "jwt_alg_none": lambda: vcjwt.verify_vc_jwt(ALG_NONE_JWT, resolver=resolver.KeyResolver(), now=NOW),
    "jwt_sign_no_issuer": lambda: vcjwt.sign_vc_jwt({"@context": [VC_V2]}, signer=PAIR),
    "jwt_sign_other_issuer": lambda: vcjwt.sign_vc_jwt({"issuer": "did:example:other"}, signer=PAIR),
    "jwt_sign_unknown_form": lambda: vcjwt.sign_vc_jwt({"issuer": PAIR.did}, signer=PAIR, form="cbor"),  # type: ignore[arg-type]
    "jws_verify_garbage": lambda: jws.verify_compact_jws("x.y.z"),
    "jws_verify_bytes": lambda: jws.verify_compact_jws(b"x.y.z"),  # type: ignore[arg-type]
    "add_proof_naive_created": lambda: dataintegrity.add_proof(SIGNED, signer=PAIR, loader=LOADER, created=datetime(2026, 1, 1)),
    "add_proof_year_1_plus_one": lambda: dataintegrity.add_proof(
        SIGNED, signer=PAIR, loader=LOADER, created=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))),
    # documents of the wrong JSON type, as a presentation or a server may hand them over
    "canonicalize_list": lambda: canonical.canonicalize([SIGNED], loader=LOADER),
    "canonicalize_none": lambda: canonical.canonicalize(None, loader=LOADER),  # type: ignore[arg-type]
    "undefined_terms_string": lambda: canonical.find_undefined_terms("doc", loader=LOADER),  # type: ignore[arg-type]
    "add_proof_list": lambda: dataintegrity.add_proof([SIGNED], signer=PAIR, loader=LOADER, created=NOW),  # type: ignore[arg-type]
    "verify_proof_proof_number": lambda: dataintegrity.verify_proof(SIGNED, 5, loader=LOADER, resolver=resolver.KeyResolver()),  # type: ignore[arg-type]
    "verify_proof_document_list": lambda: dataintegrity.verify_proof([SIGNED], PROOF, loader=LOADER, resolver=resolver.KeyResolver()),  # type: ignore[arg-type]
    "sign_vc_jwt_list": lambda: vcjwt.sign_vc_jwt([SIGNED], signer=PAIR),  # type: ignore[arg-type]
    "sign_jws_payload_list": lambda: jws.sign_compact_jws({}, [1], signer=PAIR),  # type: ignore[arg-type]
    "sign_jws_payload_nan": lambda: jws.sign_compact_jws({}, {"iat": float("nan")}, signer=PAIR),
    "jws_header_list": lambda: jws.check_eddsa_header([]),  # type: ignore[arg-type]
    "hash_email_number": lambda: ob3.hash_email(5, "salt"),  # type: ignore[arg-type]
    # sealed secrets
    "sealed_wrong_passphrase": lambda: secretbox.open_sealed(
        secretbox.seal(b"s", "a", params=secretbox.Argon2Params(1, 64, 1)), "b"),
    "sealed_garbage": lambda: secretbox.open_sealed(b"garbage", "pw"),
    # presentations and badges
    "presentation_holder_missing": lambda: presentation.build_presentation([SIGNED], holder="", id="urn:uuid:1"),
    "presentation_item_number": lambda: presentation.build_presentation([5], holder=PAIR.did, id="urn:uuid:1"),  # type: ignore[list-item]
    "ob_build_no_recipient": lambda: _build(recipient_did=None),
    "ob_build_issuer_list": lambda: _build(issuer=["x"]),
    "ob_build_achievement_none": lambda: _build(achievement=None),
    "ob_build_bad_criteria": lambda: _build(achievement={**GOOD_ACHIEVEMENT, "criteria": "text"}),
    "ob_build_naive_date": lambda: _build(valid_from=datetime(2026, 1, 1)),
    "ob_build_date_string": lambda: _build(valid_from="2026-01-01"),
    "ob_build_until_before": lambda: _build(valid_until=datetime(2020, 1, 1, tzinfo=timezone.utc)),
    "ob_build_year_1": lambda: _build(valid_from=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))),
    "ob_build_bad_email": lambda: _build(recipient_did=None, recipient_email="not-an-email"),
    "ob_build_evidence_dict": lambda: _build(evidence={"id": "x"}),
    "ob_build_tags_string": lambda: _build(achievement={**GOOD_ACHIEVEMENT, "tags": "x"}),
    # status lists
    "status_list_not_base64": lambda: statuslist.decode_encoded_list("u***"),
    "status_list_not_gzip": lambda: statuslist.decode_encoded_list(multibase.encode_base64url(b"plain")),
    "status_list_truncated_gzip": lambda: statuslist.decode_encoded_list(
        multibase.encode_base64url(gzip.compress(b"\x00" * 16384)[:-6])),
    "status_list_number": lambda: statuslist.decode_encoded_list(5),  # type: ignore[arg-type]
    "status_index_out_of_range": lambda: statuslist.get_status(bytes(16), 1000),
    "status_index_negative": lambda: statuslist.get_status(bytes(16), -1),
    # baked images
    "bake_not_png": lambda: baking.extract_png(b"GIF89a"),
    "bake_png_without_credential": lambda: baking.extract_png(PNG_1PX),
    "bake_svg_not_xml": lambda: baking.extract_svg("<svg"),
    # verifier inputs and registry
    "input_empty": lambda: inputs.read_input(b""),
    "input_not_utf8": lambda: inputs.read_input(b"\xff\xfe\x00"),
    "input_json_array": lambda: inputs.read_input(b"[1, 2]"),
    "input_nan": lambda: inputs.read_input(b'{"a": NaN}'),
    "did_web_not_did_web": lambda: didweb.did_web_url("did:key:z6Mk"),
    "did_web_number": lambda: didweb.did_web_url(7),  # type: ignore[arg-type]
    "did_web_bad_host": lambda: didweb.did_web_url("did:web:evil@host"),
    "registry_not_object": lambda: registry.TrustRegistry.from_json("issuers"),
    "registry_entry_number": lambda: registry.TrustRegistry.from_json({"issuers": [5]}),
    "registry_name_missing": lambda: registry.TrustRegistry.from_json({"issuers": [{"id": PAIR.did}]}),
    "registry_two_names": lambda: registry.TrustRegistry.from_json(
        {"issuers": [{"id": PAIR.did, "name": "A"}, {"id": PAIR.did, "name": "B"}]}),
}


def _deep(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {"@context": [VC_V2], "type": ["VerifiableCredential"], "credentialSubject": {}}
    node = document["credentialSubject"]
    for _ in range(depth):
        node["@nest"] = {}
        node = node["@nest"]
    return document


@pytest.mark.parametrize("name", sorted(RAISES))
def test_bad_input_raises_a_credential_error_with_a_code(name: str) -> None:
    try:
        RAISES[name]()
    except CredentialError as error:
        assert isinstance(error.code, str) and CODE.fullmatch(error.code), error.code
        assert str(error).strip(), "an error says what is wrong"
        assert error.path is None or isinstance(error.path, str)
        _assert_no_secret(error)
    else:
        pytest.fail(f"{name}: no error raised")


# name → a call that reports (returns) rather than raising, whatever the input.
NEVER_RAISES: dict[str, Callable[[], Any]] = {
    "verify_string": lambda: verify("not a jwt", VerifyOptions(now=NOW)),
    "verify_empty_object": lambda: verify({}, VerifyOptions(now=NOW)),
    "verify_proof_list_of_numbers": lambda: verify({**SIGNED, "proof": [1, 2]}, VerifyOptions(now=NOW)),
    "verify_proof_value_400k": lambda: verify({**SIGNED, "proof": {**PROOF, "proofValue": "z" + "2" * 400_000}},
                                              VerifyOptions(now=NOW)),
    "verify_bad_status_entry": lambda: verify({**SIGNED, "credentialStatus": {"type": "BitstringStatusListEntry",
                                               "statusListIndex": "x"}}, VerifyOptions(now=NOW)),
    "verify_deep_nest": lambda: verify(_deep(60), VerifyOptions(now=NOW)),
    "verify_nested_3000": lambda: verify(_deep(3000), VerifyOptions(now=NOW)),
    "verify_nested_200000": lambda: verify(_deep(200_000), VerifyOptions(now=NOW)),
    "verify_presentation_of_deep": lambda: verify({"@context": [VC_V2], "type": ["VerifiablePresentation"],
                                                   "verifiableCredential": [_deep(5000)]}, VerifyOptions(now=NOW)),
    "validate_credential_list": lambda: ob3.validate_credential([1]),
    "proofs_of_a_list": lambda: dataintegrity.proofs_of([SIGNED]),  # type: ignore[arg-type]
    "find_suite_of_a_string": lambda: suites.find_suite("proof"),  # type: ignore[arg-type]
    "issuer_id_of_a_list": lambda: vcdm.issuer_id([SIGNED]),  # type: ignore[arg-type]
    "check_status_bad_list": lambda: status.check_status(
        {**SIGNED, "credentialStatus": {"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
                                        "statusListIndex": "3", "statusListCredential": "https://s.example/1"}},
        status_lists=[_status_list("u***")], loader=LOADER, resolver=resolver.KeyResolver(), now=NOW),
}


@pytest.mark.parametrize("name", sorted(NEVER_RAISES))
def test_reporting_functions_do_not_raise(name: str) -> None:
    NEVER_RAISES[name]()


def _secret_fragments() -> set[str]:
    raw = multibase.decode_base58btc(SECRET)
    texts = [SECRET, SECRET[1:], raw.hex(), raw[2:].hex(), raw.hex().upper()]
    return {text[i:i + 8] for text in texts for i in range(len(text) - 7)}


SECRET_FRAGMENTS = _secret_fragments()


def _assert_no_secret(error: BaseException) -> None:
    seen = [str(error), repr(error), str(getattr(error, "path", ""))]
    cause = error.__cause__ or error.__context__
    while cause is not None and not error.__suppress_context__:
        seen.append(str(cause))
        cause = cause.__cause__
    for text in seen:
        leaked = [fragment for fragment in SECRET_FRAGMENTS if fragment in text]
        assert not leaked, f"error message carries key material: {text[:120]!r}"


def test_the_secret_check_would_see_a_leak() -> None:
    with pytest.raises(AssertionError, match="key material"):
        _assert_no_secret(CredentialError(f"bad key {SECRET[5:20]}"))


def test_a_sealed_key_file_error_carries_no_secret() -> None:
    """Decrypting a key file with the wrong passphrase names neither the key nor the passphrase."""
    blob = secretbox.seal(SECRET.encode(), "district passphrase", params=secretbox.Argon2Params(1, 64, 1))
    with pytest.raises(secretbox.SecretBoxError) as caught:
        secretbox.open_sealed(blob, "wrong passphrase")
    _assert_no_secret(caught.value)
    assert "passphrase" not in str(caught.value).replace("wrong passphrase", "")


def test_every_loader_error_has_a_code() -> None:
    files, hashes = read_manifest()
    url = next(iter(files))
    broken = DocumentLoader(files, hashes={**hashes, url: "0" * 64})
    with pytest.raises(CredentialError) as caught:
        broken.load(url)
    assert caught.value.code == "context_hash_mismatch"


def test_a_document_nested_past_the_strict_depth_fails_syntax_without_being_walked() -> None:
    report = verify(_deep(200_000), VerifyOptions(now=NOW))
    assert report.verified is False
    assert [(c.name, c.code) for c in report.checks] == [("syntax", "json_too_deep")]
