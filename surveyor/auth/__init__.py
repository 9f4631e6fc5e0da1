"""Staff accounts, sessions, CSRF, API keys and the audit log."""
