"""Evaluations of the toolkit's annotation layers against public gold data."""
