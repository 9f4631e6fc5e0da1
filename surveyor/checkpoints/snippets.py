"""Ready-to-copy examples of firing a checkpoint (curl, Python httpx, JavaScript fetch),
shown on the checkpoint's page with its real key and this instance's address."""

from __future__ import annotations

import json


def event_body(checkpoint_key: str) -> dict[str, object]:
    return {
        "checkpoint": checkpoint_key,
        "contact": {"id": "cus_123", "email": "ana@example.com", "name": "Ana"},
        "properties": {"order_id": "A-1001"},
        "idempotency_key": f"{checkpoint_key}:A-1001",
    }


def snippets(base_url: str, checkpoint_key: str) -> dict[str, str]:
    """``curl``, ``python`` and ``javascript`` examples of ``POST /api/v1/events``."""
    url = base_url.rstrip("/") + "/api/v1/events"
    body = json.dumps(event_body(checkpoint_key), indent=2)
    pybody = body.replace("true", "True").replace("false", "False").replace("null", "None")
    return {
        "curl": (
            f"curl -X POST {url} \\\n"
            '  -H "Authorization: Bearer $SURVEYOR_API_KEY" \\\n'
            '  -H "Content-Type: application/json" \\\n'
            f"  -d '{json.dumps(event_body(checkpoint_key))}'"
        ),
        "python": (
            "import os\n\nimport httpx\n\n"
            f"response = httpx.post(\n    {url!r},\n"
            '    headers={"Authorization": f"Bearer {os.environ[\'SURVEYOR_API_KEY\']}"},\n'
            f"    json={pybody.replace(chr(10), chr(10) + '    ')},\n)\n"
            'response.raise_for_status()\nprint(response.json()["decision"])'
        ),
        "javascript": (
            f'const response = await fetch("{url}", {{\n'
            '  method: "POST",\n'
            "  headers: {\n"
            "    Authorization: `Bearer ${process.env.SURVEYOR_API_KEY}`,\n"
            '    "Content-Type": "application/json",\n'
            "  },\n"
            f"  body: JSON.stringify({body.replace(chr(10), chr(10) + '  ')}),\n"
            "});\n"
            "console.log((await response.json()).decision);"
        ),
    }
