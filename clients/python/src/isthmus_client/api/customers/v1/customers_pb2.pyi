import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.customers.v1 import customer360_pb2 as _customer360_pb2
from isthmus_client.api.customers.v1 import records_pb2 as _records_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MatchReviewOrder(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_REVIEW_ORDER_UNSPECIFIED: _ClassVar[MatchReviewOrder]
    MATCH_REVIEW_ORDER_OLDEST_FIRST: _ClassVar[MatchReviewOrder]
    MATCH_REVIEW_ORDER_VALUE_FIRST: _ClassVar[MatchReviewOrder]

class MatchDecision(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_DECISION_UNSPECIFIED: _ClassVar[MatchDecision]
    MATCH_DECISION_MATCH: _ClassVar[MatchDecision]
    MATCH_DECISION_NO_MATCH: _ClassVar[MatchDecision]
MATCH_REVIEW_ORDER_UNSPECIFIED: MatchReviewOrder
MATCH_REVIEW_ORDER_OLDEST_FIRST: MatchReviewOrder
MATCH_REVIEW_ORDER_VALUE_FIRST: MatchReviewOrder
MATCH_DECISION_UNSPECIFIED: MatchDecision
MATCH_DECISION_MATCH: MatchDecision
MATCH_DECISION_NO_MATCH: MatchDecision

class UpsertSourceRecordRequest(_message.Message):
    __slots__ = ("record",)
    RECORD_FIELD_NUMBER: _ClassVar[int]
    record: _records_pb2.SourceRecord
    def __init__(self, record: _Optional[_Union[_records_pb2.SourceRecord, _Mapping]] = ...) -> None: ...

class UpsertSourceRecordResponse(_message.Message):
    __slots__ = ("result",)
    RESULT_FIELD_NUMBER: _ClassVar[int]
    result: UpsertResult
    def __init__(self, result: _Optional[_Union[UpsertResult, _Mapping]] = ...) -> None: ...

class UpsertResult(_message.Message):
    __slots__ = ("index", "source_system", "source_id", "customer_id", "outcome", "score", "match_review_id", "quality_flags", "error", "findings")
    INDEX_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    MATCH_REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FLAGS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    index: int
    source_system: str
    source_id: str
    customer_id: str
    outcome: _records_pb2.MatchOutcome
    score: float
    match_review_id: str
    quality_flags: _containers.RepeatedScalarFieldContainer[_records_pb2.QualityFlag]
    error: _status_pb2.Status
    findings: _containers.RepeatedCompositeFieldContainer[_records_pb2.DataQualityFinding]
    def __init__(self, index: _Optional[int] = ..., source_system: _Optional[str] = ..., source_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., outcome: _Optional[_Union[_records_pb2.MatchOutcome, str]] = ..., score: _Optional[float] = ..., match_review_id: _Optional[str] = ..., quality_flags: _Optional[_Iterable[_Union[_records_pb2.QualityFlag, str]]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., findings: _Optional[_Iterable[_Union[_records_pb2.DataQualityFinding, _Mapping]]] = ...) -> None: ...

class BatchUpsertSourceRecordsRequest(_message.Message):
    __slots__ = ("records", "batch_id")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_records_pb2.SourceRecord]
    batch_id: str
    def __init__(self, records: _Optional[_Iterable[_Union[_records_pb2.SourceRecord, _Mapping]]] = ..., batch_id: _Optional[str] = ...) -> None: ...

class BatchUpsertSourceRecordsResponse(_message.Message):
    __slots__ = ("results", "batch_id", "accepted_count", "rejected_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    batch_id: str
    accepted_count: int
    rejected_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ..., batch_id: _Optional[str] = ..., accepted_count: _Optional[int] = ..., rejected_count: _Optional[int] = ...) -> None: ...

class StreamSourceRecordsRequest(_message.Message):
    __slots__ = ("records", "batch_id")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[_records_pb2.SourceRecord]
    batch_id: str
    def __init__(self, records: _Optional[_Iterable[_Union[_records_pb2.SourceRecord, _Mapping]]] = ..., batch_id: _Optional[str] = ...) -> None: ...

class StreamSourceRecordsResponse(_message.Message):
    __slots__ = ("results", "batch_id", "accepted_count", "rejected_count")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    BATCH_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REJECTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[UpsertResult]
    batch_id: str
    accepted_count: int
    rejected_count: int
    def __init__(self, results: _Optional[_Iterable[_Union[UpsertResult, _Mapping]]] = ..., batch_id: _Optional[str] = ..., accepted_count: _Optional[int] = ..., rejected_count: _Optional[int] = ...) -> None: ...

class GetCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "view")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    view: _records_pb2.CustomerView
    def __init__(self, customer_id: _Optional[str] = ..., view: _Optional[_Union[_records_pb2.CustomerView, str]] = ...) -> None: ...

class GetCustomerResponse(_message.Message):
    __slots__ = ("customer",)
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ...) -> None: ...

