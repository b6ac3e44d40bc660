"""What an ingest batch holds from its first read to its last write: the customers it works on, the
match features of their records, its decisions in order and the rows waiting to be written. Deciding
(ingest_decide.py) and writing (ingest_write.py) work on it; ingest.py runs a batch.
"""

from __future__ import annotations

from typing import Any

from isthmus.customers.deps import UnitOfWork, actor_json
from isthmus.customers.incoming import Application, Incoming, Working
from isthmus.customers.matching import Features
from isthmus.customers.store import SourceRow
from isthmus_client.api.common.v1 import common_pb2


class BatchState:
    """A batch's records, what it has read and decided, and its pending writes."""

    def __init__(self, uow: UnitOfWork, items: list[Incoming], actor: common_pb2.Actor | None) -> None:
        self.uow = uow
        self.deps = uow.deps
        self.items = items
        self.actor = actor_json(actor) if actor is not None and actor.id else actor_json(None)
        self.now = self.deps.clock()
        self.working: dict[str, Working] = {}
        self.features: dict[tuple[str, str], Features] = {}
        self.held: dict[tuple[str, str], SourceRow] = {}
        # blocking key -> customers this batch created or linked a record to under it
        self.key_index: dict[str, set[str]] = {}
        self.stored_candidates: dict[tuple[str, str], list[tuple[str, int]]] = {}
        # decided, then applied to golden records in this order
        self.applications: list[Application] = []
        # pending writes
        self.new_sources: dict[tuple[str, str], dict[str, Any]] = {}
        self.updated_sources: dict[tuple[str, str], tuple[dict[str, Any], int]] = {}
        self.keys_for: dict[tuple[str, str], set[str]] = {}
        self.history_rows: list[dict[str, Any]] = []
        self.review_rows: list[dict[str, Any]] = []
        self.xref_rows: list[dict[str, Any]] = []
        # (customer, customer) -> household link row, the pair in id order
        self.household_rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.new_households: list[dict[str, Any]] = []  # those not known before the batch
        self.matcher = self.deps.matcher  # one model for the whole batch, even if another is loaded meanwhile
        self.lifted_tombstones: list[tuple[str, str]] = []
        # (customer linked to, another customer the record matched as well, the record)
        self.bridges: list[tuple[str, str, tuple[str, str]]] = []
        # matching work: candidates scored and set aside, pairs of source records scored
        self.scored = self.set_aside = self.pairs = 0
