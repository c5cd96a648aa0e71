"""Satchel verifier: verification policy, its report, the CLI and the service."""
