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

class ContactKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONTACT_KIND_UNSPECIFIED: _ClassVar[ContactKind]
    CONTACT_KIND_PERSONAL: _ClassVar[ContactKind]
    CONTACT_KIND_WORK: _ClassVar[ContactKind]
    CONTACT_KIND_MOBILE: _ClassVar[ContactKind]
    CONTACT_KIND_HOME: _ClassVar[ContactKind]
    CONTACT_KIND_BILLING: _ClassVar[ContactKind]
    CONTACT_KIND_SHIPPING: _ClassVar[ContactKind]
    CONTACT_KIND_OTHER: _ClassVar[ContactKind]

class IdentifierKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IDENTIFIER_KIND_UNSPECIFIED: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_NATIONAL_ID: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_TAX_ID: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_PASSPORT: _ClassVar[IdentifierKind]
    IDENTIFIER_KIND_OTHER: _ClassVar[IdentifierKind]

class MatchOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_OUTCOME_UNSPECIFIED: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_NEW_CUSTOMER: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_LINKED_DETERMINISTIC: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_LINKED_PROBABILISTIC: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_REVIEW_OPENED: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_REFRESHED: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_UNCHANGED: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_STEWARD_LINKED: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_REJECTED: _ClassVar[MatchOutcome]

class SurvivorshipRule(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SURVIVORSHIP_RULE_UNSPECIFIED: _ClassVar[SurvivorshipRule]
    SURVIVORSHIP_RULE_SOURCE_PRIORITY: _ClassVar[SurvivorshipRule]
    SURVIVORSHIP_RULE_MOST_RECENT: _ClassVar[SurvivorshipRule]
    SURVIVORSHIP_RULE_MOST_FREQUENT: _ClassVar[SurvivorshipRule]
    SURVIVORSHIP_RULE_MOST_COMPLETE: _ClassVar[SurvivorshipRule]
    SURVIVORSHIP_RULE_UNION: _ClassVar[SurvivorshipRule]
    SURVIVORSHIP_RULE_STEWARD: _ClassVar[SurvivorshipRule]

class CustomerState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_STATE_UNSPECIFIED: _ClassVar[CustomerState]
    CUSTOMER_STATE_ACTIVE: _ClassVar[CustomerState]
    CUSTOMER_STATE_MERGED: _ClassVar[CustomerState]
    CUSTOMER_STATE_ERASED: _ClassVar[CustomerState]

class QualityFlag(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    QUALITY_FLAG_UNSPECIFIED: _ClassVar[QualityFlag]
    QUALITY_FLAG_INSUFFICIENT_MATCH_DATA: _ClassVar[QualityFlag]
    QUALITY_FLAG_PENDING_REVIEW: _ClassVar[QualityFlag]
    QUALITY_FLAG_CONFLICTING_VALUES: _ClassVar[QualityFlag]

class ConsentChannel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_CHANNEL_UNSPECIFIED: _ClassVar[ConsentChannel]
    CONSENT_CHANNEL_EMAIL: _ClassVar[ConsentChannel]
    CONSENT_CHANNEL_SMS: _ClassVar[ConsentChannel]
    CONSENT_CHANNEL_PHONE: _ClassVar[ConsentChannel]
    CONSENT_CHANNEL_MAIL: _ClassVar[ConsentChannel]
    CONSENT_CHANNEL_PUSH: _ClassVar[ConsentChannel]

class ConsentStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONSENT_STATUS_UNSPECIFIED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_GRANTED: _ClassVar[ConsentStatus]
    CONSENT_STATUS_WITHDRAWN: _ClassVar[ConsentStatus]

class CustomerView(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CUSTOMER_VIEW_UNSPECIFIED: _ClassVar[CustomerView]
    CUSTOMER_VIEW_BASIC: _ClassVar[CustomerView]
    CUSTOMER_VIEW_FULL: _ClassVar[CustomerView]

class MatchReviewState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_REVIEW_STATE_UNSPECIFIED: _ClassVar[MatchReviewState]
    MATCH_REVIEW_STATE_OPEN: _ClassVar[MatchReviewState]
    MATCH_REVIEW_STATE_MATCHED: _ClassVar[MatchReviewState]
    MATCH_REVIEW_STATE_NOT_MATCHED: _ClassVar[MatchReviewState]
    MATCH_REVIEW_STATE_SUPERSEDED: _ClassVar[MatchReviewState]

class HistoryEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HISTORY_ENTRY_KIND_UNSPECIFIED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_CREATED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_MERGED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_UNMERGED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_MATCH_REVIEW_RESOLVED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_CONSENT_CHANGED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_ERASED: _ClassVar[HistoryEntryKind]
    HISTORY_ENTRY_KIND_EXPORTED: _ClassVar[HistoryEntryKind]
CONTACT_KIND_UNSPECIFIED: ContactKind
CONTACT_KIND_PERSONAL: ContactKind
CONTACT_KIND_WORK: ContactKind
CONTACT_KIND_MOBILE: ContactKind
CONTACT_KIND_HOME: ContactKind
CONTACT_KIND_BILLING: ContactKind
CONTACT_KIND_SHIPPING: ContactKind
CONTACT_KIND_OTHER: ContactKind
IDENTIFIER_KIND_UNSPECIFIED: IdentifierKind
IDENTIFIER_KIND_NATIONAL_ID: IdentifierKind
IDENTIFIER_KIND_TAX_ID: IdentifierKind
IDENTIFIER_KIND_PASSPORT: IdentifierKind
IDENTIFIER_KIND_OTHER: IdentifierKind
MATCH_OUTCOME_UNSPECIFIED: MatchOutcome
MATCH_OUTCOME_NEW_CUSTOMER: MatchOutcome
MATCH_OUTCOME_LINKED_DETERMINISTIC: MatchOutcome
MATCH_OUTCOME_LINKED_PROBABILISTIC: MatchOutcome
MATCH_OUTCOME_REVIEW_OPENED: MatchOutcome
MATCH_OUTCOME_REFRESHED: MatchOutcome
MATCH_OUTCOME_UNCHANGED: MatchOutcome
MATCH_OUTCOME_STEWARD_LINKED: MatchOutcome
MATCH_OUTCOME_REJECTED: MatchOutcome
SURVIVORSHIP_RULE_UNSPECIFIED: SurvivorshipRule
SURVIVORSHIP_RULE_SOURCE_PRIORITY: SurvivorshipRule
SURVIVORSHIP_RULE_MOST_RECENT: SurvivorshipRule
SURVIVORSHIP_RULE_MOST_FREQUENT: SurvivorshipRule
SURVIVORSHIP_RULE_MOST_COMPLETE: SurvivorshipRule
SURVIVORSHIP_RULE_UNION: SurvivorshipRule
SURVIVORSHIP_RULE_STEWARD: SurvivorshipRule
CUSTOMER_STATE_UNSPECIFIED: CustomerState
CUSTOMER_STATE_ACTIVE: CustomerState
CUSTOMER_STATE_MERGED: CustomerState
CUSTOMER_STATE_ERASED: CustomerState
QUALITY_FLAG_UNSPECIFIED: QualityFlag
QUALITY_FLAG_INSUFFICIENT_MATCH_DATA: QualityFlag
QUALITY_FLAG_PENDING_REVIEW: QualityFlag
QUALITY_FLAG_CONFLICTING_VALUES: QualityFlag
CONSENT_CHANNEL_UNSPECIFIED: ConsentChannel
CONSENT_CHANNEL_EMAIL: ConsentChannel
CONSENT_CHANNEL_SMS: ConsentChannel
CONSENT_CHANNEL_PHONE: ConsentChannel
CONSENT_CHANNEL_MAIL: ConsentChannel
CONSENT_CHANNEL_PUSH: ConsentChannel
CONSENT_STATUS_UNSPECIFIED: ConsentStatus
CONSENT_STATUS_GRANTED: ConsentStatus
CONSENT_STATUS_WITHDRAWN: ConsentStatus
CUSTOMER_VIEW_UNSPECIFIED: CustomerView
CUSTOMER_VIEW_BASIC: CustomerView
CUSTOMER_VIEW_FULL: CustomerView
MATCH_REVIEW_STATE_UNSPECIFIED: MatchReviewState
MATCH_REVIEW_STATE_OPEN: MatchReviewState
MATCH_REVIEW_STATE_MATCHED: MatchReviewState
MATCH_REVIEW_STATE_NOT_MATCHED: MatchReviewState
MATCH_REVIEW_STATE_SUPERSEDED: MatchReviewState
HISTORY_ENTRY_KIND_UNSPECIFIED: HistoryEntryKind
HISTORY_ENTRY_KIND_CREATED: HistoryEntryKind
HISTORY_ENTRY_KIND_SOURCE_RECORD_APPLIED: HistoryEntryKind
HISTORY_ENTRY_KIND_MERGED: HistoryEntryKind
HISTORY_ENTRY_KIND_UNMERGED: HistoryEntryKind
HISTORY_ENTRY_KIND_MATCH_REVIEW_RESOLVED: HistoryEntryKind
HISTORY_ENTRY_KIND_CONSENT_CHANGED: HistoryEntryKind
HISTORY_ENTRY_KIND_ERASED: HistoryEntryKind
HISTORY_ENTRY_KIND_EXPORTED: HistoryEntryKind

class PersonName(_message.Message):
    __slots__ = ("given_name", "middle_name", "family_name", "full_name", "prefix", "suffix")
    GIVEN_NAME_FIELD_NUMBER: _ClassVar[int]
    MIDDLE_NAME_FIELD_NUMBER: _ClassVar[int]
    FAMILY_NAME_FIELD_NUMBER: _ClassVar[int]
    FULL_NAME_FIELD_NUMBER: _ClassVar[int]
    PREFIX_FIELD_NUMBER: _ClassVar[int]
    SUFFIX_FIELD_NUMBER: _ClassVar[int]
    given_name: str
    middle_name: str
    family_name: str
    full_name: str
    prefix: str
    suffix: str
    def __init__(self, given_name: _Optional[str] = ..., middle_name: _Optional[str] = ..., family_name: _Optional[str] = ..., full_name: _Optional[str] = ..., prefix: _Optional[str] = ..., suffix: _Optional[str] = ...) -> None: ...

class EmailAddress(_message.Message):
    __slots__ = ("address", "kind", "primary")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    address: str
    kind: ContactKind
    primary: bool
    def __init__(self, address: _Optional[str] = ..., kind: _Optional[_Union[ContactKind, str]] = ..., primary: _Optional[bool] = ...) -> None: ...

class PhoneNumber(_message.Message):
    __slots__ = ("number", "kind", "primary", "default_region")
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_REGION_FIELD_NUMBER: _ClassVar[int]
    number: str
    kind: ContactKind
    primary: bool
    default_region: str
    def __init__(self, number: _Optional[str] = ..., kind: _Optional[_Union[ContactKind, str]] = ..., primary: _Optional[bool] = ..., default_region: _Optional[str] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("address", "kind", "primary")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PRIMARY_FIELD_NUMBER: _ClassVar[int]
    address: _common_pb2.PostalAddress
    kind: ContactKind
    primary: bool
    def __init__(self, address: _Optional[_Union[_common_pb2.PostalAddress, _Mapping]] = ..., kind: _Optional[_Union[ContactKind, str]] = ..., primary: _Optional[bool] = ...) -> None: ...

class Identifier(_message.Message):
    __slots__ = ("kind", "value", "issuing_country")
    KIND_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    ISSUING_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    kind: IdentifierKind
    value: str
    issuing_country: str
    def __init__(self, kind: _Optional[_Union[IdentifierKind, str]] = ..., value: _Optional[str] = ..., issuing_country: _Optional[str] = ...) -> None: ...

class DataQualityFinding(_message.Message):
    __slots__ = ("field", "rule", "raw_value", "description", "source_system", "source_id", "customer_id", "receive_time")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    RAW_VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    RECEIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    field: str
    rule: str
    raw_value: str
    description: str
    source_system: str
    source_id: str
    customer_id: str
    receive_time: _timestamp_pb2.Timestamp
    def __init__(self, field: _Optional[str] = ..., rule: _Optional[str] = ..., raw_value: _Optional[str] = ..., description: _Optional[str] = ..., source_system: _Optional[str] = ..., source_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., receive_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SourceRecord(_message.Message):
    __slots__ = ("source_system", "source_id", "name", "emails", "phones", "addresses", "birth_date", "identifiers", "company", "observe_time", "attributes", "lawful_basis")
    class AttributesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    PHONES_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTRIBUTES_FIELD_NUMBER: _ClassVar[int]
    LAWFUL_BASIS_FIELD_NUMBER: _ClassVar[int]
    source_system: str
    source_id: str
    name: PersonName
    emails: _containers.RepeatedCompositeFieldContainer[EmailAddress]
    phones: _containers.RepeatedCompositeFieldContainer[PhoneNumber]
    addresses: _containers.RepeatedCompositeFieldContainer[Address]
    birth_date: _common_pb2.Date
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    company: str
    observe_time: _timestamp_pb2.Timestamp
    attributes: _containers.ScalarMap[str, str]
    lawful_basis: str
    def __init__(self, source_system: _Optional[str] = ..., source_id: _Optional[str] = ..., name: _Optional[_Union[PersonName, _Mapping]] = ..., emails: _Optional[_Iterable[_Union[EmailAddress, _Mapping]]] = ..., phones: _Optional[_Iterable[_Union[PhoneNumber, _Mapping]]] = ..., addresses: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., birth_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., company: _Optional[str] = ..., observe_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attributes: _Optional[_Mapping[str, str]] = ..., lawful_basis: _Optional[str] = ...) -> None: ...

class SourceReference(_message.Message):
    __slots__ = ("source_system", "source_id", "link_time", "link_outcome", "score", "observe_time", "match_model", "comparisons")
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    LINK_TIME_FIELD_NUMBER: _ClassVar[int]
    LINK_OUTCOME_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_TIME_FIELD_NUMBER: _ClassVar[int]
    MATCH_MODEL_FIELD_NUMBER: _ClassVar[int]
    COMPARISONS_FIELD_NUMBER: _ClassVar[int]
    source_system: str
    source_id: str
    link_time: _timestamp_pb2.Timestamp
    link_outcome: MatchOutcome
    score: float
    observe_time: _timestamp_pb2.Timestamp
    match_model: str
    comparisons: _containers.RepeatedCompositeFieldContainer[ComparatorResult]
    def __init__(self, source_system: _Optional[str] = ..., source_id: _Optional[str] = ..., link_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., link_outcome: _Optional[_Union[MatchOutcome, str]] = ..., score: _Optional[float] = ..., observe_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., match_model: _Optional[str] = ..., comparisons: _Optional[_Iterable[_Union[ComparatorResult, _Mapping]]] = ...) -> None: ...

class FieldLineage(_message.Message):
    __slots__ = ("field", "value", "raw_value", "source_system", "source_id", "rule", "observe_time")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    RAW_VALUE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    SOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    OBSERVE_TIME_FIELD_NUMBER: _ClassVar[int]
    field: str
    value: str
    raw_value: str
    source_system: str
    source_id: str
    rule: SurvivorshipRule
    observe_time: _timestamp_pb2.Timestamp
    def __init__(self, field: _Optional[str] = ..., value: _Optional[str] = ..., raw_value: _Optional[str] = ..., source_system: _Optional[str] = ..., source_id: _Optional[str] = ..., rule: _Optional[_Union[SurvivorshipRule, str]] = ..., observe_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Consent(_message.Message):
    __slots__ = ("channel", "status", "source", "give_time", "record_time", "recorded_by")
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    GIVE_TIME_FIELD_NUMBER: _ClassVar[int]
    RECORD_TIME_FIELD_NUMBER: _ClassVar[int]
    RECORDED_BY_FIELD_NUMBER: _ClassVar[int]
    channel: ConsentChannel
    status: ConsentStatus
    source: str
    give_time: _timestamp_pb2.Timestamp
    record_time: _timestamp_pb2.Timestamp
    recorded_by: _common_pb2.Actor
    def __init__(self, channel: _Optional[_Union[ConsentChannel, str]] = ..., status: _Optional[_Union[ConsentStatus, str]] = ..., source: _Optional[str] = ..., give_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., record_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recorded_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class Customer(_message.Message):
    __slots__ = ("customer_id", "state", "merged_into_id", "version", "name", "emails", "phones", "addresses", "birth_date", "identifiers", "company", "sources", "consents", "quality_flags", "lineage", "create_time", "update_time", "household")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MERGED_INTO_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    EMAILS_FIELD_NUMBER: _ClassVar[int]
    PHONES_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    BIRTH_DATE_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    COMPANY_FIELD_NUMBER: _ClassVar[int]
    SOURCES_FIELD_NUMBER: _ClassVar[int]
    CONSENTS_FIELD_NUMBER: _ClassVar[int]
    QUALITY_FLAGS_FIELD_NUMBER: _ClassVar[int]
    LINEAGE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    HOUSEHOLD_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    state: CustomerState
    merged_into_id: str
    version: int
    name: PersonName
    emails: _containers.RepeatedCompositeFieldContainer[EmailAddress]
    phones: _containers.RepeatedCompositeFieldContainer[PhoneNumber]
    addresses: _containers.RepeatedCompositeFieldContainer[Address]
    birth_date: _common_pb2.Date
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    company: str
    sources: _containers.RepeatedCompositeFieldContainer[SourceReference]
    consents: _containers.RepeatedCompositeFieldContainer[Consent]
    quality_flags: _containers.RepeatedScalarFieldContainer[QualityFlag]
    lineage: _containers.RepeatedCompositeFieldContainer[FieldLineage]
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    household: _containers.RepeatedCompositeFieldContainer[HouseholdMember]
    def __init__(self, customer_id: _Optional[str] = ..., state: _Optional[_Union[CustomerState, str]] = ..., merged_into_id: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[_Union[PersonName, _Mapping]] = ..., emails: _Optional[_Iterable[_Union[EmailAddress, _Mapping]]] = ..., phones: _Optional[_Iterable[_Union[PhoneNumber, _Mapping]]] = ..., addresses: _Optional[_Iterable[_Union[Address, _Mapping]]] = ..., birth_date: _Optional[_Union[_common_pb2.Date, _Mapping]] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ..., company: _Optional[str] = ..., sources: _Optional[_Iterable[_Union[SourceReference, _Mapping]]] = ..., consents: _Optional[_Iterable[_Union[Consent, _Mapping]]] = ..., quality_flags: _Optional[_Iterable[_Union[QualityFlag, str]]] = ..., lineage: _Optional[_Iterable[_Union[FieldLineage, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., household: _Optional[_Iterable[_Union[HouseholdMember, _Mapping]]] = ...) -> None: ...

class HouseholdMember(_message.Message):
    __slots__ = ("customer_id", "shared", "reason", "found_by", "create_time")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SHARED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FOUND_BY_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    shared: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    found_by: SourceReference
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., shared: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ..., found_by: _Optional[_Union[SourceReference, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ComparatorResult(_message.Message):
    __slots__ = ("comparator", "left_value", "right_value", "similarity", "weight", "explanation", "level")
    COMPARATOR_FIELD_NUMBER: _ClassVar[int]
    LEFT_VALUE_FIELD_NUMBER: _ClassVar[int]
    RIGHT_VALUE_FIELD_NUMBER: _ClassVar[int]
    SIMILARITY_FIELD_NUMBER: _ClassVar[int]
    WEIGHT_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    comparator: str
    left_value: str
    right_value: str
    similarity: float
    weight: float
    explanation: str
    level: str
    def __init__(self, comparator: _Optional[str] = ..., left_value: _Optional[str] = ..., right_value: _Optional[str] = ..., similarity: _Optional[float] = ..., weight: _Optional[float] = ..., explanation: _Optional[str] = ..., level: _Optional[str] = ...) -> None: ...

class MatchReview(_message.Message):
    __slots__ = ("review_id", "state", "candidate_record", "candidate_customer_id", "existing_customer_id", "score", "lower_threshold", "upper_threshold", "comparisons", "create_time", "resolve_time", "resolved_by", "resolution_note", "version", "match_model", "uncertain")
    REVIEW_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_RECORD_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    EXISTING_CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    LOWER_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    UPPER_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    COMPARISONS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVE_TIME_FIELD_NUMBER: _ClassVar[int]
    RESOLVED_BY_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_NOTE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    MATCH_MODEL_FIELD_NUMBER: _ClassVar[int]
    UNCERTAIN_FIELD_NUMBER: _ClassVar[int]
    review_id: str
    state: MatchReviewState
    candidate_record: SourceReference
    candidate_customer_id: str
    existing_customer_id: str
    score: float
    lower_threshold: float
    upper_threshold: float
    comparisons: _containers.RepeatedCompositeFieldContainer[ComparatorResult]
    create_time: _timestamp_pb2.Timestamp
    resolve_time: _timestamp_pb2.Timestamp
    resolved_by: _common_pb2.Actor
    resolution_note: str
    version: int
    match_model: str
    uncertain: str
    def __init__(self, review_id: _Optional[str] = ..., state: _Optional[_Union[MatchReviewState, str]] = ..., candidate_record: _Optional[_Union[SourceReference, _Mapping]] = ..., candidate_customer_id: _Optional[str] = ..., existing_customer_id: _Optional[str] = ..., score: _Optional[float] = ..., lower_threshold: _Optional[float] = ..., upper_threshold: _Optional[float] = ..., comparisons: _Optional[_Iterable[_Union[ComparatorResult, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolve_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., resolved_by: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., resolution_note: _Optional[str] = ..., version: _Optional[int] = ..., match_model: _Optional[str] = ..., uncertain: _Optional[str] = ...) -> None: ...

class FieldChange(_message.Message):
    __slots__ = ("field", "before", "after")
    FIELD_FIELD_NUMBER: _ClassVar[int]
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    field: str
    before: str
    after: str
    def __init__(self, field: _Optional[str] = ..., before: _Optional[str] = ..., after: _Optional[str] = ...) -> None: ...

class HistoryEntry(_message.Message):
    __slots__ = ("entry_id", "customer_id", "kind", "occur_time", "actor", "principal", "source_record", "steward_action_id", "reason", "changes", "version", "related_customer_ids")
    ENTRY_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_RECORD_FIELD_NUMBER: _ClassVar[int]
    STEWARD_ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    RELATED_CUSTOMER_IDS_FIELD_NUMBER: _ClassVar[int]
    entry_id: str
    customer_id: str
    kind: HistoryEntryKind
    occur_time: _timestamp_pb2.Timestamp
    actor: _common_pb2.Actor
    principal: str
    source_record: SourceReference
    steward_action_id: str
    reason: str
    changes: _containers.RepeatedCompositeFieldContainer[FieldChange]
    version: int
    related_customer_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, entry_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., kind: _Optional[_Union[HistoryEntryKind, str]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., principal: _Optional[str] = ..., source_record: _Optional[_Union[SourceReference, _Mapping]] = ..., steward_action_id: _Optional[str] = ..., reason: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[FieldChange, _Mapping]]] = ..., version: _Optional[int] = ..., related_customer_ids: _Optional[_Iterable[str]] = ...) -> None: ...
