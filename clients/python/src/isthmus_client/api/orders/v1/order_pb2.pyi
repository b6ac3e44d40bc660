import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OrderChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_CHANNEL_UNSPECIFIED: _ClassVar[OrderChannel]
    ORDER_CHANNEL_WEB: _ClassVar[OrderChannel]
    ORDER_CHANNEL_MOBILE_APP: _ClassVar[OrderChannel]
    ORDER_CHANNEL_PHONE: _ClassVar[OrderChannel]
    ORDER_CHANNEL_STORE: _ClassVar[OrderChannel]
    ORDER_CHANNEL_MAIL: _ClassVar[OrderChannel]
    ORDER_CHANNEL_ERP: _ClassVar[OrderChannel]
    ORDER_CHANNEL_TV: _ClassVar[OrderChannel]
    ORDER_CHANNEL_MARKETPLACE: _ClassVar[OrderChannel]
    ORDER_CHANNEL_OTHER: _ClassVar[OrderChannel]

class OrderState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_STATE_UNSPECIFIED: _ClassVar[OrderState]
    ORDER_STATE_PLACED: _ClassVar[OrderState]
    ORDER_STATE_PAID: _ClassVar[OrderState]
    ORDER_STATE_SHIPPED: _ClassVar[OrderState]
    ORDER_STATE_DELIVERED: _ClassVar[OrderState]
    ORDER_STATE_COMPLETED: _ClassVar[OrderState]
    ORDER_STATE_CANCELLED: _ClassVar[OrderState]

class AdjustmentKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ADJUSTMENT_KIND_UNSPECIFIED: _ClassVar[AdjustmentKind]
    ADJUSTMENT_KIND_TAX: _ClassVar[AdjustmentKind]
    ADJUSTMENT_KIND_DISCOUNT: _ClassVar[AdjustmentKind]
    ADJUSTMENT_KIND_SHIPPING: _ClassVar[AdjustmentKind]
    ADJUSTMENT_KIND_FEE: _ClassVar[AdjustmentKind]

class CancellationReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CANCELLATION_REASON_UNSPECIFIED: _ClassVar[CancellationReason]
    CANCELLATION_REASON_CUSTOMER_REQUEST: _ClassVar[CancellationReason]
    CANCELLATION_REASON_PAYMENT_FAILED: _ClassVar[CancellationReason]
    CANCELLATION_REASON_OUT_OF_STOCK: _ClassVar[CancellationReason]
    CANCELLATION_REASON_FRAUD_SUSPECTED: _ClassVar[CancellationReason]
    CANCELLATION_REASON_DUPLICATE: _ClassVar[CancellationReason]
    CANCELLATION_REASON_ADDRESS_INVALID: _ClassVar[CancellationReason]
    CANCELLATION_REASON_OTHER: _ClassVar[CancellationReason]

class ReturnReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RETURN_REASON_UNSPECIFIED: _ClassVar[ReturnReason]
    RETURN_REASON_DAMAGED: _ClassVar[ReturnReason]
    RETURN_REASON_DEFECTIVE: _ClassVar[ReturnReason]
    RETURN_REASON_WRONG_ITEM: _ClassVar[ReturnReason]
    RETURN_REASON_NOT_AS_DESCRIBED: _ClassVar[ReturnReason]
    RETURN_REASON_SIZE_OR_FIT: _ClassVar[ReturnReason]
    RETURN_REASON_CHANGED_MIND: _ClassVar[ReturnReason]
    RETURN_REASON_LATE_DELIVERY: _ClassVar[ReturnReason]
    RETURN_REASON_OTHER: _ClassVar[ReturnReason]

class CustomerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_STATE_UNSPECIFIED: _ClassVar[CustomerState]
    CUSTOMER_STATE_KNOWN: _ClassVar[CustomerState]
    CUSTOMER_STATE_PENDING: _ClassVar[CustomerState]

class OrderHistoryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ORDER_HISTORY_KIND_UNSPECIFIED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_PLACED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_PAID: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_SHIPPED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_DELIVERED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_COMPLETED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_CANCELLED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_RETURNED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_EXCHANGED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_BACKORDERED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_BACKORDER_RELEASED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_CUSTOMER_CHANGED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_INSTALMENT_PAID: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_PAYMENT_METHOD_CHANGED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_DELIVERY_ESTIMATE_CHANGED: _ClassVar[OrderHistoryKind]
    ORDER_HISTORY_KIND_REPRICED: _ClassVar[OrderHistoryKind]

class CouponDiscountKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_DISCOUNT_KIND_UNSPECIFIED: _ClassVar[CouponDiscountKind]
    COUPON_DISCOUNT_KIND_PERCENT: _ClassVar[CouponDiscountKind]
    COUPON_DISCOUNT_KIND_FIXED_AMOUNT: _ClassVar[CouponDiscountKind]

class CouponRejection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COUPON_REJECTION_UNSPECIFIED: _ClassVar[CouponRejection]
    COUPON_REJECTION_UNKNOWN: _ClassVar[CouponRejection]
    COUPON_REJECTION_NOT_YET_VALID: _ClassVar[CouponRejection]
    COUPON_REJECTION_EXPIRED: _ClassVar[CouponRejection]
    COUPON_REJECTION_ALREADY_USED: _ClassVar[CouponRejection]
    COUPON_REJECTION_EXHAUSTED: _ClassVar[CouponRejection]
    COUPON_REJECTION_WRONG_CURRENCY: _ClassVar[CouponRejection]
    COUPON_REJECTION_BELOW_MINIMUM: _ClassVar[CouponRejection]
