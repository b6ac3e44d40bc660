import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as _service_request_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ServiceRequestOpened(_message.Message):
    __slots__ = ("service_request",)
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ...) -> None: ...

class ServiceRequestAssigned(_message.Message):
    __slots__ = ("service_request", "previous_assignee", "actor")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_ASSIGNEE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    previous_assignee: _service_request_pb2.Assignee
    actor: _common_pb2.Actor
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., previous_assignee: _Optional[_Union[_service_request_pb2.Assignee, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ServiceRequestStateChanged(_message.Message):
    __slots__ = ("service_request", "from_state", "to_state", "actor", "occur_time")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    from_state: _service_request_pb2.ServiceRequestState
    to_state: _service_request_pb2.ServiceRequestState
    actor: _common_pb2.Actor
    occur_time: _timestamp_pb2.Timestamp
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., from_state: _Optional[_Union[_service_request_pb2.ServiceRequestState, str]] = ..., to_state: _Optional[_Union[_service_request_pb2.ServiceRequestState, str]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServiceRequestResolved(_message.Message):
    __slots__ = ("service_request", "resolve_time")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    resolve_time: _timestamp_pb2.Timestamp
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ServiceRequestClosed(_message.Message):
    __slots__ = ("service_request", "close_time")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    CLOSE_TIME_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    close_time: _timestamp_pb2.Timestamp
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., close_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class InteractionLogged(_message.Message):
    __slots__ = ("interaction",)
    INTERACTION_FIELD_NUMBER: _ClassVar[int]
    interaction: _service_request_pb2.Interaction
    def __init__(self, interaction: _Optional[_Union[_service_request_pb2.Interaction, _Mapping]] = ...) -> None: ...

class SlaBreached(_message.Message):
    __slots__ = ("service_request", "breach", "due_time", "detect_time")
    class SlaBreachKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SLA_BREACH_KIND_UNSPECIFIED: _ClassVar[SlaBreached.SlaBreachKind]
        SLA_BREACH_KIND_RESPONSE: _ClassVar[SlaBreached.SlaBreachKind]
        SLA_BREACH_KIND_RESOLUTION: _ClassVar[SlaBreached.SlaBreachKind]
    SLA_BREACH_KIND_UNSPECIFIED: SlaBreached.SlaBreachKind
    SLA_BREACH_KIND_RESPONSE: SlaBreached.SlaBreachKind
    SLA_BREACH_KIND_RESOLUTION: SlaBreached.SlaBreachKind
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    BREACH_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    DETECT_TIME_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    breach: SlaBreached.SlaBreachKind
    due_time: _timestamp_pb2.Timestamp
    detect_time: _timestamp_pb2.Timestamp
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., breach: _Optional[_Union[SlaBreached.SlaBreachKind, str]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., detect_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ContactSuppressionChanged(_message.Message):
    __slots__ = ("customer_id", "suppressed", "reason", "service_request_ids", "change_time")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    suppressed: bool
    reason: str
    service_request_ids: _containers.RepeatedScalarFieldContainer[str]
    change_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., suppressed: _Optional[bool] = ..., reason: _Optional[str] = ..., service_request_ids: _Optional[_Iterable[str]] = ..., change_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TracerIssued(_message.Message):
    __slots__ = ("service_request", "order_id", "shipment")
    SERVICE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SHIPMENT_FIELD_NUMBER: _ClassVar[int]
    service_request: _service_request_pb2.ServiceRequest
    order_id: str
    shipment: _service_request_pb2.Shipment
    def __init__(self, service_request: _Optional[_Union[_service_request_pb2.ServiceRequest, _Mapping]] = ..., order_id: _Optional[str] = ..., shipment: _Optional[_Union[_service_request_pb2.Shipment, _Mapping]] = ...) -> None: ...

class CustomerTraitsCaptured(_message.Message):
    __slots__ = ("customer_id", "traits", "run_id", "script_id", "capture_time")
    class Trait(_message.Message):
        __slots__ = ("name", "value")
        NAME_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        name: str
        value: str
        def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    TRAITS_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    traits: _containers.RepeatedCompositeFieldContainer[CustomerTraitsCaptured.Trait]
    run_id: str
    script_id: str
    capture_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., traits: _Optional[_Iterable[_Union[CustomerTraitsCaptured.Trait, _Mapping]]] = ..., run_id: _Optional[str] = ..., script_id: _Optional[str] = ..., capture_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
