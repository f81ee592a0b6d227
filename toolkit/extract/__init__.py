"""Annotators: pure functions from a parsed article to records (no I/O)."""
