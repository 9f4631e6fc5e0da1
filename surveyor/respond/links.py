"""What a share link offers besides its address: a QR code (SVG, PNG), an embed snippet
and an email snippet with the first question's scale as links.

The QR endpoints (``/p/{slug}/qr.svg``, ``/p/{slug}/qr.png``) are public like the link
itself: whoever can open the link may draw it.
"""

from __future__ import annotations

import io
from html import escape
from typing import TYPE_CHECKING, Any

from surveyor.respond import flow
from surveyor.respond.models import PublicLink
from surveyor.surveys import logic
from surveyor.surveys.kinds import KindRegistry

if TYPE_CHECKING:
    import segno

# The message an embedded survey posts to its host page when it is finished.
COMPLETED_MESSAGE = "surveyor:response-completed"


def link_url(settings: Any, slug: str) -> str:
    return settings.url(f"/p/{slug}")


def qr_code(url: str) -> segno.QRCode:
    # Medium error correction: still readable when printed small or slightly smudged.
    import segno  # here: only the share dialog's QR codes need it

    return segno.make_qr(url, error="m")


def qr_svg(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=8, border=4, xmldecl=True, title=url)
    return out.getvalue()


def qr_png(url: str) -> bytes:
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=8, border=4)
    return out.getvalue()


def embed_html(url: str, title: str = "Survey") -> str:
    """An ``<iframe>`` of the embed layout (no chrome); it posts ``COMPLETED_MESSAGE``."""
    return (
        f'<iframe src="{escape(url)}?embed=1" title="{escape(title)}" width="100%"'
        ' height="520" style="border:0;max-width:640px" loading="lazy"></iframe>'
    )


def email_html(url: str, definition: Any, kinds: KindRegistry) -> str:
    """HTML to paste into another email tool: the first question with its scale as links
    (each opens the survey with that score chosen); a plain button when it has no scale."""
    step = flow.first_step(definition, {})
    question = step.questions[0] if step is not None and step.questions else None
    kind = kinds.get(question.kind) if question is not None else None
    bounds = kind.numeric_range(question) if kind is not None and question is not None else None
    button = (
        f'<p><a href="{escape(url)}" style="display:inline-block;padding:12px 20px;'
        "background:#0b5cad;color:#ffffff;border-radius:6px;text-decoration:none;"
        'font-weight:600;">Answer the survey</a></p>'
    )
    if question is None or bounds is None:
        return button
    default = definition.default_locale
    text = logic.text_for(question.text, default, default) or logic.text_for(
        kind.default_text, "en", "en"
    )
    # Pasted into another tool and read by customers: "{brand}" filled in or worded away.
    text = logic.recall_plain(
        text, brand=logic.text_for(definition.settings.brand, default, default)
    )
    cells = "".join(
        f'<td style="padding:2px;"><a href="{escape(url)}?score={n}" style="display:inline-block;'
        "min-width:28px;padding:9px 4px;text-align:center;border:1px solid #8c959f;"
        f'border-radius:6px;color:#0b5cad;font-weight:600;text-decoration:none;">{n}</a></td>'
        for n in range(bounds[0], bounds[1] + 1)
    )
    return (
        f'<p style="font-size:17px;font-weight:600;">{escape(text)}</p>'
        f'<table role="presentation" cellpadding="0" cellspacing="0"><tr>{cells}</tr></table>'
    )


def link_json(
    settings: Any, link: PublicLink, responses: int, definition: Any, kinds: KindRegistry
) -> dict[str, Any]:
    url = link_url(settings, link.slug)
    return {
        "id": link.slug,
        "slug": link.slug,
        "survey_id": link.survey_id,
        "url": url,
        "qr_svg_url": f"{url}/qr.svg",
        "qr_png_url": f"{url}/qr.png",
        "embed_html": embed_html(url),
        "email_html": email_html(url, definition, kinds) if definition is not None else "",
        "hidden_fields": link.hidden_fields,
        "active": link.active,
        "expires_at": link.expires_at,
        "max_responses": link.max_responses,
        "checkpoint": link.checkpoint_key,
        "responses": responses,
        "created_at": link.created_at,
    }
