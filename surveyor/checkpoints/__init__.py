"""Journey checkpoints, the contact policy and the trigger API (``POST /api/v1/events``)."""
