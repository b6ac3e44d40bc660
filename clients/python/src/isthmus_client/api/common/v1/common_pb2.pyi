from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WriteOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WRITE_OUTCOME_UNSPECIFIED: _ClassVar[WriteOutcome]
    WRITE_OUTCOME_APPLIED: _ClassVar[WriteOutcome]
    WRITE_OUTCOME_REPLAYED: _ClassVar[WriteOutcome]

class ActorKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ACTOR_KIND_UNSPECIFIED: _ClassVar[ActorKind]
    ACTOR_KIND_USER: _ClassVar[ActorKind]
    ACTOR_KIND_SERVICE: _ClassVar[ActorKind]
    ACTOR_KIND_CONNECTOR: _ClassVar[ActorKind]
    ACTOR_KIND_SYSTEM: _ClassVar[ActorKind]

class ValueTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VALUE_TIER_UNSPECIFIED: _ClassVar[ValueTier]
    VALUE_TIER_A: _ClassVar[ValueTier]
    VALUE_TIER_B: _ClassVar[ValueTier]
    VALUE_TIER_C: _ClassVar[ValueTier]

class CreditRank(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CREDIT_RANK_UNSPECIFIED: _ClassVar[CreditRank]
    CREDIT_RANK_NEW: _ClassVar[CreditRank]
    CREDIT_RANK_GOOD: _ClassVar[CreditRank]
    CREDIT_RANK_FAIR: _ClassVar[CreditRank]
    CREDIT_RANK_POOR: _ClassVar[CreditRank]
WRITE_OUTCOME_UNSPECIFIED: WriteOutcome
WRITE_OUTCOME_APPLIED: WriteOutcome
WRITE_OUTCOME_REPLAYED: WriteOutcome
ACTOR_KIND_UNSPECIFIED: ActorKind
ACTOR_KIND_USER: ActorKind
ACTOR_KIND_SERVICE: ActorKind
ACTOR_KIND_CONNECTOR: ActorKind
ACTOR_KIND_SYSTEM: ActorKind
VALUE_TIER_UNSPECIFIED: ValueTier
VALUE_TIER_A: ValueTier
VALUE_TIER_B: ValueTier
VALUE_TIER_C: ValueTier
CREDIT_RANK_UNSPECIFIED: CreditRank
CREDIT_RANK_NEW: CreditRank
CREDIT_RANK_GOOD: CreditRank
CREDIT_RANK_FAIR: CreditRank
CREDIT_RANK_POOR: CreditRank
REQUIRED_SCOPE_FIELD_NUMBER: _ClassVar[int]
required_scope: _descriptor.FieldDescriptor
EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
event_type: _descriptor.FieldDescriptor
CHECKED_PER_ITEM_FIELD_NUMBER: _ClassVar[int]
checked_per_item: _descriptor.FieldDescriptor

class Money(_message.Message):
    __slots__ = ("amount", "currency_code")
    AMOUNT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    amount: str
    currency_code: str
    def __init__(self, amount: _Optional[str] = ..., currency_code: _Optional[str] = ...) -> None: ...

class Date(_message.Message):
    __slots__ = ("year", "month", "day")
    YEAR_FIELD_NUMBER: _ClassVar[int]
    MONTH_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    year: int
    month: int
    day: int
    def __init__(self, year: _Optional[int] = ..., month: _Optional[int] = ..., day: _Optional[int] = ...) -> None: ...

class PostalAddress(_message.Message):
    __slots__ = ("address_lines", "locality", "administrative_area", "postal_code", "region_code", "recipient")
    ADDRESS_LINES_FIELD_NUMBER: _ClassVar[int]
    LOCALITY_FIELD_NUMBER: _ClassVar[int]
    ADMINISTRATIVE_AREA_FIELD_NUMBER: _ClassVar[int]
    POSTAL_CODE_FIELD_NUMBER: _ClassVar[int]
    REGION_CODE_FIELD_NUMBER: _ClassVar[int]
    RECIPIENT_FIELD_NUMBER: _ClassVar[int]
    address_lines: _containers.RepeatedScalarFieldContainer[str]
    locality: str
    administrative_area: str
    postal_code: str
    region_code: str
    recipient: str
    def __init__(self, address_lines: _Optional[_Iterable[str]] = ..., locality: _Optional[str] = ..., administrative_area: _Optional[str] = ..., postal_code: _Optional[str] = ..., region_code: _Optional[str] = ..., recipient: _Optional[str] = ...) -> None: ...

class Actor(_message.Message):
    __slots__ = ("kind", "id", "display_name", "principal")
    KIND_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    kind: ActorKind
    id: str
    display_name: str
    principal: str
    def __init__(self, kind: _Optional[_Union[ActorKind, str]] = ..., id: _Optional[str] = ..., display_name: _Optional[str] = ..., principal: _Optional[str] = ...) -> None: ...
