"""Loaded by every Python subprocess the tests start (via PYTHONPATH): no network but loopback."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from netguard import install

install()
