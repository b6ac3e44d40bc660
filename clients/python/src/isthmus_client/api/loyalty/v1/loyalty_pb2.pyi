import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TierChangeReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_CHANGE_REASON_UNSPECIFIED: _ClassVar[TierChangeReason]
    TIER_CHANGE_REASON_ENROLLED: _ClassVar[TierChangeReason]
    TIER_CHANGE_REASON_QUALIFIED: _ClassVar[TierChangeReason]
    TIER_CHANGE_REASON_REVIEW: _ClassVar[TierChangeReason]
    TIER_CHANGE_REASON_MERGE: _ClassVar[TierChangeReason]
    TIER_CHANGE_REASON_UNMERGE: _ClassVar[TierChangeReason]

class LedgerEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_ENTRY_KIND_UNSPECIFIED: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_EARN: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_REDEEM: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_EXPIRE: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_ADJUST: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_CLAWBACK: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_MERGE_IN: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_MERGE_OUT: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_UNMERGE_OUT: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_UNMERGE_IN: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_DEBT_SETTLED: _ClassVar[LedgerEntryKind]
    LEDGER_ENTRY_KIND_ERASE: _ClassVar[LedgerEntryKind]
TIER_CHANGE_REASON_UNSPECIFIED: TierChangeReason
TIER_CHANGE_REASON_ENROLLED: TierChangeReason
TIER_CHANGE_REASON_QUALIFIED: TierChangeReason
TIER_CHANGE_REASON_REVIEW: TierChangeReason
TIER_CHANGE_REASON_MERGE: TierChangeReason
TIER_CHANGE_REASON_UNMERGE: TierChangeReason
LEDGER_ENTRY_KIND_UNSPECIFIED: LedgerEntryKind
LEDGER_ENTRY_KIND_EARN: LedgerEntryKind
LEDGER_ENTRY_KIND_REDEEM: LedgerEntryKind
LEDGER_ENTRY_KIND_EXPIRE: LedgerEntryKind
LEDGER_ENTRY_KIND_ADJUST: LedgerEntryKind
LEDGER_ENTRY_KIND_CLAWBACK: LedgerEntryKind
LEDGER_ENTRY_KIND_MERGE_IN: LedgerEntryKind
LEDGER_ENTRY_KIND_MERGE_OUT: LedgerEntryKind
LEDGER_ENTRY_KIND_UNMERGE_OUT: LedgerEntryKind
LEDGER_ENTRY_KIND_UNMERGE_IN: LedgerEntryKind
LEDGER_ENTRY_KIND_DEBT_SETTLED: LedgerEntryKind
LEDGER_ENTRY_KIND_ERASE: LedgerEntryKind

