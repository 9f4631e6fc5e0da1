"""Outgoing webhooks: subscriptions (``/api/v1/webhooks``) and the events they receive.

Events are enqueued in the outbox inside the transaction that caused them (or right
after it, for hooks that run after commit), one job per matching subscription, and
delivered by the worker through the webhook channel: Standard Webhooks signatures,
SSRF rules, retries. See ``events.py`` for the payloads.
"""
