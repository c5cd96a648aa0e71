"""The exception tree of the credential core and the verifier.

    CredentialError                 (code, path)
    ├── MultibaseError              malformed multibase / multicodec value
    ├── DidKeyError                 malformed or non-Ed25519 did:key
    ├── LoaderError
    │   ├── ContextNotBundledError  a URL the manifest does not list
    │   ├── ContextIntegrityError   a bundled file whose sha256 differs
    │   └── loader.ContextPinnedError  a caller's document for a bundled URL (context_pinned)
    ├── JsonInputError              JSON refused by strictjson (size, depth, duplicates, numbers; codes json_*)
    ├── CanonicalizationError       JSON-LD that cannot be turned into RDF
    │   ├── UndefinedTermError      a property or type no context defines
    │   └── CanonicalizationLimitError  past the work budget (canonicalization_limit)
    ├── ProofError                  a proof that is malformed or does not verify
    │   ├── InvalidSignatureError   the signature does not match
    │   ├── jws.JwsError            a compact JWS refused (alg, kid, jwk; codes jwt_*) = vcjwt.JwtError
    │   │   ├── jws.JwsSignatureMismatchError  (also an InvalidSignatureError)
    │   │   ├── jws.JwsJsonError    (also a JsonInputError; keeps its json_* code)
    │   │   └── vcjwt.JwtExpiredError, JwtNotYetValidError, JwtClaimMismatchError
    │   └── ecdsa.CborError         a derived ecdsa-sd-2023 proofValue with malformed CBOR
    ├── KeyResolutionError          a verification method that cannot be resolved
    │   └── resolver.MethodNotAuthorizedError  not listed under the purpose by its DID's document
    ├── statuslist.StatusListError  an unreadable status list or entry
    ├── baking.BakingError          an image with no, two, or a damaged baked credential
    ├── ob3.BuildError              input build_credential cannot turn into a badge (ob3_build_*)
    ├── presentation.PresentationError  input that cannot become a presentation
    ├── secretbox.SecretBoxError    a sealed secret that does not open (sealed_open_failed)
    ├── xsd.DateTimeError           a moment that cannot be written (naive, out of range; also a ValueError)
    ├── verifier.inputs.InputError  a file that is not a credential (unreadable_input, json_* kept)
    ├── verifier.didweb.DidWebError  a did:web that maps to no URL or whose document cannot be fetched
    └── verifier.registry.RegistryError  a trust registry file in no accepted shape (bad_registry)

The leaf classes of a feature live in its module, so that the tree here stays small.
A code is set where an error is first raised and never renamed on the way out: a
wrapping error keeps the code of the one it wraps (``code=exc.code``). Messages
speak of the document (never of a command-line flag) and never quote a secret.

Primitives raise; ``verifier.verify`` catches per check and reports.
"""

from __future__ import annotations


class CredentialError(Exception):
    """Base of every error the core raises, with a stable ``code`` and a JSON ``path``."""

    code = "credential_error"

    def __init__(self, message: str, *, path: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        if code is not None:
            self.code = code


class MultibaseError(CredentialError):
    code = "bad_multibase"


class DidKeyError(CredentialError):
    code = "bad_did_key"


class LoaderError(CredentialError):
    code = "loader_error"


class ContextNotBundledError(LoaderError):
    code = "context_not_bundled"

    def __init__(self, url: str) -> None:
        super().__init__(f"context not bundled: {url}")
        self.url = url


class ContextIntegrityError(LoaderError):
    code = "context_hash_mismatch"


class JsonInputError(CredentialError):
    """JSON refused by ``strictjson.parse_json``; codes ``json_too_large``, ``json_too_deep``,
    ``json_duplicate_key``, ``json_bad_number``, ``json_invalid_utf8``, ``json_syntax``."""

    code = "json_syntax"


class CanonicalizationError(CredentialError):
    code = "canonicalization_failed"


class CanonicalizationLimitError(CanonicalizationError):
    """A document past the canonicalization work budget (too many blank nodes, quads or hash calls)."""

    code = "canonicalization_limit"


class UndefinedTermError(CanonicalizationError):
    code = "undefined_term"

    def __init__(self, terms: list[tuple[str, str]]) -> None:
        self.terms = terms
        listed = ", ".join(f"{name!r} at {path}" for name, path in terms)
        super().__init__(f"undefined term(s), not covered by any context: {listed}", path=terms[0][1] if terms else None)


class ProofError(CredentialError):
    code = "proof_invalid"


class InvalidSignatureError(ProofError):
    code = "signature_mismatch"


class KeyResolutionError(CredentialError):
    code = "key_not_resolvable"
