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

class ChurnReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHURN_REASON_UNSPECIFIED: _ClassVar[ChurnReason]
    CHURN_REASON_LOW_ALIVE_PROBABILITY: _ClassVar[ChurnReason]
    CHURN_REASON_OVERDUE: _ClassVar[ChurnReason]

class ValueRanking(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALUE_RANKING_UNSPECIFIED: _ClassVar[ValueRanking]
    VALUE_RANKING_HISTORICAL: _ClassVar[ValueRanking]
    VALUE_RANKING_PREDICTED: _ClassVar[ValueRanking]
CHURN_REASON_UNSPECIFIED: ChurnReason
CHURN_REASON_LOW_ALIVE_PROBABILITY: ChurnReason
CHURN_REASON_OVERDUE: ChurnReason
VALUE_RANKING_UNSPECIFIED: ValueRanking
VALUE_RANKING_HISTORICAL: ValueRanking
VALUE_RANKING_PREDICTED: ValueRanking

class RfmScore(_message.Message):
    __slots__ = ("recency", "frequency", "monetary")
    RECENCY_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_FIELD_NUMBER: _ClassVar[int]
    MONETARY_FIELD_NUMBER: _ClassVar[int]
    recency: int
    frequency: int
    monetary: int
    def __init__(self, recency: _Optional[int] = ..., frequency: _Optional[int] = ..., monetary: _Optional[int] = ...) -> None: ...

class CustomerValue(_message.Message):
    __slots__ = ("customer_id", "revenue", "cost_of_goods", "cost_to_serve", "margin", "historical_value", "predicted_value", "expected_purchases", "alive_probability", "expected_spend", "lifetime_value", "tier", "rfm", "churn_risk", "churn_reason", "orders", "repeat_purchases", "first_purchase_time", "last_purchase_time", "model_id", "update_time", "version", "credit")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REVENUE_FIELD_NUMBER: _ClassVar[int]
    COST_OF_GOODS_FIELD_NUMBER: _ClassVar[int]
    COST_TO_SERVE_FIELD_NUMBER: _ClassVar[int]
    MARGIN_FIELD_NUMBER: _ClassVar[int]
    HISTORICAL_VALUE_FIELD_NUMBER: _ClassVar[int]
    PREDICTED_VALUE_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_PURCHASES_FIELD_NUMBER: _ClassVar[int]
    ALIVE_PROBABILITY_FIELD_NUMBER: _ClassVar[int]
    EXPECTED_SPEND_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_VALUE_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    RFM_FIELD_NUMBER: _ClassVar[int]
    CHURN_RISK_FIELD_NUMBER: _ClassVar[int]
    CHURN_REASON_FIELD_NUMBER: _ClassVar[int]
    ORDERS_FIELD_NUMBER: _ClassVar[int]
    REPEAT_PURCHASES_FIELD_NUMBER: _ClassVar[int]
    FIRST_PURCHASE_TIME_FIELD_NUMBER: _ClassVar[int]
    LAST_PURCHASE_TIME_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREDIT_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    revenue: _common_pb2.Money
    cost_of_goods: _common_pb2.Money
    cost_to_serve: _common_pb2.Money
    margin: _common_pb2.Money
    historical_value: _common_pb2.Money
    predicted_value: _common_pb2.Money
    expected_purchases: float
    alive_probability: float
    expected_spend: _common_pb2.Money
    lifetime_value: _common_pb2.Money
    tier: _common_pb2.ValueTier
    rfm: RfmScore
    churn_risk: bool
    churn_reason: ChurnReason
    orders: int
    repeat_purchases: int
    first_purchase_time: _timestamp_pb2.Timestamp
    last_purchase_time: _timestamp_pb2.Timestamp
    model_id: str
    update_time: _timestamp_pb2.Timestamp
    version: int
    credit: Credit
    def __init__(self, customer_id: _Optional[str] = ..., revenue: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cost_of_goods: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., cost_to_serve: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., margin: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., historical_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., predicted_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., expected_purchases: _Optional[float] = ..., alive_probability: _Optional[float] = ..., expected_spend: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., lifetime_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., tier: _Optional[_Union[_common_pb2.ValueTier, str]] = ..., rfm: _Optional[_Union[RfmScore, _Mapping]] = ..., churn_risk: _Optional[bool] = ..., churn_reason: _Optional[_Union[ChurnReason, str]] = ..., orders: _Optional[int] = ..., repeat_purchases: _Optional[int] = ..., first_purchase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_purchase_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., model_id: _Optional[str] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., version: _Optional[int] = ..., credit: _Optional[_Union[Credit, _Mapping]] = ...) -> None: ...

class Credit(_message.Message):
    __slots__ = ("rank", "reasons", "outstanding", "overdue", "overdue_orders", "payment_failures", "late_payments", "paid_orders", "as_of_time")
    RANK_FIELD_NUMBER: _ClassVar[int]
    REASONS_FIELD_NUMBER: _ClassVar[int]
    OUTSTANDING_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_FIELD_NUMBER: _ClassVar[int]
    OVERDUE_ORDERS_FIELD_NUMBER: _ClassVar[int]
    PAYMENT_FAILURES_FIELD_NUMBER: _ClassVar[int]
    LATE_PAYMENTS_FIELD_NUMBER: _ClassVar[int]
    PAID_ORDERS_FIELD_NUMBER: _ClassVar[int]
    AS_OF_TIME_FIELD_NUMBER: _ClassVar[int]
    rank: _common_pb2.CreditRank
    reasons: _containers.RepeatedScalarFieldContainer[str]
    outstanding: _common_pb2.Money
    overdue: _common_pb2.Money
    overdue_orders: int
    payment_failures: int
    late_payments: int
    paid_orders: int
    as_of_time: _timestamp_pb2.Timestamp
    def __init__(self, rank: _Optional[_Union[_common_pb2.CreditRank, str]] = ..., reasons: _Optional[_Iterable[str]] = ..., outstanding: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., overdue: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., overdue_orders: _Optional[int] = ..., payment_failures: _Optional[int] = ..., late_payments: _Optional[int] = ..., paid_orders: _Optional[int] = ..., as_of_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetCustomerValueRequest(_message.Message):
    __slots__ = ("customer_id",)
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    def __init__(self, customer_id: _Optional[str] = ...) -> None: ...

class GetCustomerValueResponse(_message.Message):
    __slots__ = ("customer_value",)
    CUSTOMER_VALUE_FIELD_NUMBER: _ClassVar[int]
    customer_value: CustomerValue
    def __init__(self, customer_value: _Optional[_Union[CustomerValue, _Mapping]] = ...) -> None: ...

class ListCustomerValuesRequest(_message.Message):
    __slots__ = ("ranking", "tier", "at_risk_only", "page_size", "page_token", "credit_rank")
    RANKING_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    AT_RISK_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREDIT_RANK_FIELD_NUMBER: _ClassVar[int]
    ranking: ValueRanking
    tier: _common_pb2.ValueTier
    at_risk_only: bool
    page_size: int
    page_token: str
    credit_rank: _common_pb2.CreditRank
    def __init__(self, ranking: _Optional[_Union[ValueRanking, str]] = ..., tier: _Optional[_Union[_common_pb2.ValueTier, str]] = ..., at_risk_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., credit_rank: _Optional[_Union[_common_pb2.CreditRank, str]] = ...) -> None: ...

class ListCustomerValuesResponse(_message.Message):
    __slots__ = ("customer_values", "next_page_token")
    CUSTOMER_VALUES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customer_values: _containers.RepeatedCompositeFieldContainer[CustomerValue]
    next_page_token: str
    def __init__(self, customer_values: _Optional[_Iterable[_Union[CustomerValue, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetValueModelRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetValueModelResponse(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: ValueModel
    def __init__(self, model: _Optional[_Union[ValueModel, _Mapping]] = ...) -> None: ...

class RefitValueModelRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RefitValueModelResponse(_message.Message):
    __slots__ = ("model", "outcome")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    model: ValueModel
    outcome: _common_pb2.WriteOutcome
    def __init__(self, model: _Optional[_Union[ValueModel, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class BgNbdParameters(_message.Message):
    __slots__ = ("r", "alpha", "a", "b")
    R_FIELD_NUMBER: _ClassVar[int]
    ALPHA_FIELD_NUMBER: _ClassVar[int]
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    r: float
    alpha: float
    a: float
    b: float
    def __init__(self, r: _Optional[float] = ..., alpha: _Optional[float] = ..., a: _Optional[float] = ..., b: _Optional[float] = ...) -> None: ...

class GammaGammaParameters(_message.Message):
    __slots__ = ("p", "q", "gamma")
    P_FIELD_NUMBER: _ClassVar[int]
    Q_FIELD_NUMBER: _ClassVar[int]
    GAMMA_FIELD_NUMBER: _ClassVar[int]
    p: float
    q: float
    gamma: float
    def __init__(self, p: _Optional[float] = ..., q: _Optional[float] = ..., gamma: _Optional[float] = ...) -> None: ...

class ValueModel(_message.Message):
    __slots__ = ("model_id", "fit_time", "customers", "bg_nbd", "gamma_gamma", "tier_a_from", "tier_b_from", "recency_boundaries", "frequency_boundaries", "monetary_boundaries", "fit_seconds")
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    FIT_TIME_FIELD_NUMBER: _ClassVar[int]
    CUSTOMERS_FIELD_NUMBER: _ClassVar[int]
    BG_NBD_FIELD_NUMBER: _ClassVar[int]
    GAMMA_GAMMA_FIELD_NUMBER: _ClassVar[int]
    TIER_A_FROM_FIELD_NUMBER: _ClassVar[int]
    TIER_B_FROM_FIELD_NUMBER: _ClassVar[int]
    RECENCY_BOUNDARIES_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_BOUNDARIES_FIELD_NUMBER: _ClassVar[int]
    MONETARY_BOUNDARIES_FIELD_NUMBER: _ClassVar[int]
    FIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    model_id: str
    fit_time: _timestamp_pb2.Timestamp
    customers: int
    bg_nbd: BgNbdParameters
    gamma_gamma: GammaGammaParameters
    tier_a_from: _common_pb2.Money
    tier_b_from: _common_pb2.Money
    recency_boundaries: _containers.RepeatedScalarFieldContainer[float]
    frequency_boundaries: _containers.RepeatedScalarFieldContainer[float]
    monetary_boundaries: _containers.RepeatedScalarFieldContainer[float]
    fit_seconds: float
    def __init__(self, model_id: _Optional[str] = ..., fit_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., customers: _Optional[int] = ..., bg_nbd: _Optional[_Union[BgNbdParameters, _Mapping]] = ..., gamma_gamma: _Optional[_Union[GammaGammaParameters, _Mapping]] = ..., tier_a_from: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., tier_b_from: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., recency_boundaries: _Optional[_Iterable[float]] = ..., frequency_boundaries: _Optional[_Iterable[float]] = ..., monetary_boundaries: _Optional[_Iterable[float]] = ..., fit_seconds: _Optional[float] = ...) -> None: ...
