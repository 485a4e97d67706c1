"""Event grouping: reports of the same real event (any source, English or Chinese, preview or report) share one
stable event id.

Public API:
    Grouper(store).group(docs)      set Document.event_id on a batch of event reports, before indexing
    Grouper(store).split(event, doc)  take a report out of an event for good
    EventStore                      the storage protocol (implemented by the search backends)
    MemoryEventStore                an in-memory EventStore
    signature_of(doc), is_groupable(doc), compare(a, b), Evidence, explain(a, b)
"""

from .grouper import Grouper, GroupingOutcome, event_evidence, explain
from .match import Evidence, Match, compare
from .signature import Signature, is_groupable, report_status, signature_of
from .store import EventStore, MemoryEventStore

__all__ = [
    "EventStore", "Evidence", "Grouper", "GroupingOutcome", "Match", "MemoryEventStore", "Signature", "compare",
    "event_evidence", "explain", "is_groupable", "report_status", "signature_of",
]
