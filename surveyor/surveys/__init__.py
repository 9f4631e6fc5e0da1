"""Surveys: definitions, versions, templates and the designer."""
