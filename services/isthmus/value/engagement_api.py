"""SegmentService, CampaignService and SuggestionService: messages in, use cases, messages out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import grpc
import orjson
from google.protobuf.message import Message
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.kernel.errors import Conflict, InvalidArgument
from isthmus.kernel.idempotency import APPLIED, outcome
from isthmus.kernel.paging import decode_token, encode_token, filters_of, page_size
from isthmus.kernel.timestamps import duration, from_ts, opt_duration, opt_ts, ts
from isthmus.kernel.violations import Violations
from isthmus.platform import requests
from isthmus.value import affinity, affinity_store, segments
from isthmus.value import campaigns as rules
from isthmus.value.engagement import Engagement
from isthmus.value.engagement_campaigns import Actor
from isthmus.value.engagement_segments import Publisher, ValueFacts, no_value_facts
from isthmus_client.api.customers.v1 import records_pb2
from isthmus_client.api.value.v1 import campaigns_pb2 as pb
from isthmus_client.api.value.v1 import campaigns_pb2_grpc

T = TypeVar("T")
DEFAULT_LOOKBACK = timedelta(days=7)
THRESHOLDS = affinity.Thresholds()


class _Base:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime],
        publisher: Publisher,
        value_facts: ValueFacts = no_value_facts,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._publisher = publisher
        self._facts = value_facts

    async def _once(
        self,
        request: Message,
        work: Callable[[Engagement], Awaitable[Any]],
        respond: Callable[[Any], Message] | None = None,
    ) -> Any:
        """A write whose response is remembered under the request's ``request_id``, in its transaction:
        a retry gets the first response (isthmus.platform.requests)."""

        async def step(e: Engagement) -> Any:
            async def answer() -> Any:
                made = await work(e)
                return respond(made) if respond is not None else made

            return await requests.once(e.session, request, answer)

        return await self._run(step)

    async def _run(self, work: Callable[[Engagement], Awaitable[T]]) -> T:
        try:
            async with self._sessions() as session, session.begin():
                return await work(Engagement(session, self._clock, self._publisher, self._facts))
        except IntegrityError:
            raise Conflict("a concurrent request wrote the same segment, campaign or cart; retry") from None


def _enum(value: int) -> Any:
    """An enum number for a generated message's constructor (its stubs want the enum's own type)."""
    return int(value)


def _actor(message: Any) -> Actor:
    return Actor(int(message.kind), message.id)


def _rule(text: str, field: str) -> segments.Rule:
    if not text.strip():
        raise InvalidArgument(field, "required: the rule as JSON text")
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(field, f"is not JSON: {exc}") from None
    return segments.parse_rule(data, field)


def _version(v: segments.SegmentVersion | None) -> pb.SegmentVersion | None:
    if v is None:
        return None
    return pb.SegmentVersion(
        segment_id=v.segment_id,
        version=v.version,
        name=v.name,
        description=v.description,
        rule=orjson.dumps(v.rule.to_json()).decode(),
        rule_description=segments.describe(v.rule),
        state=_enum(v.state),
        create_time=ts(v.created_at),
        publish_time=ts(v.published_at),
    )


async def _segment(e: Engagement, segment_id: str) -> pb.Segment:
    return _segment_message(segment_id, *await e.segment(segment_id))


def _segment_message(
    segment_id: str,
    published: segments.SegmentVersion | None,
    draft: segments.SegmentVersion | None,
    count: int,
) -> pb.Segment:
    return pb.Segment(
        segment_id=segment_id, published=_version(published), draft=_version(draft), member_count=count
    )


class SegmentServicer(_Base, campaigns_pb2_grpc.SegmentServiceServicer):
    def _definition(self, request: Any) -> tuple[str, str, segments.Rule]:
        v = Violations()
        name = v.text("name", request.name, required=True)
        rule = v.guard(lambda: _rule(request.rule, "rule"))
        if v or rule is None:
            raise InvalidArgument.many(v.items)
        return name, request.description, rule

    async def CreateSegment(self, request: pb.CreateSegmentRequest, context: Any) -> Message:
        name, description, rule = self._definition(request)

        async def work(e: Engagement) -> pb.Segment:
            return await _segment(e, await e.create_segment(name, description, rule))

        return await self._once(
            request, work, lambda made: pb.CreateSegmentResponse(segment=made, outcome=APPLIED)
        )

    async def ReviseSegment(self, request: pb.ReviseSegmentRequest, context: Any) -> Message:
        if not request.segment_id:
            raise InvalidArgument("segment_id", "required")
        name, description, rule = self._definition(request)

        async def work(e: Engagement) -> pb.Segment:
            await e.revise_segment(request.segment_id, name, description, rule)
            return await _segment(e, request.segment_id)

        return await self._once(
            request, work, lambda made: pb.ReviseSegmentResponse(segment=made, outcome=APPLIED)
        )

    async def PublishSegment(self, request: pb.PublishSegmentRequest, context: Any) -> Message:
        if not request.segment_id:
            raise InvalidArgument("segment_id", "required")

        async def work(e: Engagement) -> pb.PublishSegmentResponse:
            entered, left = await e.publish_segment(request.segment_id)
            return pb.PublishSegmentResponse(
                outcome=APPLIED, segment=await _segment(e, request.segment_id), entered=entered, left=left
            )

        return await self._once(request, work)

    async def DryRunSegment(self, request: pb.DryRunSegmentRequest, context: Any) -> Message:
        size = page_size(request.sample_size, default=10, maximum=100, field="sample_size")
        if not request.rule and not request.segment_id:
            raise InvalidArgument("rule", "required: a rule, or a segment_id whose draft to try")

        async def work(e: Engagement) -> pb.DryRunSegmentResponse:
            if request.rule:
                rule = _rule(request.rule, "rule")
            else:
                published, draft, _ = await e.segment(request.segment_id)
                chosen = draft or published
                assert chosen is not None
                rule = chosen.rule
            result = await e.dry_run_segment(rule, size)
            return pb.DryRunSegmentResponse(
                matched=result.matched,
                evaluated=result.evaluated,
                sample_customer_ids=list(result.sample),
                rule_description=segments.describe(rule),
            )

        return await self._run(work)

    async def GetSegment(self, request: pb.GetSegmentRequest, context: Any) -> Message:
        if not request.segment_id:
            raise InvalidArgument("segment_id", "required")
        return pb.GetSegmentResponse(segment=await self._run(lambda e: _segment(e, request.segment_id)))

    async def ListSegments(self, request: pb.ListSegmentsRequest, context: Any) -> Message:
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        after = position.text("a") if position is not None else ""

        async def work(e: Engagement) -> tuple[list[pb.Segment], bool]:
            ids = await e.segment_ids(after, size + 1)
            found = await e.segments_of(ids[:size])
            return [_segment_message(s, *found[s]) for s in ids[:size]], len(ids) > size

        page, more = await self._run(work)
        token = encode_token({"a": page[-1].segment_id}, filters) if more else ""
        return pb.ListSegmentsResponse(segments=page, next_page_token=token)

    async def ListSegmentMembers(self, request: pb.ListSegmentMembersRequest, context: Any) -> Message:
        if not request.segment_id:
            raise InvalidArgument("segment_id", "required")
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        after = position.text("a") if position is not None else ""
        rows = await self._run(lambda e: e.members(request.segment_id, after, size + 1))
        token = encode_token({"a": rows[size - 1][0]}, filters) if len(rows) > size else ""
        members = [pb.SegmentMember(customer_id=c, version=v, enter_time=ts(t)) for c, v, t in rows[:size]]
        return pb.ListSegmentMembersResponse(segment_members=members, next_page_token=token)


def _channel_name(value: int, field: str, v: Violations) -> str:
    return str(v.enum(field, value, records_pb2.ConsentChannel, "CONSENT_CHANNEL_", default=None) or "")


def campaign_from_message(m: pb.Campaign) -> rules.Campaign:
    v = Violations()
    trigger = v.enum("campaign.trigger", m.trigger, pb.CampaignTrigger, "CAMPAIGN_TRIGGER_")
    channel = _channel_name(m.channel, "campaign.channel", v)
    schedule = rules.Schedule()
    if m.HasField("schedule"):
        s = m.schedule
        schedule = rules.Schedule(
            v.guard(lambda: opt_ts(s, "start_time", "campaign.schedule.start_time")),
            v.guard(lambda: opt_ts(s, "end_time", "campaign.schedule.end_time")),
            v.guard(lambda: opt_duration(s, "delay", "campaign.schedule.delay") or timedelta(0))
            or timedelta(0),
        )
    cap = v.guard(lambda: opt_duration(m, "frequency_cap", "campaign.frequency_cap"))
    if v:
        raise InvalidArgument.many(v.items)
    return rules.define(
        "",
        m.name,
        rules.Trigger[trigger] if trigger else None,
        channel,
        m.template_id,
        schedule=schedule,
        segment_id=m.segment_id,
        control_percent=m.control_percent,
        frequency_cap=cap,
        trigger_tiers=list(m.trigger_tiers),
        lapse_factor=m.lapse_factor or 1.5,
    )


def _result(r: rules.TestResult) -> pb.CampaignTestResult:
    return pb.CampaignTestResult(
        test_time=ts(r.tested_at),
        evaluated=r.evaluated,
        outcome_counts=[pb.OutcomeCount(outcome=_enum(o), count=n) for o, n in sorted(r.counts.items())],
        sample=[pb.SampleDecision(customer_id=c, outcome=_enum(o)) for c, o in r.sample],
    )


async def _campaign(
    e: Engagement, c: rules.Campaign, *, audit: bool = True, created: datetime | None = None
) -> pb.Campaign:
    """The campaign's message; its create time read unless given (``created``), its audit trail with
    ``audit``."""
    message = pb.Campaign(
        campaign_id=c.campaign_id,
        name=c.name,
        trigger=_enum(c.trigger),
        segment_id=c.segment_id,
        channel=_enum(records_pb2.ConsentChannel.Value(f"CONSENT_CHANNEL_{c.channel}")),
        template_id=c.template_id,
        schedule=pb.CampaignSchedule(
            start_time=ts(c.schedule.starts_at),
            end_time=ts(c.schedule.ends_at),
            delay=duration(c.schedule.delay),
        ),
        control_percent=c.control_percent,
        frequency_cap=duration(c.frequency_cap),
        trigger_tiers=sorted(c.trigger_tiers),
        lapse_factor=c.lapse_factor,
        purpose=_enum(c.purpose),
        state=_enum(c.state),
        last_test=_result(c.test) if c.test is not None else None,
        create_time=ts(created or await e.create_time(c.campaign_id)),
    )
    if audit:
        for entry, actor in await e.audit(c.campaign_id):
            message.audit_entries.append(
                pb.CampaignAuditEntry(
                    action=entry.action,
                    from_state=_enum(entry.from_state or 0),
                    to_state=_enum(entry.to_state),
                    actor={"kind": actor.kind, "id": actor.id},
                    occur_time=ts(entry.at),
                    note=entry.note,
                )
            )
    return message


class CampaignServicer(_Base, campaigns_pb2_grpc.CampaignServiceServicer):
    async def CreateCampaign(self, request: pb.CreateCampaignRequest, context: Any) -> Message:
        draft = campaign_from_message(request.campaign)

        async def work(e: Engagement) -> pb.Campaign:
            return await _campaign(e, await e.create_campaign(draft, _actor(request.actor)))

        return await self._once(
            request, work, lambda made: pb.CreateCampaignResponse(campaign=made, outcome=APPLIED)
        )

    async def TestCampaign(self, request: pb.TestCampaignRequest, context: Any) -> Message:
        if not request.campaign_id:
            raise InvalidArgument("campaign_id", "required")
        lookback = opt_duration(request, "lookback") or DEFAULT_LOOKBACK
        if lookback <= timedelta(0):
            raise InvalidArgument("lookback", "must be positive")
        size = page_size(request.sample_size, default=10, maximum=100, field="sample_size")

        async def work(e: Engagement) -> pb.TestCampaignResponse:
            tested, result = await e.test_campaign(request.campaign_id, lookback, size, _actor(request.actor))
            return pb.TestCampaignResponse(
                campaign=await _campaign(e, tested), result=_result(result), outcome=APPLIED
            )

        return await self._once(request, work)

    async def PromoteCampaign(self, request: pb.PromoteCampaignRequest, context: Any) -> Message:
        if not request.campaign_id:
            raise InvalidArgument("campaign_id", "required")

        async def work(e: Engagement) -> pb.Campaign:
            return await _campaign(e, await e.promote(request.campaign_id, _actor(request.actor)))

        return await self._once(
            request, work, lambda made: pb.PromoteCampaignResponse(campaign=made, outcome=APPLIED)
        )

    async def StopCampaign(self, request: pb.StopCampaignRequest, context: Any) -> Message:
        if not request.campaign_id:
            raise InvalidArgument("campaign_id", "required")

        async def work(e: Engagement) -> pb.Campaign:
            stopped = await e.stop(request.campaign_id, request.reason, _actor(request.actor))
            return await _campaign(e, stopped)

        return await self._once(
            request, work, lambda made: pb.StopCampaignResponse(campaign=made, outcome=APPLIED)
        )

    async def GetCampaign(self, request: pb.GetCampaignRequest, context: Any) -> Message:
        if not request.campaign_id:
            raise InvalidArgument("campaign_id", "required")

        async def work(e: Engagement) -> pb.Campaign:
            return await _campaign(e, await e.campaign(request.campaign_id))

        return pb.GetCampaignResponse(campaign=await self._run(work))

    async def ListCampaigns(self, request: pb.ListCampaignsRequest, context: Any) -> Message:
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        after = position.text("a") if position is not None else ""

        async def work(e: Engagement) -> list[pb.Campaign]:
            page = await e.campaign_page(after, size + 1)
            return [await _campaign(e, c, audit=False, created=created) for c, created in page]

        found = await self._run(work)
        token = encode_token({"a": found[size - 1].campaign_id}, filters) if len(found) > size else ""
        return pb.ListCampaignsResponse(campaigns=found[:size], next_page_token=token)

    async def GetCampaignReport(self, request: pb.GetCampaignReportRequest, context: Any) -> Message:
        if not request.campaign_id:
            raise InvalidArgument("campaign_id", "required")
        report = await self._run(lambda e: e.report(request.campaign_id))
        return pb.GetCampaignReportResponse(
            campaign_id=request.campaign_id,
            sent=report.sent,
            control=report.control,
            held_back=[
                pb.OutcomeCount(outcome=_enum(o), count=n) for o, n in sorted(report.held_back.items())
            ],
            opened=report.opened,
            bought_sent=report.bought_sent,
            bought_control=report.bought_control,
            conversion_sent=report.conversion_sent or 0.0,
            conversion_control=report.conversion_control or 0.0,
            uplift=report.uplift or 0.0,
            lift=report.lift or 0.0,
            has_lift=report.lift is not None,
            z_score=report.z_score or 0.0,
        )

    async def ListCampaignDecisions(self, request: pb.ListCampaignDecisionsRequest, context: Any) -> Message:
        if not request.campaign_id:
            raise InvalidArgument("campaign_id", "required")
        size = page_size(request.page_size)
        filters = filters_of(request)
        position = decode_token(request.page_token, filters)
        before = None
        if position is not None:
            before = (position.instant("t"), position.text("c"), position.text("r"))
        rows = await self._run(lambda e: e.decisions(request.campaign_id, before, size + 1))
        token = ""
        if len(rows) > size:
            last = rows[size - 1]
            token = encode_token(
                {"t": last["decide_time"].isoformat(), "c": last["customer_id"], "r": last["reference"]},
                filters,
            )
        return pb.ListCampaignDecisionsResponse(
            campaign_decisions=[
                pb.CampaignDecision(
                    customer_id=r["customer_id"],
                    reference=r["reference"],
                    outcome=_enum(r["outcome"]),
                    reason=r["reason"],
                    message_id=r["message_id"] or "",
                    decide_time=ts(r["decide_time"]),
                    opened=bool(r["opened"]),
                    bought=bool(r["bought"]),
                )
                for r in rows[:size]
            ],
            next_page_token=token,
        )

    async def RecordAbandonedCart(self, request: pb.RecordAbandonedCartRequest, context: Any) -> Message:
        v = Violations()
        v.required(
            customer_id=request.customer_id,
            source_system=request.source_system,
            external_cart_id=request.external_cart_id,
        )
        if not request.HasField("abandon_time"):
            v.add("abandon_time", "required")
        at = v.guard(lambda: from_ts(request.abandon_time, "abandon_time"))
        if v or at is None:
            raise InvalidArgument.many(v.items)
        recorded = await self._run(lambda e: self._cart(e, request, at))
        return pb.RecordAbandonedCartResponse(outcome=outcome(recorded))

    async def _cart(self, e: Engagement, request: pb.RecordAbandonedCartRequest, at: datetime) -> bool:
        doc = {
            "total": request.total.amount,
            "currency": request.total.currency_code,
            "recovery_url": request.recovery_url,
            "lines": [[x.sku, x.description, x.quantity, x.unit_price.amount] for x in request.lines],
        }
        fresh = await e.record_cart(
            request.source_system, request.external_cart_id, request.customer_id, at, doc
        )
        if fresh:
            await self._publisher.cart_abandoned(e.session, request, at)
        return fresh


class SuggestionServicer(_Base, campaigns_pb2_grpc.SuggestionServiceServicer):
    async def GetSuggestions(self, request: pb.GetSuggestionsRequest, context: Any) -> Message:
        if not request.customer_id:
            raise InvalidArgument("customer_id", "required")
        limit = page_size(request.max_suggestions, default=10, maximum=100, field="max_suggestions")

        async def suggest(e: Engagement) -> tuple[Any, Any, str]:
            held = rules.no_sales_pitch(await e.contact(request.customer_id))
            if held is not None:
                return [], {}, held[1]
            found, articles = await affinity_store.suggestions(
                e.session, request.customer_id, THRESHOLDS, limit
            )
            return found, articles, ""

        found, articles, withheld = await self._run(suggest)
        return pb.GetSuggestionsResponse(
            withheld_reason=withheld,
            suggestions=[
                pb.Suggestion(
                    sku=s.sku,
                    description=articles[s.sku].description if s.sku in articles else "",
                    category=articles[s.sku].category if s.sku in articles else "",
                    kind=_enum(s.kind),
                    because_sku=s.because_of,
                    confidence=s.confidence,
                    lift=s.lift,
                )
                for s in found
            ],
        )

    async def GetAlsoBought(self, request: pb.GetAlsoBoughtRequest, context: Any) -> Message:
        if not request.sku:
            raise InvalidArgument("sku", "required")
        limit = page_size(request.max_associations, default=10, maximum=100, field="max_associations")
        found = await self._run(
            lambda e: affinity_store.also_bought(e.session, request.sku, THRESHOLDS, limit)
        )
        return pb.GetAlsoBoughtResponse(
            associations=[
                pb.Association(
                    sku=a.antecedent,
                    also_bought_sku=a.consequent,
                    together=a.together,
                    support=a.support,
                    confidence=a.confidence,
                    lift=a.lift,
                )
                for a in found
            ]
        )


def add_to_server(
    server: grpc.aio.Server,
    sessions: async_sessionmaker[AsyncSession],
    clock: Callable[[], datetime],
    publisher: Publisher,
    value_facts: ValueFacts = no_value_facts,
) -> None:
    args = (sessions, clock, publisher, value_facts)
    campaigns_pb2_grpc.add_SegmentServiceServicer_to_server(SegmentServicer(*args), server)
    campaigns_pb2_grpc.add_CampaignServiceServicer_to_server(CampaignServicer(*args), server)
    campaigns_pb2_grpc.add_SuggestionServiceServicer_to_server(SuggestionServicer(*args), server)