class BatchGetCustomersRequest(_message.Message):
    __slots__ = ("customer_ids", "view")
    CUSTOMER_IDS_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    customer_ids: _containers.RepeatedScalarFieldContainer[str]
    view: _records_pb2.CustomerView
    def __init__(self, customer_ids: _Optional[_Iterable[str]] = ..., view: _Optional[_Union[_records_pb2.CustomerView, str]] = ...) -> None: ...

class BatchGetCustomersResponse(_message.Message):
    __slots__ = ("customers",)
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedCompositeFieldContainer[_records_pb2.Customer]
    def __init__(self, customers: _Optional[_Iterable[_Union[_records_pb2.Customer, _Mapping]]] = ...) -> None: ...

class SearchCustomersRequest(_message.Message):
    __slots__ = ("query", "email", "phone", "family_name", "birth_date", "postal_code", "source_system", "include_inactive", "page_size", "page_token", "view")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_INACTIVE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VIEW_FIELD_NUMBER: _ClassVar[int]
    query: str
    email: str
    phone: str
    family_name: str
    birth_date: _common_pb2.Date
    postal_code: str
    source_system: str
    include_inactive: bool
    page_size: int
    page_token: str
    view: _records_pb2.CustomerView
    def __init__(self, query: _Optional[str] = ..., email: _Optional[str] = ..., phone: _Optional[str] = ..., family_name: _Optional[str] = ..., birth_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., postal_code: _Optional[str] = ..., source_system: _Optional[str] = ..., include_inactive: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., view: _Optional[_Union[_records_pb2.CustomerView, str]] = ...) -> None: ...

