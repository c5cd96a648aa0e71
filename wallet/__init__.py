"""Placeholder: the wallet server is built on credentials/ and verifier/ (see DESIGN.md)."""
