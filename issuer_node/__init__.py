"""Placeholder: the issuer_node server is built on credentials/ and verifier/ (see DESIGN.md)."""
