"""The network seam: ``Fetcher`` turns URLs into ``Page`` records politely and safely."""

from ingest.fetch.errors import FetchRefused
from ingest.fetch.fetcher import Fetcher, host_key, origin_of
from ingest.fetch.guard import AddressGuard

__all__ = ["AddressGuard", "FetchRefused", "Fetcher", "host_key", "origin_of"]
