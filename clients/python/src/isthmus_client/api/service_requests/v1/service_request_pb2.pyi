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

class Channel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_UNSPECIFIED: _ClassVar[Channel]
    CHANNEL_PHONE: _ClassVar[Channel]
    CHANNEL_EMAIL: _ClassVar[Channel]
    CHANNEL_WEB: _ClassVar[Channel]
    CHANNEL_CHAT: _ClassVar[Channel]
    CHANNEL_STORE: _ClassVar[Channel]
    CHANNEL_MAIL: _ClassVar[Channel]
    CHANNEL_SOCIAL: _ClassVar[Channel]
    CHANNEL_INTERNAL: _ClassVar[Channel]

class ServiceRequestKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_REQUEST_KIND_UNSPECIFIED: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_INQUIRY: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_COMPLAINT: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_RETURN: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_CANCELLATION: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_TECHNICAL: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_FEEDBACK: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_OTHER: _ClassVar[ServiceRequestKind]
    SERVICE_REQUEST_KIND_TRACER: _ClassVar[ServiceRequestKind]

class Priority(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PRIORITY_UNSPECIFIED: _ClassVar[Priority]
    PRIORITY_LOW: _ClassVar[Priority]
    PRIORITY_NORMAL: _ClassVar[Priority]
    PRIORITY_HIGH: _ClassVar[Priority]
    PRIORITY_URGENT: _ClassVar[Priority]

class ServiceRequestState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SERVICE_REQUEST_STATE_UNSPECIFIED: _ClassVar[ServiceRequestState]
    SERVICE_REQUEST_STATE_NEW: _ClassVar[ServiceRequestState]
    SERVICE_REQUEST_STATE_OPEN: _ClassVar[ServiceRequestState]
    SERVICE_REQUEST_STATE_PENDING_CUSTOMER: _ClassVar[ServiceRequestState]
    SERVICE_REQUEST_STATE_RESOLVED: _ClassVar[ServiceRequestState]
    SERVICE_REQUEST_STATE_CLOSED: _ClassVar[ServiceRequestState]

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_INBOUND: _ClassVar[Direction]
    DIRECTION_OUTBOUND: _ClassVar[Direction]
    DIRECTION_INTERNAL: _ClassVar[Direction]
CHANNEL_UNSPECIFIED: Channel
CHANNEL_PHONE: Channel
CHANNEL_EMAIL: Channel
CHANNEL_WEB: Channel
CHANNEL_CHAT: Channel
CHANNEL_STORE: Channel
CHANNEL_MAIL: Channel
CHANNEL_SOCIAL: Channel
CHANNEL_INTERNAL: Channel
SERVICE_REQUEST_KIND_UNSPECIFIED: ServiceRequestKind
SERVICE_REQUEST_KIND_INQUIRY: ServiceRequestKind
SERVICE_REQUEST_KIND_COMPLAINT: ServiceRequestKind
SERVICE_REQUEST_KIND_RETURN: ServiceRequestKind
SERVICE_REQUEST_KIND_CANCELLATION: ServiceRequestKind
SERVICE_REQUEST_KIND_TECHNICAL: ServiceRequestKind
SERVICE_REQUEST_KIND_FEEDBACK: ServiceRequestKind
SERVICE_REQUEST_KIND_OTHER: ServiceRequestKind
SERVICE_REQUEST_KIND_TRACER: ServiceRequestKind
PRIORITY_UNSPECIFIED: Priority
PRIORITY_LOW: Priority
PRIORITY_NORMAL: Priority
PRIORITY_HIGH: Priority
PRIORITY_URGENT: Priority
SERVICE_REQUEST_STATE_UNSPECIFIED: ServiceRequestState
SERVICE_REQUEST_STATE_NEW: ServiceRequestState
SERVICE_REQUEST_STATE_OPEN: ServiceRequestState
SERVICE_REQUEST_STATE_PENDING_CUSTOMER: ServiceRequestState
SERVICE_REQUEST_STATE_RESOLVED: ServiceRequestState
SERVICE_REQUEST_STATE_CLOSED: ServiceRequestState
DIRECTION_UNSPECIFIED: Direction
DIRECTION_INBOUND: Direction
DIRECTION_OUTBOUND: Direction
DIRECTION_INTERNAL: Direction

class Assignee(_message.Message):
    __slots__ = ("agent_id", "queue")
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    queue: str
    def __init__(self, agent_id: _Optional[str] = ..., queue: _Optional[str] = ...) -> None: ...

class Sla(_message.Message):
    __slots__ = ("response_due_time", "resolution_due_time", "first_response_time", "paused", "pause_time", "paused_total", "response_breached", "resolution_breached", "breach_time")
    RESPONSE_DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    FIRST_RESPONSE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    PAUSE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAUSED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_BREACHED_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_BREACHED_FIELD_NUMBER: _ClassVar[int]
    BREACH_TIME_FIELD_NUMBER: _ClassVar[int]
    response_due_time: _timestamp_pb2.Timestamp
    resolution_due_time: _timestamp_pb2.Timestamp
    first_response_time: _timestamp_pb2.Timestamp
    paused: bool
    pause_time: _timestamp_pb2.Timestamp
    paused_total: _duration_pb2.Duration
    response_breached: bool
    resolution_breached: bool
    breach_time: _timestamp_pb2.Timestamp
    def __init__(self, response_due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution_due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., first_response_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paused: _Optional[bool] = ..., pause_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., paused_total: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., response_breached: _Optional[bool] = ..., resolution_breached: _Optional[bool] = ..., breach_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServiceRequest(_message.Message):
    __slots__ = ("service_request_id", "customer_id", "order_id", "order_line_id", "channel", "kind", "category", "sub_category", "priority", "subject", "description", "reason_codes", "state", "assignee", "sla", "resolution_code", "resolution_note", "source_system", "external_id", "opened_by", "open_time", "resolve_time", "close_time", "reopen_count", "update_time", "version", "shipment")
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_LINE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    SUB_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REASON_CODES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    SLA_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_NOTE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    OPENED_BY_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    REOPEN_COUNT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    service_request_id: str
    customer_id: str
    order_id: str
    order_line_id: str
    channel: Channel
    kind: ServiceRequestKind
    category: str
    sub_category: str
    priority: Priority
    subject: str
    description: str
    reason_codes: _containers.RepeatedScalarFieldContainer[str]
    state: ServiceRequestState
    assignee: Assignee
    sla: Sla
    resolution_code: str
    resolution_note: str
    source_system: str
    external_id: str
    opened_by: _common_pb2.Actor
    open_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    close_time: _timestamp_pb2.Timestamp
    reopen_count: int
    update_time: _timestamp_pb2.Timestamp
    version: int
    shipment: Shipment
    def __init__(self, service_request_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., order_id: _Optional[str] = ..., order_line_id: _Optional[str] = ..., channel: _Optional[_Union[Channel, str]] = ..., kind: _Optional[_Union[ServiceRequestKind, str]] = ..., category: _Optional[str] = ..., sub_category: _Optional[str] = ..., priority: _Optional[_Union[Priority, str]] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., reason_codes: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[ServiceRequestState, str]] = ..., assignee: _Optional[_Union[Assignee, _Mapping]] = ..., sla: _Optional[_Union[Sla, _Mapping]] = ..., resolution_code: _Optional[str] = ..., resolution_note: _Optional[str] = ..., source_system: _Optional[str] = ..., external_id: _Optional[str] = ..., opened_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reopen_count: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., shipment: _Optional[_Union[Shipment, _Mapping]] = ...) -> None: ...

class Shipment(_message.Message):
    __slots__ = ("carrier", "tracking_number", "ship_time", "warehouse", "manifest_number")
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SHIP_TIME_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_NUMBER_FIELD_NUMBER: _ClassVar[int]
    carrier: str
    tracking_number: str
    ship_time: _timestamp_pb2.Timestamp
    warehouse: str
    manifest_number: str
    def __init__(self, carrier: _Optional[str] = ..., tracking_number: _Optional[str] = ..., ship_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., warehouse: _Optional[str] = ..., manifest_number: _Optional[str] = ...) -> None: ...

class Interaction(_message.Message):
    __slots__ = ("interaction_id", "service_request_id", "customer_id", "direction", "channel", "author", "occur_time", "subject", "body", "in_reply_to_id", "corrects_id", "duration", "source_system", "external_id", "orphaned", "claimed_service_request_id", "create_time")
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    AUTHOR_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    IN_REPLY_TO_ID_FIELD_NUMBER: _ClassVar[int]
    CORRECTS_ID_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    ORPHANED_FIELD_NUMBER: _ClassVar[int]
    CLAIMED_SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    interaction_id: str
    service_request_id: str
    customer_id: str
    direction: Direction
    channel: Channel
    author: _common_pb2.Actor
    occur_time: _timestamp_pb2.Timestamp
    subject: str
    body: str
    in_reply_to_id: str
    corrects_id: str
    duration: _duration_pb2.Duration
    source_system: str
    external_id: str
    orphaned: bool
    claimed_service_request_id: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, interaction_id: _Optional[str] = ..., service_request_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., direction: _Optional[_Union[Direction, str]] = ..., channel: _Optional[_Union[Channel, str]] = ..., author: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., subject: _Optional[str] = ..., body: _Optional[str] = ..., in_reply_to_id: _Optional[str] = ..., corrects_id: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., source_system: _Optional[str] = ..., external_id: _Optional[str] = ..., orphaned: _Optional[bool] = ..., claimed_service_request_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