class SearchCustomersResponse(_message.Message):
    __slots__ = ("customers", "next_page_token")
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customers: _containers.RepeatedCompositeFieldContainer[_records_pb2.Customer]
    next_page_token: str
    def __init__(self, customers: _Optional[_Iterable[_Union[_records_pb2.Customer, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetCustomerBySourceIdRequest(_message.Message):
    __slots__ = ("source_system", "source_id")
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    source_system: str
    source_id: str
    def __init__(self, source_system: _Optional[str] = ..., source_id: _Optional[str] = ...) -> None: ...

class GetCustomerBySourceIdResponse(_message.Message):
    __slots__ = ("customer_id", "reference", "customer", "erased")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ERASED_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    reference: _records_pb2.SourceReference
    customer: _records_pb2.Customer
    erased: bool
    def __init__(self, customer_id: _Optional[str] = ..., reference: _Optional[_Union[_records_pb2.SourceReference, _Mapping]] = ..., customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., erased: _Optional[bool] = ...) -> None: ...

class MergeCustomersRequest(_message.Message):
    __slots__ = ("surviving_id", "merged_ids", "reason", "actor", "request_id", "expected_version")
    SURVIVING_ID_FIELD_NUMBER: _ClassVar[int]
    MERGED_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    surviving_id: str
    merged_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    expected_version: int
    def __init__(self, surviving_id: _Optional[str] = ..., merged_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class MergeCustomersResponse(_message.Message):
    __slots__ = ("merge_id", "customer", "outcome")
    MERGE_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    merge_id: str
    customer: _records_pb2.Customer
    outcome: _common_pb2.WriteOutcome
    def __init__(self, merge_id: _Optional[str] = ..., customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class UnmergeCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "restore_ids", "reason", "actor", "request_id", "expected_version")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RESTORE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    restore_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    expected_version: int
    def __init__(self, customer_id: _Optional[str] = ..., restore_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ..., expected_version: _Optional[int] = ...) -> None: ...

class UnmergeCustomerResponse(_message.Message):
    __slots__ = ("unmerge_id", "customer", "restored", "outcome")
    UNMERGE_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    RESTORED_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    unmerge_id: str
    customer: _records_pb2.Customer
    restored: _containers.RepeatedCompositeFieldContainer[_records_pb2.Customer]
    outcome: _common_pb2.WriteOutcome
    def __init__(self, unmerge_id: _Optional[str] = ..., customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., restored: _Optional[_Iterable[_Union[_records_pb2.Customer, _Mapping]]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ListDataQualityFindingsRequest(_message.Message):
    __slots__ = ("source_system", "rule", "page_size", "page_token")
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    source_system: str
    rule: str
    page_size: int
    page_token: str
    def __init__(self, source_system: _Optional[str] = ..., rule: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SummarizeDataQualityFindingsRequest(_message.Message):
    __slots__ = ("source_system", "rule", "days")
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    DAYS_FIELD_NUMBER: _ClassVar[int]
    source_system: str
    rule: str
    days: int
    def __init__(self, source_system: _Optional[str] = ..., rule: _Optional[str] = ..., days: _Optional[int] = ...) -> None: ...

class SummarizeDataQualityFindingsResponse(_message.Message):
    __slots__ = ("counts",)
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[DataQualityCount]
    def __init__(self, counts: _Optional[_Iterable[_Union[DataQualityCount, _Mapping]]] = ...) -> None: ...

class DataQualityCount(_message.Message):
    __slots__ = ("day", "source_system", "rule", "count")
    DAY_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    day: _common_pb2.Date
    source_system: str
    rule: str
    count: int
    def __init__(self, day: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., source_system: _Optional[str] = ..., rule: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class ListDataQualityFindingsResponse(_message.Message):
    __slots__ = ("findings", "next_page_token")
    FINDINGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    findings: _containers.RepeatedCompositeFieldContainer[_records_pb2.DataQualityFinding]
    next_page_token: str
    def __init__(self, findings: _Optional[_Iterable[_Union[_records_pb2.DataQualityFinding, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListMatchReviewsRequest(_message.Message):
    __slots__ = ("state", "customer_id", "min_score", "source_system", "page_size", "page_token", "order_by")
    STATE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ORDER_BY_FIELD_NUMBER: _ClassVar[int]
    state: _records_pb2.MatchReviewState
    customer_id: str
    min_score: float
    source_system: str
    page_size: int
    page_token: str
    order_by: MatchReviewOrder
    def __init__(self, state: _Optional[_Union[_records_pb2.MatchReviewState, str]] = ..., customer_id: _Optional[str] = ..., min_score: _Optional[float] = ..., source_system: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., order_by: _Optional[_Union[MatchReviewOrder, str]] = ...) -> None: ...

class ListMatchReviewsResponse(_message.Message):
    __slots__ = ("match_reviews", "next_page_token")
    MATCH_REVIEWS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    match_reviews: _containers.RepeatedCompositeFieldContainer[_records_pb2.MatchReview]
    next_page_token: str
    def __init__(self, match_reviews: _Optional[_Iterable[_Union[_records_pb2.MatchReview, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ResolveMatchReviewRequest(_message.Message):
    __slots__ = ("review_id", "decision", "note", "actor", "expected_version", "validate_only")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    DECISION_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    VALIDATE_ONLY_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    decision: MatchDecision
    note: str
    actor: _common_pb2.Actor
    expected_version: int
    validate_only: bool
    def __init__(self, review_id: _Optional[str] = ..., decision: _Optional[_Union[MatchDecision, str]] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., expected_version: _Optional[int] = ..., validate_only: _Optional[bool] = ...) -> None: ...

class ResolveMatchReviewResponse(_message.Message):
    __slots__ = ("review", "customer", "outcome")
    REVIEW_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    review: _records_pb2.MatchReview
    customer: _records_pb2.Customer
    outcome: _common_pb2.WriteOutcome
    def __init__(self, review: _Optional[_Union[_records_pb2.MatchReview, _Mapping]] = ..., customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ListHistoryEntriesRequest(_message.Message):
    __slots__ = ("customer_id", "page_size", "page_token")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    page_size: int
    page_token: str
    def __init__(self, customer_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListHistoryEntriesResponse(_message.Message):
    __slots__ = ("history_entries", "next_page_token")
    HISTORY_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    history_entries: _containers.RepeatedCompositeFieldContainer[_records_pb2.HistoryEntry]
    next_page_token: str
    def __init__(self, history_entries: _Optional[_Iterable[_Union[_records_pb2.HistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetCustomer360Request(_message.Message):
    __slots__ = ("customer_id", "timeline_page_size")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    timeline_page_size: int
    def __init__(self, customer_id: _Optional[str] = ..., timeline_page_size: _Optional[int] = ...) -> None: ...

class GetCustomer360Response(_message.Message):
    __slots__ = ("customer360",)
    CUSTOMER360_FIELD_NUMBER: _ClassVar[int]
    customer360: _customer360_pb2.Customer360
    def __init__(self, customer360: _Optional[_Union[_customer360_pb2.Customer360, _Mapping]] = ...) -> None: ...

class ListTimelineEntriesRequest(_message.Message):
    __slots__ = ("customer_id", "kinds", "page_size", "page_token")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    kinds: _containers.RepeatedScalarFieldContainer[_customer360_pb2.TimelineEntryKind]
    page_size: int
    page_token: str
    def __init__(self, customer_id: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[_customer360_pb2.TimelineEntryKind, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListTimelineEntriesResponse(_message.Message):
    __slots__ = ("timeline_entries", "next_page_token")
    TIMELINE_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    timeline_entries: _containers.RepeatedCompositeFieldContainer[_customer360_pb2.TimelineEntry]
    next_page_token: str
    def __init__(self, timeline_entries: _Optional[_Iterable[_Union[_customer360_pb2.TimelineEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SetConsentRequest(_message.Message):
    __slots__ = ("customer_id", "channel", "status", "source", "give_time", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    GIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    channel: _records_pb2.ConsentChannel
    status: _records_pb2.ConsentStatus
    source: str
    give_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., channel: _Optional[_Union[_records_pb2.ConsentChannel, str]] = ..., status: _Optional[_Union[_records_pb2.ConsentStatus, str]] = ..., source: _Optional[str] = ..., give_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class SetConsentResponse(_message.Message):
    __slots__ = ("customer", "outcome")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    outcome: _common_pb2.WriteOutcome
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ExportCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ExportCustomerResponse(_message.Message):
    __slots__ = ("customer", "source_records", "history", "match_reviews", "export_time", "customer360", "timeline")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RECORDS_FIELD_NUMBER: _ClassVar[int]
    HISTORY_FIELD_NUMBER: _ClassVar[int]
    MATCH_REVIEWS_FIELD_NUMBER: _ClassVar[int]
    EXPORT_TIME_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER360_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    source_records: _containers.RepeatedCompositeFieldContainer[_records_pb2.SourceRecord]
    history: _containers.RepeatedCompositeFieldContainer[_records_pb2.HistoryEntry]
    match_reviews: _containers.RepeatedCompositeFieldContainer[_records_pb2.MatchReview]
    export_time: _timestamp_pb2.Timestamp
    customer360: _customer360_pb2.Customer360
    timeline: _containers.RepeatedCompositeFieldContainer[_customer360_pb2.TimelineEntry]
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., source_records: _Optional[_Iterable[_Union[_records_pb2.SourceRecord, _Mapping]]] = ..., history: _Optional[_Iterable[_Union[_records_pb2.HistoryEntry, _Mapping]]] = ..., match_reviews: _Optional[_Iterable[_Union[_records_pb2.MatchReview, _Mapping]]] = ..., export_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., customer360: _Optional[_Union[_customer360_pb2.Customer360, _Mapping]] = ..., timeline: _Optional[_Iterable[_Union[_customer360_pb2.TimelineEntry, _Mapping]]] = ...) -> None: ...

class EraseCustomerRequest(_message.Message):
    __slots__ = ("customer_id", "reason", "request_reference", "actor", "request_id")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    reason: str
    request_reference: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, customer_id: _Optional[str] = ..., reason: _Optional[str] = ..., request_reference: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class EraseCustomerResponse(_message.Message):
    __slots__ = ("customer_id", "tombstones", "erase_time", "outcome")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TOMBSTONES_FIELD_NUMBER: _ClassVar[int]
    ERASE_TIME_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    tombstones: _containers.RepeatedCompositeFieldContainer[_records_pb2.SourceReference]
    erase_time: _timestamp_pb2.Timestamp
    outcome: _common_pb2.WriteOutcome
    def __init__(self, customer_id: _Optional[str] = ..., tombstones: _Optional[_Iterable[_Union[_records_pb2.SourceReference, _Mapping]]] = ..., erase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...
