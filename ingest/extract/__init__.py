"""Article extraction (trafilatura)."""

from ingest.extract.article import ExtractionError, detect_language, extract_article

__all__ = ["ExtractionError", "detect_language", "extract_article"]
