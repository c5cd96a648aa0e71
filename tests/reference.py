"""Where the official vectors live, and what to do when they are absent.

The vectors are read at run time from ``../shared/reference`` (DESIGN.md §6),
never copied into the project. On a fresh clone they are missing and the tests
that need them skip with one clear line; under ``CI=true`` a missing folder is
a failure, so CI always checks them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "reference"


def reference_dir() -> Path:
    """Return ``../shared/reference``; skip the test (or fail it under CI=true) if it is absent."""
    if REFERENCE_DIR.is_dir():
        return REFERENCE_DIR
    message = "../shared/reference not found: official vectors not checked"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
