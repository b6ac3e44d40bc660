from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.value.v1 import value_pb2 as _value_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CustomerValueChanged(_message.Message):
    __slots__ = ("value",)
    VALUE_FIELD_NUMBER: _ClassVar[int]
    value: _value_pb2.CustomerValue
    def __init__(self, value: _Optional[_Union[_value_pb2.CustomerValue, _Mapping]] = ...) -> None: ...

class CustomerTierChanged(_message.Message):
    __slots__ = ("customer_id", "from_tier", "to_tier", "lifetime_value", "reason")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_TIER_FIELD_NUMBER: _ClassVar[int]
    TO_TIER_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_VALUE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    from_tier: _value_pb2.ValueTier
    to_tier: _value_pb2.ValueTier
    lifetime_value: _common_pb2.Money
    reason: str
    def __init__(self, customer_id: _Optional[str] = ..., from_tier: _Optional[_Union[_value_pb2.ValueTier, str]] = ..., to_tier: _Optional[_Union[_value_pb2.ValueTier, str]] = ..., lifetime_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class ValueModelRefitted(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: _value_pb2.ValueModel
    def __init__(self, model: _Optional[_Union[_value_pb2.ValueModel, _Mapping]] = ...) -> None: ...
