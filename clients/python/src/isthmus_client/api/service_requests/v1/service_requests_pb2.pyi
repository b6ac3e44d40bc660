import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as _service_request_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenServiceRequestRequest(_message.Message):
    __slots__ = ("customer_id", "order_id", "order_line_id", "channel", "kind", "category", "sub_category", "priority", "subject", "description", "reason_codes", "assignee", "source_system", "external_id", "actor", "request_id", "open_time")
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
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    order_id: str
    order_line_id: str
    channel: _service_request_pb2.Channel
    kind: _service_request_pb2.ServiceRequestKind
    category: str
    sub_category: str
    priority: _service_request_pb2.Priority
    subject: str
    description: str
    reason_codes: _containers.RepeatedScalarFieldContainer[str]
    assignee: _service_request_pb2.Assignee
    source_system: str
    external_id: str
    actor: _common_pb2.Actor
    request_id: str
    open_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., order_id: _Optional[str] = ..., order_line_id: _Optional[str] = ..., channel: _Optional[_Union[_service_request_pb2.Channel, str]] = ..., kind: _Optional[_Union[_service_request_pb2.ServiceRequestKind, str]] = ..., category: _Optional[str] = ..., sub_category: _Optional[str] = ..., priority: _Optional[_Union[_service_request_pb2.Priority, str]] = ..., subject: _Optional[str] = ..., description: _Optional[str] = ..., reason_codes: _Optional[_Iterable[str]] = ..., assignee: _Optional[_Union[_service_request_pb2.Assignee, _Mapping]] = ..., source_system: _Optional[str] = ..., external_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ..., open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetServiceRequestRequest(_message.Message):
    __slots__ = ("service_request_id",)
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    service_request_id: str
    def __init__(self, service_request_id: _Optional[str] = ...) -> None: ...

class ListServiceRequestsRequest(_message.Message):
    __slots__ = ("customer_id", "assignee_agent_id", "queue", "states", "overdue", "due_within", "kind", "priority", "page_size", "page_token")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    DUE_WITHIN_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    assignee_agent_id: str
    queue: str
    states: _containers.RepeatedScalarFieldContainer[_service_request_pb2.ServiceRequestState]
    overdue: bool
    due_within: _duration_pb2.Duration
    kind: _service_request_pb2.ServiceRequestKind
    priority: _service_request_pb2.Priority
    page_size: int
    page_token: str
    def __init__(self, customer_id: _Optional[str] = ..., assignee_agent_id: _Optional[str] = ..., queue: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_service_request_pb2.ServiceRequestState, str]]] = ..., overdue: _Optional[bool] = ..., due_within: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., kind: _Optional[_Union[_service_request_pb2.ServiceRequestKind, str]] = ..., priority: _Optional[_Union[_service_request_pb2.Priority, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListServiceRequestsResponse(_message.Message):
    __slots__ = ("service_requests", "next_page_token")
    SERVICE_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    service_requests: _containers.RepeatedCompositeFieldContainer[_service_request_pb2.ServiceRequest]
    next_page_token: str
    def __init__(self, service_requests: _Optional[_Iterable[_Union[_service_request_pb2.ServiceRequest, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AssignServiceRequestRequest(_message.Message):
    __slots__ = ("service_request_id", "expected_version", "assignee", "note", "actor", "request_id")
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    service_request_id: str
    expected_version: int
    assignee: _service_request_pb2.Assignee
    note: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, service_request_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., assignee: _Optional[_Union[_service_request_pb2.Assignee, _Mapping]] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ChangeServiceRequestStateRequest(_message.Message):
    __slots__ = ("service_request_id", "expected_version", "target_state", "resolution_code", "note", "actor", "occur_time", "request_id")
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    TARGET_STATE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_CODE_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    service_request_id: str
    expected_version: int
    target_state: _service_request_pb2.ServiceRequestState
    resolution_code: str
    note: str
    actor: _common_pb2.Actor
    occur_time: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, service_request_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., target_state: _Optional[_Union[_service_request_pb2.ServiceRequestState, str]] = ..., resolution_code: _Optional[str] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class LogInteractionRequest(_message.Message):
    __slots__ = ("interaction", "request_id")
    INTERACTION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    interaction: _service_request_pb2.Interaction
    request_id: str
    def __init__(self, interaction: _Optional[_Union[_service_request_pb2.Interaction, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListInteractionsRequest(_message.Message):
    __slots__ = ("service_request_id", "customer_id", "orphaned_only", "page_size", "page_token")
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ORPHANED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    service_request_id: str
    customer_id: str
    orphaned_only: bool
    page_size: int
    page_token: str
    def __init__(self, service_request_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., orphaned_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListInteractionsResponse(_message.Message):
    __slots__ = ("interactions", "next_page_token")
    INTERACTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    interactions: _containers.RepeatedCompositeFieldContainer[_service_request_pb2.Interaction]
    next_page_token: str
    def __init__(self, interactions: _Optional[_Iterable[_Union[_service_request_pb2.Interaction, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetContactSuppressionRequest(_message.Message):
    __slots__ = ("customer_id",)
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    def __init__(self, customer_id: _Optional[str] = ...) -> None: ...

class GetContactSuppressionResponse(_message.Message):
    __slots__ = ("customer_id", "suppressed", "reason", "service_request_ids", "suppress_time")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    SUPPRESS_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    suppressed: bool
    reason: str
    service_request_ids: _containers.RepeatedScalarFieldContainer[str]
    suppress_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., suppressed: _Optional[bool] = ..., reason: _Optional[str] = ..., service_request_ids: _Optional[_Iterable[str]] = ..., suppress_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OpenServiceRequestResponse(_message.Message):
    __slots__ = ("service_request", "outcome")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    outcome: _common_pb2.WriteOutcome
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetServiceRequestResponse(_message.Message):
    __slots__ = ("service_request",)
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ...) -> None: ...

class AssignServiceRequestResponse(_message.Message):
    __slots__ = ("service_request", "outcome")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    outcome: _common_pb2.WriteOutcome
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ChangeServiceRequestStateResponse(_message.Message):
    __slots__ = ("service_request", "outcome")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    outcome: _common_pb2.WriteOutcome
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class LogInteractionResponse(_message.Message):
    __slots__ = ("interaction", "outcome")
    INTERACTION_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    interaction: _service_request_pb2.Interaction
    outcome: _common_pb2.WriteOutcome
    def __init__(self, interaction: _Optional[_Union[_service_request_pb2.Interaction, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...
