import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListComponentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListComponentsResponse(_message.Message):
    __slots__ = ("components", "next_page_token")
    COMPONENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    components: _containers.RepeatedCompositeFieldContainer[Component]
    next_page_token: str
    def __init__(self, components: _Optional[_Iterable[_Union[Component, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Component(_message.Message):
    __slots__ = ("name", "outbox_backlog", "oldest_outbox_time", "outbox_age", "dead_letter_count", "replay_pending_count")
    NAME_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_BACKLOG_FIELD_NUMBER: _ClassVar[int]
    OLDEST_OUTBOX_TIME_FIELD_NUMBER: _ClassVar[int]
    OUTBOX_AGE_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    REPLAY_PENDING_COUNT_FIELD_NUMBER: _ClassVar[int]
    name: str
    outbox_backlog: int
    oldest_outbox_time: _timestamp_pb2.Timestamp
    outbox_age: _duration_pb2.Duration
    dead_letter_count: int
    replay_pending_count: int
    def __init__(self, name: _Optional[str] = ..., outbox_backlog: _Optional[int] = ..., oldest_outbox_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outbox_age: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., dead_letter_count: _Optional[int] = ..., replay_pending_count: _Optional[int] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("component", "page_size", "page_token")
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    component: str
    page_size: int
    page_token: str
    def __init__(self, component: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("dead_letters", "next_page_token")
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    dead_letters: _containers.RepeatedCompositeFieldContainer[DeadLetter]
    next_page_token: str
    def __init__(self, dead_letters: _Optional[_Iterable[_Union[DeadLetter, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("dead_letter_id", "component", "queue", "event_id", "routing_key", "attempts", "create_time", "reason", "last_error", "replay_requested")
    DEAD_LETTER_ID_FIELD_NUMBER: _ClassVar[int]
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    ROUTING_KEY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    REPLAY_REQUESTED_FIELD_NUMBER: _ClassVar[int]
    dead_letter_id: str
    component: str
    queue: str
    event_id: str
    routing_key: str
    attempts: int
    create_time: _timestamp_pb2.Timestamp
    reason: str
    last_error: str
    replay_requested: bool
    def __init__(self, dead_letter_id: _Optional[str] = ..., component: _Optional[str] = ..., queue: _Optional[str] = ..., event_id: _Optional[str] = ..., routing_key: _Optional[str] = ..., attempts: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reason: _Optional[str] = ..., last_error: _Optional[str] = ..., replay_requested: _Optional[bool] = ...) -> None: ...

class ReplayDeadLettersRequest(_message.Message):
    __slots__ = ("component", "dead_letter_ids", "all")
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_IDS_FIELD_NUMBER: _ClassVar[int]
    ALL_FIELD_NUMBER: _ClassVar[int]
    component: str
    dead_letter_ids: _containers.RepeatedScalarFieldContainer[str]
    all: bool
    def __init__(self, component: _Optional[str] = ..., dead_letter_ids: _Optional[_Iterable[str]] = ..., all: _Optional[bool] = ...) -> None: ...

class ReplayDeadLettersResponse(_message.Message):
    __slots__ = ("replay_requested_count", "outcome")
    REPLAY_REQUESTED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    replay_requested_count: int
    outcome: _common_pb2.WriteOutcome
    def __init__(self, replay_requested_count: _Optional[int] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class DiscardDeadLettersRequest(_message.Message):
    __slots__ = ("component", "dead_letter_ids")
    COMPONENT_FIELD_NUMBER: _ClassVar[int]
    DEAD_LETTER_IDS_FIELD_NUMBER: _ClassVar[int]
    component: str
    dead_letter_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, component: _Optional[str] = ..., dead_letter_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class DiscardDeadLettersResponse(_message.Message):
    __slots__ = ("discarded_count", "outcome")
    DISCARDED_COUNT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    discarded_count: int
    outcome: _common_pb2.WriteOutcome
    def __init__(self, discarded_count: _Optional[int] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetCallerRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCallerResponse(_message.Message):
    __slots__ = ("name", "scopes", "authentication_disabled")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATION_DISABLED_FIELD_NUMBER: _ClassVar[int]
    name: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    authentication_disabled: bool
    def __init__(self, name: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ..., authentication_disabled: _Optional[bool] = ...) -> None: ...
