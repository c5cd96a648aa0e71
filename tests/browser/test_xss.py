"""XSS in a real Chromium: script payloads in everything the three servers show are inert on every page.

The payloads (``xss_world.payload``: ``<script>``, both attribute quotes, an
``onerror``/``onload`` handler, ``</textarea>``, ``{{7*7}}`` and an image of
another origin) sit in the issuer's name, an achievement, a node-issued badge,
three attacker-signed badges (``javascript:``/``data:``/other-origin evidence
links and images), applicant text, review feedback, share notes, search words,
file names and the verifier's pasted input. On every page the test visits it asserts:

- no dialog opened, ``window.__xss`` is unset, the DOM holds no ``<script>`` and
  no element with an ``on*`` attribute (so escaping held, not only the CSP);
- no request left for another origin (Chromium's own log and the listener on
  127.0.0.2) and none had a ``javascript:`` URL; the console shows no CSP
  violation (nothing even tried);
- every link is http(s) or our own, every ``img`` is ``data:`` or our own;
- the Content-Security-Policy header is strict (``strict_csp``);
- where the page shows a planted text, it shows it literally.

The wallet and verifier show credential images only as ``data:`` URIs: the CSP
has ``img-src 'self' data:`` and an https image would tell its host who looks
at whose badges, so remote images (https included) are never put in an ``img``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from browser.xss_world import World, WorldThread

pytestmark = pytest.mark.slow

# What the page holds after it loaded: anything a payload could have turned into markup, every URL it uses,
# and its text (``textContent``: an escaped payload reads literally there, a parsed one does not).
DOM_PROBE = """() => {
  const handlers = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (attr.name.toLowerCase().startsWith('on')) handlers.push(`${el.tagName}[${attr.name}]`);
    }
  }
  return {
    xss: typeof window.__xss === 'undefined' ? null : String(window.__xss),
    scripts: document.querySelectorAll('script').length,
    objects: document.querySelectorAll('object, embed, iframe, frame, base').length,
    svgs: document.querySelectorAll('svg').length,
    handlers,
    images: [...document.images].map(img => img.getAttribute('src') || ''),
    links: [...document.querySelectorAll('a[href], area[href]')].map(a => a.getAttribute('href')),
    offsite: [...document.querySelectorAll('a[href]')].filter(a => /^https?:$/.test(a.protocol)
      && a.origin !== location.origin).map(a => [a.getAttribute('href'), a.relList.contains('noopener')
      && a.relList.contains('noreferrer')]),
    actions: [...document.querySelectorAll('form')].map(f => f.getAttribute('action') || ''),
    text: document.body ? document.body.textContent : '',
    values: [...document.querySelectorAll('input, textarea')].map(el => el.value),
  };
}"""


def strict_csp(header: str | None) -> list[str]:
    """What is not strict about a Content-Security-Policy value (empty when it is strict)."""
    if not header:
        return ["no Content-Security-Policy header"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives.setdefault(words[0].lower(), [w.lower() for w in words[1:]])
    problems = []
    default = directives.get("default-src")
    if default not in (["'none'"], ["'self'"]):
        problems.append(f"default-src is {default}, not 'none' or 'self'")
    for name, values in directives.items():
        for bad in ("*", "http:", "https:", "'unsafe-eval'"):
            if bad in values:
                problems.append(f"{name} allows {bad}")
    scripts = directives.get("script-src", default or [])
    if any(v in scripts for v in ("'unsafe-inline'", "data:", "blob:", "'unsafe-hashes'")):
        problems.append(f"scripts allowed from {scripts}")
    if directives.get("object-src", default) != ["'none'"]:
        problems.append("object-src is not 'none'")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append("frame-ancestors is not 'none'")
    if directives.get("base-uri") not in (["'none'"], ["'self'"]):
        problems.append("base-uri is not restricted")
    if directives.get("form-action", ["'none'"]) not in (["'none'"], ["'self'"]):
        problems.append("form-action is not restricted")
    images = directives.get("img-src", default or [])
    if set(images) - {"'self'", "data:", "'none'"}:
        problems.append(f"img-src allows {images} (credential images are data: only)")
    return problems


def test_strict_csp_rejects_weak_policies() -> None:
    """The checker itself: a weak policy is reported, ours is not."""
    from webbase.security import CONTENT_SECURITY_POLICY

    assert strict_csp(CONTENT_SECURITY_POLICY) == []
    assert strict_csp(None) == ["no Content-Security-Policy header"]
    weak = "default-src *; script-src 'self' 'unsafe-inline'; img-src https:"
    assert len(strict_csp(weak)) >= 5


class Person:
    """One browser context with every tripwire armed: dialogs, requests, console, responses."""

    def __init__(self, browser: Any, world: World, shots: Path, name: str) -> None:
        self.world = world
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.shots = shots
        self.name = name
        self.dialogs: list[str] = []
        self.requests: list[tuple[str, str, bool]] = []  # (url, the page's url when it was made, a navigation?)
        self.console: list[str] = []
        self.documents: list[tuple[str, str | None]] = []  # (url, its CSP header)
        self.checked: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda request: self.requests.append(
            (request.url, self.page.url, request.is_navigation_request())))
        self.page.on("console", lambda message: self.console.append(message.text)
                     if message.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda exc: self.console.append(f"page error: {exc}"))
        self.page.on("response", self._response)
        self.offsite: list[str] = []
        # Nothing leaves loopback (an evidence link of example.org would be a DNS query): such a request is
        # recorded (the test fails on it) and aborted.
        self.context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]).*"), self._offsite)

    def _offsite(self, route: Any) -> None:
        self.offsite.append(route.request.url)
        route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self.documents.append((response.url, response.headers.get("content-security-policy")))

    def close(self) -> None:
        self.context.close()

    def goto(self, url: str, what: str, *, status: int = 200, shows: tuple[str, ...] = ()) -> dict[str, Any]:
        response = self.page.goto(url)
        assert response is not None and response.status == status, \
            f"{url}: {response.status if response else 'no response'}, not {status}"
        return self.check(what, shows=shows)

    def submit(self, button: str, what: str, *, status: int | None = None,
               shows: tuple[str, ...] = ()) -> dict[str, Any]:
        with self.page.expect_navigation() as navigation:
            self.page.get_by_role("button", name=button, exact=True).click()
        response = navigation.value
        if status is not None:
            assert response is not None and response.status == status, \
                f"{button} on {self.page.url}: {response.status if response else None}, not {status}"
        return self.check(what, shows=shows)

    def check(self, what: str, *, shows: tuple[str, ...] = ()) -> dict[str, Any]:
        """Every tripwire, on the page as it is now; ``shows`` are planted texts the page must show literally."""
        page = self.page
        page.wait_for_load_state("load")
        own = _origin(page.url)
        probe: dict[str, Any] = page.evaluate(DOM_PROBE)
        where = f"{what} ({page.url})"
        assert probe["xss"] is None, f"a payload ran on {where}"
        assert self.dialogs == [], f"dialogs on {where}: {self.dialogs}"
        assert probe["scripts"] == 0 and probe["objects"] == 0 and probe["svgs"] == 0, f"injected markup on {where}: {probe}"
        assert probe["handlers"] == [], f"event handler attributes on {where}: {probe['handlers']}"
        for src in probe["images"]:
            assert src.startswith("data:image/") or _same_origin(src, own), f"img src {src[:120]!r} on {where}"
        for href in probe["links"]:
            assert _safe_link(href, own), f"a link to {href[:120]!r} on {where}"
        for href, guarded in probe["offsite"]:  # A link elsewhere neither gets our window nor our URL.
            assert guarded, f"a link to {href[:120]!r} without rel=noopener noreferrer on {where}"
        for action in probe["actions"]:
            assert action == "" or _same_origin(action, own), f"a form posting to {action!r} on {where}"
        ours = {_origin(u) for u in (self.world.issuer, self.world.wallet, self.world.verifier)}
        for url, during, navigation in self.requests:
            assert not url.lower().startswith(("javascript:", "data:text")), f"a {url[:60]!r} request from {during}"
            if navigation:  # The test's own navigations go to our servers only.
                assert _origin(url) in ours, f"a navigation to another origin: {url} (from {during})"
            else:
                assert _origin(url) == own or url.startswith("data:image/"), \
                    f"a request to another origin: {url} (from {page.url})"
        violations = [m for m in self.console if "Content Security Policy" in m or "Refused to" in m]
        assert violations == [], f"the CSP had to block something on {where}: {violations}"
        # Error statuses are asserted by the step itself; anything else logged is a failure.
        others = [m for m in self.console if not m.startswith("Failed to load resource: the server responded")]
        assert others == [], f"console errors on {where}: {others}"
        for url, header in self.documents:
            problems = strict_csp(header)
            assert problems == [], f"weak Content-Security-Policy on {url}: {problems} ({header})"
        assert self.world.hits == [], f"the other origin was reached: {self.world.hits}"
        assert self.offsite == [], f"requests that would have left 127.0.0.1: {self.offsite}"
        assert all(_shown(probe, text) for text in shows), \
            f"{where} does not show {[t[:40] for t in shows if not _shown(probe, t)]} literally"
        self.checked.append(page.url)
        if os.environ.get("SATCHEL_XSS_SCREENSHOTS"):  # Off by default: they cost more time than the checks.
            page.screenshot(path=str(self.shots / f"{self.name}-{len(self.checked):02d}-{what}.png"), full_page=True)
        self.requests.clear()
        self.documents.clear()
        self.console.clear()
        return probe


def _shown(probe: dict[str, Any], text: str) -> bool:
    return text in probe["text"] or text in probe["values"]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _same_origin(url: str, own: str) -> bool:
    """A relative URL (no scheme, not protocol-relative) or an absolute one of ``own``."""
    if url.startswith("//") or "\\" in url:
        return False
    parts = urlsplit(url)
    return (not parts.scheme and not parts.netloc) or _origin(url) == own


def _safe_link(href: str, own: str) -> bool:
    """Our own, an absolute http(s) URL, or the node's own wallet hand-over (an OpenID4VCI offer it made)."""
    parts = urlsplit(href.strip())
    if parts.scheme == "openid-credential-offer":
        return href.startswith("openid-credential-offer://?credential_offer_uri=" + quote(own, safe=""))
    return _same_origin(href, own) or (parts.scheme in ("http", "https") and bool(parts.netloc))


