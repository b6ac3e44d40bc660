"""What a record carries through an ingest batch: the record, its result, the customers it touches."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from isthmus.customers.matching import Features, Outcome, blocking_keys
from isthmus.customers.records import Record, content_hash
from isthmus.customers.store import (
    CustomerRow,
)
from isthmus.customers.survivorship import Golden
from isthmus.kernel.errors import DomainError
from isthmus.platform import jsoncodec
from isthmus_client.api.customers.v1 import records_pb2 as pb

OUTCOMES = {
    Outcome.NEW: pb.MATCH_OUTCOME_NEW_CUSTOMER,
    Outcome.DETERMINISTIC: pb.MATCH_OUTCOME_LINKED_DETERMINISTIC,
    Outcome.PROBABILISTIC: pb.MATCH_OUTCOME_LINKED_PROBABILISTIC,
    Outcome.REVIEW: pb.MATCH_OUTCOME_REVIEW_OPENED,
}
ACTIVE = pb.CUSTOMER_STATE_ACTIVE
INSUFFICIENT = pb.QUALITY_FLAG_INSUFFICIENT_MATCH_DATA
PENDING = pb.QUALITY_FLAG_PENDING_REVIEW
CONFLICTING = pb.QUALITY_FLAG_CONFLICTING_VALUES


@dataclass
class Incoming:
    index: int
    record: Record
    raw: bytes

    @cached_property
    def data(self) -> dict[str, Any]:
        """The record as stored (its JSON value), made once for the hash and the row."""
        return self.record.to_json()

    @cached_property
    def digest(self) -> str:
        return content_hash(self.data)

    @cached_property
    def features(self) -> Features:
        return Features(self.record)

    @cached_property
    def keys(self) -> set[str]:
        return blocking_keys(self.features)

    @cached_property
    def profile_json(self) -> str:
        return jsoncodec.dumps(self.features.profile())

    def prepare(self) -> Incoming:
        """Everything about the record alone that resolving it needs, worked out now (a stream does
        this for its next batch while the database works on the current one)."""
        _ = self.digest, self.keys, self.profile_json
        return self


@dataclass
class Upserted:
    index: int
    source_system: str
    source_id: str
    customer_id: str = ""
    outcome: int = pb.MATCH_OUTCOME_UNSPECIFIED
    score: float = 0.0
    review_id: str = ""
    flags: list[int] = field(default_factory=list)
    error: DomainError | None = None
    findings: list[Any] = field(default_factory=list)  # records_pb2.DataQualityFinding


@dataclass
class Working:
    """A customer touched by the batch, in memory until the batch is written.

    ``refs`` are its source records (what matching compares against, through their profiles);
    ``members`` are those records in full, read only once the batch is known to change the customer.
    """

    customer_id: str
    refs: set[tuple[str, str]]
    row: CustomerRow | None  # read once the batch changes (or refreshes) the customer; None if created
    created: bool = False
    state: int = ACTIVE
    flags: set[int] = field(default_factory=set)
    version: int = 0
    changed: bool = False
    changed_fields: set[str] = field(default_factory=set)
    cause: tuple[str, str] | None = None
    members: dict[tuple[str, str], Record] = field(default_factory=dict)
    _golden: Golden | None = None

    def loaded(self, row: CustomerRow) -> None:
        self.row, self.state, self.flags, self.version = row, row.state, set(row.flags), row.version

    @property
    def golden(self) -> Golden:
        """Decoded when first needed: most customers a batch reads are candidates it leaves alone."""
        if self._golden is None:
            self._golden = Golden.from_json(self.row.golden) if self.row is not None else Golden()
        return self._golden

    @golden.setter
    def golden(self, value: Golden) -> None:
        self._golden = value


@dataclass
class Application:
    """A record applied to a customer's golden record, in the order the batch decided them."""

    w: Working
    rec: Record
    kind: int
    outcome: int
    score: float
    result: Upserted
    review_against: Working | None = None  # the existing customer a steward is to compare it with
