"""`make run`: serve the bundled demo sites on 127.0.0.1, crawl them into the embedded store, search, alert.

Runs offline. The demo sites listen on fixed ports so that their URLs, and so the document ids, are the
same on every run: a second run only sends conditional requests and writes no duplicates. The ports are
8701-8703, or when those are taken the first free of 8711, 8721, ... (``COOPWATCH_DEMO_PORT_BASE`` sets
them outright).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from coopwatch import cli

DEMO_QUERIES = ("Hong Kong", "沪港")


def main() -> int:
    from coopwatch.demo import use_demo_registry

    use_demo_registry()  # the demo's people: one person under each of their names
    var = Path(os.environ.get("COOPWATCH_VAR", "var"))
    try:
        sites = open_sites(os.environ.get("COOPWATCH_DEMO_PORT_BASE"))
    except OSError as exc:
        print(f"error: cannot listen on 127.0.0.1:{os.environ['COOPWATCH_DEMO_PORT_BASE']}+ ({exc.strerror}); "
              f"set COOPWATCH_DEMO_PORT_BASE to free ports, or unset it to pick free ones", file=sys.stderr)
        return 2
    with sites:
        sources = var / "demo-sources.yaml"
        sources.parent.mkdir(parents=True, exist_ok=True)
        sources.write_text(sites.sources_yaml(), encoding="utf-8")
        os.environ.setdefault("COOPWATCH_ALLOW_HOSTS", "127.0.0.1")
        os.environ.setdefault("COOPWATCH_MIN_DELAY", "0.05")
        print(f"demo sites: {', '.join(f'{k} {v}' for k, v in sites.origins.items())}", flush=True)
        code = cli.main(["--sources", str(sources), "crawl"])
    for query in DEMO_QUERIES:
        print(f"\n$ coopwatch search {query!r} --limit 3", flush=True)
        cli.main(["search", query, "--limit", "3"])
    code = max(code, run_alert_cycle(sources))
    from ingest.settings import Settings

    print(f"\nNext: .venv/bin/coopwatch search --help   (the store is {Settings.load().store})")
    return code


def run_alert_cycle(sources: Path) -> int:
    """Run the alert cycle with the demo's watch rules; messages go to the console channel (stdout)."""
    from coopwatch.demo import DEMO_DIR

    rules = sources.with_name("alerts.yaml")
    rules.write_text((DEMO_DIR / "alerts.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    print(f"\n$ coopwatch alerts run    (watch rules in {rules}; channel: console, i.e. printed here)", flush=True)
    return cli.main(["--sources", str(sources), "alerts", "run"])


def open_sites(port_base: str | None):
    """Bind the demo sites: on the given port base, else on 8701-8703 or the first free fallback (with a note)."""
    from coopwatch.demo import DEFAULT_PORT_BASE, DemoSites, first_free_sites, port_base_of

    if port_base:
        return DemoSites(port_base=int(port_base))
    sites = first_free_sites()
    if port_base_of(sites) != DEFAULT_PORT_BASE:
        print(f"note: ports {DEFAULT_PORT_BASE}-{DEFAULT_PORT_BASE + 2} are taken, so the demo sites use free ports "
              "instead; their pages get other URLs and ids than on 8701 (rm -rf var/ starts the store afresh)",
              flush=True)
    return sites


if __name__ == "__main__":
    sys.exit(main())
