"""Structure event reports (English and Chinese) into EventReport records, and the registries everyone shares.

Rules and registries only: offline, a few milliseconds per page once loaded, and every field keeps the text it came
from in ``EventReport.evidence`` (speakers keep theirs in ``Speaker.evidence``). English and Chinese have separate
rule sets (``people_en`` / ``people_zh``); Chinese is matched on a simplified-script copy of the text so traditional
pages work too, while values are returned as written.

Public API (keep it small; the grouper, search filters and the CLI call only these):

    parse_event_report(article) -> EventReport   # status "held" (is_event_report True), "announced" or None
    structure_html(html, url=None, language=None) -> dict   # the crawl's own path: extract_article + parse
    structure_page(body_bytes, url=None, language=None) -> dict  # the same, decoding bytes as the fetcher does
    report_to_json(report) -> dict               # the public JSON format (JSON_KEYS)

    person_key(name) -> "person:<key>"           # 梁振英 = Leung Chun-ying = C.Y. Leung
    person(name) -> Person | None                # registered person: names, titles over time
    org_key(name) -> "org:<key>"                 # SASS = 上海社会科学院 = Shanghai Academy of Social Sciences
    organisation(name) -> Organisation | None    # registered organisation: names, English name, parent key
    place_name(name) -> str | None               # canonical English name of a place in any script: 滬 -> Shanghai
    place_key(name) -> "place:<slug>" | None     # the same as a key: 香港 / HKSAR / Hong Kong -> place:hong-kong
    find_places(text) -> [PlaceHit]              # places named in a text (name, surface, start)

    TOPICS                                       # topic vocabulary (see ingest.structure.topics)

Registries are data files in ``ingest/structure/registries/`` (people.yaml, organisations.yaml, places.yaml; staff
may add files of the same names in ``COOPWATCH_REGISTRY_DIR``). They are validated when first used; a bad entry
raises ``RegistryError`` naming the file and line. Places are built from GeoNames, the Chinese division list and
china-cities (see ``placenames``); ``check_registries()`` loads everything at once (the CLI calls it at start).
"""

from .gazetteer import PlaceHit, find_places
from .placenames import place_index, place_key, place_name
from .registry import Organisation, Person, org_key, organisation, person, person_key, registries
from .registry_files import RegistryError
from .report import JSON_KEYS, article_from_html, parse_event_report, report_to_json, structure_html, structure_page
from .topics import TOPICS


def check_registries() -> dict[str, int]:
    """Load and validate every registry now (raises RegistryError with file:line); return how many entries each has."""
    loaded = registries()
    places = place_index()
    return {"people": len(loaded.people), "organisations": len(loaded.orgs),
            "place_forms": len(places.en) + len(places.zh)}


__all__ = [
    "JSON_KEYS", "TOPICS", "Organisation", "Person", "PlaceHit", "RegistryError", "article_from_html",
    "check_registries", "find_places", "org_key", "organisation", "parse_event_report", "person", "person_key",
    "place_key", "place_name", "report_to_json", "structure_html", "structure_page",
]
