import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from isthmus_client.api.common.v1 import common_pb2 as _common_pb2
from isthmus_client.api.service_requests.v1 import service_request_pb2 as _service_request_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ScriptRunState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCRIPT_RUN_STATE_UNSPECIFIED: _ClassVar[ScriptRunState]
    SCRIPT_RUN_STATE_IN_PROGRESS: _ClassVar[ScriptRunState]
    SCRIPT_RUN_STATE_COMPLETED: _ClassVar[ScriptRunState]
    SCRIPT_RUN_STATE_ABANDONED: _ClassVar[ScriptRunState]

class ScriptEntryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCRIPT_ENTRY_KIND_UNSPECIFIED: _ClassVar[ScriptEntryKind]
    SCRIPT_ENTRY_KIND_ANSWERED: _ClassVar[ScriptEntryKind]
    SCRIPT_ENTRY_KIND_SKIPPED: _ClassVar[ScriptEntryKind]
    SCRIPT_ENTRY_KIND_TAKEN_BACK: _ClassVar[ScriptEntryKind]

class CallState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CALL_STATE_UNSPECIFIED: _ClassVar[CallState]
    CALL_STATE_WAITING: _ClassVar[CallState]
    CALL_STATE_IN_PROGRESS: _ClassVar[CallState]
    CALL_STATE_MADE: _ClassVar[CallState]
    CALL_STATE_GIVEN_UP: _ClassVar[CallState]
    CALL_STATE_WITHDRAWN: _ClassVar[CallState]
SCRIPT_RUN_STATE_UNSPECIFIED: ScriptRunState
SCRIPT_RUN_STATE_IN_PROGRESS: ScriptRunState
SCRIPT_RUN_STATE_COMPLETED: ScriptRunState
SCRIPT_RUN_STATE_ABANDONED: ScriptRunState
SCRIPT_ENTRY_KIND_UNSPECIFIED: ScriptEntryKind
SCRIPT_ENTRY_KIND_ANSWERED: ScriptEntryKind
SCRIPT_ENTRY_KIND_SKIPPED: ScriptEntryKind
SCRIPT_ENTRY_KIND_TAKEN_BACK: ScriptEntryKind
CALL_STATE_UNSPECIFIED: CallState
CALL_STATE_WAITING: CallState
CALL_STATE_IN_PROGRESS: CallState
CALL_STATE_MADE: CallState
CALL_STATE_GIVEN_UP: CallState
CALL_STATE_WITHDRAWN: CallState

class ScriptAnswer(_message.Message):
    __slots__ = ("value", "label", "next_step_id", "end")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    value: str
    label: str
    next_step_id: str
    end: bool
    def __init__(self, value: _Optional[str] = ..., label: _Optional[str] = ..., next_step_id: _Optional[str] = ..., end: _Optional[bool] = ...) -> None: ...

class ScriptStep(_message.Message):
    __slots__ = ("step_id", "prompt", "answers", "free_text", "next_step_id", "pitch", "tiers", "capture")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    FREE_TEXT_FIELD_NUMBER: _ClassVar[int]
    NEXT_STEP_ID_FIELD_NUMBER: _ClassVar[int]
    PITCH_FIELD_NUMBER: _ClassVar[int]
    TIERS_FIELD_NUMBER: _ClassVar[int]
    CAPTURE_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    prompt: str
    answers: _containers.RepeatedCompositeFieldContainer[ScriptAnswer]
    free_text: bool
    next_step_id: str
    pitch: bool
    tiers: _containers.RepeatedScalarFieldContainer[str]
    capture: str
    def __init__(self, step_id: _Optional[str] = ..., prompt: _Optional[str] = ..., answers: _Optional[_Iterable[_Union[ScriptAnswer, _Mapping]]] = ..., free_text: _Optional[bool] = ..., next_step_id: _Optional[str] = ..., pitch: _Optional[bool] = ..., tiers: _Optional[_Iterable[str]] = ..., capture: _Optional[str] = ...) -> None: ...

