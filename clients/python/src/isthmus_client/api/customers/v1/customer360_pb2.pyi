import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as _records_pb2
from isthmus_client.api.orders.v1 import order_pb2 as _order_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as _service_request_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TimelineEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIMELINE_ENTRY_KIND_UNSPECIFIED: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_CUSTOMER: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_ORDER: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_SERVICE_REQUEST: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_INTERACTION: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_LOYALTY: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_CONSENT: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_VALUE: _ClassVar[TimelineEntryKind]
    TIMELINE_ENTRY_KIND_CAMPAIGN: _ClassVar[TimelineEntryKind]
TIMELINE_ENTRY_KIND_UNSPECIFIED: TimelineEntryKind
TIMELINE_ENTRY_KIND_CUSTOMER: TimelineEntryKind
TIMELINE_ENTRY_KIND_ORDER: TimelineEntryKind
TIMELINE_ENTRY_KIND_SERVICE_REQUEST: TimelineEntryKind
TIMELINE_ENTRY_KIND_INTERACTION: TimelineEntryKind
TIMELINE_ENTRY_KIND_LOYALTY: TimelineEntryKind
TIMELINE_ENTRY_KIND_CONSENT: TimelineEntryKind
TIMELINE_ENTRY_KIND_VALUE: TimelineEntryKind
TIMELINE_ENTRY_KIND_CAMPAIGN: TimelineEntryKind

