"""Bundled JSON-LD contexts and JSON Schemas: data only, pinned by sha256 in a manifest.

The files under ``contexts/`` are obtained from package registries by
``scripts/refresh_schemas.py``; nothing here is fetched at run time.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CONTEXTS_DIR = PACKAGE_DIR / "contexts"
CONTEXTS_MANIFEST = CONTEXTS_DIR / "manifest.json"
OB3_SCHEMA_DIR = PACKAGE_DIR / "ob3"
