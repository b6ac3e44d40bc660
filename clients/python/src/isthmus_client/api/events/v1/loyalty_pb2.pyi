from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2 as _loyalty_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PointsEarned(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class PointsRedeemed(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class PointsExpired(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class PointsClawedBack(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class PointsAdjusted(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class PointsMoved(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class DebtSettled(_message.Message):
    __slots__ = ("entry",)
    ENTRY_FIELD_NUMBER: _ClassVar[int]
    entry: _loyalty_pb2.LedgerEntry
    def __init__(self, entry: _Optional[_Union[_loyalty_pb2.LedgerEntry, _Mapping]] = ...) -> None: ...

class TierChanged(_message.Message):
    __slots__ = ("customer_id", "account_id", "from_tier", "to_tier", "reason")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    FROM_TIER_FIELD_NUMBER: _ClassVar[int]
    TO_TIER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    account_id: str
    from_tier: _loyalty_pb2.TierRef
    to_tier: _loyalty_pb2.TierRef
    reason: _loyalty_pb2.TierChangeReason
    def __init__(self, customer_id: _Optional[str] = ..., account_id: _Optional[str] = ..., from_tier: _Optional[_Union[_loyalty_pb2.TierRef, _Mapping]] = ..., to_tier: _Optional[_Union[_loyalty_pb2.TierRef, _Mapping]] = ..., reason: _Optional[_Union[_loyalty_pb2.TierChangeReason, str]] = ...) -> None: ...
