"""Public network helpers for every channel plugin (and the core's webhooks).

- :mod:`surveyor.net.guard`: the server-side request forgery guard (``check_url``).
- :mod:`surveyor.net.client`: ``GuardedClient``, an async HTTP client that only calls
  checked addresses, pinned, without redirects, with timeouts and a size cap.
- :mod:`surveyor.net.signing`: Standard Webhooks signatures.
"""
