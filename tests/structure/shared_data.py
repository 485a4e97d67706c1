"""Locate ../shared/data for the structure tests: skip when absent, fail when CI=true."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = REPO.parent / "shared" / "data"


def shared_data() -> Path:
    """Return the shared data directory, skipping (or failing under CI=true) when it is missing."""
    if (SHARED_DATA / "events" / "dev.jsonl").exists():
        return SHARED_DATA
    message = f"shared test data not found at {SHARED_DATA} (place ../shared/data beside the checkout)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)
