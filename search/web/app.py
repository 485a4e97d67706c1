"""The FastAPI application: JSON API under /api, server-rendered pages, safety headers and clear errors.

    app = create_app(WebServices(backend=open_backend("var/coopwatch.sqlite")), api_key=None)

With an ``api_key`` every route except ``/healthz``, ``/login``, ``/openapi.json`` (no data) and the static
files needs it: API clients
send ``X-API-Key: <key>`` (or ``Authorization: Bearer <key>``); a browser signs in once at ``/login``,
which keeps the key in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import jinja2
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search.web import alerts_pages, api, api_alerts, api_events, pages
from search.web.auth import CrossSite, KeyRequired, key_guard
from search.web.params import BadParameter
from search.web.services import WebServices
from search.web.views import NotFound

HERE = Path(__file__).resolve().parent
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",  # nothing to other sites; this server's own forms keep their Origin
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
MAX_QUERY_STRING = 8_192  # bytes of URL query
MAX_BODY = 16_384  # bytes of request body (/login, saving a watch rule)
JSON_PATHS = ("/api/", "/healthz", "/openapi.json")
log = logging.getLogger("coopwatch.web")


def create_app(services: WebServices, api_key: str | None = None) -> FastAPI:
    """Build the web app over a backend and its crawl-side lookups; ``api_key`` guards every route."""
    app = FastAPI(
        title="coopwatch", version="0.1.0", docs_url=None, redoc_url=None, openapi_url="/openapi.json",
        description="Search city-cooperation event reports (English and Chinese): facets, events, people, "
                    "city pairs and source health. Errors are JSON: {\"error\": {\"status\", \"message\", \"param\"}}.",
        dependencies=[Depends(key_guard(api_key))] if api_key else [],
    )
    app.state.services = services
    app.state.api_key = api_key
    app.state.templates = make_templates(alerts=services.alerts is not None)
    app.include_router(api.router)
    app.include_router(api_events.router)
    app.include_router(api_alerts.router)
    app.include_router(pages.router)
    app.include_router(alerts_pages.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    add_error_handlers(app)
    document_vocabularies(app, services)
    app.add_middleware(BoundedRequests)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so refusals get the headers too
    return app


def make_templates(alerts: bool = False) -> Jinja2Templates:
    """Return the page templates: every value autoescaped, undefined names an error; watch rules in the
    navigation when alerts are set up."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    pages.register_filters(env)
    if alerts:
        env.globals["nav"] = (*pages.NAV, ("/rules", "Watch rules"))
    return Jinja2Templates(env=env)


def document_vocabularies(app: FastAPI, services: WebServices) -> None:
    """List the known event types, topics and channels in the schema, as the enums the filters and rules accept."""
    vocabularies = {"type": services.event_types, "topic": services.topics}
    make_schema = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = make_schema()
            for path in schema["paths"].values():
                for param in path.get("get", {}).get("parameters", []):
                    known = vocabularies.get(param["name"])
                    if known and param["in"] == "query":
                        param["schema"] = {"anyOf": [{"type": "string", "enum": ["", *known]}, {"type": "null"}],
                                           "title": param["schema"].get("title")}
            document_rule_vocabularies(schema, vocabularies, services)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_rule_vocabularies(schema: dict, vocabularies: dict[str, tuple[str, ...]], services: WebServices) -> None:
    """List the configured channels and the known types and topics in the schema of a rule to save."""
    models = schema.get("components", {}).get("schemas", {})
    if services.alerts is not None and "RuleIn" in models:
        from search.web.watch import configured_channels

        names = [c.name for c in configured_channels(services.alerts)]
        models["RuleIn"]["properties"]["channels"]["items"] = {"type": "string", "enum": names}
    for name, known in vocabularies.items():
        if known and "SearchIn" in models:
            field = models["SearchIn"]["properties"][name]
            field["anyOf"] = [{"type": "string", "enum": list(known)}, {"type": "null"}]


# errors ----------------------------------------------------------------------------------------------------


def wants_json(request: Request) -> bool:
    """Tell whether a request is for the API (JSON errors) rather than a page (HTML errors)."""
    return request.url.path.startswith(JSON_PATHS)


def error_response(request: Request, status: int, message: str, param: str | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """Return an error as JSON for the API, or as an error page."""
    if wants_json(request):
        body = {"error": {"status": status, "message": message, **({"param": param} if param else {})}}
        return JSONResponse(body, status_code=status, headers=headers)
    return pages.render(request, "error.html", {"status": status, "message": message}, status, headers)


def add_error_handlers(app: FastAPI) -> None:
    """Turn every failure into a clear JSON (or HTML) error; bad input is a 4xx, never a 500."""

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, exc: BadParameter) -> Response:
        return error_response(request, exc.status, str(exc), exc.param)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {"loc": ("request",), "msg": "invalid request"}
        param = str(first["loc"][-1]) if first.get("loc") else "request"
        message = first["msg"]
        if first.get("type") == "string_pattern_mismatch" and param in ("since", "until"):
            message = f"{str(first.get('input'))[:40]!r} is not a date: use YYYY-MM-DD, YYYY-MM or YYYY"
        return error_response(request, 422, f"{param}: {message}", param)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return error_response(request, 404, str(exc))

    @app.exception_handler(CrossSite)
    async def cross_site(request: Request, exc: CrossSite) -> Response:
        return error_response(request, 403, str(exc))

    @app.exception_handler(KeyRequired)
    async def key_required(request: Request, exc: KeyRequired) -> Response:
        if not wants_json(request) and request.method == "GET":
            return pages.login_redirect(request)
        return error_response(request, 401, "this server needs its API key: send it as the X-API-Key header",
                              headers={"WWW-Authenticate": "ApiKey"})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404:
            message = f"nothing at {request.url.path[:200]}"
        return error_response(request, exc.status_code, message, headers=getattr(exc, "headers", None))

    async def store_unavailable(request: Request, exc: Exception) -> Response:
        log.warning("store unavailable: %s: %s", type(exc).__name__, exc)
        return error_response(request, 503, f"the store cannot be reached ({type(exc).__name__}); try again shortly")

    for kind in store_error_types():
        app.add_exception_handler(kind, store_unavailable)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return error_response(request, 500, "internal error: the server log has the details")


def store_error_types() -> tuple[type[BaseException], ...]:
    """Return the exceptions that mean the store (SQLite or Elasticsearch) could not answer."""
    kinds: list[type[BaseException]] = [sqlite3.Error, ConnectionError]
    try:
        from elastic_transport import TransportError  # connection refused, timeouts (the es extra)
    except ImportError:
        return tuple(kinds)
    return (*kinds, TransportError)


# middleware ------------------------------------------------------------------------------------------------


class SecurityHeaders:
    """Add the Content-Security-Policy and other safety headers to every response that lacks them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BoundedRequests:
    """Refuse an oversized query string (414) or request body (413), or a body of unstated length (411),
    before any work is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def refusal(scope: Scope) -> Response | None:
        """Return the error response for a request over the limits, else None."""
        if len(scope.get("query_string", b"")) > MAX_QUERY_STRING:
            return JSONResponse({"error": {"status": 414, "message": f"query string over {MAX_QUERY_STRING} bytes"}},
                                status_code=414)
        headers = dict(scope.get("headers", []))
        if b"transfer-encoding" in headers:
            return JSONResponse({"error": {"status": 411, "message": "send the request body with a Content-Length"}},
                                status_code=411)
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > MAX_BODY:
            return JSONResponse({"error": {"status": 413, "message": f"request body over {MAX_BODY} bytes"}},
                                status_code=413)
        return None

