"""Branding: the workspace brand and per-survey overrides (docs/branding.md)."""