class ScriptVersion(_message.Message):
    __slots__ = ("version", "steps", "actor", "create_time", "note")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    version: int
    steps: _containers.RepeatedCompositeFieldContainer[ScriptStep]
    actor: _common_pb2.Actor
    create_time: _timestamp_pb2.Timestamp
    note: str
    def __init__(self, version: _Optional[int] = ..., steps: _Optional[_Iterable[_Union[ScriptStep, _Mapping]]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., note: _Optional[str] = ...) -> None: ...

class Script(_message.Message):
    __slots__ = ("script_id", "name", "description", "published_version", "latest_version", "published", "draft", "create_time", "publish_time", "publisher")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_VERSION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    PUBLISHED_FIELD_NUMBER: _ClassVar[int]
    DRAFT_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    PUBLISH_TIME_FIELD_NUMBER: _ClassVar[int]
    PUBLISHER_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    name: str
    description: str
    published_version: int
    latest_version: int
    published: ScriptVersion
    draft: ScriptVersion
    create_time: _timestamp_pb2.Timestamp
    publish_time: _timestamp_pb2.Timestamp
    publisher: _common_pb2.Actor
    def __init__(self, script_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., published_version: _Optional[int] = ..., latest_version: _Optional[int] = ..., published: _Optional[_Union[ScriptVersion, _Mapping]] = ..., draft: _Optional[_Union[ScriptVersion, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publish_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., publisher: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class CreateScriptRequest(_message.Message):
    __slots__ = ("name", "description", "steps", "actor", "request_id")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    steps: _containers.RepeatedCompositeFieldContainer[ScriptStep]
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[ScriptStep, _Mapping]]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class CreateScriptResponse(_message.Message):
    __slots__ = ("script", "outcome")
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    script: Script
    outcome: _common_pb2.WriteOutcome
    def __init__(self, script: _Optional[_Union[Script, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class ReviseScriptRequest(_message.Message):
    __slots__ = ("script_id", "steps", "note", "actor", "request_id")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    steps: _containers.RepeatedCompositeFieldContainer[ScriptStep]
    note: str
    actor: _common_pb2.Actor
    request_id: str
    def __init__(self, script_id: _Optional[str] = ..., steps: _Optional[_Iterable[_Union[ScriptStep, _Mapping]]] = ..., note: _Optional[str] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ReviseScriptResponse(_message.Message):
    __slots__ = ("script", "outcome")
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    script: Script
    outcome: _common_pb2.WriteOutcome
    def __init__(self, script: _Optional[_Union[Script, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class PublishScriptRequest(_message.Message):
    __slots__ = ("script_id", "version", "actor")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    version: int
    actor: _common_pb2.Actor
    def __init__(self, script_id: _Optional[str] = ..., version: _Optional[int] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ...) -> None: ...

class PublishScriptResponse(_message.Message):
    __slots__ = ("script", "outcome")
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    script: Script
    outcome: _common_pb2.WriteOutcome
    def __init__(self, script: _Optional[_Union[Script, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetScriptRequest(_message.Message):
    __slots__ = ("script_id",)
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    def __init__(self, script_id: _Optional[str] = ...) -> None: ...

class GetScriptResponse(_message.Message):
    __slots__ = ("script",)
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    script: Script
    def __init__(self, script: _Optional[_Union[Script, _Mapping]] = ...) -> None: ...

class ListScriptsRequest(_message.Message):
    __slots__ = ("published_only", "page_size", "page_token")
    PUBLISHED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    published_only: bool
    page_size: int
    page_token: str
    def __init__(self, published_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListScriptsResponse(_message.Message):
    __slots__ = ("scripts", "next_page_token")
    SCRIPTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    scripts: _containers.RepeatedCompositeFieldContainer[Script]
    next_page_token: str
    def __init__(self, scripts: _Optional[_Iterable[_Union[Script, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ListScriptVersionsRequest(_message.Message):
    __slots__ = ("script_id", "page_size", "page_token")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    page_size: int
    page_token: str
    def __init__(self, script_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListScriptVersionsResponse(_message.Message):
    __slots__ = ("versions", "next_page_token")
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ScriptVersion]
    next_page_token: str
    def __init__(self, versions: _Optional[_Iterable[_Union[ScriptVersion, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class ScriptEntry(_message.Message):
    __slots__ = ("step_id", "prompt", "kind", "answer", "label", "reason", "occur_time", "taken_back_at")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    LABEL_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    OCCUR_TIME_FIELD_NUMBER: _ClassVar[int]
    TAKEN_BACK_AT_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    prompt: str
    kind: ScriptEntryKind
    answer: str
    label: str
    reason: str
    occur_time: _timestamp_pb2.Timestamp
    taken_back_at: str
    def __init__(self, step_id: _Optional[str] = ..., prompt: _Optional[str] = ..., kind: _Optional[_Union[ScriptEntryKind, str]] = ..., answer: _Optional[str] = ..., label: _Optional[str] = ..., reason: _Optional[str] = ..., occur_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., taken_back_at: _Optional[str] = ...) -> None: ...

class ScriptScreen(_message.Message):
    __slots__ = ("step_id", "prompt", "answers", "free_text", "statement")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    FREE_TEXT_FIELD_NUMBER: _ClassVar[int]
    STATEMENT_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    prompt: str
    answers: _containers.RepeatedCompositeFieldContainer[ScriptAnswer]
    free_text: bool
    statement: bool
    def __init__(self, step_id: _Optional[str] = ..., prompt: _Optional[str] = ..., answers: _Optional[_Iterable[_Union[ScriptAnswer, _Mapping]]] = ..., free_text: _Optional[bool] = ..., statement: _Optional[bool] = ...) -> None: ...

class ScriptRun(_message.Message):
    __slots__ = ("run_id", "script_id", "script_name", "version", "customer_id", "service_request_id", "state", "screen", "entries", "rehearsal", "interaction_id", "agent", "start_time", "end_time", "abandon_reason", "channel", "direction", "call_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_NAME_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SCREEN_FIELD_NUMBER: _ClassVar[int]
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    REHEARSAL_FIELD_NUMBER: _ClassVar[int]
    INTERACTION_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    ABANDON_REASON_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    script_id: str
    script_name: str
    version: int
    customer_id: str
    service_request_id: str
    state: ScriptRunState
    screen: ScriptScreen
    entries: _containers.RepeatedCompositeFieldContainer[ScriptEntry]
    rehearsal: bool
    interaction_id: str
    agent: _common_pb2.Actor
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    abandon_reason: str
    channel: _service_request_pb2.Channel
    direction: _service_request_pb2.Direction
    call_id: str
    def __init__(self, run_id: _Optional[str] = ..., script_id: _Optional[str] = ..., script_name: _Optional[str] = ..., version: _Optional[int] = ..., customer_id: _Optional[str] = ..., service_request_id: _Optional[str] = ..., state: _Optional[_Union[ScriptRunState, str]] = ..., screen: _Optional[_Union[ScriptScreen, _Mapping]] = ..., entries: _Optional[_Iterable[_Union[ScriptEntry, _Mapping]]] = ..., rehearsal: _Optional[bool] = ..., interaction_id: _Optional[str] = ..., agent: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., abandon_reason: _Optional[str] = ..., channel: _Optional[_Union[_service_request_pb2.Channel, str]] = ..., direction: _Optional[_Union[_service_request_pb2.Direction, str]] = ..., call_id: _Optional[str] = ...) -> None: ...

class StartScriptRunRequest(_message.Message):
    __slots__ = ("script_id", "customer_id", "version", "rehearsal", "service_request_id", "customer_name", "channel", "direction", "actor", "request_id", "call_id")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    REHEARSAL_FIELD_NUMBER: _ClassVar[int]
    SERVICE_REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_NAME_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    customer_id: str
    version: int
    rehearsal: bool
    service_request_id: str
    customer_name: str
    channel: _service_request_pb2.Channel
    direction: _service_request_pb2.Direction
    actor: _common_pb2.Actor
    request_id: str
    call_id: str
    def __init__(self, script_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., version: _Optional[int] = ..., rehearsal: _Optional[bool] = ..., service_request_id: _Optional[str] = ..., customer_name: _Optional[str] = ..., channel: _Optional[_Union[_service_request_pb2.Channel, str]] = ..., direction: _Optional[_Union[_service_request_pb2.Direction, str]] = ..., actor: _Optional[_Union[_common_pb2.Actor, _Mapping]] = ..., request_id: _Optional[str] = ..., call_id: _Optional[str] = ...) -> None: ...

class StartScriptRunResponse(_message.Message):
    __slots__ = ("run", "outcome")
    RUN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    run: ScriptRun
    outcome: _common_pb2.WriteOutcome
    def __init__(self, run: _Optional[_Union[ScriptRun, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class AnswerScriptStepRequest(_message.Message):
    __slots__ = ("run_id", "step_id", "answer")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    step_id: str
    answer: str
    def __init__(self, run_id: _Optional[str] = ..., step_id: _Optional[str] = ..., answer: _Optional[str] = ...) -> None: ...

class AnswerScriptStepResponse(_message.Message):
    __slots__ = ("run", "outcome")
    RUN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    run: ScriptRun
    outcome: _common_pb2.WriteOutcome
    def __init__(self, run: _Optional[_Union[ScriptRun, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class BackScriptStepRequest(_message.Message):
    __slots__ = ("run_id", "step_id")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    step_id: str
    def __init__(self, run_id: _Optional[str] = ..., step_id: _Optional[str] = ...) -> None: ...

class BackScriptStepResponse(_message.Message):
    __slots__ = ("run", "outcome")
    RUN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    run: ScriptRun
    outcome: _common_pb2.WriteOutcome
    def __init__(self, run: _Optional[_Union[ScriptRun, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class AbandonScriptRunRequest(_message.Message):
    __slots__ = ("run_id", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class AbandonScriptRunResponse(_message.Message):
    __slots__ = ("run", "outcome")
    RUN_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    run: ScriptRun
    outcome: _common_pb2.WriteOutcome
    def __init__(self, run: _Optional[_Union[ScriptRun, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...

class GetScriptRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class GetScriptRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: ScriptRun
    def __init__(self, run: _Optional[_Union[ScriptRun, _Mapping]] = ...) -> None: ...

class GetScriptReportRequest(_message.Message):
    __slots__ = ("script_id", "version")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    version: int
    def __init__(self, script_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class AnswerCount(_message.Message):
    __slots__ = ("answer", "count")
    ANSWER_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    answer: str
    count: int
    def __init__(self, answer: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class StepReport(_message.Message):
    __slots__ = ("step_id", "shown", "skipped", "answers", "abandoned")
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    SHOWN_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    ANSWERS_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_FIELD_NUMBER: _ClassVar[int]
    step_id: str
    shown: int
    skipped: int
    answers: _containers.RepeatedCompositeFieldContainer[AnswerCount]
    abandoned: int
    def __init__(self, step_id: _Optional[str] = ..., shown: _Optional[int] = ..., skipped: _Optional[int] = ..., answers: _Optional[_Iterable[_Union[AnswerCount, _Mapping]]] = ..., abandoned: _Optional[int] = ...) -> None: ...

class GetScriptReportResponse(_message.Message):
    __slots__ = ("script_id", "started", "completed", "abandoned", "steps")
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    ABANDONED_FIELD_NUMBER: _ClassVar[int]
    STEPS_FIELD_NUMBER: _ClassVar[int]
    script_id: str
    started: int
    completed: int
    abandoned: int
    steps: _containers.RepeatedCompositeFieldContainer[StepReport]
    def __init__(self, script_id: _Optional[str] = ..., started: _Optional[int] = ..., completed: _Optional[int] = ..., abandoned: _Optional[int] = ..., steps: _Optional[_Iterable[_Union[StepReport, _Mapping]]] = ...) -> None: ...

class Call(_message.Message):
    __slots__ = ("call_id", "campaign_id", "customer_id", "script_id", "state", "due_time", "attempts", "run_id", "note", "reference", "request_time", "agent_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CAMPAIGN_ID_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    DUE_TIME_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_TIME_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    campaign_id: str
    customer_id: str
    script_id: str
    state: CallState
    due_time: _timestamp_pb2.Timestamp
    attempts: int
    run_id: str
    note: str
    reference: str
    request_time: _timestamp_pb2.Timestamp
    agent_id: str
    def __init__(self, call_id: _Optional[str] = ..., campaign_id: _Optional[str] = ..., customer_id: _Optional[str] = ..., script_id: _Optional[str] = ..., state: _Optional[_Union[CallState, str]] = ..., due_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., attempts: _Optional[int] = ..., run_id: _Optional[str] = ..., note: _Optional[str] = ..., reference: _Optional[str] = ..., request_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., agent_id: _Optional[str] = ...) -> None: ...

class ListCallsRequest(_message.Message):
    __slots__ = ("states", "due_only", "customer_id", "agent_id", "unassigned_only", "page_size", "page_token")
    STATES_FIELD_NUMBER: _ClassVar[int]
    DUE_ONLY_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_ONLY_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    states: _containers.RepeatedScalarFieldContainer[CallState]
    due_only: bool
    customer_id: str
    agent_id: str
    unassigned_only: bool
    page_size: int
    page_token: str
    def __init__(self, states: _Optional[_Iterable[_Union[CallState, str]]] = ..., due_only: _Optional[bool] = ..., customer_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., unassigned_only: _Optional[bool] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListCallsResponse(_message.Message):
    __slots__ = ("calls", "next_page_token")
    CALLS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[Call]
    next_page_token: str
    def __init__(self, calls: _Optional[_Iterable[_Union[Call, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class AssignCallRequest(_message.Message):
    __slots__ = ("call_id", "agent_id")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: str
    agent_id: str
    def __init__(self, call_id: _Optional[str] = ..., agent_id: _Optional[str] = ...) -> None: ...

class AssignCallResponse(_message.Message):
    __slots__ = ("call", "outcome")
    CALL_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    call: Call
    outcome: _common_pb2.WriteOutcome
    def __init__(self, call: _Optional[_Union[Call, _Mapping]] = ..., outcome: _Optional[_Union[_common_pb2.WriteOutcome, str]] = ...) -> None: ...
