import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.customers.v1 import records_pb2 as _records_pb2
from isthmus_client.api.value.v1 import campaigns_pb2 as _campaigns_pb2
from isthmus_client.api.value.v1 import value_pb2 as _value_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
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
    from_tier: _common_pb2.ValueTier
    to_tier: _common_pb2.ValueTier
    lifetime_value: _common_pb2.Money
    reason: str
    def __init__(self, customer_id: _Optional[str] = ..., from_tier: _Optional[_Union[_common_pb2.ValueTier, str]] = ..., to_tier: _Optional[_Union[_common_pb2.ValueTier, str]] = ..., lifetime_value: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., reason: _Optional[str] = ...) -> None: ...

class ValueModelRefitted(_message.Message):
    __slots__ = ("model",)
    MODEL_FIELD_NUMBER: _ClassVar[int]
    model: _value_pb2.ValueModel
    def __init__(self, model: _Optional[_Union[_value_pb2.ValueModel, _Mapping]] = ...) -> None: ...

class SegmentEntered(_message.Message):
    __slots__ = ("customer_id", "segment_id", "segment_version", "segment_name", "enter_time")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTER_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    segment_id: str
    segment_version: int
    segment_name: str
    enter_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., segment_id: _Optional[str] = ..., segment_version: _Optional[int] = ..., segment_name: _Optional[str] = ..., enter_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SegmentLeft(_message.Message):
    __slots__ = ("customer_id", "segment_id", "segment_version", "segment_name", "leave_time")
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_ID_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    SEGMENT_NAME_FIELD_NUMBER: _ClassVar[int]
    LEAVE_TIME_FIELD_NUMBER: _ClassVar[int]
    customer_id: str
    segment_id: str
    segment_version: int
    segment_name: str
    leave_time: _timestamp_pb2.Timestamp
    def __init__(self, customer_id: _Optional[str] = ..., segment_id: _Optional[str] = ..., segment_version: _Optional[int] = ..., segment_name: _Optional[str] = ..., leave_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CampaignMessageRequested(_message.Message):
    __slots__ = ("message_id", "campaign_id", "customer_id", "channel", "template_id", "purpose", "trigger", "reference", "send_after_time", "variables")
    class VariablesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_ID_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    SEND_AFTER_TIME_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    campaign_id: str
    customer_id: str
    channel: _records_pb2.ConsentChannel
    template_id: str
    purpose: _campaigns_pb2.CampaignPurpose
    trigger: _campaigns_pb2.CampaignTrigger
    reference: str
    send_after_time: _timestamp_pb2.Timestamp
    variables: _containers.ScalarMap[str, str]
    def __init__(self, message_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., channel: _Optional[_Union[_records_pb2.ConsentChannel, str]] = ..., template_id: _Optional[str] = ..., purpose: _Optional[_Union[_campaigns_pb2.CampaignPurpose, str]] = ..., trigger: _Optional[_Union[_campaigns_pb2.CampaignTrigger, str]] = ..., reference: _Optional[str] = ..., send_after_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., variables: _Optional[_Mapping[str, str]] = ...) -> None: ...

class CartAbandoned(_message.Message):
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
    lines: _containers.RepeatedCompositeFieldContainer[_campaigns_pb2.CartLine]
    total: _common_pb2.Money
    abandon_time: _timestamp_pb2.Timestamp
    recovery_url: str
    def __init__(self, customer_id: _Optional[str] = ..., source_system: _Optional[str] = ..., external_cart_id: _Optional[str] = ..., lines: _Optional[_Iterable[_Union[_campaigns_pb2.CartLine, _Mapping]]] = ..., total: _Optional[_Union[_common_pb2.Money, _Mapping]] = ..., abandon_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., recovery_url: _Optional[str] = ...) -> None: ...

class CampaignMessageWithdrawn(_message.Message):
    __slots__ = ("message_id", "campaign_id", "customer_id", "reason", "withdraw_time")
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    WITHDRAW_TIME_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    campaign_id: str
    customer_id: str
    reason: str
    withdraw_time: _timestamp_pb2.Timestamp
    def __init__(self, message_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., reason: _Optional[str] = ..., withdraw_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CampaignMessageResponded(_message.Message):
    __slots__ = ("message_id", "response", "respond_time")
    class MessageResponse(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        MESSAGE_RESPONSE_UNSPECIFIED: _ClassVar[CampaignMessageResponded.MessageResponse]
        MESSAGE_RESPONSE_DELIVERED: _ClassVar[CampaignMessageResponded.MessageResponse]
        MESSAGE_RESPONSE_OPENED: _ClassVar[CampaignMessageResponded.MessageResponse]
        MESSAGE_RESPONSE_CLICKED: _ClassVar[CampaignMessageResponded.MessageResponse]
        MESSAGE_RESPONSE_BOUGHT: _ClassVar[CampaignMessageResponded.MessageResponse]
        MESSAGE_RESPONSE_UNSUBSCRIBED: _ClassVar[CampaignMessageResponded.MessageResponse]
    MESSAGE_RESPONSE_UNSPECIFIED: CampaignMessageResponded.MessageResponse
    MESSAGE_RESPONSE_DELIVERED: CampaignMessageResponded.MessageResponse
    MESSAGE_RESPONSE_OPENED: CampaignMessageResponded.MessageResponse
    MESSAGE_RESPONSE_CLICKED: CampaignMessageResponded.MessageResponse
    MESSAGE_RESPONSE_BOUGHT: CampaignMessageResponded.MessageResponse
    MESSAGE_RESPONSE_UNSUBSCRIBED: CampaignMessageResponded.MessageResponse
    MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    RESPOND_TIME_FIELD_NUMBER: _ClassVar[int]
    message_id: str
    response: CampaignMessageResponded.MessageResponse
    respond_time: _timestamp_pb2.Timestamp
    def __init__(self, message_id: _Optional[str] = ..., response: _Optional[_Union[CampaignMessageResponded.MessageResponse, str]] = ..., respond_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
