import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as _records_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CustomerCreated(_message.Message):
    __slots__ = ("customer", "source_record")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RECORD_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    source_record: _records_pb2.SourceReference
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., source_record: _Optional[_Union[_records_pb2.SourceReference, _Mapping]] = ...) -> None: ...

class CustomerUpdated(_message.Message):
    __slots__ = ("customer", "changed_fields", "source_record")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RECORD_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    source_record: _records_pb2.SourceReference
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., changed_fields: _Optional[_Iterable[str]] = ..., source_record: _Optional[_Union[_records_pb2.SourceReference, _Mapping]] = ...) -> None: ...

class CustomersMerged(_message.Message):
    __slots__ = ("surviving_id", "merged_ids", "merge_id", "reason", "actor", "customer")
    SURVIVING_ID_FIELD_NUMBER: _ClassVar[int]
    MERGED_IDS_FIELD_NUMBER: _ClassVar[int]
    MERGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    surviving_id: str
    merged_ids: _containers.RepeatedScalarFieldContainer[str]
    merge_id: str
    reason: str
    actor: _common_pb2.Actor
    customer: _records_pb2.Customer
    def __init__(self, surviving_id: _Optional[str] = ..., merged_ids: _Optional[_Iterable[str]] = ..., merge_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ...) -> None: ...

class CustomerUnmerged(_message.Message):
    __slots__ = ("from_id", "restored_ids", "unmerge_id", "merge_id", "reason", "actor", "merge_time")
    FROM_ID_FIELD_NUMBER: _ClassVar[int]
    RESTORED_IDS_FIELD_NUMBER: _ClassVar[int]
    UNMERGE_ID_FIELD_NUMBER: _ClassVar[int]
    MERGE_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    MERGE_TIME_FIELD_NUMBER: _ClassVar[int]
    from_id: str
    restored_ids: _containers.RepeatedScalarFieldContainer[str]
    unmerge_id: str
    merge_id: str
    reason: str
    actor: _common_pb2.Actor
    merge_time: _timestamp_pb2.Timestamp
    def __init__(self, from_id: _Optional[str] = ..., restored_ids: _Optional[_Iterable[str]] = ..., unmerge_id: _Optional[str] = ..., merge_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., merge_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CustomerErased(_message.Message):
    __slots__ = ("customer_id", "source_records", "request_reference", "erase_time")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RECORDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    ERASE_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    source_records: _containers.RepeatedCompositeFieldContainer[_records_pb2.SourceReference]
    request_reference: str
    erase_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., source_records: _Optional[_Iterable[_Union[_records_pb2.SourceReference, _Mapping]]] = ..., request_reference: _Optional[str] = ..., erase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class MatchReviewOpened(_message.Message):
    __slots__ = ("review_id", "candidate_customer_id", "existing_customer_id", "score", "candidate_record")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EXISTING_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_RECORD_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    candidate_customer_id: str
    existing_customer_id: str
    score: float
    candidate_record: _records_pb2.SourceReference
    def __init__(self, review_id: _Optional[str] = ..., candidate_customer_id: _Optional[str] = ..., existing_customer_id: _Optional[str] = ..., score: _Optional[float] = ..., candidate_record: _Optional[_Union[_records_pb2.SourceReference, _Mapping]] = ...) -> None: ...

class ConsentChanged(_message.Message):
    __slots__ = ("customer_id", "consent", "previous_status")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CONSENT_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_STATUS_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    consent: _records_pb2.Consent
    previous_status: _records_pb2.ConsentStatus
    def __init__(self, customer_id: _Optional[str] = ..., consent: _Optional[_Union[_records_pb2.Consent, _Mapping]] = ..., previous_status: _Optional[_Union[_records_pb2.ConsentStatus, str]] = ...) -> None: ...
