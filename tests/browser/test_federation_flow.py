"""The federation story in a real browser, against the demo's four real servers.

A teacher applies for a badge on district A's page; a reviewer approves it; the
teacher claims the offer in the wallet and makes a share link; an employer
checks the link on the verifier page (every badge verified, both issuers named
by the registry); the district revokes a badge, the wallet refreshes, and the
employer sees it revoked; the verifier page reads an uploaded baked PNG.
Each step saves a screenshot, logs no console error and passes the audit in
``pagecheck``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from demo_support import RunningDemo

from browser.pagecheck import Steps, watch_console
from credentials.baking import bake_png
from wallet.testing import tiny_png

pytestmark = pytest.mark.slow

DISTRICT_A = "Lakeside Unified School District"
DISTRICT_B = "Pine Valley School District"
APPLIED_FOR = "Nearpod Interactive Lessons"
REVOKED = "Padlet Collaboration Walls"  # One of the badges the demo teacher already held.
TEACHER_NAME = "Jordan Rivera"


class Person:
    """One person at one browser: their own cookies, their own page, their own console."""

    def __init__(self, browser: Any, steps: Steps, name: str) -> None:
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.errors = watch_console(self.page)
        self.steps = steps
        self.name = name

    def step(self, what: str) -> None:
        self.steps.check(self.page, f"{self.name}-{what}", self.errors)

    def goto(self, url: str, what: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.ok, f"{url}: {response.status if response else 'no response'}"
        self.step(what)

    def submit(self, button: str, what: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()
        self.step(what)

    def close(self) -> None:
        self.context.close()


def _sign_in_operator(person: Person, base: str, email: str, password: str) -> None:
    person.goto(base + "admin/login", "sign-in")
    person.page.get_by_label("Email").fill(email)
    person.page.get_by_label("Password").fill(password)
    person.submit("Sign in", "signed-in")
    assert "/admin" in person.page.url and "/admin/login" not in person.page.url


def _verify_link(employer: Person, demo: RunningDemo, what: str) -> Any:
    employer.goto(demo.urls["verifier"], f"{what}-verifier")
    employer.page.get_by_label("Share link", exact=True).fill(demo_share(employer))
    employer.submit("Check the link", f"{what}-report")
    return employer.page.locator("article.badge")


def demo_share(person: Person) -> str:
    url = getattr(person, "share_url", None)
    assert url, "no share link was made"
    return str(url)


def _badge(articles: Any, name: str) -> Any:
    found = articles.filter(has=articles.page.get_by_role("heading", name=name, exact=True))
    assert found.count() == 1, f"no single badge {name!r} in the report"
    return found


def test_teacher_reviewer_employer_and_revocation(browser: Any, demo: RunningDemo, tmp_path: Path) -> None:
    steps = Steps(tmp_path)
    teacher = Person(browser, steps, "teacher")
    reviewer = Person(browser, steps, "reviewer")
    employer = Person(browser, steps, "employer")
    try:
        # 1. The teacher applies on district A's public page, with a link and a narrative as evidence.
        teacher.goto(demo.urls["issuer-a"], "district-a-home")
        with teacher.page.expect_navigation():
            teacher.page.get_by_role("link", name=APPLIED_FOR).click()
        teacher.step("apply-page")
        teacher_email, teacher_password = demo.login("wallet", "teacher")
        teacher.page.get_by_label("Your name").fill(TEACHER_NAME)
        teacher.page.get_by_label("Your email address").fill(teacher_email)
        teacher.page.get_by_label("Evidence link 1").fill("https://example.org/lessons/nearpod-fractions")
        teacher.page.get_by_label("Narrative (optional)").fill(
            "A Nearpod lesson on fractions with a poll, a quiz and a drawing activity; the report showed two "
            "misconceptions that I retaught the next day.")
        teacher.submit("Submit my application", "applied")
        status_url = teacher.page.url
        assert "/applications/" in status_url

        # 2. A reviewer of district A signs in, opens the queue and approves the application.
        _sign_in_operator(reviewer, demo.urls["issuer-a"], *demo.login("issuer-a", "reviewer"))
        reviewer.goto(demo.urls["issuer-a"] + "admin/applications", "queue")
        with reviewer.page.expect_navigation():
            reviewer.page.get_by_role("link", name=TEACHER_NAME).click()
        reviewer.step("application")
        assert "nearpod-fractions" in reviewer.page.content()
        reviewer.page.locator('input[name="score_0"]').first.check()
        reviewer.page.get_by_label("Approve and send the badge offer").check()
        reviewer.page.get_by_label("Feedback to the applicant").fill("A clear lesson with three activities.")
        reviewer.submit("Record the decision", "approved")

        # 3. The teacher's status page now holds the offer; the wallet claims it and makes a share link.
        teacher.goto(status_url, "offer")
        offer = teacher.page.locator("pre").filter(has_text="openid-credential-offer://").inner_text().strip()
        teacher.goto(demo.urls["wallet"] + "login", "wallet-sign-in")
        teacher.page.get_by_label("Email").fill(teacher_email)
        teacher.page.get_by_label("Password").fill(teacher_password)
        teacher.submit("Log in", "wallet-home")
        teacher.goto(demo.urls["wallet"] + "receive", "receive")
        teacher.page.get_by_label("Offer link").fill(offer)
        teacher.submit("Receive the badge", "received")
        assert APPLIED_FOR in teacher.page.content()
        teacher.goto(demo.urls["wallet"] + "shares/new", "new-share")
        boxes = teacher.page.locator('input[type="checkbox"][name="credential"]')
        assert boxes.count() == 5  # Four from the demo, one just claimed.
        for index in range(boxes.count()):
            boxes.nth(index).check()
        teacher.page.get_by_label("Note shown on the page (optional)").fill("For the instructional coach post")
        teacher.submit("Create the link", "share-made")
        teacher.share_url = teacher.page.locator(".notice a.share-url").inner_text().strip()  # type: ignore[attr-defined]
        employer.share_url = teacher.share_url  # type: ignore[attr-defined]  # The teacher sends it.

        # 4. The employer opens the link, then checks it on the verifier page.
        employer.goto(demo_share(employer), "share-page")
        assert employer.page.locator("li.badge").count() == 5
        articles = _verify_link(employer, demo, "first")
        assert articles.count() == 5
        for index in range(5):
            badge = articles.nth(index)
            assert badge.locator(".verdict").get_attribute("class") == "verdict verified", badge.inner_text()
            assert badge.locator(".trust strong").inner_text() == "Trusted"
            assert badge.locator(".status").get_attribute("class") == "status status-passed"
        named = {articles.nth(i).locator(".badge-facts strong").first.inner_text() for i in range(5)}
        assert named == {DISTRICT_A, DISTRICT_B}
        assert "Verified" in employer.page.locator("#headline").inner_text()

        # 5. District A's administrator revokes one of the teacher's badges.
        admin = Person(browser, steps, "admin")
        try:
            _sign_in_operator(admin, demo.urls["issuer-a"], *demo.login("issuer-a", "admin"))
            # Cookies ignore ports: signing in to district B in the same browser must not end the
            # district A session (each node's cookies have names of their own).
            _sign_in_operator(admin, demo.urls["issuer-b"], *demo.login("issuer-b", "admin"))
            admin.goto(demo.urls["issuer-a"] + "admin/credentials", "register")
            assert "/admin/login" not in admin.page.url
            entry = admin.page.locator("section").filter(
                has=admin.page.get_by_role("heading", name=f"{REVOKED}: {TEACHER_NAME}"))
            assert entry.count() == 1
            entry.get_by_label("Change").select_option("revoke")
            entry.get_by_label("Reason").fill("Issued in error: the workshop was not completed.")
            with admin.page.expect_navigation():
                entry.get_by_role("button", name="Apply").click()
            admin.step("revoked")
            assert "revoked" in entry.inner_text()
        finally:
            admin.close()

        # 6. The wallet refreshes (the teacher asks for it through the wallet's API) and re-signs the share.
        wallet = demo.urls["wallet"]
        token = teacher.context.request.post(wallet + "api/tokens", data=json.dumps(
            {"email": teacher_email, "password": teacher_password}), headers={"Content-Type": "application/json"})
        assert token.status == 201, token.text()
        refresh = teacher.context.request.post(wallet + "api/status/refresh",
                                               headers={"Authorization": f"Bearer {token.json()['token']}"})
        assert refresh.status == 202, refresh.text()
        deadline = time.monotonic() + 60
        while not _revoked_in_share_page(employer, demo_share(employer)):
            assert time.monotonic() < deadline, "the share never showed the revocation"
            time.sleep(0.5)

        # 7. The employer checks again: the revoked badge is revoked, the others are still verified.
        employer.goto(demo_share(employer), "share-page-after-revocation")
        articles = _verify_link(employer, demo, "second")
        revoked = _badge(articles, REVOKED)
        assert revoked.locator(".status").get_attribute("class") == "status status-failed"
        assert "Revoked by the issuer" in revoked.locator(".status").inner_text()
        assert revoked.locator(".verdict").get_attribute("class") == "verdict not-verified"
        still = _badge(articles, APPLIED_FOR)
        assert still.locator(".verdict").get_attribute("class") == "verdict verified"
        assert "Not verified" in employer.page.locator("#headline").inner_text()

        # 8. The same revoked badge on its own, without any status list: "not checked", never a tick.
        presentation = employer.context.request.get(demo_share(employer), headers={"Accept": "application/json"}).json()
        alone = next(c for c in presentation["verifiableCredential"]
                     if "OpenBadgeCredential" in c["type"] and c["credentialSubject"]["achievement"]["name"] == REVOKED)
        employer.goto(demo.urls["verifier"], "third-verifier")
        employer.page.get_by_label("Credential, presentation (JSON) or JWT").fill(json.dumps(alone))
        employer.submit("Check what I pasted", "pasted-without-list")
        status = employer.page.locator("article.badge .status")
        assert status.get_attribute("class") == "status status-not-checked"
        assert status.inner_text().startswith("Not checked")
    finally:
        for person in (teacher, reviewer, employer):
            person.close()
    assert len(steps.audited) >= 20


def _revoked_in_share_page(person: Person, url: str) -> bool:
    page = person.context.request.get(url, headers={"Accept": "text/html"}).text()
    return "state-revoked" in page


def test_verifier_page_reads_an_uploaded_baked_png(browser: Any, demo: RunningDemo, tmp_path: Path) -> None:
    steps = Steps(tmp_path)
    employer = Person(browser, steps, "employer")
    try:
        presentation = employer.context.request.get(demo.urls["share"], headers={"Accept": "application/json"}).json()
        credential = next(c for c in presentation["verifiableCredential"] if "OpenBadgeCredential" in c["type"]
                          and c["issuer"]["name"] == DISTRICT_B)
        baked = tmp_path / "badge.png"
        baked.write_bytes(bake_png(tiny_png(), credential))
        employer.goto(demo.urls["verifier"], "verifier")
        employer.page.get_by_label("Badge file").set_input_files(str(baked))
        employer.submit("Check the file", "baked-png-report")
        report = employer.page.locator("article.badge")
        assert report.count() == 1
        assert report.locator(".verdict").get_attribute("class") == "verdict verified"
        assert report.locator(".badge-facts strong").first.inner_text() == DISTRICT_B
        assert "PNG" in employer.page.locator(".report .hint").first.inner_text()
    finally:
        employer.close()
