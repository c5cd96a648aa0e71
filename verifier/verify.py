"""Verification policy: which checks run on a credential or presentation, and what they conclude.

Offline by construction: contexts come from the loader, keys from the resolver,
status lists from the caller. Primitives raise; every check here catches its own
errors and reports them, so a bad document yields a report, never an exception.

Who signed? A proof shows that a key signed; ``issuer-key`` asks whether that key
is the issuer's: the issuer's *own* DID document (for a did:key, the one derived
from the key) must list it under ``assertionMethod`` (``credentials.resolver``
reads a method as a key of the DID whose document lists it, whatever the
method's JSON claims). For presentations, the ``holder`` check binds the signer
(a key its DID's document lists under ``authentication``) to every credential it
presents; the rule is in ``verifier.binding``.

Status list credentials carried inside a presentation's ``verifiableCredential``
(``BitstringStatusListCredential``, ``StatusList2021Credential``) are used to
check the other credentials' status, as a wallet's share link carries them; they
are not presented badges. Each list's own proof and issuer are still checked.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from credentials import fastld
from credentials.canonical import find_undefined_terms, require_bundled_contexts
from credentials.dataintegrity import find_suite, proofs_of, verify_proof
from credentials.errors import CredentialError, KeyResolutionError, UndefinedTermError
from credentials.fastld.budget import check_document_once, within_budget
from credentials.loader import DocumentLoader, bundled_loader
from credentials.resolver import (
    ASSERTION_METHOD,
    AUTHENTICATION,
    KeyResolver,
    MethodNotAuthorizedError,
    VerificationMethod,
)
from credentials.strictjson import MAX_JSON_DEPTH
from credentials.vcdm import VC_V1_CONTEXT as VC_V1
from credentials.vcdm import VC_V2_CONTEXT as VC_V2
from credentials.vcdm import as_list, issuer_id
from credentials.xsd import CLOCK_SKEW

from .binding import check_holder
from .dates import format_moment, parse_datetime
from .registry import TrustRegistry
from .report import FAILED, NOT_CHECKED, PASSED, Check, Report
from .summary import BadgeSummary, summarize

OB_TYPES = {"OpenBadgeCredential", "AchievementCredential", "EndorsementCredential"}
_OB3_SCHEMA_MARK = "/spec/ob/v3p0/schema/"
STATUS_LIST_TYPES = {"BitstringStatusListCredential", "StatusList2021Credential"}
# True while verifying (the parts of) a document whose nesting depth was checked.
_DEPTH_CHECKED: ContextVar[bool] = ContextVar("satchel_depth_checked", default=False)


@dataclass(frozen=True)
class VerifyOptions:
    """What the caller gives the verifier: the moment, the nonce it asked for, and trusted material."""

    now: datetime
    challenge: str | None = None
    domain: str | None = None
    loader: DocumentLoader = field(default_factory=bundled_loader)
    resolver: KeyResolver = field(default_factory=KeyResolver)
    status_lists: tuple[dict[str, Any], ...] = ()
    registry: TrustRegistry | None = None
    skew: timedelta = CLOCK_SKEW
    # The real present, for "proof created in the future"; ``now`` may be a
    # moment in the past (``--at``) at which a proof made later is still fine.
    clock: datetime | None = None
    # A status that could not be checked fails the document (``--require-status``),
    # a credential without any credentialStatus included.
    require_status: bool = False

    @property
    def present(self) -> datetime:
        return self.clock if self.clock is not None else self.now


def verify(document: dict[str, Any] | str, options: VerifyOptions) -> Report:
    """Verify a credential, a presentation (auto-detected) or a compact VC-JWT.

    One pass per document (``fastld.one_pass``): the JSON-LD to RDF conversion, the
    undefined-term verdict and the canonical form of each document are computed once
    and shared by the ``contexts`` check and every proof, embedded credentials included.
    """
    with fastld.one_pass():
        return _verify(document, options)


def _verify(document: dict[str, Any] | str, options: VerifyOptions) -> Report:
    if isinstance(document, str):
        # A VC-JWT's payload is a document of its own, not part of one whose depth was checked.
        token = _DEPTH_CHECKED.set(False)
        try:
            return _verify_jwt(document, options)
        finally:
            _DEPTH_CHECKED.reset(token)
    if not isinstance(document, dict):
        return Report("unknown", (Check("syntax", FAILED, "not_json_object", "the document is not a JSON object"),))
    if _DEPTH_CHECKED.get():
        # A part of a document already within the depth bound is within it: not walked again.
        return _verify_object(document, options)
    # One walk for both bounds in the usual case: a document within the work budget is within
    # the depth bound too (and its parts are then known to be within the budget).
    if not within_budget(document, options.loader, watch=_NESTING_KEYS) and _deeper_than(document, MAX_JSON_DEPTH):
        # Every check below walks the document; past the strict reader's depth none is attempted.
        return Report("unknown", (Check("syntax", FAILED, "json_too_deep",
                                        f"the document is nested deeper than {MAX_JSON_DEPTH} levels"),))
    token = _DEPTH_CHECKED.set(True)
    try:
        return _verify_object(document, options)
    finally:
        _DEPTH_CHECKED.reset(token)


def _verify_object(document: dict[str, Any], options: VerifyOptions) -> Report:
    if "VerifiablePresentation" in _types(document):
        return verify_presentation(document, options)
    return verify_credential(document, options)


def _deeper_than(value: Any, limit: int) -> bool:
    """True when objects and arrays nest more than ``limit`` levels (iteratively: any depth is safe)."""
    level: list[Any] = [value]
    depth = 1
    while level:
        if depth > limit:
            return True
        below: list[Any] = []
        for node in level:
            below.extend(child for child in (node.values() if isinstance(node, dict) else node)
                         if isinstance(child, (dict, list)))
        level = below
        depth += 1
    return False


def verify_credential(credential: dict[str, Any], options: VerifyOptions, *,
                      jwt_checks: tuple[Check, ...] = (), jwt_methods: tuple[VerificationMethod, ...] = (),
                      badge: BadgeSummary | None = None) -> Report:
    """Verify a credential given as JSON (``jwt_*``: the checks and key of the VC-JWT it was decoded from)."""
    checks: list[Check] = [_syntax_credential(credential)]
    notes: list[str] = []
    checks.append(_contexts(credential, options))
    proof_checks, methods, refused = _proofs(credential, options, purpose=ASSERTION_METHOD, notes=notes)
    if jwt_checks and [c.code for c in proof_checks] == ["no_proof"]:
        proof_checks = []
    checks.extend(jwt_checks)
    checks.extend(proof_checks)
    issuer = issuer_id(credential)
    key_checks = [_issuer_key(method, issuer, options.resolver) for method in (*jwt_methods, *methods)]
    key_checks += [Check("issuer-key", FAILED, exc.code, f"{exc}; a key that its DID document does not list under "
                         "assertionMethod cannot sign credentials", exc.path) for exc in refused]
    checks.extend(key_checks)
    checks.append(_schema(credential))
    checks.append(_validity(credential, options))
    checks.extend(_status(credential, options))
    registry = _registry(issuer, options, key_checks, _claimed_issuer_name(credential))
    checks.append(registry)
    badge = badge if badge is not None else summarize(credential)
    if badge is not None and registry.status == PASSED and options.registry is not None:
        name = options.registry.name_of(issuer or "")
        if name is not None:
            badge = badge.confirmed(name)
    nested = _nested_credentials(credential, options)
    if nested:
        # An embedded endorsement is a third party's claim that the outer proof
        # covers as data; it is verified and shown, but it does not decide
        # whether the outer credential holds.
        failed = [label for label, report in nested if not report.verified]
        detail = f"{len(nested) - len(failed)} of {len(nested)} embedded credentials verified on their own"
        if failed:
            detail += f"; not verified: {', '.join(failed)} (see the sub-reports; the outer verdict does not depend on them)"
        checks.append(Check("nested", NOT_CHECKED if failed else PASSED,
                            "nested_not_verified" if failed else "nested_verified", detail))
    return Report("credential", tuple(checks), _id(credential), tuple(nested), tuple(notes), badge)


def verify_presentation(presentation: dict[str, Any], options: VerifyOptions) -> Report:
    checks: list[Check] = []
    notes: list[str] = []
    if "VerifiablePresentation" not in _types(presentation):
        checks.append(Check("syntax", FAILED, "not_a_presentation", "type does not include VerifiablePresentation"))
    else:
        checks.append(Check("syntax", PASSED, "well_formed", "a VerifiablePresentation"))
    checks.append(_contexts(presentation, options))
    proof_checks, methods, refused = _proofs(presentation, options, purpose=AUTHENTICATION, notes=notes)
    checks.extend(proof_checks)
    holder = presentation.get("holder")
    holder = holder.get("id") if isinstance(holder, dict) else holder
    checks.extend(_challenge_domain(presentation, options))
    credentials = as_list(presentation.get("verifiableCredential"))
    carried = tuple(item for item in credentials if isinstance(item, dict) and set(_types(item)) & STATUS_LIST_TYPES)
    if carried:
        notes.append(f"{len(carried)} status list credential(s) carried by the presentation used to check revocation")
        options = replace(options, status_lists=options.status_lists + carried)
    nested: list[tuple[str, Report]] = []
    for index, item in enumerate(credentials):
        if any(item is list_credential for list_credential in carried):
            continue
        report = _verify_presented(item, options)
        nested.append((f"verifiableCredential[{index}]", report))
    if refused:
        checks.append(Check("holder", FAILED, refused[0].code, f"{refused[0]}; a key that its DID document does not "
                            "list under authentication cannot sign presentations", refused[0].path))
    else:
        checks.append(check_holder(holder, [method.controller for method in methods], nested))
    if nested:
        failed = [label for label, report in nested if not report.verified]
        checks.append(Check("nested", FAILED if failed else PASSED, "nested_failed" if failed else "nested_verified",
                            f"{len(nested) - len(failed)} of {len(nested)} credentials verified"
                            + (f"; not verified: {', '.join(failed)}" if failed else "")))
    return Report("presentation", tuple(checks), _id(presentation), tuple(nested), tuple(notes))


# -- checks ---------------------------------------------------------------------------------


def _syntax_credential(credential: dict[str, Any]) -> Check:
    contexts = as_list(credential.get("@context"))
    problems = []
    if not contexts or contexts[0] not in (VC_V1, VC_V2):
        problems.append(f"@context must start with {VC_V2} (or {VC_V1})")
    if "VerifiableCredential" not in _types(credential):
        problems.append("type must include VerifiableCredential")
    if issuer_id(credential) is None:
        problems.append("issuer must be a URL or an object with an id")
    if not isinstance(credential.get("credentialSubject"), (dict, list)):
        problems.append("credentialSubject is missing")
    if contexts and contexts[0] == VC_V1 and "issuanceDate" not in credential:
        problems.append("a VC 1.1 credential needs issuanceDate")
    if problems:
        return Check("syntax", FAILED, "malformed_credential", "; ".join(problems))
    version = "2.0" if contexts[0] == VC_V2 else "1.1"
    return Check("syntax", PASSED, "well_formed", f"a VC Data Model {version} credential of type {', '.join(_types(credential))}")


def _contexts(document: dict[str, Any], options: VerifyOptions) -> Check:
    # Proofs are checked in their own canonicalization (safe mode too); a
    # proof of a type Satchel does not know must not fail the document.
    unproven = {k: v for k, v in document.items() if k != "proof"}
    try:
        fast = _fast_pass(unproven, options.loader)
        if fast is not None:
            # That pass loaded every context the document names through the loader, which
            # refuses an unbundled one; only the proof's own contexts are left to ask for.
            require_bundled_contexts({"proof": document.get("proof")}, options.loader)
        else:
            require_bundled_contexts(document, options.loader)
        # A clean fast pass is find_undefined_terms' own answer: none.
        undefined = [] if fast == _CLEAN else find_undefined_terms(unproven, loader=options.loader)
    except CredentialError as exc:
        return Check("contexts", FAILED, exc.code, str(exc), exc.path)
    if undefined:
        error = UndefinedTermError(undefined)
        return Check("contexts", FAILED, error.code, str(error), error.path)
    count = len(as_list(document.get("@context")))
    return Check("contexts", PASSED, "contexts_bundled", f"all {count} contexts are bundled and pinned; every term is defined")


_CLEAN, _UNDEFINED = "clean", "undefined"


def _fast_pass(document: dict[str, Any], loader: DocumentLoader) -> str | None:
    """Whether the fast path read the whole document (shared with the proofs by ``one_pass``):
    ``_CLEAN``, ``_UNDEFINED`` (it found undefined terms), or None.

    A document it declines, or one past the work budget, goes the long way, which
    reports the same errors as before.
    """
    try:
        check_document_once(document, loader)
        fastld.to_quads(document, loader=loader)
    except fastld.UndefinedTerms:
        return _UNDEFINED
    except Exception:  # Unsupported, a loader's refusal, the budget: decided below as before.
        return None
    return _CLEAN


def _proofs(document: dict[str, Any], options: VerifyOptions, *, purpose: str,
            notes: list[str]) -> tuple[list[Check], list[VerificationMethod], list[MethodNotAuthorizedError]]:
    """One check per proof; the keys of those that verified; the refusals of keys not authorized for ``purpose``."""
    proofs = proofs_of(document)
    if not proofs:
        return [Check("proof", FAILED, "no_proof", "the document has no proof")], [], []
    checks: list[Check] = []
    methods: list[VerificationMethod] = []
    refused: list[MethodNotAuthorizedError] = []
    for index, proof in enumerate(proofs):
        label = _suite_label(proof)
        path = f"$.proof[{index}]" if isinstance(document.get("proof"), list) else "$.proof"
        if find_suite(proof) is None:
            checks.append(Check("proof", NOT_CHECKED, "unknown_proof_type",
                                f"{label}: a proof type Satchel does not know; not checked", path))
            continue
        try:
            result = verify_proof(document, proof, loader=options.loader, resolver=options.resolver, purpose=purpose)
        except MethodNotAuthorizedError as exc:
            exc.path = exc.path or f"{path}.verificationMethod"
            refused.append(exc)
            checks.append(Check("proof", NOT_CHECKED, exc.code, f"{label}: signature not checked: {exc}", path))
            continue
        except KeyResolutionError as exc:
            checks.append(Check("proof", NOT_CHECKED, exc.code, f"{label}: not checked: {exc}", path))
            continue
        except UndefinedTermError as exc:
            checks.append(Check("proof", NOT_CHECKED, exc.code, f"{label}: not checked: safe mode refused the document ({exc})", path))
            continue
        except CredentialError as exc:
            checks.append(Check("proof", FAILED, exc.code, f"{label}: {exc}", path))
            continue
        created = parse_datetime(result.created)
        if created is not None and created > options.present + options.skew:
            checks.append(Check("proof", FAILED, "proof_created_in_future",
                                f"{label}: created {result.created}, after {format_moment(options.present)} (beyond 5 minutes of clock skew)", path))
            continue
        if created is not None and created > options.present:
            notes.append(f"proof {label} was created {result.created}, slightly after the verification time: tolerated as clock skew")
        notes.extend(result.notes)
        methods.append(result.method)
        checks.append(Check("proof", PASSED, "signature_valid", f"{label} signature by {result.method.id} verified", path))
    return checks, methods, refused


def _issuer_key(method: VerificationMethod, issuer: str | None, resolver: KeyResolver) -> Check:
    """The key is the issuer's when the issuer's own DID document lists it under assertionMethod."""
    if issuer is not None and method.controller == issuer and method.authorized_for(ASSERTION_METHOD):
        where = "the issuer's own did:key" if issuer.startswith("did:key:") else "listed under assertionMethod in the issuer's own DID document"
        return Check("issuer-key", PASSED, "issuer_controls_key", f"signed by {method.id}, {where}")
    if issuer is not None and method.controller != issuer and resolver.lists(issuer, method.id, ASSERTION_METHOD):
        return Check("issuer-key", PASSED, "issuer_authorizes_key",
                     f"signed by {method.id}, a key of {method.controller} that the issuer's own DID document lists "
                     "under assertionMethod")
    if issuer is not None and method.controller == issuer:
        return Check("issuer-key", FAILED, "method_not_authorized",
                     f"signed by {method.id}, which the issuer's DID document does not list under assertionMethod")
    return Check("issuer-key", FAILED, "issuer_key_mismatch",
                 f"the credential names {issuer} as its issuer, but it was signed by {method.id}, a key of "
                 f"{method.controller} that the issuer's own DID document does not list: the issuer did not sign it")


def _schema(credential: dict[str, Any]) -> Check:
    """Validate against the JSON Schema the credential declares (VC DM ``credentialSchema``).

    Open Badges credentials issued before 3.0 was final (VC 1.1, plugfest
    contexts) do not declare the 3.0 schema and often do not meet it; holding
    them to it would refuse badges their issuers signed in good faith.
    """
    declared = [str(s.get("id")) for s in as_list(credential.get("credentialSchema")) if isinstance(s, dict)]
    if not declared:
        return Check("schema", NOT_CHECKED, "no_schema_declared", "the credential declares no credentialSchema")
    if not any(_OB3_SCHEMA_MARK in url for url in declared):
        return Check("schema", NOT_CHECKED, "schema_not_bundled", f"no bundled JSON Schema for {', '.join(declared)}")
    if not set(_types(credential)) & OB_TYPES:
        return Check("schema", NOT_CHECKED, "no_schema", f"no bundled JSON Schema for type {', '.join(_types(credential))}")
    from credentials.ob3 import validate_credential

    errors = validate_credential(credential)
    if errors:
        shown = "; ".join(f"{error.path}: {error.message}" for error in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        return Check("schema", FAILED, "schema_invalid", f"Open Badges 3.0 JSON Schema: {shown}{more}", errors[0].path)
    return Check("schema", PASSED, "schema_valid", "valid against the Open Badges 3.0 JSON Schema")


def _validity(credential: dict[str, Any], options: VerifyOptions) -> Check:
    now = options.now
    start_key, end_key = ("validFrom", "validUntil") if "issuanceDate" not in credential else ("issuanceDate", "expirationDate")
    if "validFrom" in credential:
        start_key = "validFrom"
    if "validUntil" in credential:
        end_key = "validUntil"
    start_raw, end_raw = credential.get(start_key), credential.get(end_key)
    start, end = parse_datetime(start_raw), parse_datetime(end_raw)
    if start_raw is not None and start is None:
        return Check("validity", FAILED, "bad_date", f"{start_key} {start_raw!r} is not an xsd:dateTime", f"$.{start_key}")
    if end_raw is not None and end is None:
        return Check("validity", FAILED, "bad_date", f"{end_key} {end_raw!r} is not an xsd:dateTime", f"$.{end_key}")
    moment = format_moment(now)
    if start is not None and now < start:
        return Check("validity", FAILED, "not_yet_valid", f"not valid until {start_raw} (checked at {moment})", f"$.{start_key}")
    if end is not None and now > end:
        return Check("validity", FAILED, "expired", f"expired at {end_raw} (checked at {moment})", f"$.{end_key}")
    window = f"from {start_raw or 'any time'} until {end_raw or 'no end'}"
    return Check("validity", PASSED, "within_validity_period", f"valid at {moment} ({window})")


def _status(credential: dict[str, Any], options: VerifyOptions) -> list[Check]:
    if "credentialStatus" not in credential:
        checks = [Check("status", NOT_CHECKED, "no_status", "the credential has no credentialStatus; revocation cannot be checked")]
    else:
        from .status import check_status

        outcomes = check_status(credential, status_lists=list(options.status_lists), loader=options.loader,
                                resolver=options.resolver, now=options.now)
        checks = [Check("status", outcome.status, outcome.code, outcome.detail) for outcome in outcomes]
    if options.require_status:
        # The caller must know the status: one that could not be checked is a failure.
        checks = [replace(c, status=FAILED, detail=f"{c.detail} (a checked status was required)")
                  if c.status == NOT_CHECKED else c for c in checks]
    return checks


def _claimed_issuer_name(credential: dict[str, Any]) -> str | None:
    issuer = credential.get("issuer")
    name = issuer.get("name") if isinstance(issuer, dict) else None
    return name if isinstance(name, str) and name.strip() else None


def _registry(issuer: str | None, options: VerifyOptions, key_checks: list[Check], claimed_name: str | None = None) -> Check:
    """Name the issuer from the registry, but only when the issuer's own key signed: never name an impersonated one.

    An unlisted issuer that calls itself by the name of a listed organization is
    impersonation suspected too: the name is the credential's claim, the DID is what signed.
    """
    if options.registry is None:
        return Check("registry", NOT_CHECKED, "no_registry", "no trust registry was given: who holds the issuer's key is not known")
    name = options.registry.name_of(issuer or "")
    if name is None:
        owners = options.registry.dids_named(claimed_name) if claimed_name else []
        if owners:
            return Check("registry", FAILED, "impersonation_suspected",
                         f"impersonation suspected: the credential calls its issuer {claimed_name!r}, the name the trust "
                         f"registry gives to {owners[0]}, but it was issued by {issuer}, which the registry does not list")
        return Check("registry", FAILED, "issuer_unknown", f"the issuer {issuer} is not in the trust registry")
    if any(c.status == FAILED for c in key_checks):
        return Check("registry", FAILED, "impersonation_suspected",
                     f"impersonation suspected: the credential names {issuer}, which the trust registry lists, but it "
                     "was not signed by a key of theirs (see issuer-key)")
    if not any(c.status == PASSED for c in key_checks):
        return Check("registry", NOT_CHECKED, "issuer_unproven",
                     f"the credential names {issuer}, which the trust registry lists, but no verified proof shows that "
                     "they signed it")
    return Check("registry", PASSED, "issuer_known", f"the issuer is {name} ({issuer}), listed in the trust registry")


def _challenge_domain(presentation: dict[str, Any], options: VerifyOptions) -> list[Check]:
    proofs = proofs_of(presentation)
    out = []
    for name, wanted in (("challenge", options.challenge), ("domain", options.domain)):
        values = [proof.get(name) for proof in proofs]
        if wanted is None:
            out.append(Check(name, NOT_CHECKED, f"no_{name}_asked", f"no {name} was asked for; the presentation could be a replay"))
        elif any(_matches(value, wanted) for value in values):
            out.append(Check(name, PASSED, f"{name}_matches", f"the proof carries the {name} that was asked for"))
        else:
            out.append(Check(name, FAILED, f"{name}_mismatch", f"expected {name} {wanted!r}, the proof has {values[0] if values else None!r}"))
    return out


def _nested_credentials(credential: dict[str, Any], options: VerifyOptions) -> list[tuple[str, Report]]:
    """Endorsements inside an achievement or profile, and the credentials inside a CLR."""
    if not fastld.once("watched", credential, options.loader, lambda: _may_nest(credential)):
        return []
    found: list[tuple[str, Any]] = []
    trail: list[str | int] = []  # The keys and indexes down to the node walked; a path is written only for a hit.

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                if isinstance(item, (dict, list)):
                    trail.append(index)
                    walk(item)
                    trail.pop()
        else:
            for key, value in node.items():
                if key == "proof" or key == "@context":
                    continue
                if key in ("endorsement", "verifiableCredential", "endorsementJwt"):
                    child = "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in trail)
                    for index, item in enumerate(as_list(value)):
                        found.append((f"{child}.{key}[{index}]", item))
                elif isinstance(value, (dict, list)):
                    trail.append(key)
                    walk(value)
                    trail.pop()

    walk({k: v for k, v in credential.items() if k != "proof"})
    return [(label, verify(item, options) if isinstance(item, (dict, str)) else Report(
        "unknown", (Check("syntax", FAILED, "not_json_object", "not a credential"),))) for label, item in found]


_NESTING_KEYS = frozenset({"endorsement", "verifiableCredential", "endorsementJwt"})
_SKIPPED_KEYS = frozenset({"proof", "@context"})


def _may_nest(credential: dict[str, Any]) -> bool:
    """Whether any object outside ``proof`` and ``@context`` has a key that embeds credentials.

    Most badges embed none; this asks each object once, by set operations, before the walk
    that writes the paths of what it finds.
    """
    level: list[Any] = [credential]
    while level:
        below: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                if not _NESTING_KEYS.isdisjoint(node):
                    return True
                if _SKIPPED_KEYS.isdisjoint(node):
                    below.extend(node.values())
                else:
                    below.extend(value for key, value in node.items() if key not in _SKIPPED_KEYS)
            elif isinstance(node, list):
                below.extend(node)
        level = [node for node in below if isinstance(node, (dict, list))]
    return False


def _verify_jwt(token: str, options: VerifyOptions) -> Report:
    from credentials.vcjwt import verify_vc_jwt

    try:
        result = verify_vc_jwt(token, resolver=options.resolver, now=options.now)
    except KeyResolutionError as exc:
        return Report("credential", (Check("proof", NOT_CHECKED, exc.code, f"VC-JWT: not checked: {exc}"),),
                      badge=_jwt_badge(token))
    except CredentialError as exc:
        checks = [Check("proof", FAILED, exc.code, f"VC-JWT: {exc}", exc.path)]
        stranger = _jwt_foreign_key(token)
        if stranger is not None:
            checks.append(stranger)
        return Report("credential", tuple(checks), badge=_jwt_badge(token))
    jwt_check = Check("proof", PASSED, "signature_valid", f"VC-JWT ({result.form}) EdDSA signature by {result.method.id} verified")
    report = verify_credential(result.credential, options, jwt_checks=(jwt_check,), jwt_methods=(result.method,),
                               badge=_jwt_badge(token, result.credential))
    return replace(report, notes=report.notes + result.notes)


def _jwt_badge(token: str, verified: dict[str, Any] | None = None) -> BadgeSummary | None:
    """The summary of a VC-JWT's credential (the verified one when given), with the ``sub`` claim as a recipient id.

    Read without verifying when the token failed, so that the report still says what it claims to be.
    """
    from credentials.vcjwt import decode_jwt

    try:
        _, payload, _, _ = decode_jwt(token)
    except (CredentialError, ValueError, RecursionError):
        return summarize(verified) if verified is not None else None
    credential = verified if verified is not None else payload.get("vc") if isinstance(payload.get("vc"), dict) else payload
    sub = payload.get("sub")
    return summarize(credential, jwt_subject=sub if isinstance(sub, str) else None)


def _jwt_foreign_key(token: str) -> Check | None:
    """An ``issuer-key`` failure when a refused VC-JWT's ``kid`` names a DID other than its issuer."""
    from credentials.vcjwt import decode_jwt

    try:
        header, payload, _, _ = decode_jwt(token)
    except (CredentialError, ValueError, RecursionError):
        return None
    vc = payload.get("vc")
    issuer = payload.get("iss") or (issuer_id(vc) if isinstance(vc, dict) else issuer_id(payload))
    kid = header.get("kid")
    if not isinstance(kid, str) or kid.startswith("#") or not isinstance(issuer, str):
        return None
    signer = kid.split("#", 1)[0]
    if signer == issuer:
        return None
    return Check("issuer-key", FAILED, "issuer_key_mismatch",
                 f"the credential names {issuer} as its issuer, but its JWT was signed with {kid}, a key of {signer} "
                 "that the issuer's own DID document does not list: the issuer did not sign it", "kid")


