"""Data files the security checks read (see README.md beside this file)."""
