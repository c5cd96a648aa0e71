"""What every browser step checks: a screenshot, no console errors, and a basic accessibility audit.

The audit is written here (no axe-core download): the page has a ``lang``
attribute and exactly one ``h1``; headings never skip a level (the first is an
``h1``); every ``img`` has an ``alt`` attribute; every input, select and
textarea a person fills in has a label (``<label for>``, a wrapping label,
``aria-label`` or ``aria-labelledby``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AUDIT_JS = """() => {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang || !lang.trim()) problems.push('the html element has no lang attribute');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`the page has ${h1} h1 headings, not one`);
  let previous = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const level = Number(h.tagName[1]);
    if (level > previous + 1) {
      problems.push(`heading h${level} "${h.textContent.trim().slice(0, 60)}" follows h${previous}`);
    }
    previous = level;
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`an img without alt: ${img.getAttribute('src').slice(0, 80)}`);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(type)) continue;
    const label = (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby')
      || (el.labels && el.labels.length > 0);
    if (!label) problems.push(`${el.tagName.toLowerCase()} name="${el.name}" has no label`);
  }
  return problems;
}"""


@dataclass
class Steps:
    """Screenshots numbered in the order the story happens, in one folder under the test's tmp_path."""

    folder: Path
    count: int = 0
    audited: list[str] = field(default_factory=list)

    def check(self, page: Any, name: str, errors: list[str]) -> None:
        """Screenshot the page, then assert it logged no console error and passes the audit."""
        self.count += 1
        page.wait_for_load_state("load")
        page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)
        assert errors == [], f"console errors on {page.url} ({name}): {errors}"
        problems = page.evaluate(AUDIT_JS)
        assert problems == [], f"accessibility problems on {page.url} ({name}): {problems}"
        self.audited.append(page.url)


def watch_console(page: Any) -> list[str]:
    """The console errors and uncaught exceptions of ``page`` (a list that grows as they happen)."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The console names no URL for a failed load; this says which one it was.
    page.on("response", lambda response: errors.append(f"HTTP {response.status} for {response.url}")
            if response.status >= 400 else None)
    return errors
