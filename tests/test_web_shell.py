"""The web shell: overridable templates, the render helper, static files, errors, health, schema."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from surveyor import hookimpl
from surveyor.app import build_services
from surveyor.paths import STATIC_DIR, TEMPLATES_DIR
from surveyor.plugins import make_plugin_manager
from tests.conftest import app_services, in_app, login, make_user
from tests.plugins import HERE, sample_app_client
from tests.plugins.sample import SECRET_IN_ERROR, SamplePlugin

ROOT = Path(__file__).resolve().parent.parent
HTMX = {"HX-Request": "true"}
CDN = re.compile(r"unpkg|jsdelivr|cdnjs|googleapis|cloudflare|bootstrapcdn|jquery\.com", re.I)
EXTERNAL_ASSET = re.compile(
    r"""<(?:script|link|img)\b[^>]*(?:src|href)=["']?(?:https?:)?//""", re.I
)


@pytest.fixture
def backend() -> str:
    # Rendering does not depend on the database engine; health checks below run on both.
    return "sqlite"


class OverrideErrors:
    """A plugin whose template folder replaces errors/404.html."""

    @hookimpl
    def register_template_dirs(self, register: Any) -> None:
        register(HERE / "override")


# ---------------------------------------------------------------------------
# Templates: operator dir → plugin dirs → defaults, "default:" prefix, candidates
# ---------------------------------------------------------------------------


async def test_an_operator_template_extends_the_default_one(
    make_settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "base.html").write_text(
        '{% extends "default:base.html" %}\n'
        '{% block footer %}<footer id="operator">Run by ACME</footer>{% endblock %}\n'
    )
    settings = make_settings(templates_dir=str(tmp_path))
    async with sample_app_client(settings) as client:
        page = await client.get("/login")
    assert page.status_code == 200
    assert '<footer id="operator">Run by ACME</footer>' in page.text
    assert 'action="/login"' in page.text  # the page itself still comes from the defaults


async def test_the_operator_beats_plugins_and_plugins_beat_defaults(
    make_settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "sample").mkdir()
    (tmp_path / "sample" / "_part.html").write_text('<div id="part">operator {{ count }}</div>')
    settings = make_settings(templates_dir=str(tmp_path))
    async with sample_app_client(settings, SamplePlugin(), OverrideErrors()) as client:
        page = await client.get("/sample/page")
        missing = await client.get("/no-such-page")
    assert '<div id="part">operator 3</div>' in page.text
    assert missing.status_code == 404
    assert '<p id="custom-404">' in missing.text
    # The plugin's page extends the built-in one, which is still there through super().
    assert 'id="error"' in missing.text


def test_the_default_prefix_always_reaches_the_built_in_template(
    make_settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "base.html").write_text("operator base")
    svc = build_services(make_settings(templates_dir=str(tmp_path)))
    assert svc.templates.get_template("base.html").render() == "operator base"
    builtin = svc.templates.get_template("default:base.html")
    assert Path(builtin.filename or "") == TEMPLATES_DIR / "base.html"


def test_candidate_names_pick_the_first_that_exists(settings: Any) -> None:
    svc = build_services(
        settings,
        make_plugin_manager(
            settings.plugin_allow_list, settings.plugins_dir, extra=(SamplePlugin(),)
        ),
    )
    chosen = svc.templates.select_template(["sample/nope.html", "sample/page.html", "base.html"])
    assert chosen.name == "sample/page.html"


async def test_a_candidate_list_renders_the_first_existing_page(settings: Any) -> None:
    async with sample_app_client(settings, SamplePlugin()) as client:
        page = await client.get("/sample/page")
    assert page.status_code == 200
    assert "<h1>Sample page</h1>" in page.text


async def test_error_pages_are_looked_up_by_status_first(
    make_settings: Any, tmp_path: Path
) -> None:
    (tmp_path / "errors").mkdir()
    (tmp_path / "errors" / "404.html").write_text("<p>operator 404: {{ detail }}</p>")
    async with sample_app_client(make_settings(templates_dir=str(tmp_path))) as client:
        page = await client.get("/nowhere")
    assert page.status_code == 404
    assert page.text.startswith("<p>operator 404: ")


# ---------------------------------------------------------------------------
# The render helper: full page, or only the fragment for htmx
# ---------------------------------------------------------------------------


async def test_htmx_requests_get_only_the_fragment(settings: Any) -> None:
    async with sample_app_client(settings, SamplePlugin()) as client:
        full = await client.get("/sample/page")
        fragment = await client.get("/sample/page", headers=HTMX)
        boosted = await client.get("/sample/page", headers={**HTMX, "HX-Boosted": "true"})
    assert "<html" in full.text and '<div id="part">fragment 3</div>' in full.text
    assert fragment.text.strip() == '<div id="part">fragment 3</div>'
    assert fragment.headers["content-type"].startswith("text/html")
    # A boosted link navigates: it gets the whole page.
    assert "<html" in boosted.text


# ---------------------------------------------------------------------------
# Static files and htmx
# ---------------------------------------------------------------------------


async def test_static_urls_carry_a_content_hash_and_are_cached_for_a_year(client: Any) -> None:
    page = await client.get("/login")
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert any(u.startswith("/static/app.css?v=") for u in urls)
    assert any(u.startswith("/static/vendor/htmx-2.0.11/htmx.min.js?v=") for u in urls)
    for url in urls:
        name, _, digest = url.removeprefix("/static/").partition("?v=")
        assert digest == hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
        response = await client.get(url)
        assert response.status_code == 200
        cache = response.headers["cache-control"]
        assert "max-age=31536000" in cache and "immutable" in cache
    css = await client.get(next(u for u in urls if "app.css" in u))
    assert css.headers["content-type"].startswith("text/css")