ORDER_CHANNEL_UNSPECIFIED: OrderChannel
ORDER_CHANNEL_WEB: OrderChannel
ORDER_CHANNEL_MOBILE_APP: OrderChannel
ORDER_CHANNEL_PHONE: OrderChannel
ORDER_CHANNEL_STORE: OrderChannel
ORDER_CHANNEL_MAIL: OrderChannel
ORDER_CHANNEL_ERP: OrderChannel
ORDER_CHANNEL_TV: OrderChannel
ORDER_CHANNEL_MARKETPLACE: OrderChannel
ORDER_CHANNEL_OTHER: OrderChannel
ORDER_STATE_UNSPECIFIED: OrderState
ORDER_STATE_PLACED: OrderState
ORDER_STATE_PAID: OrderState
ORDER_STATE_SHIPPED: OrderState
ORDER_STATE_DELIVERED: OrderState
ORDER_STATE_COMPLETED: OrderState
ORDER_STATE_CANCELLED: OrderState
ADJUSTMENT_KIND_UNSPECIFIED: AdjustmentKind
ADJUSTMENT_KIND_TAX: AdjustmentKind
ADJUSTMENT_KIND_DISCOUNT: AdjustmentKind
ADJUSTMENT_KIND_SHIPPING: AdjustmentKind
ADJUSTMENT_KIND_FEE: AdjustmentKind
CANCELLATION_REASON_UNSPECIFIED: CancellationReason
CANCELLATION_REASON_CUSTOMER_REQUEST: CancellationReason
CANCELLATION_REASON_PAYMENT_FAILED: CancellationReason
CANCELLATION_REASON_OUT_OF_STOCK: CancellationReason
CANCELLATION_REASON_FRAUD_SUSPECTED: CancellationReason
CANCELLATION_REASON_DUPLICATE: CancellationReason
CANCELLATION_REASON_ADDRESS_INVALID: CancellationReason
CANCELLATION_REASON_OTHER: CancellationReason
RETURN_REASON_UNSPECIFIED: ReturnReason
RETURN_REASON_DAMAGED: ReturnReason
RETURN_REASON_DEFECTIVE: ReturnReason
RETURN_REASON_WRONG_ITEM: ReturnReason
RETURN_REASON_NOT_AS_DESCRIBED: ReturnReason
RETURN_REASON_SIZE_OR_FIT: ReturnReason
RETURN_REASON_CHANGED_MIND: ReturnReason
RETURN_REASON_LATE_DELIVERY: ReturnReason
RETURN_REASON_OTHER: ReturnReason
CUSTOMER_STATE_UNSPECIFIED: CustomerState
CUSTOMER_STATE_KNOWN: CustomerState
CUSTOMER_STATE_PENDING: CustomerState
ORDER_HISTORY_KIND_UNSPECIFIED: OrderHistoryKind
ORDER_HISTORY_KIND_PLACED: OrderHistoryKind
ORDER_HISTORY_KIND_PAID: OrderHistoryKind
ORDER_HISTORY_KIND_SHIPPED: OrderHistoryKind
ORDER_HISTORY_KIND_DELIVERED: OrderHistoryKind
ORDER_HISTORY_KIND_COMPLETED: OrderHistoryKind
ORDER_HISTORY_KIND_CANCELLED: OrderHistoryKind
ORDER_HISTORY_KIND_RETURNED: OrderHistoryKind
ORDER_HISTORY_KIND_EXCHANGED: OrderHistoryKind
ORDER_HISTORY_KIND_BACKORDERED: OrderHistoryKind
ORDER_HISTORY_KIND_BACKORDER_RELEASED: OrderHistoryKind
ORDER_HISTORY_KIND_CUSTOMER_CHANGED: OrderHistoryKind
ORDER_HISTORY_KIND_INSTALMENT_PAID: OrderHistoryKind
ORDER_HISTORY_KIND_PAYMENT_METHOD_CHANGED: OrderHistoryKind
ORDER_HISTORY_KIND_DELIVERY_ESTIMATE_CHANGED: OrderHistoryKind
ORDER_HISTORY_KIND_REPRICED: OrderHistoryKind
COUPON_DISCOUNT_KIND_UNSPECIFIED: CouponDiscountKind
COUPON_DISCOUNT_KIND_PERCENT: CouponDiscountKind
COUPON_DISCOUNT_KIND_FIXED_AMOUNT: CouponDiscountKind
COUPON_REJECTION_UNSPECIFIED: CouponRejection
COUPON_REJECTION_UNKNOWN: CouponRejection
COUPON_REJECTION_NOT_YET_VALID: CouponRejection
COUPON_REJECTION_EXPIRED: CouponRejection
COUPON_REJECTION_ALREADY_USED: CouponRejection
COUPON_REJECTION_EXHAUSTED: CouponRejection
COUPON_REJECTION_WRONG_CURRENCY: CouponRejection
COUPON_REJECTION_BELOW_MINIMUM: CouponRejection

class OrderLine(_message.Message):
    __slots__ = ("line_id", "sku", "description", "quantity", "unit_price", "shipping_method", "category", "line_total", "returned_quantity", "backordered_quantity", "expected_ship_date", "expected_delivery_date", "instalments", "payment_method", "estimated_ship_date", "estimated_delivery_date", "drop_ship_supplier", "price_pending", "allocated_quantity")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    SKU_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_METHOD_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    LINE_TOTAL_FIELD_NUMBER: _ClassVar[int]
    RETURNED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    BACKORDERED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SHIP_DATE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    INSTALMENTS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_METHOD_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_SHIP_DATE_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_DELIVERY_DATE_FIELD_NUMBER: _ClassVar[int]
    DROP_SHIP_SUPPLIER_FIELD_NUMBER: _ClassVar[int]
    PRICE_PENDING_FIELD_NUMBER: _ClassVar[int]
    ALLOCATED_QUANTITY_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    sku: str
    description: str
    quantity: int
    unit_price: _common_pb2.Money
    shipping_method: str
    category: str
    line_total: _common_pb2.Money
    returned_quantity: int
    backordered_quantity: int
    expected_ship_date: _common_pb2.Date
    expected_delivery_date: _common_pb2.Date
    instalments: int
    payment_method: str
    estimated_ship_date: _common_pb2.Date
    estimated_delivery_date: _common_pb2.Date
    drop_ship_supplier: str
    price_pending: bool
    allocated_quantity: int
    def __init__(self, line_id: _Optional[str] = ..., sku: _Optional[str] = ..., description: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_method: _Optional[str] = ..., category: _Optional[str] = ..., line_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., returned_quantity: _Optional[int] = ..., backordered_quantity: _Optional[int] = ..., expected_ship_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., expected_delivery_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., instalments: _Optional[int] = ..., payment_method: _Optional[str] = ..., estimated_ship_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., estimated_delivery_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., drop_ship_supplier: _Optional[str] = ..., price_pending: _Optional[bool] = ..., allocated_quantity: _Optional[int] = ...) -> None: ...

