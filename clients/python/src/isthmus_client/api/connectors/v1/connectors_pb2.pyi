import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SyncRunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SYNC_RUN_STATE_UNSPECIFIED: _ClassVar[SyncRunState]
    SYNC_RUN_STATE_RUNNING: _ClassVar[SyncRunState]
    SYNC_RUN_STATE_SUCCEEDED: _ClassVar[SyncRunState]
    SYNC_RUN_STATE_FAILED: _ClassVar[SyncRunState]
SYNC_RUN_STATE_UNSPECIFIED: SyncRunState
SYNC_RUN_STATE_RUNNING: SyncRunState
SYNC_RUN_STATE_SUCCEEDED: SyncRunState
SYNC_RUN_STATE_FAILED: SyncRunState

class ListConnectorInstancesRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListConnectorInstancesResponse(_message.Message):
    __slots__ = ("connector_instances", "next_page_token")
    CONNECTOR_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    connector_instances: _containers.RepeatedCompositeFieldContainer[ConnectorInstance]
    next_page_token: str
    def __init__(self, connector_instances: _Optional[_Iterable[_Union[ConnectorInstance, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ConnectorInstance(_message.Message):
    __slots__ = ("name", "connector", "schedule", "write_back", "streams", "next_run_time", "dead_letter_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    CONNECTOR_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    WRITE_BACK_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    connector: str
    schedule: _duration_pb2.Duration
    write_back: bool
    streams: _containers.RepeatedCompositeFieldContainer[ConnectorStream]
    next_run_time: _timestamp_pb2.Timestamp
    dead_letter_count: int
    def __init__(self, name: _Optional[str] = ..., connector: _Optional[str] = ..., schedule: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., write_back: _Optional[bool] = ..., streams: _Optional[_Iterable[_Union[ConnectorStream, _Mapping]]] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., dead_letter_count: _Optional[int] = ...) -> None: ...

class ConnectorStream(_message.Message):
    __slots__ = ("stream", "cursor", "tie_breaker", "position_time", "last_run", "pending_push_count")
    STREAM_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    TIE_BREAKER_FIELD_NUMBER: _ClassVar[int]
    POSITION_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_RUN_FIELD_NUMBER: _ClassVar[int]
    PENDING_PUSH_COUNT_FIELD_NUMBER: _ClassVar[int]
    stream: str
    cursor: str
    tie_breaker: str
    position_time: _timestamp_pb2.Timestamp
    last_run: SyncRun
    pending_push_count: int
    def __init__(self, stream: _Optional[str] = ..., cursor: _Optional[str] = ..., tie_breaker: _Optional[str] = ..., position_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_run: _Optional[_Union[SyncRun, _Mapping]] = ..., pending_push_count: _Optional[int] = ...) -> None: ...

class SyncRun(_message.Message):
    __slots__ = ("start_time", "end_time", "duration", "state", "records_read", "records_accepted", "records_dead_lettered", "error")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    RECORDS_READ_FIELD_NUMBER: _ClassVar[int]
    RECORDS_ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    RECORDS_DEAD_LETTERED_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    duration: _duration_pb2.Duration
    state: SyncRunState
    records_read: int
    records_accepted: int
    records_dead_lettered: int
    error: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., state: _Optional[_Union[SyncRunState, str]] = ..., records_read: _Optional[int] = ..., records_accepted: _Optional[int] = ..., records_dead_lettered: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class ListConnectorDeadLettersRequest(_message.Message):
    __slots__ = ("instance", "page_size", "page_token", "show_resolved")
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    SHOW_RESOLVED_FIELD_NUMBER: _ClassVar[int]
    instance: str
    page_size: int
    page_token: str
    show_resolved: bool
    def __init__(self, instance: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., show_resolved: _Optional[bool] = ...) -> None: ...

class ListConnectorDeadLettersResponse(_message.Message):
    __slots__ = ("connector_dead_letters", "next_page_token")
    CONNECTOR_DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    connector_dead_letters: _containers.RepeatedCompositeFieldContainer[ConnectorDeadLetter]
    next_page_token: str
    def __init__(self, connector_dead_letters: _Optional[_Iterable[_Union[ConnectorDeadLetter, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ConnectorDeadLetter(_message.Message):
    __slots__ = ("dead_letter_id", "instance", "stream", "record_key", "record_json", "reason", "create_time", "resolve_time", "resolution", "replay_count")
    DEAD_LETTER_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    RECORD_KEY_FIELD_NUMBER: _ClassVar[int]
    RECORD_JSON_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    REPLAY_COUNT_FIELD_NUMBER: _ClassVar[int]
    dead_letter_id: str
    instance: str
    stream: str
    record_key: str
    record_json: str
    reason: str
    create_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    resolution: str
    replay_count: int
    def __init__(self, dead_letter_id: _Optional[str] = ..., instance: _Optional[str] = ..., stream: _Optional[str] = ..., record_key: _Optional[str] = ..., record_json: _Optional[str] = ..., reason: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution: _Optional[str] = ..., replay_count: _Optional[int] = ...) -> None: ...

class ReplayConnectorDeadLettersRequest(_message.Message):
    __slots__ = ("instance", "dead_letter_ids", "all")
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    instance: str
    dead_letter_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    def __init__(self, instance: _Optional[str] = ..., dead_letter_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ...) -> None: ...

class ReplayConnectorDeadLettersResponse(_message.Message):
    __slots__ = ("resolved_count", "refused", "outcome")
    RESOLVED_COUNT_FIELD_NUMBER: _ClassVar[int]
    REFUSED_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    resolved_count: int
    refused: _containers.RepeatedCompositeFieldContainer[ConnectorDeadLetter]
    outcome: _common_pb2.WriteOutcome
    def __init__(self, resolved_count: _Optional[int] = ..., refused: _Optional[_Iterable[_Union[ConnectorDeadLetter, _Mapping]]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class DiscardConnectorDeadLettersRequest(_message.Message):
    __slots__ = ("instance", "dead_letter_ids")
    INSTANCE_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_IDS_FIELD_NUMBER: _ClassVar[int]
    instance: str
    dead_letter_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, instance: _Optional[str] = ..., dead_letter_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DiscardConnectorDeadLettersResponse(_message.Message):
    __slots__ = ("discarded_count", "outcome")
    DISCARDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    discarded_count: int
    outcome: _common_pb2.WriteOutcome
    def __init__(self, discarded_count: _Optional[int] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...