class OrderSummary(_message.Message):
    __slots__ = ("order_count", "revenue", "last_order", "as_of_time", "outstanding", "backordered_units")
    class LastOrder(_message.Message):
        __slots__ = ("order_id", "source_system", "external_order_id", "channel", "state", "total", "place_time", "expected_delivery_date", "delivery_estimate_moved", "next_instalment")
        ORDER_ID_FIELD_NUMBER: _ClassVar[int]
        SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
        EXTERNAL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
        CHANNEL_FIELD_NUMBER: _ClassVar[int]
        STATE_FIELD_NUMBER: _ClassVar[int]
        TOTAL_FIELD_NUMBER: _ClassVar[int]
        PLACE_TIME_FIELD_NUMBER: _ClassVar[int]
        EXPECTED_DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
        DELIVERY_ESTIMATE_MOVED_FIELD_NUMBER: _ClassVar[int]
        NEXT_INSTALMENT_FIELD_NUMBER: _ClassVar[int]
        order_id: str
        source_system: str
        external_order_id: str
        channel: _order_pb2.OrderChannel
        state: _order_pb2.OrderState
        total: _common_pb2.Money
        place_time: _timestamp_pb2.Timestamp
        expected_delivery_date: _common_pb2.Date
        delivery_estimate_moved: bool
        next_instalment: _order_pb2.OrderInstalment
        def __init__(self, order_id: _Optional[str] = ..., source_system: _Optional[str] = ..., external_order_id: _Optional[str] = ..., channel: _Optional[_Union[_order_pb2.OrderChannel, str]] = ..., state: _Optional[_Union[_order_pb2.OrderState, str]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., place_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expected_delivery_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., delivery_estimate_moved: _Optional[bool] = ..., next_instalment: _Optional[_Union[_order_pb2.OrderInstalment, _Mapping]] = ...) -> None: ...
    ORDER_COUNT_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    LAST_ORDER_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    BACKORDERED_UNITS_FIELD_NUMBER: _ClassVar[int]
    order_count: int
    revenue: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    last_order: OrderSummary.LastOrder
    as_of_time: _timestamp_pb2.Timestamp
    outstanding: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    backordered_units: int
    def __init__(self, order_count: _Optional[int] = ..., revenue: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., last_order: _Optional[_Union[OrderSummary.LastOrder, _Mapping]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., outstanding: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., backordered_units: _Optional[int] = ...) -> None: ...

class ServiceRequestBrief(_message.Message):
    __slots__ = ("service_request_id", "subject", "kind", "state", "priority", "open_time", "resolution_due_time", "sla_breached")
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PRIORITY_FIELD_NUMBER: _ClassVar[int]
    OPEN_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    SLA_BREACHED_FIELD_NUMBER: _ClassVar[int]
    service_request_id: str
    subject: str
    kind: _service_request_pb2.ServiceRequestKind
    state: _service_request_pb2.ServiceRequestState
    priority: _service_request_pb2.Priority
    open_time: _timestamp_pb2.Timestamp
    resolution_due_time: _timestamp_pb2.Timestamp
    sla_breached: bool
    def __init__(self, service_request_id: _Optional[str] = ..., subject: _Optional[str] = ..., kind: _Optional[_Union[_service_request_pb2.ServiceRequestKind, str]] = ..., state: _Optional[_Union[_service_request_pb2.ServiceRequestState, str]] = ..., priority: _Optional[_Union[_service_request_pb2.Priority, str]] = ..., open_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolution_due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sla_breached: _Optional[bool] = ...) -> None: ...

class ServiceRequestSummary(_message.Message):
    __slots__ = ("open", "recent", "as_of_time")
    OPEN_FIELD_NUMBER: _ClassVar[int]
    RECENT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    open: _containers.RepeatedCompositeFieldContainer[ServiceRequestBrief]
    recent: _containers.RepeatedCompositeFieldContainer[ServiceRequestBrief]
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, open: _Optional[_Iterable[_Union[ServiceRequestBrief, _Mapping]]] = ..., recent: _Optional[_Iterable[_Union[ServiceRequestBrief, _Mapping]]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LoyaltySummary(_message.Message):
    __slots__ = ("enrolled", "tier_id", "tier_name", "points_balance", "points_debt", "as_of_time")
    ENROLLED_FIELD_NUMBER: _ClassVar[int]
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_NAME_FIELD_NUMBER: _ClassVar[int]
    POINTS_BALANCE_FIELD_NUMBER: _ClassVar[int]
    POINTS_DEBT_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    enrolled: bool
    tier_id: str
    tier_name: str
    points_balance: int
    points_debt: int
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, enrolled: _Optional[bool] = ..., tier_id: _Optional[str] = ..., tier_name: _Optional[str] = ..., points_balance: _Optional[int] = ..., points_debt: _Optional[int] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ValueSummary(_message.Message):
    __slots__ = ("lifetime_value", "historical_value", "predicted_value", "churn_risk", "alive_probability", "rfm", "as_of_time", "tier", "credit_rank", "credit_reasons")
    LIFETIME_VALUE_FIELD_NUMBER: _ClassVar[int]
    HISTORICAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_VALUE_FIELD_NUMBER: _ClassVar[int]
    CHURN_RISK_FIELD_NUMBER: _ClassVar[int]
    ALIVE_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    RFM_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    CREDIT_RANK_FIELD_NUMBER: _ClassVar[int]
    CREDIT_REASONS_FIELD_NUMBER: _ClassVar[int]
    lifetime_value: _common_pb2.Money
    historical_value: _common_pb2.Money
    predicted_value: _common_pb2.Money
    churn_risk: bool
    alive_probability: float
    rfm: str
    as_of_time: _timestamp_pb2.Timestamp
    tier: _common_pb2.ValueTier
    credit_rank: _common_pb2.CreditRank
    credit_reasons: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, lifetime_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., historical_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., predicted_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., churn_risk: _Optional[bool] = ..., alive_probability: _Optional[float] = ..., rfm: _Optional[str] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tier: _Optional[_Union[_common_pb2.ValueTier, str]] = ..., credit_rank: _Optional[_Union[_common_pb2.CreditRank, str]] = ..., credit_reasons: _Optional[_Iterable[str]] = ...) -> None: ...

class ContactSuppression(_message.Message):
    __slots__ = ("suppressed", "reason", "service_request_ids", "suppress_time")
    SUPPRESSED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUEST_IDS_FIELD_NUMBER: _ClassVar[int]
    SUPPRESS_TIME_FIELD_NUMBER: _ClassVar[int]
    suppressed: bool
    reason: str
    service_request_ids: _containers.RepeatedScalarFieldContainer[str]
    suppress_time: _timestamp_pb2.Timestamp
    def __init__(self, suppressed: _Optional[bool] = ..., reason: _Optional[str] = ..., service_request_ids: _Optional[_Iterable[str]] = ..., suppress_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TimelineEntry(_message.Message):
    __slots__ = ("event_id", "event_type", "kind", "occur_time", "summary", "order_channel", "service_request_channel", "references")
    class ReferencesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    ORDER_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUEST_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    REFERENCES_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    event_type: str
    kind: TimelineEntryKind
    occur_time: _timestamp_pb2.Timestamp
    summary: str
    order_channel: _order_pb2.OrderChannel
    service_request_channel: _service_request_pb2.Channel
    references: _containers.ScalarMap[str, str]
    def __init__(self, event_id: _Optional[str] = ..., event_type: _Optional[str] = ..., kind: _Optional[_Union[TimelineEntryKind, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., summary: _Optional[str] = ..., order_channel: _Optional[_Union[_order_pb2.OrderChannel, str]] = ..., service_request_channel: _Optional[_Union[_service_request_pb2.Channel, str]] = ..., references: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Customer360(_message.Message):
    __slots__ = ("customer", "orders", "service_requests", "loyalty", "contact_suppression", "timeline", "timeline_next_page_token", "value")
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    LOYALTY_FIELD_NUMBER: _ClassVar[int]
    CONTACT_SUPPRESSION_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_FIELD_NUMBER: _ClassVar[int]
    TIMELINE_NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    customer: _records_pb2.Customer
    orders: OrderSummary
    service_requests: ServiceRequestSummary
    loyalty: LoyaltySummary
    contact_suppression: ContactSuppression
    timeline: _containers.RepeatedCompositeFieldContainer[TimelineEntry]
    timeline_next_page_token: str
    value: ValueSummary
    def __init__(self, customer: _Optional[_Union[_records_pb2.Customer, _Mapping]] = ..., orders: _Optional[_Union[OrderSummary, _Mapping]] = ..., service_requests: _Optional[_Union[ServiceRequestSummary, _Mapping]] = ..., loyalty: _Optional[_Union[LoyaltySummary, _Mapping]] = ..., contact_suppression: _Optional[_Union[ContactSuppression, _Mapping]] = ..., timeline: _Optional[_Iterable[_Union[TimelineEntry, _Mapping]]] = ..., timeline_next_page_token: _Optional[str] = ..., value: _Optional[_Union[ValueSummary, _Mapping]] = ...) -> None: ...
