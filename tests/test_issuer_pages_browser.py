"""The evidence workflow in real Chromium with JavaScript off: labels, keyboard, alt text, heading order.

Driven the way an assistive technology finds things: every field by its label,
every button by its accessible name. Skips with one line when Playwright or
Chromium is not installed.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from evidence_harness import PDF, EvidenceNode, evidence_node, smtp  # noqa: F401

playwright_api = pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt install chromium)")]


@pytest.fixture
async def browser_page() -> AsyncIterator[Any]:
    async with playwright_api.async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = await browser.new_context(java_script_enabled=False)
            yield await context.new_page()
        finally:
            await browser.close()


async def _check_structure(page: Any) -> None:
    """One h1, no heading level skipped, every image with alt text, every field with a label."""
    levels = [int(tag[1]) for tag in await page.locator("h1, h2, h3, h4, h5, h6").evaluate_all(
        "els => els.map(e => e.tagName)")]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    assert await page.locator("img:not([alt])").count() == 0
    unlabelled = await page.locator("input:not([type=hidden]), textarea, select").evaluate_all(
        "els => els.filter(e => !(e.labels && e.labels.length)).map(e => e.name)")
    assert unlabelled == []


async def test_apply_and_review_in_a_browser_without_javascript(evidence_node: EvidenceNode, browser_page: Any,
                                                                tmp_path: Path) -> None:
    node, page = evidence_node, browser_page
    achievement = await node.define()
    await page.goto(f"{node.url}/achievements/{achievement['key']}/apply")
    await _check_structure(page)
    await page.keyboard.press("Tab")
    assert await page.locator(":focus").inner_text() == "Skip to main content"

    plan = tmp_path / "lesson-plan.pdf"
    plan.write_bytes(PDF)
    await page.get_by_label("Your name").fill("Ana <b>Ruiz</b>")
    await page.get_by_label("Your email address").fill("ana@school.example")
    await page.get_by_label("Evidence link 1").fill("https://video.example/ana-lesson")
    await page.get_by_label("Files (optional)").set_input_files(str(plan))
    await page.get_by_label("Narrative (optional)").fill("I built a lesson on the dashboard.")
    await page.get_by_label("Narrative (optional)").focus()
    await page.keyboard.press("Tab")  # The submit button is next in the keyboard order.
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/applications/*?key=*")
    status_url = page.url
    await _check_structure(page)
    assert await page.get_by_text("Waiting for a reviewer.").count() == 1
    assert await page.get_by_text("Ana <b>Ruiz</b>", exact=False).count() >= 1  # Shown as text, not markup.

    await page.goto(f"{node.url}/admin/login")
    await _check_structure(page)
    await page.get_by_label("Email").fill(node.reviewer_email)
    await page.get_by_label("Password").fill(node.reviewer_password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/admin/applications")
    await _check_structure(page)
    await page.get_by_role("link", name="Ana <b>Ruiz</b>").click()
    await _check_structure(page)
    await page.get_by_role("group", name="Criterion 1: Builds a lesson plan on a class dashboard") \
        .get_by_label("Meets", exact=True).check()
    await page.get_by_label("Approve and send the badge offer").check()
    await page.get_by_role("button", name="Record the decision").click()
    await page.wait_for_load_state()

    await page.goto(status_url)
    await _check_structure(page)
    assert await page.get_by_text("Approved. Your badge is ready to claim.").count() == 1
    offer_link = page.get_by_role("link", name="Open the offer in your wallet")
    assert (await offer_link.get_attribute("href") or "").startswith("openid-credential-offer://")
    assert await page.get_by_alt_text("QR code of the badge offer, for scanning with a wallet app").count() == 1
