"""Invitations: one owner for the ``invitations`` table (models, store, jobs, API)."""
