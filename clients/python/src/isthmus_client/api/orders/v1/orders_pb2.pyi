import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.orders.v1 import order_pb2 as _order_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StockMovementKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STOCK_MOVEMENT_KIND_UNSPECIFIED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_COUNTED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_RECEIVED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_ALLOCATED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_DEALLOCATED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_SHIPPED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_RESTOCKED: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_WRITTEN_OFF: _ClassVar[StockMovementKind]
    STOCK_MOVEMENT_KIND_HELD: _ClassVar[StockMovementKind]
STOCK_MOVEMENT_KIND_UNSPECIFIED: StockMovementKind
STOCK_MOVEMENT_KIND_COUNTED: StockMovementKind
STOCK_MOVEMENT_KIND_RECEIVED: StockMovementKind
STOCK_MOVEMENT_KIND_ALLOCATED: StockMovementKind
STOCK_MOVEMENT_KIND_DEALLOCATED: StockMovementKind
STOCK_MOVEMENT_KIND_SHIPPED: StockMovementKind
STOCK_MOVEMENT_KIND_RESTOCKED: StockMovementKind
STOCK_MOVEMENT_KIND_WRITTEN_OFF: StockMovementKind
STOCK_MOVEMENT_KIND_HELD: StockMovementKind

class CreateOrderRequest(_message.Message):
    __slots__ = ("source_system", "external_order_id", "customer_id", "channel", "currency_code", "lines", "adjustments", "coupon_codes", "shipping_address", "billing_address", "place_time", "attributes", "actor")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BILLING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PLACE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    source_system: str
    external_order_id: str
    customer_id: str
    channel: _order_pb2.OrderChannel
    currency_code: str
    lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderLine]
    adjustments: _containers.RepeatedCompositeFieldContainer[_order_pb2.Adjustment]
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    shipping_address: _common_pb2.PostalAddress
    billing_address: _common_pb2.PostalAddress
    place_time: _timestamp_pb2.Timestamp
    attributes: _containers.ScalarMap[str, str]
    actor: _common_pb2.Actor
    def __init__(self, source_system: _Optional[str] = ..., external_order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., channel: _Optional[_Union[_order_pb2.OrderChannel, str]] = ..., currency_code: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_order_pb2.OrderLine, _Mapping]]] = ..., adjustments: _Optional[_Iterable[_Union[_order_pb2.Adjustment, _Mapping]]] = ..., coupon_codes: _Optional[_Iterable[str]] = ..., shipping_address: _Optional[_Union[_common_pb2.PostalAddress, _Mapping]] = ..., billing_address: _Optional[_Union[_common_pb2.PostalAddress, _Mapping]] = ..., place_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CreateOrderResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetOrderRequest(_message.Message):
    __slots__ = ("order_id",)
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    def __init__(self, order_id: _Optional[str] = ...) -> None: ...

class GetOrderByExternalIdRequest(_message.Message):
    __slots__ = ("source_system", "external_order_id")
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    source_system: str
    external_order_id: str
    def __init__(self, source_system: _Optional[str] = ..., external_order_id: _Optional[str] = ...) -> None: ...

class ListOrdersRequest(_message.Message):
    __slots__ = ("customer_id", "states", "page_size", "page_token", "customer_state")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_STATE_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    states: _containers.RepeatedScalarFieldContainer[_order_pb2.OrderState]
    page_size: int
    page_token: str
    customer_state: _order_pb2.CustomerState
    def __init__(self, customer_id: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_order_pb2.OrderState, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., customer_state: _Optional[_Union[_order_pb2.CustomerState, str]] = ...) -> None: ...

