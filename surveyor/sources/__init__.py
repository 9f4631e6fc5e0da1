"""Inbound sources: other systems' signed webhooks fire checkpoints (issue 14)."""
