"""Fictional demo and synthetic data, kept out of the production apps (issue 22)."""