class ListOrdersResponse(_message.Message):
    __slots__ = ("orders", "next_page_token")
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    orders: _containers.RepeatedCompositeFieldContainer[_order_pb2.Order]
    next_page_token: str
    def __init__(self, orders: _Optional[_Iterable[_Union[_order_pb2.Order, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class PayOrderRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "amount", "payment_reference", "pay_time", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    amount: _common_pb2.Money
    payment_reference: str
    pay_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payment_reference: _Optional[str] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ShipOrderRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "carrier", "tracking_number", "ship_time", "actor", "request_id", "warehouse", "manifest_number")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SHIP_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_NUMBER_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    carrier: str
    tracking_number: str
    ship_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    request_id: str
    warehouse: str
    manifest_number: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., carrier: _Optional[str] = ..., tracking_number: _Optional[str] = ..., ship_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ..., warehouse: _Optional[str] = ..., manifest_number: _Optional[str] = ...) -> None: ...

class DeliverOrderRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "deliver_time", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    deliver_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CompleteOrderRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "complete_time", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    complete_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CancelOrderRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "reason_code", "reason_text", "actor", "cancel_time", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_TEXT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    reason_code: _order_pb2.CancellationReason
    reason_text: str
    actor: _common_pb2.Actor
    cancel_time: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., reason_code: _Optional[_Union[_order_pb2.CancellationReason, str]] = ..., reason_text: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReturnOrderLinesRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "lines", "exchange", "actor", "return_time", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    RETURN_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.ReturnLine]
    exchange: bool
    actor: _common_pb2.Actor
    return_time: _timestamp_pb2.Timestamp
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[_order_pb2.ReturnLine, _Mapping]]] = ..., exchange: _Optional[bool] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., return_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReturnOrderLinesResponse(_message.Message):
    __slots__ = ("order", "order_return", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    ORDER_RETURN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    order_return: _order_pb2.OrderReturn
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., order_return: _Optional[_Union[_order_pb2.OrderReturn, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class BackorderLine(_message.Message):
    __slots__ = ("line_id", "quantity", "expect_time")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    EXPECT_TIME_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    quantity: int
    expect_time: _timestamp_pb2.Timestamp
    def __init__(self, line_id: _Optional[str] = ..., quantity: _Optional[int] = ..., expect_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class BackorderLinesRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "lines", "reason", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    lines: _containers.RepeatedCompositeFieldContainer[BackorderLine]
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[BackorderLine, _Mapping]]] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReleaseBackorderRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "lines", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    lines: _containers.RepeatedCompositeFieldContainer[BackorderLine]
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[BackorderLine, _Mapping]]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListOrderHistoryEntriesRequest(_message.Message):
    __slots__ = ("order_id", "customer_id", "kinds", "page_size", "page_token")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    customer_id: str
    kinds: _containers.RepeatedScalarFieldContainer[_order_pb2.OrderHistoryKind]
    page_size: int
    page_token: str
    def __init__(self, order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[_order_pb2.OrderHistoryKind, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListOrderHistoryEntriesResponse(_message.Message):
    __slots__ = ("order_history_entries", "next_page_token")
    ORDER_HISTORY_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    order_history_entries: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderHistoryEntry]
    next_page_token: str
    def __init__(self, order_history_entries: _Optional[_Iterable[_Union[_order_pb2.OrderHistoryEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CreateCouponRequest(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _order_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_order_pb2.Coupon, _Mapping]] = ...) -> None: ...

class GetCouponRequest(_message.Message):
    __slots__ = ("code",)
    CODE_FIELD_NUMBER: _ClassVar[int]
    code: str
    def __init__(self, code: _Optional[str] = ...) -> None: ...

class ValidateCouponRequest(_message.Message):
    __slots__ = ("code", "customer_id", "subtotal", "as_of_time")
    CODE_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    code: str
    customer_id: str
    subtotal: _common_pb2.Money
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., customer_id: _Optional[str] = ..., subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ValidateCouponResponse(_message.Message):
    __slots__ = ("valid", "rejection", "message", "discount", "coupon")
    VALID_FIELD_NUMBER: _ClassVar[int]
    REJECTION_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_FIELD_NUMBER: _ClassVar[int]
    COUPON_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    rejection: _order_pb2.CouponRejection
    message: str
    discount: _common_pb2.Money
    coupon: _order_pb2.Coupon
    def __init__(self, valid: _Optional[bool] = ..., rejection: _Optional[_Union[_order_pb2.CouponRejection, str]] = ..., message: _Optional[str] = ..., discount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., coupon: _Optional[_Union[_order_pb2.Coupon, _Mapping]] = ...) -> None: ...

class GetOrderResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class GetOrderByExternalIdResponse(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class PayOrderResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ShipOrderResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class DeliverOrderResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class CompleteOrderResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class CancelOrderResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class BackorderLinesResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ReleaseBackorderResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class FinalPrice(_message.Message):
    __slots__ = ("line_id", "unit_price")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    unit_price: _common_pb2.Money
    def __init__(self, line_id: _Optional[str] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class SetFinalPricesRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "lines", "reason", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    lines: _containers.RepeatedCompositeFieldContainer[FinalPrice]
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[FinalPrice, _Mapping]]] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SetFinalPricesResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class LineEstimate(_message.Message):
    __slots__ = ("line_id", "ship_date", "delivery_date")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    SHIP_DATE_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    ship_date: _common_pb2.Date
    delivery_date: _common_pb2.Date
    def __init__(self, line_id: _Optional[str] = ..., ship_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., delivery_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ...) -> None: ...

class UpdateDeliveryEstimateRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "lines", "reason", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    lines: _containers.RepeatedCompositeFieldContainer[LineEstimate]
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., lines: _Optional[_Iterable[_Union[LineEstimate, _Mapping]]] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateDeliveryEstimateResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class PayInstalmentRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "number", "amount", "payment_reference", "pay_time", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    number: int
    amount: _common_pb2.Money
    payment_reference: str
    pay_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., number: _Optional[int] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payment_reference: _Optional[str] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PayInstalmentResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ChangePaymentMethodRequest(_message.Message):
    __slots__ = ("order_id", "expected_version", "line_ids", "payment_method", "reason", "actor", "request_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    expected_version: int
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    payment_method: str
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, order_id: _Optional[str] = ..., expected_version: _Optional[int] = ..., line_ids: _Optional[_Iterable[str]] = ..., payment_method: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ChangePaymentMethodResponse(_message.Message):
    __slots__ = ("order", "outcome")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    outcome: _common_pb2.WriteOutcome
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class CreateCouponResponse(_message.Message):
    __slots__ = ("coupon", "outcome")
    COUPON_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    coupon: _order_pb2.Coupon
    outcome: _common_pb2.WriteOutcome
    def __init__(self, coupon: _Optional[_Union[_order_pb2.Coupon, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetCouponResponse(_message.Message):
    __slots__ = ("coupon",)
    COUPON_FIELD_NUMBER: _ClassVar[int]
    coupon: _order_pb2.Coupon
    def __init__(self, coupon: _Optional[_Union[_order_pb2.Coupon, _Mapping]] = ...) -> None: ...

class StockLevel(_message.Message):
    __slots__ = ("sku", "tracked", "description", "on_hand", "allocated", "available", "holds", "backordered", "expected_receipt_time", "available_to_customer", "version", "update_time")
    SKU_FIELD_NUMBER: _ClassVar[int]
    TRACKED_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_FIELD_NUMBER: _ClassVar[int]
    HOLDS_FIELD_NUMBER: _ClassVar[int]
    BACKORDERED_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_RECEIPT_TIME_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_TO_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    sku: str
    tracked: bool
    description: str
    on_hand: int
    allocated: int
    available: int
    holds: _containers.RepeatedCompositeFieldContainer[StockHold]
    backordered: int
    expected_receipt_time: _timestamp_pb2.Timestamp
    available_to_customer: int
    version: int
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, sku: _Optional[str] = ..., tracked: _Optional[bool] = ..., description: _Optional[str] = ..., on_hand: _Optional[int] = ..., allocated: _Optional[int] = ..., available: _Optional[int] = ..., holds: _Optional[_Iterable[_Union[StockHold, _Mapping]]] = ..., backordered: _Optional[int] = ..., expected_receipt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., available_to_customer: _Optional[int] = ..., version: _Optional[int] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class StockHold(_message.Message):
    __slots__ = ("tier", "quantity")
    TIER_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    tier: _common_pb2.ValueTier
    quantity: int
    def __init__(self, tier: _Optional[_Union[_common_pb2.ValueTier, str]] = ..., quantity: _Optional[int] = ...) -> None: ...

class StockMovement(_message.Message):
    __slots__ = ("sku", "kind", "quantity", "order_id", "line_id", "reference", "reason", "on_hand", "allocated", "occur_time", "actor")
    SKU_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    sku: str
    kind: StockMovementKind
    quantity: int
    order_id: str
    line_id: str
    reference: str
    reason: str
    on_hand: int
    allocated: int
    occur_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, sku: _Optional[str] = ..., kind: _Optional[_Union[StockMovementKind, str]] = ..., quantity: _Optional[int] = ..., order_id: _Optional[str] = ..., line_id: _Optional[str] = ..., reference: _Optional[str] = ..., reason: _Optional[str] = ..., on_hand: _Optional[int] = ..., allocated: _Optional[int] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class SetStockLevelRequest(_message.Message):
    __slots__ = ("sku", "on_hand", "expected_receipt_time", "clear_expected_receipt", "description", "reason", "actor", "request_id")
    SKU_FIELD_NUMBER: _ClassVar[int]
    ON_HAND_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_RECEIPT_TIME_FIELD_NUMBER: _ClassVar[int]
    CLEAR_EXPECTED_RECEIPT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    sku: str
    on_hand: int
    expected_receipt_time: _timestamp_pb2.Timestamp
    clear_expected_receipt: bool
    description: str
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, sku: _Optional[str] = ..., on_hand: _Optional[int] = ..., expected_receipt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., clear_expected_receipt: _Optional[bool] = ..., description: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class SetStockLevelResponse(_message.Message):
    __slots__ = ("stock", "outcome")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    outcome: _common_pb2.WriteOutcome
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ReceiveStockRequest(_message.Message):
    __slots__ = ("sku", "quantity", "reference", "receive_time", "actor")
    SKU_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    sku: str
    quantity: int
    reference: str
    receive_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, sku: _Optional[str] = ..., quantity: _Optional[int] = ..., reference: _Optional[str] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class ReceiveStockResponse(_message.Message):
    __slots__ = ("stock", "filled_order_ids", "outcome")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    FILLED_ORDER_IDS_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    filled_order_ids: _containers.RepeatedScalarFieldContainer[str]
    outcome: _common_pb2.WriteOutcome
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., filled_order_ids: _Optional[_Iterable[str]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class HoldStockRequest(_message.Message):
    __slots__ = ("sku", "tier", "quantity", "reason", "actor", "request_id")
    SKU_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    sku: str
    tier: _common_pb2.ValueTier
    quantity: int
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, sku: _Optional[str] = ..., tier: _Optional[_Union[_common_pb2.ValueTier, str]] = ..., quantity: _Optional[int] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class HoldStockResponse(_message.Message):
    __slots__ = ("stock", "outcome")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    stock: StockLevel
    outcome: _common_pb2.WriteOutcome
    def __init__(self, stock: _Optional[_Union[StockLevel, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetStockRequest(_message.Message):
    __slots__ = ("skus", "customer_id")
    SKUS_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    skus: _containers.RepeatedScalarFieldContainer[str]
    customer_id: str
    def __init__(self, skus: _Optional[_Iterable[str]] = ..., customer_id: _Optional[str] = ...) -> None: ...

class GetStockResponse(_message.Message):
    __slots__ = ("stock",)
    STOCK_FIELD_NUMBER: _ClassVar[int]
    stock: _containers.RepeatedCompositeFieldContainer[StockLevel]
    def __init__(self, stock: _Optional[_Iterable[_Union[StockLevel, _Mapping]]] = ...) -> None: ...

class ListStockLevelsRequest(_message.Message):
    __slots__ = ("backordered_only", "page_size", "page_token")
    BACKORDERED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    backordered_only: bool
    page_size: int
    page_token: str
    def __init__(self, backordered_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStockLevelsResponse(_message.Message):
    __slots__ = ("stock", "next_page_token")
    STOCK_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    stock: _containers.RepeatedCompositeFieldContainer[StockLevel]
    next_page_token: str
    def __init__(self, stock: _Optional[_Iterable[_Union[StockLevel, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListStockMovementsRequest(_message.Message):
    __slots__ = ("sku", "page_size", "page_token")
    SKU_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    sku: str
    page_size: int
    page_token: str
    def __init__(self, sku: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListStockMovementsResponse(_message.Message):
    __slots__ = ("movements", "next_page_token")
    MOVEMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    movements: _containers.RepeatedCompositeFieldContainer[StockMovement]
    next_page_token: str
    def __init__(self, movements: _Optional[_Iterable[_Union[StockMovement, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...
