"""Debian packages the tests need (Chromium, the PostgreSQL server), installed when missing and we are root.

The tests never download a browser or a database of their own: they use the system's, and
on a fresh machine ``apt-get install`` provides it. Where that cannot be done, the caller
skips with the reason this returns (or fails under ``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable


def apt_get(*args: str) -> bool:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    try:
        return subprocess.run(["apt-get", *args], check=False, env=env, capture_output=True,
                              timeout=900).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def install(package: str, what: str, present: Callable[[], bool]) -> str | None:
    """Install ``package`` unless ``present()``; None when it is there afterwards, else why it is not."""
    if present():
        return None
    if shutil.which("apt-get") is None:
        return f"{what} is missing and this system has no apt-get to install it"
    if os.geteuid() != 0:
        return f"{what} is missing; install it with 'sudo apt-get install -y {package}' (the tests are not root)"
    if not apt_get("install", "-y", package) and not (apt_get("update") and apt_get("install", "-y", package)):
        return f"{what} is missing and 'apt-get install -y {package}' failed"
    return None if present() else f"'apt-get install {package}' did not provide {what}"
