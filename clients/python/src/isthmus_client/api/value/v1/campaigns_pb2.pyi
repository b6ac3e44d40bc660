import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as _records_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SegmentState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SEGMENT_STATE_UNSPECIFIED: _ClassVar[SegmentState]
    SEGMENT_STATE_DRAFT: _ClassVar[SegmentState]
    SEGMENT_STATE_PUBLISHED: _ClassVar[SegmentState]

class CampaignTrigger(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_TRIGGER_UNSPECIFIED: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_SEGMENT_ENTERED: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_CART_ABANDONED: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_FIRST_PURCHASE: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_LAPSED: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_TIER_UP: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_BIRTHDAY: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_HIGH_VALUE_COMPLAINT: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_ORDER_BACKORDERED: _ClassVar[CampaignTrigger]
    CAMPAIGN_TRIGGER_DETAILS_CHANGED: _ClassVar[CampaignTrigger]

class CampaignPurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_PURPOSE_UNSPECIFIED: _ClassVar[CampaignPurpose]
    CAMPAIGN_PURPOSE_MARKETING: _ClassVar[CampaignPurpose]
    CAMPAIGN_PURPOSE_ESCALATION: _ClassVar[CampaignPurpose]
    CAMPAIGN_PURPOSE_SERVICE: _ClassVar[CampaignPurpose]

class CampaignState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_STATE_UNSPECIFIED: _ClassVar[CampaignState]
    CAMPAIGN_STATE_DRAFT: _ClassVar[CampaignState]
    CAMPAIGN_STATE_TESTING: _ClassVar[CampaignState]
    CAMPAIGN_STATE_PRODUCTION: _ClassVar[CampaignState]
    CAMPAIGN_STATE_STOPPED: _ClassVar[CampaignState]

class CampaignOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMPAIGN_OUTCOME_UNSPECIFIED: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_SEND: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_CONTROL: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_NO_CONSENT: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_SUPPRESSED: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_OPEN_COMPLAINT: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_FREQUENCY_CAP: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_OUTSIDE_SCHEDULE: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_NOT_RUNNING: _ClassVar[CampaignOutcome]
    CAMPAIGN_OUTCOME_WITHDRAWN: _ClassVar[CampaignOutcome]

class SuggestionKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SUGGESTION_KIND_UNSPECIFIED: _ClassVar[SuggestionKind]
    SUGGESTION_KIND_CROSS_SELL: _ClassVar[SuggestionKind]
    SUGGESTION_KIND_UP_SELL: _ClassVar[SuggestionKind]
SEGMENT_STATE_UNSPECIFIED: SegmentState
SEGMENT_STATE_DRAFT: SegmentState
SEGMENT_STATE_PUBLISHED: SegmentState
CAMPAIGN_TRIGGER_UNSPECIFIED: CampaignTrigger
CAMPAIGN_TRIGGER_SEGMENT_ENTERED: CampaignTrigger
CAMPAIGN_TRIGGER_CART_ABANDONED: CampaignTrigger
CAMPAIGN_TRIGGER_FIRST_PURCHASE: CampaignTrigger
CAMPAIGN_TRIGGER_LAPSED: CampaignTrigger
CAMPAIGN_TRIGGER_TIER_UP: CampaignTrigger
CAMPAIGN_TRIGGER_BIRTHDAY: CampaignTrigger
CAMPAIGN_TRIGGER_HIGH_VALUE_COMPLAINT: CampaignTrigger
CAMPAIGN_TRIGGER_ORDER_BACKORDERED: CampaignTrigger
CAMPAIGN_TRIGGER_DETAILS_CHANGED: CampaignTrigger
CAMPAIGN_PURPOSE_UNSPECIFIED: CampaignPurpose
CAMPAIGN_PURPOSE_MARKETING: CampaignPurpose
CAMPAIGN_PURPOSE_ESCALATION: CampaignPurpose
CAMPAIGN_PURPOSE_SERVICE: CampaignPurpose
CAMPAIGN_STATE_UNSPECIFIED: CampaignState
CAMPAIGN_STATE_DRAFT: CampaignState
CAMPAIGN_STATE_TESTING: CampaignState
CAMPAIGN_STATE_PRODUCTION: CampaignState
CAMPAIGN_STATE_STOPPED: CampaignState
CAMPAIGN_OUTCOME_UNSPECIFIED: CampaignOutcome
CAMPAIGN_OUTCOME_SEND: CampaignOutcome
CAMPAIGN_OUTCOME_CONTROL: CampaignOutcome
CAMPAIGN_OUTCOME_NO_CONSENT: CampaignOutcome
CAMPAIGN_OUTCOME_SUPPRESSED: CampaignOutcome
CAMPAIGN_OUTCOME_OPEN_COMPLAINT: CampaignOutcome
CAMPAIGN_OUTCOME_FREQUENCY_CAP: CampaignOutcome
CAMPAIGN_OUTCOME_OUTSIDE_SCHEDULE: CampaignOutcome
CAMPAIGN_OUTCOME_NOT_RUNNING: CampaignOutcome
CAMPAIGN_OUTCOME_WITHDRAWN: CampaignOutcome
SUGGESTION_KIND_UNSPECIFIED: SuggestionKind
SUGGESTION_KIND_CROSS_SELL: SuggestionKind
SUGGESTION_KIND_UP_SELL: SuggestionKind

class SegmentVersion(_message.Message):
    __slots__ = ("segment_id", "version", "name", "description", "rule", "rule_description", "state", "create_time", "publish_time")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    RULE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    version: int
    name: str
    description: str
    rule: str
    rule_description: str
    state: SegmentState
    create_time: _timestamp_pb2.Timestamp
    publish_time: _timestamp_pb2.Timestamp
    def __init__(self, segment_id: _Optional[str] = ..., version: _Optional[int] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., rule: _Optional[str] = ..., rule_description: _Optional[str] = ..., state: _Optional[_Union[SegmentState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Segment(_message.Message):
    __slots__ = ("segment_id", "published", "draft", "member_count")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    MEMBER_COUNT_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    published: SegmentVersion
    draft: SegmentVersion
    member_count: int
    def __init__(self, segment_id: _Optional[str] = ..., published: _Optional[_Union[SegmentVersion, _Mapping]] = ..., draft: _Optional[_Union[SegmentVersion, _Mapping]] = ..., member_count: _Optional[int] = ...) -> None: ...

class CreateSegmentRequest(_message.Message):
    __slots__ = ("name", "description", "rule", "actor", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    rule: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., rule: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateSegmentResponse(_message.Message):
    __slots__ = ("segment", "outcome")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    segment: Segment
    outcome: _common_pb2.WriteOutcome
    def __init__(self, segment: _Optional[_Union[Segment, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ReviseSegmentRequest(_message.Message):
    __slots__ = ("segment_id", "name", "description", "rule", "actor", "request_id")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    RULE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    name: str
    description: str
    rule: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, segment_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., rule: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReviseSegmentResponse(_message.Message):
    __slots__ = ("segment", "outcome")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    segment: Segment
    outcome: _common_pb2.WriteOutcome
    def __init__(self, segment: _Optional[_Union[Segment, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class PublishSegmentRequest(_message.Message):
    __slots__ = ("segment_id", "actor", "request_id")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, segment_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PublishSegmentResponse(_message.Message):
    __slots__ = ("segment", "entered", "left", "outcome")
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    ENTERED_FIELD_NUMBER: _ClassVar[int]
    LEFT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    segment: Segment
    entered: int
    left: int
    outcome: _common_pb2.WriteOutcome
    def __init__(self, segment: _Optional[_Union[Segment, _Mapping]] = ..., entered: _Optional[int] = ..., left: _Optional[int] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class DryRunSegmentRequest(_message.Message):
    __slots__ = ("rule", "segment_id", "sample_size")
    RULE_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    rule: str
    segment_id: str
    sample_size: int
    def __init__(self, rule: _Optional[str] = ..., segment_id: _Optional[str] = ..., sample_size: _Optional[int] = ...) -> None: ...

class DryRunSegmentResponse(_message.Message):
    __slots__ = ("matched", "evaluated", "sample_customer_ids", "rule_description")
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_CUSTOMER_IDS_FIELD_NUMBER: _ClassVar[int]
    RULE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    matched: int
    evaluated: int
    sample_customer_ids: _containers.RepeatedScalarFieldContainer[str]
    rule_description: str
    def __init__(self, matched: _Optional[int] = ..., evaluated: _Optional[int] = ..., sample_customer_ids: _Optional[_Iterable[str]] = ..., rule_description: _Optional[str] = ...) -> None: ...

class GetSegmentRequest(_message.Message):
    __slots__ = ("segment_id",)
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    def __init__(self, segment_id: _Optional[str] = ...) -> None: ...

class GetSegmentResponse(_message.Message):
    __slots__ = ("segment",)
    SEGMENT_FIELD_NUMBER: _ClassVar[int]
    segment: Segment
    def __init__(self, segment: _Optional[_Union[Segment, _Mapping]] = ...) -> None: ...

class ListSegmentsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListSegmentsResponse(_message.Message):
    __slots__ = ("segments", "next_page_token")
    SEGMENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    segments: _containers.RepeatedCompositeFieldContainer[Segment]
    next_page_token: str
    def __init__(self, segments: _Optional[_Iterable[_Union[Segment, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListSegmentMembersRequest(_message.Message):
    __slots__ = ("segment_id", "page_size", "page_token")
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    segment_id: str
    page_size: int
    page_token: str
    def __init__(self, segment_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class SegmentMember(_message.Message):
    __slots__ = ("customer_id", "version", "enter_time")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ENTER_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    version: int
    enter_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., version: _Optional[int] = ..., enter_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListSegmentMembersResponse(_message.Message):
    __slots__ = ("segment_members", "next_page_token")
    SEGMENT_MEMBERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    segment_members: _containers.RepeatedCompositeFieldContainer[SegmentMember]
    next_page_token: str
    def __init__(self, segment_members: _Optional[_Iterable[_Union[SegmentMember, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CampaignSchedule(_message.Message):
    __slots__ = ("start_time", "end_time", "delay")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    DELAY_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    delay: _duration_pb2.Duration
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delay: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class Campaign(_message.Message):
    __slots__ = ("campaign_id", "name", "trigger", "segment_id", "channel", "template_id", "schedule", "control_percent", "frequency_cap", "trigger_tiers", "lapse_factor", "purpose", "state", "last_test", "audit_entries", "create_time")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    CONTROL_PERCENT_FIELD_NUMBER: _ClassVar[int]
    FREQUENCY_CAP_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_TIERS_FIELD_NUMBER: _ClassVar[int]
    LAPSE_FACTOR_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    LAST_TEST_FIELD_NUMBER: _ClassVar[int]
    AUDIT_ENTRIES_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    name: str
    trigger: CampaignTrigger
    segment_id: str
    channel: _records_pb2.ConsentChannel
    template_id: str
    schedule: CampaignSchedule
    control_percent: int
    frequency_cap: _duration_pb2.Duration
    trigger_tiers: _containers.RepeatedScalarFieldContainer[str]
    lapse_factor: float
    purpose: CampaignPurpose
    state: CampaignState
    last_test: CampaignTestResult
    audit_entries: _containers.RepeatedCompositeFieldContainer[CampaignAuditEntry]
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, campaign_id: _Optional[str] = ..., name: _Optional[str] = ..., trigger: _Optional[_Union[CampaignTrigger, str]] = ..., segment_id: _Optional[str] = ..., channel: _Optional[_Union[_records_pb2.ConsentChannel, str]] = ..., template_id: _Optional[str] = ..., schedule: _Optional[_Union[CampaignSchedule, _Mapping]] = ..., control_percent: _Optional[int] = ..., frequency_cap: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., trigger_tiers: _Optional[_Iterable[str]] = ..., lapse_factor: _Optional[float] = ..., purpose: _Optional[_Union[CampaignPurpose, str]] = ..., state: _Optional[_Union[CampaignState, str]] = ..., last_test: _Optional[_Union[CampaignTestResult, _Mapping]] = ..., audit_entries: _Optional[_Iterable[_Union[CampaignAuditEntry, _Mapping]]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class OutcomeCount(_message.Message):
    __slots__ = ("outcome", "count")
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    outcome: CampaignOutcome
    count: int
    def __init__(self, outcome: _Optional[_Union[CampaignOutcome, str]] = ..., count: _Optional[int] = ...) -> None: ...

class SampleDecision(_message.Message):
    __slots__ = ("customer_id", "outcome", "reason")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    outcome: CampaignOutcome
    reason: str
    def __init__(self, customer_id: _Optional[str] = ..., outcome: _Optional[_Union[CampaignOutcome, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class CampaignTestResult(_message.Message):
    __slots__ = ("test_time", "evaluated", "outcome_counts", "sample")
    TEST_TIME_FIELD_NUMBER: _ClassVar[int]
    EVALUATED_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_COUNTS_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    test_time: _timestamp_pb2.Timestamp
    evaluated: int
    outcome_counts: _containers.RepeatedCompositeFieldContainer[OutcomeCount]
    sample: _containers.RepeatedCompositeFieldContainer[SampleDecision]
    def __init__(self, test_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., evaluated: _Optional[int] = ..., outcome_counts: _Optional[_Iterable[_Union[OutcomeCount, _Mapping]]] = ..., sample: _Optional[_Iterable[_Union[SampleDecision, _Mapping]]] = ...) -> None: ...

class CampaignAuditEntry(_message.Message):
    __slots__ = ("action", "from_state", "to_state", "actor", "occur_time", "note")
    ACTION_FIELD_NUMBER: _ClassVar[int]
    FROM_STATE_FIELD_NUMBER: _ClassVar[int]
    TO_STATE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    action: str
    from_state: CampaignState
    to_state: CampaignState
    actor: _common_pb2.Actor
    occur_time: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, action: _Optional[str] = ..., from_state: _Optional[_Union[CampaignState, str]] = ..., to_state: _Optional[_Union[CampaignState, str]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class CreateCampaignRequest(_message.Message):
    __slots__ = ("campaign", "actor", "request_id")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateCampaignResponse(_message.Message):
    __slots__ = ("campaign", "outcome")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    outcome: _common_pb2.WriteOutcome
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class TestCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "lookback", "sample_size", "actor", "request_id")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    LOOKBACK_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_SIZE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    lookback: _duration_pb2.Duration
    sample_size: int
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, campaign_id: _Optional[str] = ..., lookback: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., sample_size: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class TestCampaignResponse(_message.Message):
    __slots__ = ("campaign", "result", "outcome")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    result: CampaignTestResult
    outcome: _common_pb2.WriteOutcome
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., result: _Optional[_Union[CampaignTestResult, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class PromoteCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "actor", "request_id")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, campaign_id: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class PromoteCampaignResponse(_message.Message):
    __slots__ = ("campaign", "outcome")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    outcome: _common_pb2.WriteOutcome
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class StopCampaignRequest(_message.Message):
    __slots__ = ("campaign_id", "reason", "actor", "request_id")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    reason: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, campaign_id: _Optional[str] = ..., reason: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class StopCampaignResponse(_message.Message):
    __slots__ = ("campaign", "outcome")
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    outcome: _common_pb2.WriteOutcome
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetCampaignRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class GetCampaignResponse(_message.Message):
    __slots__ = ("campaign",)
    CAMPAIGN_FIELD_NUMBER: _ClassVar[int]
    campaign: Campaign
    def __init__(self, campaign: _Optional[_Union[Campaign, _Mapping]] = ...) -> None: ...

class ListCampaignsRequest(_message.Message):
    __slots__ = ("page_size", "page_token")
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCampaignsResponse(_message.Message):
    __slots__ = ("campaigns", "next_page_token")
    CAMPAIGNS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaigns: _containers.RepeatedCompositeFieldContainer[Campaign]
    next_page_token: str
    def __init__(self, campaigns: _Optional[_Iterable[_Union[Campaign, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetCampaignReportRequest(_message.Message):
    __slots__ = ("campaign_id",)
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    def __init__(self, campaign_id: _Optional[str] = ...) -> None: ...

class GetCampaignReportResponse(_message.Message):
    __slots__ = ("campaign_id", "sent", "control", "held_back", "opened", "bought_sent", "bought_control", "conversion_sent", "conversion_control", "uplift", "lift", "has_lift", "z_score")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    SENT_FIELD_NUMBER: _ClassVar[int]
    CONTROL_FIELD_NUMBER: _ClassVar[int]
    HELD_BACK_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    BOUGHT_SENT_FIELD_NUMBER: _ClassVar[int]
    BOUGHT_CONTROL_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_SENT_FIELD_NUMBER: _ClassVar[int]
    CONVERSION_CONTROL_FIELD_NUMBER: _ClassVar[int]
    UPLIFT_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    HAS_LIFT_FIELD_NUMBER: _ClassVar[int]
    Z_SCORE_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    sent: int
    control: int
    held_back: _containers.RepeatedCompositeFieldContainer[OutcomeCount]
    opened: int
    bought_sent: int
    bought_control: int
    conversion_sent: float
    conversion_control: float
    uplift: float
    lift: float
    has_lift: bool
    z_score: float
    def __init__(self, campaign_id: _Optional[str] = ..., sent: _Optional[int] = ..., control: _Optional[int] = ..., held_back: _Optional[_Iterable[_Union[OutcomeCount, _Mapping]]] = ..., opened: _Optional[int] = ..., bought_sent: _Optional[int] = ..., bought_control: _Optional[int] = ..., conversion_sent: _Optional[float] = ..., conversion_control: _Optional[float] = ..., uplift: _Optional[float] = ..., lift: _Optional[float] = ..., has_lift: _Optional[bool] = ..., z_score: _Optional[float] = ...) -> None: ...

class ListCampaignDecisionsRequest(_message.Message):
    __slots__ = ("campaign_id", "page_size", "page_token")
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaign_id: str
    page_size: int
    page_token: str
    def __init__(self, campaign_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class CampaignDecision(_message.Message):
    __slots__ = ("customer_id", "reference", "outcome", "reason", "message_id", "decide_time", "opened", "bought")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    DECIDE_TIME_FIELD_NUMBER: _ClassVar[int]
    OPENED_FIELD_NUMBER: _ClassVar[int]
    BOUGHT_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    reference: str
    outcome: CampaignOutcome
    reason: str
    message_id: str
    decide_time: _timestamp_pb2.Timestamp
    opened: bool
    bought: bool
    def __init__(self, customer_id: _Optional[str] = ..., reference: _Optional[str] = ..., outcome: _Optional[_Union[CampaignOutcome, str]] = ..., reason: _Optional[str] = ..., message_id: _Optional[str] = ..., decide_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., opened: _Optional[bool] = ..., bought: _Optional[bool] = ...) -> None: ...

class ListCampaignDecisionsResponse(_message.Message):
    __slots__ = ("campaign_decisions", "next_page_token")
    CAMPAIGN_DECISIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    campaign_decisions: _containers.RepeatedCompositeFieldContainer[CampaignDecision]
    next_page_token: str
    def __init__(self, campaign_decisions: _Optional[_Iterable[_Union[CampaignDecision, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RecordAbandonedCartRequest(_message.Message):
    __slots__ = ("customer_id", "source_system", "external_cart_id", "lines", "total", "abandon_time", "recovery_url")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_CART_ID_FIELD_NUMBER: _ClassVar[int]
    LINES_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    ABANDON_TIME_FIELD_NUMBER: _ClassVar[int]
    RECOVERY_URL_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    source_system: str
    external_cart_id: str
    lines: _containers.RepeatedCompositeFieldContainer[CartLine]
    total: _common_pb2.Money
    abandon_time: _timestamp_pb2.Timestamp
    recovery_url: str
    def __init__(self, customer_id: _Optional[str] = ..., source_system: _Optional[str] = ..., external_cart_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[CartLine, _Mapping]]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., abandon_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recovery_url: _Optional[str] = ...) -> None: ...

class CartLine(_message.Message):
    __slots__ = ("sku", "description", "quantity", "unit_price")
    SKU_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_PRICE_FIELD_NUMBER: _ClassVar[int]
    sku: str
    description: str
    quantity: int
    unit_price: _common_pb2.Money
    def __init__(self, sku: _Optional[str] = ..., description: _Optional[str] = ..., quantity: _Optional[int] = ..., unit_price: _Optional[_Union[_common_pb2.Money, _Mapping]] = ...) -> None: ...

class RecordAbandonedCartResponse(_message.Message):
    __slots__ = ("outcome",)
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    outcome: _common_pb2.WriteOutcome
    def __init__(self, outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class Association(_message.Message):
    __slots__ = ("sku", "also_bought_sku", "together", "support", "confidence", "lift")
    SKU_FIELD_NUMBER: _ClassVar[int]
    ALSO_BOUGHT_SKU_FIELD_NUMBER: _ClassVar[int]
    TOGETHER_FIELD_NUMBER: _ClassVar[int]
    SUPPORT_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    also_bought_sku: str
    together: int
    support: float
    confidence: float
    lift: float
    def __init__(self, sku: _Optional[str] = ..., also_bought_sku: _Optional[str] = ..., together: _Optional[int] = ..., support: _Optional[float] = ..., confidence: _Optional[float] = ..., lift: _Optional[float] = ...) -> None: ...

class Suggestion(_message.Message):
    __slots__ = ("sku", "description", "category", "kind", "because_sku", "confidence", "lift")
    SKU_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BECAUSE_SKU_FIELD_NUMBER: _ClassVar[int]
    CONFIDENCE_FIELD_NUMBER: _ClassVar[int]
    LIFT_FIELD_NUMBER: _ClassVar[int]
    sku: str
    description: str
    category: str
    kind: SuggestionKind
    because_sku: str
    confidence: float
    lift: float
    def __init__(self, sku: _Optional[str] = ..., description: _Optional[str] = ..., category: _Optional[str] = ..., kind: _Optional[_Union[SuggestionKind, str]] = ..., because_sku: _Optional[str] = ..., confidence: _Optional[float] = ..., lift: _Optional[float] = ...) -> None: ...

class GetSuggestionsRequest(_message.Message):
    __slots__ = ("customer_id", "max_suggestions")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    MAX_SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    max_suggestions: int
    def __init__(self, customer_id: _Optional[str] = ..., max_suggestions: _Optional[int] = ...) -> None: ...

class GetSuggestionsResponse(_message.Message):
    __slots__ = ("suggestions", "withheld_reason")
    SUGGESTIONS_FIELD_NUMBER: _ClassVar[int]
    WITHHELD_REASON_FIELD_NUMBER: _ClassVar[int]
    suggestions: _containers.RepeatedCompositeFieldContainer[Suggestion]
    withheld_reason: str
    def __init__(self, suggestions: _Optional[_Iterable[_Union[Suggestion, _Mapping]]] = ..., withheld_reason: _Optional[str] = ...) -> None: ...

class GetAlsoBoughtRequest(_message.Message):
    __slots__ = ("sku", "max_associations")
    SKU_FIELD_NUMBER: _ClassVar[int]
    MAX_ASSOCIATIONS_FIELD_NUMBER: _ClassVar[int]
    sku: str
    max_associations: int
    def __init__(self, sku: _Optional[str] = ..., max_associations: _Optional[int] = ...) -> None: ...

class GetAlsoBoughtResponse(_message.Message):
    __slots__ = ("associations",)
    ASSOCIATIONS_FIELD_NUMBER: _ClassVar[int]
    associations: _containers.RepeatedCompositeFieldContainer[Association]
    def __init__(self, associations: _Optional[_Iterable[_Union[Association, _Mapping]]] = ...) -> None: ...
