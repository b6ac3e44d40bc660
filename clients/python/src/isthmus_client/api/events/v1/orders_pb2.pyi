import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.orders.v1 import order_pb2 as _order_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderPlaced(_message.Message):
    __slots__ = ("order",)
    ORDER_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ...) -> None: ...

class OrderPaid(_message.Message):
    __slots__ = ("order", "amount", "payment_reference", "pay_time")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    amount: _common_pb2.Money
    payment_reference: str
    pay_time: _timestamp_pb2.Timestamp
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payment_reference: _Optional[str] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderCancelled(_message.Message):
    __slots__ = ("order", "cancellation", "was_paid")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_FIELD_NUMBER: _ClassVar[int]
    WAS_PAID_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    cancellation: _order_pb2.Cancellation
    was_paid: bool
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., cancellation: _Optional[_Union[_order_pb2.Cancellation, _Mapping]] = ..., was_paid: _Optional[bool] = ...) -> None: ...

class OrderShipped(_message.Message):
    __slots__ = ("order", "carrier", "tracking_number", "ship_time")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    SHIP_TIME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    carrier: str
    tracking_number: str
    ship_time: _timestamp_pb2.Timestamp
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., carrier: _Optional[str] = ..., tracking_number: _Optional[str] = ..., ship_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderDelivered(_message.Message):
    __slots__ = ("order", "deliver_time")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    deliver_time: _timestamp_pb2.Timestamp
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderCompleted(_message.Message):
    __slots__ = ("order", "complete_time")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    complete_time: _timestamp_pb2.Timestamp
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderReturned(_message.Message):
    __slots__ = ("order", "order_return", "returned_lines")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    ORDER_RETURN_FIELD_NUMBER: _ClassVar[int]
    RETURNED_LINES_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    order_return: _order_pb2.OrderReturn
    returned_lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderLine]
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., order_return: _Optional[_Union[_order_pb2.OrderReturn, _Mapping]] = ..., returned_lines: _Optional[_Iterable[_Union[_order_pb2.OrderLine, _Mapping]]] = ...) -> None: ...

class OrderBackordered(_message.Message):
    __slots__ = ("order", "backordered_lines", "reason", "expect_time")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    BACKORDERED_LINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPECT_TIME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    backordered_lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderLine]
    reason: str
    expect_time: _timestamp_pb2.Timestamp
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., backordered_lines: _Optional[_Iterable[_Union[_order_pb2.OrderLine, _Mapping]]] = ..., reason: _Optional[str] = ..., expect_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderBackorderReleased(_message.Message):
    __slots__ = ("order", "released_lines")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    RELEASED_LINES_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    released_lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderLine]
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., released_lines: _Optional[_Iterable[_Union[_order_pb2.OrderLine, _Mapping]]] = ...) -> None: ...

class OrderInstalmentPaid(_message.Message):
    __slots__ = ("order", "number", "amount", "payment_reference", "pay_time")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    number: int
    amount: _common_pb2.Money
    payment_reference: str
    pay_time: _timestamp_pb2.Timestamp
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., number: _Optional[int] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., payment_reference: _Optional[str] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OrderPaymentMethodChanged(_message.Message):
    __slots__ = ("order", "line_ids", "payment_method")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    LINE_IDS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    line_ids: _containers.RepeatedScalarFieldContainer[str]
    payment_method: str
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., line_ids: _Optional[_Iterable[str]] = ..., payment_method: _Optional[str] = ...) -> None: ...

class OrderDeliveryEstimateChanged(_message.Message):
    __slots__ = ("order", "lines", "reason")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderLine]
    reason: str
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[_order_pb2.OrderLine, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...

class OrderRepriced(_message.Message):
    __slots__ = ("order", "lines", "reason")
    ORDER_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    order: _order_pb2.Order
    lines: _containers.RepeatedCompositeFieldContainer[_order_pb2.OrderLine]
    reason: str
    def __init__(self, order: _Optional[_Union[_order_pb2.Order, _Mapping]] = ..., lines: _Optional[_Iterable[_Union[_order_pb2.OrderLine, _Mapping]]] = ..., reason: _Optional[str] = ...) -> None: ...