def test_htmx_is_vendored_at_a_pinned_version_with_its_licence() -> None:
    folder = STATIC_DIR / "vendor" / "htmx-2.0.11"
    assert 'version:"2.0.11"' in (folder / "htmx.min.js").read_text(encoding="utf-8")
    assert "Zero-Clause BSD" in (folder / "LICENSE").read_text(encoding="utf-8")


def test_no_template_loads_anything_from_another_site() -> None:
    folders = [ROOT / "templates", *(ROOT / "plugins").glob("*/templates")]
    offenders = []
    for folder in folders:
        for path in folder.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            if EXTERNAL_ASSET.search(text) or CDN.search(text):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders


async def test_rendered_pages_reference_no_cdn(client: Any) -> None:
    await login(client, await make_user(client, "admin"))
    for path in ("/login", "/dashboard", "/no-such-page"):
        page = await client.get(path)
        assert not EXTERNAL_ASSET.search(page.text), path
        assert not CDN.search(page.text), path


def test_the_stylesheet_is_written_for_small_screens() -> None:
    # The layout is checked at 360 px in tests/e2e; here: the viewport meta and no fixed widths.
    css = (STATIC_DIR / "app.css").read_text(encoding="utf-8")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in (
        TEMPLATES_DIR / "base.html"
    ).read_text(encoding="utf-8")
    widths = [int(w) for w in re.findall(r"(?<![-\w])(?:min-)?width:\s*(\d+)px", css)]
    assert all(w <= 360 for w in widths), widths


# ---------------------------------------------------------------------------
# Errors: HTML pages, htmx fragments, JSON on the API, no tracebacks
# ---------------------------------------------------------------------------


async def test_a_missing_staff_page_is_an_html_page_with_the_navigation(client: Any) -> None:
    await login(client, await make_user(client, "manager"))
    page = await client.get("/surveys-that-do-not-exist")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<html" in page.text and 'class="mainnav"' in page.text
    assert 'id="error"' in page.text


async def test_htmx_errors_are_fragments(client: Any) -> None:
    page = await client.get("/no-such-page", headers=HTMX)
    assert page.status_code == 404
    assert "<html" not in page.text
    assert page.text.lstrip().startswith('<div class="alert error" role="alert" id="error">')


async def test_api_errors_are_json(client: Any) -> None:
    response = await client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status_code"] == 404
    assert isinstance(body["detail"], str)


async def test_a_500_never_shows_the_traceback_or_the_message(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    assert settings.debug is False
    with caplog.at_level(logging.ERROR, logger="surveyor.errors"):
        async with sample_app_client(settings, SamplePlugin()) as client:
            page = await client.get("/sample/boom")
            fragment = await client.get("/sample/boom", headers=HTMX)
            api = await client.get("/api/v1/sample-boom")
    assert page.status_code == fragment.status_code == api.status_code == 500
    for response in (page, fragment, api):
        assert SECRET_IN_ERROR not in response.text
        assert "Traceback" not in response.text
        assert "RuntimeError" not in response.text
    assert "<html" in page.text
    assert "<html" not in fragment.text and 'id="error"' in fragment.text
    problem = api.json()
    assert problem == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "status_code": 500,
        "detail": "internal server error",
        "request_id": api.headers["x-request-id"],
    }
    # The operator still gets the traceback, in the server's log.
    logged = [r for r in caplog.records if r.name == "surveyor.errors" and r.exc_info]
    assert logged and SECRET_IN_ERROR in str(logged[0].exc_info[1])


# ---------------------------------------------------------------------------
# Health and schema
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_healthz_checks_the_database(client: Any, backend: str) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": backend}
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_healthz_is_503_when_the_database_is_gone(client: Any) -> None:
    await in_app(client, app_services(client).db.close)
    response = await client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "error"


async def test_the_openapi_schema_is_served(client: Any) -> None:
    response = await client.get("/schema")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Surveyor API"
    assert "/healthz" in schema["paths"]
    # Staff pages are not part of the API contract.
    assert "/login" not in schema["paths"]


@pytest.mark.parametrize(
    ("headers", "sent", "boosted"),
    [
        ([(b"hx-request", b"true")], True, False),
        ([(b"hx-request", b"true"), (b"hx-boosted", b"true")], True, True),
        ([(b"hx-request", b"false")], False, False),
        ([], False, False),
    ],
)
def test_the_request_tells_htmx_apart_as_litestar_htmx_does(
    headers: list[tuple[bytes, bytes]], sent: bool, boosted: bool
) -> None:
    from litestar_htmx import HTMXRequest

    from surveyor.web.requests import SurveyorRequest

    def scope() -> dict[str, Any]:
        return {"type": "http", "headers": headers, "state": {}, "path": "/", "method": "GET"}

    ours, theirs = SurveyorRequest(scope()), HTMXRequest(scope())  # type: ignore[arg-type]
    assert isinstance(ours, HTMXRequest)
    assert bool(ours.htmx) is bool(theirs.htmx) is bool(ours.htmx) is sent
    assert ours.htmx.boosted is theirs.htmx.boosted is boosted
