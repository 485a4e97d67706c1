"""The web page and JSON API: ``create_app(WebServices(backend=...))`` builds the FastAPI app."""

from search.web.app import create_app
from search.web.services import ArchivedCopy, WebServices

__all__ = ["ArchivedCopy", "WebServices", "create_app"]