def _verify_presented(item: Any, options: VerifyOptions) -> Report:
    """A credential inside a presentation, in any form: a JSON object, a compact VC-JWT, an enveloped one."""
    item = _unwrap_enveloped(item)
    if isinstance(item, (dict, str)):
        return verify(item, options)
    return Report("unknown", (Check("syntax", FAILED, "not_json_object", "not a credential object or VC-JWT"),))


# -- helpers ----------------------------------------------------------------------------------


def _suite_label(proof: dict[str, Any]) -> str:
    kind = str(proof.get("type"))
    suite = proof.get("cryptosuite")
    return f"{kind} ({suite})" if isinstance(suite, str) else kind


def _unwrap_enveloped(item: Any) -> Any:
    """VC 2.0 EnvelopedVerifiableCredential: ``data:application/vc+jwt,<jwt>`` gives the JWT.

    An envelope of another media type, or one that is not a ``data:`` URL, is
    returned as is, and then fails as a credential with no proof.
    """
    if isinstance(item, dict) and "EnvelopedVerifiableCredential" in as_list(item.get("type")):
        data = item.get("id", "")
        if isinstance(data, str) and data.startswith("data:") and "," in data:
            media_type, _, token = data[len("data:"):].partition(",")
            if media_type.split(";", 1)[0].strip().lower() in ("application/vc+jwt", "application/jwt"):
                return token
    return item


def _matches(value: Any, wanted: str) -> bool:
    return value == wanted or (isinstance(value, list) and wanted in value)


def _types(document: dict[str, Any]) -> list[str]:
    return [str(t) for t in as_list(document.get("type", document.get("@type")))]


def _id(document: dict[str, Any]) -> str | None:
    value = document.get("id")
    return value if isinstance(value, str) else None