@pytest.fixture(scope="module")
def world(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The servers with their payloads, once for the module (after the browser, so a skip starts nothing)."""
    running = WorldThread(tmp_path_factory.mktemp("xss-world"))
    try:
        yield running.start()
    finally:
        running.stop()


@pytest.fixture
def people(browser: Any, world: World, tmp_path: Path) -> Iterator[dict[str, Person]]:
    """``people["name"]`` is that person's own browser context, made on first use and closed after the test."""
    made: dict[str, Person] = {}

    class Factory(dict[str, Person]):
        def __missing__(self, name: str) -> Person:
            made[name] = self[name] = Person(browser, world, tmp_path, name)
            return made[name]

    yield Factory()
    for person in made.values():
        print(f"{person.name}: {len(person.checked)} page views checked")  # Shown with -s.
        person.close()
    assert world.hits == [], f"the other origin was reached: {world.hits}"


def _sign_in(person: Person, base: str, login: tuple[str, str], *, button: str, path: str) -> None:
    person.goto(base + path, "sign-in")
    person.page.get_by_label("Email").fill(login[0])
    person.page.get_by_label("Password").fill(login[1])
    person.submit(button, "signed-in")
    assert path not in person.page.url, f"still on the sign-in page: {person.page.url}"


def test_issuer_pages(people: dict[str, Person], world: World, tmp_path: Path) -> None:
    """Applicant, reviewer and administrator pages of the node, with planted and typed payloads."""
    applicant, reviewer, admin = people["applicant"], people["reviewer"], people["admin"]
    base = world.issuer
    applicant.goto(base + "/", "home", shows=(world.organization, world.achievement_name))
    apply_url = f"{base}/achievements/{world.achievement_key}/apply"
    applicant.goto(apply_url, "apply", shows=(world.organization, world.achievement_name, world.payload("description"),
                                              world.payload("criteria-1"), world.payload("alignment")))

    # A javascript: evidence URL is refused, and the form comes back with every typed payload inert.
    name, narrative = world.payload("applicant")[:200], world.payload("applicant-narrative")
    page = applicant.page
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Your email address").fill("applicant@school.example")
    page.get_by_label("Evidence link 1").fill("javascript:alert(1)")
    page.get_by_label("Narrative (optional)").fill(narrative)
    text_file = tmp_path / 'lesson"><img src=x onerror=alert(1)>.txt'
    text_file.write_text("My lesson notes <script>alert(1)</script><img src=x onerror=window.__xss=1>\n")
    page.get_by_label("Files (optional)").set_input_files(str(text_file))
    applicant.submit("Submit my application", "apply-refused", status=400,
                     shows=(name, narrative, "javascript:alert(1)"))

    # Now with an http(s) URL whose query tries to break out of the href.
    page.get_by_label("Evidence link 1").fill("https://evidence.example/lesson?a='onmouseover=alert(1)&b={{7*7}}")
    page.get_by_label("Files (optional)").set_input_files(str(text_file))
    applicant.submit("Submit my application", "status", shows=(name, narrative))
    status_url = page.url
    assert "/applications/" in status_url

    # The reviewer reads it: queue, application (applicant text, evidence link, file), the file itself.
    _sign_in(reviewer, base, world.reviewer, button="Sign in", path="/admin/login")
    reviewer.goto(base + "/admin/applications", "queue", shows=(name,))
    with reviewer.page.expect_navigation():
        reviewer.page.get_by_role("link", name=name, exact=True).click()
    probe = reviewer.check("application", shows=(name, narrative))
    assert "https://evidence.example/lesson?a='onmouseover=alert(1)&b={{7*7}}" in probe["links"]
    file_href = next((h for h in probe["links"] if "/files/" in h), None)
    assert file_href, probe["links"]
    response = reviewer.page.goto(file_href if file_href.startswith("http") else base + file_href)
    assert response is not None and response.ok
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff"
    reviewer.check("evidence-file")
    reviewer.page.go_back()
    reviewer.page.locator('input[name="score_0"]').first.check()
    reviewer.page.get_by_label("Approve and send the badge offer").check()
    feedback = world.payload("feedback")
    reviewer.page.get_by_label("Feedback to the applicant").fill(feedback)
    reviewer.submit("Record the decision", "decided")

    applicant.goto(status_url, "status-approved", shows=(name, feedback))

    # The administrator: bulk issuance, the register (recipient names), achievements, the edit form, the outbox.
    _sign_in(admin, base, world.admin, button="Sign in", path="/admin/login")
    admin.goto(base + "/admin", "admin-home")
    # Bulk issuance: a CSV whose file name, names and a refused email carry payloads (dry run, then issued).
    admin.goto(base + "/admin/bulk", "bulk")
    csv_name = "><img src=x onerror=alert(1)>{{7*7}}.csv"
    rows = [f'"{world.payload("bulk-name").replace(chr(34), chr(34) * 2)}",bulk@school.example,{world.achievement_key}',
            f'Bad Email,"<script>alert(1)</script>@x",{world.achievement_key}']
    bulk_file = tmp_path / csv_name
    bulk_file.write_text("name,email,achievement\n" + "\n".join(rows) + "\n", encoding="utf-8")
    admin.page.get_by_label("CSV file").set_input_files(str(bulk_file))
    admin.submit("Check the file (dry run)", "bulk-check", shows=(csv_name, "<script>alert(1)</script>@x"))
    bulk_file.write_text("name,email,achievement\n" + rows[0] + "\n", encoding="utf-8")
    admin.page.get_by_label("CSV file").set_input_files(str(bulk_file))
    admin.submit("Issue", "bulk-job", shows=(csv_name,))
    admin.goto(base + "/admin/bulk", "bulk-list", shows=(csv_name,))
    admin.goto(base + "/admin/credentials", "register",
               shows=(world.achievement_name, world.payload("recipient"), world.payload("bulk-name")))
    admin.goto(base + "/admin/achievements", "achievements", shows=(world.achievement_name,))
    admin.goto(f"{base}/admin/achievements/{world.achievement_key}", "achievement-edit",
               shows=(world.achievement_name, world.payload("description")))
    admin.goto(base + "/admin/outbox", "outbox")
    admin.goto(base + "/admin/applications?q=" + quote(world.payload("search")), "queue-search")
    # A JSON document carrying the payloads is JSON (never HTML) with nosniff.
    response = admin.page.goto(f"{base}/achievements/{world.achievement_key}")
    assert response is not None and response.ok and "json" in response.headers["content-type"]
    assert response.headers["x-content-type-options"] == "nosniff"
    admin.check("achievement-json")
    admin.goto(base + "/no/such/page/" + quote("<script>alert(1)</script>"), "not-found", status=404)
    assert len(applicant.checked) + len(reviewer.checked) + len(admin.checked) >= 20


def test_wallet_pages(people: dict[str, Person], world: World) -> None:
    """The learner's list, each badge, search, shares and receive pages; the employer's share page."""
    learner, employer = people["learner"], people["employer"]
    base = world.wallet
    _sign_in(learner, base, world.learner, button="Log in", path="/login")
    names = (world.node_badge, *world.attacker_badges)
    probe = learner.goto(base + "/credentials", "list", shows=(*names, world.payload("tag")[:100]))
    assert any(src.startswith("data:image/") for src in probe["images"]), "no data: image shown in the list"
    assert "Impersonation suspected" in probe["text"]  # The attacker badge claiming the registry's name.

    ids = re.findall(r"/credentials/([0-9a-f-]{8,})\"", learner.page.content())
    ids = list(dict.fromkeys(ids))
    assert len(ids) == len(names), ids
    data_images = 0
    for credential_id in ids:
        probe = learner.goto(f"{base}/credentials/{credential_id}", "badge")
        data_images += sum(src.startswith("data:image/") for src in probe["images"])
        # Non-http(s) evidence is text, never a link; clicking it does nothing.
        for text in ("evidence-js-mixed-case", "evidence-data-html"):
            item = learner.page.locator("li").filter(has_text=text)
            if item.count():
                assert item.locator("a").count() == 0, f"{text} is a link"
                item.first.click()
                learner.check("badge-clicked")
        js = learner.page.get_by_text(world.payload("evidence-js"), exact=False)
        if js.count():
            js.first.click()
            assert learner.page.url.endswith(credential_id)
            learner.check("badge-js-evidence", shows=(world.payload("evidence-js"),
                                                      world.payload("evidence-narrative")))
    assert data_images >= 2, "the data: images (badge and issuer logo) are not shown"
    learner.goto(f"{base}/credentials/{ids[0]}/delete", "delete-confirm")

    # Reflected input: search words, tag and issuer filters.
    words = world.payload("search")
    learner.goto(f"{base}/credentials?q={quote(words)}&tag={quote(words)}&issuer={quote(words)}", "search",
                 shows=(words,))
    learner.goto(f"{base}/shares/new?q={quote(words)}", "share-search", shows=(words,))

    # A share with a payload note, seen by the learner and by an employer (HTML and JSON).
    learner.goto(base + "/shares/new", "share-new")
    boxes = learner.page.locator('input[type="checkbox"][name="credential"]')
    for index in range(boxes.count()):
        boxes.nth(index).check()
    note = world.payload("note")[:180]
    learner.page.get_by_label("Note shown on the page (optional)").fill(note)
    learner.submit("Create the link", "share-made", shows=(note,))
    share_url = learner.page.locator(".notice a.share-url").inner_text().strip()
    learner.goto(base + "/shares", "shares", shows=(note,))
    probe = employer.goto(share_url, "share-page", shows=(note, *names))
    assert any(src.startswith("data:image/") for src in probe["images"])
    response = employer.page.goto(share_url + ".json")
    assert response is not None and response.ok and "json" in response.headers["content-type"]
    employer.check("share-json")
    employer.goto(base + "/signup", "signup")
    employer.goto(base + "/s/" + quote("<script>alert(1)</script>"), "share-unknown", status=404)
    world.share_url = share_url

    # Receive: a hostile offer link and a hostile file name come back inert in the error and the report.
    learner.goto(base + "/receive", "receive")
    offer = "openid-credential-offer://?credential_offer=" + quote(world.payload("offer"))
    learner.page.get_by_label("Offer link").fill(offer)
    learner.submit("Receive the badge", "offer-refused")
    learner.goto(base + "/receive", "receive-again")
    bad = Path(learner.shots) / '"><img src=x onerror=alert(1)>{{7*7}}.json'
    bad.write_text(json.dumps({"name": world.payload("file-content")}))
    learner.page.locator("input#files").set_input_files(str(bad))
    # Chromium sends the quote as %22; the rest of the name comes back as text.
    learner.submit("Upload and add to my wallet", "upload-report", shows=("><img src=x onerror=alert(1)>{{7*7}}.json",))
    learner.goto(base + "/account", "account")
    learner.goto(base + "/import", "import")
    assert len(learner.checked) + len(employer.checked) >= 15


def test_verifier_pages(people: dict[str, Person], world: World) -> None:
    """The verifier's page: a pasted attacker credential, pasted garbage, a share link, an uploaded file."""
    employer = people["verifier-user"]
    base = world.verifier
    employer.goto(base + "/", "index", shows=(world.payload("registry-label"),))  # The operator's registry label.
    employer.page.get_by_label("Credential, presentation (JSON) or JWT").fill(json.dumps(world.attacker_credential))
    probe = employer.submit("Check what I pasted", "pasted-report",
                            shows=(world.attacker_badges[0], world.payload("attacker-issuer"), world.payload("evidence-js")))
    assert not any("javascript" in href.lower() for href in probe["links"])
    employer.page.get_by_text("evidence-js-mixed-case").first.click()  # Text, not a link: nothing happens.
    employer.check("pasted-report-clicked")

    employer.goto(base + "/", "index-again")
    garbage = world.payload("pasted")
    employer.page.get_by_label("Credential, presentation (JSON) or JWT").fill(garbage)
    employer.submit("Check what I pasted", "pasted-garbage")

    if world.share_url:  # Made by test_wallet_pages (not there when this test runs alone).
        employer.goto(base + "/", "index-link")
        employer.page.get_by_label("Share link", exact=True).fill(world.share_url)
        probe = employer.submit("Check the link", "link-report", shows=(world.node_badge, *world.attacker_badges))
        assert any(src.startswith("data:image/") for src in probe["images"]), "no data: image in the report"
        assert "impersonation suspected" in probe["text"].lower()
        assert "remote address" in probe["text"]  # The http: badge image is named, never loaded.

    employer.goto(base + "/", "index-upload")
    upload = Path(employer.shots) / '"><svg onload=alert(1)>{{7*7}}.json'
    upload.write_text(json.dumps(world.attacker_credential))
    employer.page.get_by_label("Badge file").set_input_files(str(upload))
    employer.submit("Check the file", "upload-report", shows=(world.attacker_badges[0],))
    employer.goto(base + "/" + quote("<script>alert(1)</script>"), "not-found", status=404)