class TierRef(_message.Message):
    __slots__ = ("tier_id", "name")
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    tier_id: str
    name: str
    def __init__(self, tier_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class ExpiringPoints(_message.Message):
    __slots__ = ("points", "expire_time")
    POINTS_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    points: int
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, points: _Optional[int] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class TierProgress(_message.Message):
    __slots__ = ("next_tier", "points_needed", "spend_needed")
    NEXT_TIER_FIELD_NUMBER: _ClassVar[int]
    POINTS_NEEDED_FIELD_NUMBER: _ClassVar[int]
    SPEND_NEEDED_FIELD_NUMBER: _ClassVar[int]
    next_tier: TierRef
    points_needed: int
    spend_needed: _common_pb2.Money
    def __init__(self, next_tier: _Optional[_Union[TierRef, _Mapping]] = ..., points_needed: _Optional[int] = ..., spend_needed: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class Account(_message.Message):
    __slots__ = ("account_id", "customer_id", "programme_id", "balance", "debt", "tier", "tier_start_time", "tier_review_time", "progress", "qualifying_points", "qualifying_spend", "expiring_soon", "lifetime_earned", "version", "create_time", "update_time")
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRAMME_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_FIELD_NUMBER: _ClassVar[int]
    DEBT_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    TIER_START_TIME_FIELD_NUMBER: _ClassVar[int]
    TIER_REVIEW_TIME_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    QUALIFYING_POINTS_FIELD_NUMBER: _ClassVar[int]
    QUALIFYING_SPEND_FIELD_NUMBER: _ClassVar[int]
    EXPIRING_SOON_FIELD_NUMBER: _ClassVar[int]
    LIFETIME_EARNED_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    account_id: str
    customer_id: str
    programme_id: str
    balance: int
    debt: int
    tier: TierRef
    tier_start_time: _timestamp_pb2.Timestamp
    tier_review_time: _timestamp_pb2.Timestamp
    progress: TierProgress
    qualifying_points: int
    qualifying_spend: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    expiring_soon: _containers.RepeatedCompositeFieldContainer[ExpiringPoints]
    lifetime_earned: int
    version: int
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    def __init__(self, account_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., programme_id: _Optional[str] = ..., balance: _Optional[int] = ..., debt: _Optional[int] = ..., tier: _Optional[_Union[TierRef, _Mapping]] = ..., tier_start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tier_review_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., progress: _Optional[_Union[TierProgress, _Mapping]] = ..., qualifying_points: _Optional[int] = ..., qualifying_spend: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., expiring_soon: _Optional[_Iterable[_Union[ExpiringPoints, _Mapping]]] = ..., lifetime_earned: _Optional[int] = ..., version: _Optional[int] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LedgerReason(_message.Message):
    __slots__ = ("order_id", "rule_ids", "promotion_ids", "redemption_id", "source_entry_ids", "counterpart_customer_id", "return_id", "text", "event_id")
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_IDS_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_IDS_FIELD_NUMBER: _ClassVar[int]
    REDEMPTION_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ENTRY_IDS_FIELD_NUMBER: _ClassVar[int]
    COUNTERPART_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RETURN_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    order_id: str
    rule_ids: _containers.RepeatedScalarFieldContainer[str]
    promotion_ids: _containers.RepeatedScalarFieldContainer[str]
    redemption_id: str
    source_entry_ids: _containers.RepeatedScalarFieldContainer[str]
    counterpart_customer_id: str
    return_id: str
    text: str
    event_id: str
    def __init__(self, order_id: _Optional[str] = ..., rule_ids: _Optional[_Iterable[str]] = ..., promotion_ids: _Optional[_Iterable[str]] = ..., redemption_id: _Optional[str] = ..., source_entry_ids: _Optional[_Iterable[str]] = ..., counterpart_customer_id: _Optional[str] = ..., return_id: _Optional[str] = ..., text: _Optional[str] = ..., event_id: _Optional[str] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("entry_id", "account_id", "customer_id", "kind", "points", "balance_after", "debt_after", "reason", "expire_time", "occur_time", "actor")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    BALANCE_AFTER_FIELD_NUMBER: _ClassVar[int]
    DEBT_AFTER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    account_id: str
    customer_id: str
    kind: LedgerEntryKind
    points: int
    balance_after: int
    debt_after: int
    reason: LedgerReason
    expire_time: _timestamp_pb2.Timestamp
    occur_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    def __init__(self, entry_id: _Optional[str] = ..., account_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., kind: _Optional[_Union[LedgerEntryKind, str]] = ..., points: _Optional[int] = ..., balance_after: _Optional[int] = ..., debt_after: _Optional[int] = ..., reason: _Optional[_Union[LedgerReason, _Mapping]] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class GetAccountRequest(_message.Message):
    __slots__ = ("customer_id", "expiring_within")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRING_WITHIN_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    expiring_within: _duration_pb2.Duration
    def __init__(self, customer_id: _Optional[str] = ..., expiring_within: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ListLedgerEntriesRequest(_message.Message):
    __slots__ = ("customer_id", "kinds", "page_size", "page_token")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    kinds: _containers.RepeatedScalarFieldContainer[LedgerEntryKind]
    page_size: int
    page_token: str
    def __init__(self, customer_id: _Optional[str] = ..., kinds: _Optional[_Iterable[_Union[LedgerEntryKind, str]]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListLedgerEntriesResponse(_message.Message):
    __slots__ = ("ledger_entries", "next_page_token")
    LEDGER_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ledger_entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    next_page_token: str
    def __init__(self, ledger_entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RedeemPointsRequest(_message.Message):
    __slots__ = ("customer_id", "points", "request_id", "description", "order_id", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ORDER_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    points: int
    request_id: str
    description: str
    order_id: str
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., points: _Optional[int] = ..., request_id: _Optional[str] = ..., description: _Optional[str] = ..., order_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class AdjustPointsRequest(_message.Message):
    __slots__ = ("customer_id", "points", "reason", "request_id", "actor")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    points: int
    reason: str
    request_id: str
    actor: _common_pb2.Actor
    def __init__(self, customer_id: _Optional[str] = ..., points: _Optional[int] = ..., reason: _Optional[str] = ..., request_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class RedeemPointsResponse(_message.Message):
    __slots__ = ("ledger_entry", "account", "outcome")
    LEDGER_ENTRY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ledger_entry: LedgerEntry
    account: Account
    outcome: _common_pb2.WriteOutcome
    def __init__(self, ledger_entry: _Optional[_Union[LedgerEntry, _Mapping]] = ..., account: _Optional[_Union[Account, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class AdjustPointsResponse(_message.Message):
    __slots__ = ("ledger_entry", "account", "outcome")
    LEDGER_ENTRY_FIELD_NUMBER: _ClassVar[int]
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ledger_entry: LedgerEntry
    account: Account
    outcome: _common_pb2.WriteOutcome
    def __init__(self, ledger_entry: _Optional[_Union[LedgerEntry, _Mapping]] = ..., account: _Optional[_Union[Account, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetProgrammeRequest(_message.Message):
    __slots__ = ("programme_id",)
    PROGRAMME_ID_FIELD_NUMBER: _ClassVar[int]
    programme_id: str
    def __init__(self, programme_id: _Optional[str] = ...) -> None: ...

class EarningRule(_message.Message):
    __slots__ = ("rule_id", "description", "currency_code", "points_per_unit", "category_multipliers", "minimum_order", "start_time", "end_time", "promotion")
    class CategoryMultipliersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    RULE_ID_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_CODE_FIELD_NUMBER: _ClassVar[int]
    POINTS_PER_UNIT_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_MULTIPLIERS_FIELD_NUMBER: _ClassVar[int]
    MINIMUM_ORDER_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    PROMOTION_FIELD_NUMBER: _ClassVar[int]
    rule_id: str
    description: str
    currency_code: str
    points_per_unit: str
    category_multipliers: _containers.ScalarMap[str, str]
    minimum_order: _common_pb2.Money
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    promotion: bool
    def __init__(self, rule_id: _Optional[str] = ..., description: _Optional[str] = ..., currency_code: _Optional[str] = ..., points_per_unit: _Optional[str] = ..., category_multipliers: _Optional[_Mapping[str, str]] = ..., minimum_order: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., promotion: _Optional[bool] = ...) -> None: ...

class Tier(_message.Message):
    __slots__ = ("tier_id", "name", "rank", "min_qualifying_points", "min_qualifying_spend", "earn_multiplier")
    TIER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RANK_FIELD_NUMBER: _ClassVar[int]
    MIN_QUALIFYING_POINTS_FIELD_NUMBER: _ClassVar[int]
    MIN_QUALIFYING_SPEND_FIELD_NUMBER: _ClassVar[int]
    EARN_MULTIPLIER_FIELD_NUMBER: _ClassVar[int]
    tier_id: str
    name: str
    rank: int
    min_qualifying_points: int
    min_qualifying_spend: _containers.RepeatedCompositeFieldContainer[_common_pb2.Money]
    earn_multiplier: str
    def __init__(self, tier_id: _Optional[str] = ..., name: _Optional[str] = ..., rank: _Optional[int] = ..., min_qualifying_points: _Optional[int] = ..., min_qualifying_spend: _Optional[_Iterable[_Union[_common_pb2.Money, _Mapping]]] = ..., earn_multiplier: _Optional[str] = ...) -> None: ...

class ExpiryPolicy(_message.Message):
    __slots__ = ("months_after_earning",)
    MONTHS_AFTER_EARNING_FIELD_NUMBER: _ClassVar[int]
    months_after_earning: int
    def __init__(self, months_after_earning: _Optional[int] = ...) -> None: ...

class TierPolicy(_message.Message):
    __slots__ = ("window_months", "review_every_months")
    WINDOW_MONTHS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_EVERY_MONTHS_FIELD_NUMBER: _ClassVar[int]
    window_months: int
    review_every_months: int
    def __init__(self, window_months: _Optional[int] = ..., review_every_months: _Optional[int] = ...) -> None: ...

class Programme(_message.Message):
    __slots__ = ("programme_id", "name", "earning_rules", "tiers", "expiry", "tier_policy")
    PROGRAMME_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EARNING_RULES_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    EXPIRY_FIELD_NUMBER: _ClassVar[int]
    TIER_POLICY_FIELD_NUMBER: _ClassVar[int]
    programme_id: str
    name: str
    earning_rules: _containers.RepeatedCompositeFieldContainer[EarningRule]
    tiers: _containers.RepeatedCompositeFieldContainer[Tier]
    expiry: ExpiryPolicy
    tier_policy: TierPolicy
    def __init__(self, programme_id: _Optional[str] = ..., name: _Optional[str] = ..., earning_rules: _Optional[_Iterable[_Union[EarningRule, _Mapping]]] = ..., tiers: _Optional[_Iterable[_Union[Tier, _Mapping]]] = ..., expiry: _Optional[_Union[ExpiryPolicy, _Mapping]] = ..., tier_policy: _Optional[_Union[TierPolicy, _Mapping]] = ...) -> None: ...

class GetAccountResponse(_message.Message):
    __slots__ = ("account",)
    ACCOUNT_FIELD_NUMBER: _ClassVar[int]
    account: Account
    def __init__(self, account: _Optional[_Union[Account, _Mapping]] = ...) -> None: ...

class GetProgrammeResponse(_message.Message):
    __slots__ = ("programme",)
    PROGRAMME_FIELD_NUMBER: _ClassVar[int]
    programme: Programme
    def __init__(self, programme: _Optional[_Union[Programme, _Mapping]] = ...) -> None: ...