class OrderInstalment(_message.Message):
    __slots__ = ("number", "due_date", "amount", "parts", "pay_time", "payment_reference")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    DUE_DATE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    PARTS_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    number: int
    due_date: _common_pb2.Date
    amount: _common_pb2.Money
    parts: _containers.RepeatedCompositeFieldContainer[InstalmentPart]
    pay_time: _timestamp_pb2.Timestamp
    payment_reference: str
    def __init__(self, number: _Optional[int] = ..., due_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., parts: _Optional[_Iterable[_Union[InstalmentPart, _Mapping]]] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., payment_reference: _Optional[str] = ...) -> None: ...

class InstalmentPart(_message.Message):
    __slots__ = ("line_id", "amount")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    amount: _common_pb2.Money
    def __init__(self, line_id: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class Adjustment(_message.Message):
    __slots__ = ("kind", "description", "amount", "line_id", "coupon_code", "tax_rate", "tax_code")
    KIND_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODE_FIELD_NUMBER: _ClassVar[int]
    TAX_RATE_FIELD_NUMBER: _ClassVar[int]
    TAX_CODE_FIELD_NUMBER: _ClassVar[int]
    kind: AdjustmentKind
    description: str
    amount: _common_pb2.Money
    line_id: str
    coupon_code: str
    tax_rate: str
    tax_code: str
    def __init__(self, kind: _Optional[_Union[AdjustmentKind, str]] = ..., description: _Optional[str] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., line_id: _Optional[str] = ..., coupon_code: _Optional[str] = ..., tax_rate: _Optional[str] = ..., tax_code: _Optional[str] = ...) -> None: ...

class Cancellation(_message.Message):
    __slots__ = ("reason_code", "reason_text", "actor", "cancel_time")
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_TEXT_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CANCEL_TIME_FIELD_NUMBER: _ClassVar[int]
    reason_code: CancellationReason
    reason_text: str
    actor: _common_pb2.Actor
    cancel_time: _timestamp_pb2.Timestamp
    def __init__(self, reason_code: _Optional[_Union[CancellationReason, str]] = ..., reason_text: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., cancel_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ReturnLine(_message.Message):
    __slots__ = ("line_id", "quantity", "reason_code", "reason_text", "replacement_sku")
    LINE_ID_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    REASON_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_TEXT_FIELD_NUMBER: _ClassVar[int]
    REPLACEMENT_SKU_FIELD_NUMBER: _ClassVar[int]
    line_id: str
    quantity: int
    reason_code: ReturnReason
    reason_text: str
    replacement_sku: str
    def __init__(self, line_id: _Optional[str] = ..., quantity: _Optional[int] = ..., reason_code: _Optional[_Union[ReturnReason, str]] = ..., reason_text: _Optional[str] = ..., replacement_sku: _Optional[str] = ...) -> None: ...

class OrderReturn(_message.Message):
    __slots__ = ("return_id", "lines", "exchange", "refund", "actor", "return_time", "instalments_reduced")
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    EXCHANGE_FIELD_NUMBER: _ClassVar[int]
    REFUND_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    RETURN_TIME_FIELD_NUMBER: _ClassVar[int]
    INSTALMENTS_REDUCED_FIELD_NUMBER: _ClassVar[int]
    return_id: str
    lines: _containers.RepeatedCompositeFieldContainer[ReturnLine]
    exchange: bool
    refund: _common_pb2.Money
    actor: _common_pb2.Actor
    return_time: _timestamp_pb2.Timestamp
    instalments_reduced: _common_pb2.Money
    def __init__(self, return_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[ReturnLine, _Mapping]]] = ..., exchange: _Optional[bool] = ..., refund: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., return_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., instalments_reduced: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class Order(_message.Message):
    __slots__ = ("order_id", "source_system", "external_order_id", "customer_id", "customer_state", "channel", "state", "currency_code", "lines", "adjustments", "coupon_codes", "shipping_address", "billing_address", "subtotal", "discount_total", "tax_total", "shipping_total", "total", "refunded_total", "cancellation", "returns", "payment_reference", "carrier", "tracking_number", "warehouse", "manifest_number", "place_time", "pay_time", "ship_time", "deliver_time", "complete_time", "create_time", "update_time", "version", "attributes", "instalments", "due_at_checkout", "paid_total", "balance_due")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_STATE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    ADJUSTMENTS_FIELD_NUMBER: _ClassVar[int]
    COUPON_CODES_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    BILLING_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_TOTAL_FIELD_NUMBER: _ClassVar[int]
    TAX_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHIPPING_TOTAL_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_TOTAL_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_FIELD_NUMBER: _ClassVar[int]
    RETURNS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CARRIER_FIELD_NUMBER: _ClassVar[int]
    TRACKING_NUMBER_FIELD_NUMBER: _ClassVar[int]
    WAREHOUSE_FIELD_NUMBER: _ClassVar[int]
    MANIFEST_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PLACE_TIME_FIELD_NUMBER: _ClassVar[int]
    PAY_TIME_FIELD_NUMBER: _ClassVar[int]
    SHIP_TIME_FIELD_NUMBER: _ClassVar[int]
    DELIVER_TIME_FIELD_NUMBER: _ClassVar[int]
    COMPLETE_TIME_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    INSTALMENTS_FIELD_NUMBER: _ClassVar[int]
    DUE_AT_CHECKOUT_FIELD_NUMBER: _ClassVar[int]
    PAID_TOTAL_FIELD_NUMBER: _ClassVar[int]
    BALANCE_DUE_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    source_system: str
    external_order_id: str
    customer_id: str
    customer_state: CustomerState
    channel: OrderChannel
    state: OrderState
    currency_code: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    adjustments: _containers.RepeatedCompositeFieldContainer[Adjustment]
    coupon_codes: _containers.RepeatedScalarFieldContainer[str]
    shipping_address: _common_pb2.PostalAddress
    billing_address: _common_pb2.PostalAddress
    subtotal: _common_pb2.Money
    discount_total: _common_pb2.Money
    tax_total: _common_pb2.Money
    shipping_total: _common_pb2.Money
    total: _common_pb2.Money
    refunded_total: _common_pb2.Money
    cancellation: Cancellation
    returns: _containers.RepeatedCompositeFieldContainer[OrderReturn]
    payment_reference: str
    carrier: str
    tracking_number: str
    warehouse: str
    manifest_number: str
    place_time: _timestamp_pb2.Timestamp
    pay_time: _timestamp_pb2.Timestamp
    ship_time: _timestamp_pb2.Timestamp
    deliver_time: _timestamp_pb2.Timestamp
    complete_time: _timestamp_pb2.Timestamp
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    version: int
    attributes: _containers.ScalarMap[str, str]
    instalments: _containers.RepeatedCompositeFieldContainer[OrderInstalment]
    due_at_checkout: _common_pb2.Money
    paid_total: _common_pb2.Money
    balance_due: _common_pb2.Money
    def __init__(self, order_id: _Optional[str] = ..., source_system: _Optional[str] = ..., external_order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., customer_state: _Optional[_Union[CustomerState, str]] = ..., channel: _Optional[_Union[OrderChannel, str]] = ..., state: _Optional[_Union[OrderState, str]] = ..., currency_code: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., adjustments: _Optional[_Iterable[_Union[Adjustment, _Mapping]]] = ..., coupon_codes: _Optional[_Iterable[str]] = ..., shipping_address: _Optional[_Union[_common_pb2.PostalAddress, _Mapping]] = ..., billing_address: _Optional[_Union[_common_pb2.PostalAddress, _Mapping]] = ..., subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., discount_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., tax_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., shipping_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., refunded_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cancellation: _Optional[_Union[Cancellation, _Mapping]] = ..., returns: _Optional[_Iterable[_Union[OrderReturn, _Mapping]]] = ..., payment_reference: _Optional[str] = ..., carrier: _Optional[str] = ..., tracking_number: _Optional[str] = ..., warehouse: _Optional[str] = ..., manifest_number: _Optional[str] = ..., place_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., pay_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., ship_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., deliver_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., complete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., attributes: _Optional[_Mapping[str, str]] = ..., instalments: _Optional[_Iterable[_Union[OrderInstalment, _Mapping]]] = ..., due_at_checkout: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., paid_total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., balance_due: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class OrderHistoryEntry(_message.Message):
    __slots__ = ("entry_id", "order_id", "customer_id", "kind", "from_state", "to_state", "occur_time", "actor", "reason_text", "lines", "amount", "version", "cancellation_reason", "return_reasons")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REASON_TEXT_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CANCELLATION_REASON_FIELD_NUMBER: _ClassVar[int]
    RETURN_REASONS_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    order_id: str
    customer_id: str
    kind: OrderHistoryKind
    from_state: OrderState
    to_state: OrderState
    occur_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    reason_text: str
    lines: _containers.RepeatedCompositeFieldContainer[OrderLine]
    amount: _common_pb2.Money
    version: int
    cancellation_reason: CancellationReason
    return_reasons: _containers.RepeatedScalarFieldContainer[ReturnReason]
    def __init__(self, entry_id: _Optional[str] = ..., order_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., kind: _Optional[_Union[OrderHistoryKind, str]] = ..., from_state: _Optional[_Union[OrderState, str]] = ..., to_state: _Optional[_Union[OrderState, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., reason_text: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[OrderLine, _Mapping]]] = ..., amount: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., version: _Optional[int] = ..., cancellation_reason: _Optional[_Union[CancellationReason, str]] = ..., return_reasons: _Optional[_Iterable[_Union[ReturnReason, str]]] = ...) -> None: ...

class Coupon(_message.Message):
    __slots__ = ("code", "description", "discount_kind", "percent_off", "amount_off", "minimum_subtotal", "start_time", "end_time", "max_redemptions", "once_per_customer", "redemption_count", "create_time")
    CODE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DISCOUNT_KIND_FIELD_NUMBER: _ClassVar[int]
    PERCENT_OFF_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_OFF_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_SUBTOTAL_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_REDEMPTIONS_FIELD_NUMBER: _ClassVar[int]
    ONCE_PER_CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_COUNT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    code: str
    description: str
    discount_kind: CouponDiscountKind
    percent_off: str
    amount_off: _common_pb2.Money
    minimum_subtotal: _common_pb2.Money
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    max_redemptions: int
    once_per_customer: bool
    redemption_count: int
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, code: _Optional[str] = ..., description: _Optional[str] = ..., discount_kind: _Optional[_Union[CouponDiscountKind, str]] = ..., percent_off: _Optional[str] = ..., amount_off: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., minimum_subtotal: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_redemptions: _Optional[int] = ..., once_per_customer: _Optional[bool] = ..., redemption_count: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
