"""Find ``<repo>/../shared/data`` for tests: skip with a clear message when absent, fail when CI=true."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def require_shared(relative: str, purpose: str) -> Path:
    """Return ``../shared/data/<relative>``; skip when it is missing, or fail when CI=true (CI must run it)."""
    path = SHARED_DATA / relative
    if path.exists():
        return path
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{path} is missing: CI must run {purpose}")
    pytest.skip(f"{path} not present (../shared/data is only beside the checkout in development and CI)")
