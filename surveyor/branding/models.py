"""The brand a customer sees: stored settings, and the resolved look pages and emails use."""

from __future__ import annotations

import msgspec

WORKSPACE = "workspace"  # the scope of the workspace brand; a survey's scope is its id
DEFAULT_PRIMARY = "#0b5cad"
DEFAULT_ON_PRIMARY = "#ffffff"


class BrandSettings(msgspec.Struct, frozen=True, kw_only=True):
    """One row of ``brands``: what an admin (workspace) or a designer (survey) chose.

    An empty string means "not set here": a survey falls back to the workspace, the
    workspace to Surveyor's defaults.
    """

    scope: str
    name: str = ""
    logo_url: str = ""  # an https URL the admin gave
    logo_id: str = ""  # an uploaded logo (``brand_logos``); wins over ``logo_url``
    primary_color: str = ""  # "#rrggbb", checked for contrast when saved
    font_stack: str = ""
    updated_at: str = ""
    updated_by: str | None = None


class Logo(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    content_type: str
    data: bytes
    size: int


class BrandLook(msgspec.Struct, frozen=True, kw_only=True):
    """The brand as shown: every field filled (name may be empty: wording reads without it)."""

    name: str = ""
    logo_src: str = ""  # absolute URL (emails) or site path
    primary: str = DEFAULT_PRIMARY
    on_primary: str = DEFAULT_ON_PRIMARY
    link: str = DEFAULT_PRIMARY  # text in the brand's colour on white, or dark if that fails 4.5:1
    font_stack: str = ""

    @property
    def style(self) -> str:
        """CSS custom properties for a ``style`` attribute (values were checked when saved)."""
        parts = [f"--accent:{self.primary}", f"--accent-ink:{self.on_primary}"]
        if self.font_stack:
            parts.append(f"--brand-font:{self.font_stack}")
        return ";".join(parts)

    @property
    def custom(self) -> bool:
        return bool(self.name or self.logo_src or self.primary != DEFAULT_PRIMARY)
