"""Campaign rules: definition, lifecycle with audit, eligibility, control split, triggers, lift."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from isthmus.kernel.errors import FailedPrecondition, InvalidArgument
from isthmus.value.campaigns import (
    Campaign,
    CampaignState,
    Contact,
    Occurrence,
    Outcome,
    Purpose,
    Report,
    Schedule,
    Trigger,
    answers,
    attributable,
    birthday_on,
    decide,
    define,
    dry_run,
    edit,
    in_control_group,
    lapsed,
    message_for,
    promote,
    record_test,
    stop,
    tier_went_up,
)

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def cart_campaign(**kw: object) -> Campaign:
    args: dict[str, object] = {"control_percent": 0}
    args.update(kw)
    template = str(args.pop("template_id", "tpl-cart"))
    return define("camp-1", "Come back to your cart", Trigger.CART_ABANDONED, "EMAIL", template, **args)  # type: ignore[arg-type]


def running(campaign: Campaign) -> Campaign:
    tested, _ = record_test(campaign, dry_run(campaign, [], NOW), "marketer")
    live, _ = promote(tested, "marketer", NOW)
    return live


OK = Contact("c1", consents=frozenset({"EMAIL"}))


def test_definition_errors_name_every_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        define(
            "x",
            " ",
            Trigger.SEGMENT_ENTERED,
            "PIGEON",
            "",
            control_percent=80,
            frequency_cap=timedelta(0),
            schedule=Schedule(NOW, NOW - timedelta(days=1)),
        )
    assert [f for f, _ in caught.value.violations] == [
        "campaign.name",
        "campaign.template_id",
        "campaign.channel",
        "campaign.segment_id",
        "campaign.control_percent",
        "campaign.frequency_cap",
        "campaign.schedule.ends_at",
    ]
    with pytest.raises(InvalidArgument, match=r"campaign\.trigger_tiers"):
        define("x", "VIP complaint", Trigger.HIGH_VALUE_COMPLAINT, "PHONE", "tpl")


def test_lifecycle_draft_test_production_stopped_each_step_audited() -> None:
    draft = cart_campaign()
    with pytest.raises(FailedPrecondition, match="test it"):
        promote(draft, "marketer", NOW)
    tested, t = record_test(draft, dry_run(draft, [OK, Contact("c2")], NOW), "marketer")
    assert (t.action, t.from_state, t.to_state) == ("tested", CampaignState.DRAFT, CampaignState.TESTING)
    assert t.note == "2 customers: send 1, no_consent 1"
    redrafted, e = edit(tested, cart_campaign(template_id="tpl-cart-2"), "marketer", NOW)
    assert redrafted.state is CampaignState.DRAFT and redrafted.test is None and e.action == "edited"
    with pytest.raises(FailedPrecondition):
        promote(redrafted, "marketer", NOW)
    live, p = promote(record_test(redrafted, dry_run(redrafted, [OK], NOW), "m")[0], "lead", NOW)
    assert live.state is CampaignState.PRODUCTION and (p.action, p.actor) == ("promoted", "lead")
    with pytest.raises(FailedPrecondition):
        edit(live, cart_campaign(), "marketer", NOW)
    with pytest.raises(FailedPrecondition):
        record_test(live, dry_run(live, [], NOW), "marketer")
    stopped, s = stop(live, "lead", NOW, "season over")
    assert (s.from_state, s.to_state, s.note) == (
        CampaignState.PRODUCTION,
        CampaignState.STOPPED,
        "season over",
    )
    assert decide(stopped, OK, NOW).outcome is Outcome.NOT_RUNNING
    with pytest.raises(FailedPrecondition):
        stop(stopped, "lead", NOW)


def test_a_draft_requests_nothing_but_its_dry_run_decides() -> None:
    draft = cart_campaign()
    assert decide(draft, OK, NOW).outcome is Outcome.NOT_RUNNING
    assert decide(draft, OK, NOW, testing=True).outcome is Outcome.SEND


@pytest.mark.parametrize(
    ("contact", "outcome"),
    [
        (Contact("c1", consents=frozenset({"EMAIL"})), Outcome.SEND),
        (Contact("c1", consents=frozenset({"SMS"})), Outcome.NO_CONSENT),
        (Contact("c1"), Outcome.NO_CONSENT),
        (Contact("c1", consents=frozenset({"EMAIL"}), suppressed=True), Outcome.SUPPRESSED),
        (Contact("c1", consents=frozenset({"EMAIL"}), open_complaints=1), Outcome.OPEN_COMPLAINT),
        (
            Contact("c1", consents=frozenset({"EMAIL"}), last_decided_at=NOW - timedelta(days=400)),
            Outcome.FREQUENCY_CAP,
        ),
    ],
)
def test_marketing_needs_consent_for_the_channel_no_suppression_no_complaint_once(
    contact: Contact, outcome: Outcome
) -> None:
    assert decide(running(cart_campaign()), contact, NOW).outcome is outcome


def test_the_frequency_cap_allows_again_after_its_period() -> None:
    weekly = running(cart_campaign(frequency_cap=timedelta(days=7)))
    recent = Contact("c1", consents=frozenset({"EMAIL"}), last_decided_at=NOW - timedelta(days=6))
    assert decide(weekly, recent, NOW).outcome is Outcome.FREQUENCY_CAP
    assert "once in 7 days" in decide(weekly, recent, NOW).reason
    older = Contact("c1", consents=frozenset({"EMAIL"}), last_decided_at=NOW - timedelta(days=7))
    assert decide(weekly, older, NOW).outcome is Outcome.SEND


def test_the_schedule_bounds_requests() -> None:
    spring = running(cart_campaign(schedule=Schedule(NOW, NOW + timedelta(days=30))))
    assert decide(spring, OK, NOW - timedelta(seconds=1)).outcome is Outcome.OUTSIDE_SCHEDULE
    assert decide(spring, OK, NOW + timedelta(days=30)).outcome is Outcome.OUTSIDE_SCHEDULE
    assert decide(spring, OK, NOW + timedelta(days=3)).outcome is Outcome.SEND


def test_escalation_alerts_staff_whatever_the_consent_and_only_for_high_value_tiers() -> None:
    vip = running(
        define(
            "esc",
            "VIP complaint",
            Trigger.HIGH_VALUE_COMPLAINT,
            "PHONE",
            "tpl-esc",
            trigger_tiers=["a"],
            control_percent=0,
        )
    )
    assert vip.purpose is Purpose.ESCALATION
    complaining = Contact("c1", suppressed=True, open_complaints=1)
    assert decide(vip, complaining, NOW).outcome is Outcome.SEND
    assert answers(vip, Occurrence(Trigger.HIGH_VALUE_COMPLAINT, "c1", NOW, value_tier="A"))
    assert not answers(vip, Occurrence(Trigger.HIGH_VALUE_COMPLAINT, "c1", NOW, value_tier="B"))
    assert not answers(vip, Occurrence(Trigger.CART_ABANDONED, "c1", NOW))


def test_segment_campaigns_answer_their_own_segment_only() -> None:
    seg = define("s", "Welcome gardeners", Trigger.SEGMENT_ENTERED, "EMAIL", "tpl", segment_id="seg-garden")
    assert answers(seg, Occurrence(Trigger.SEGMENT_ENTERED, "c1", NOW, segment_id="seg-garden"))
    assert not answers(seg, Occurrence(Trigger.SEGMENT_ENTERED, "c1", NOW, segment_id="seg-other"))


def test_the_control_group_is_a_stable_hash_split_of_eligible_customers() -> None:
    campaign = running(cart_campaign(control_percent=20))
    customers = [Contact(f"cust-{i}", consents=frozenset({"EMAIL"})) for i in range(5000)]
    outcomes = [decide(campaign, c, NOW).outcome for c in customers]
    share = outcomes.count(Outcome.CONTROL) / len(outcomes)
    assert 0.18 < share < 0.22
    assert outcomes == [decide(campaign, c, NOW).outcome for c in customers]  # the same side every time
    assert [in_control_group("other", c.customer_id, 20) for c in customers[:200]] != [
        o is Outcome.CONTROL for o in outcomes[:200]
    ]
    # a customer without consent is refused, never counted as control
    refused = [decide(campaign, Contact(c.customer_id), NOW).outcome for c in customers[:500]]
    assert set(refused) == {Outcome.NO_CONSENT}


def test_dry_run_counts_and_samples() -> None:
    campaign = cart_campaign(control_percent=0)
    contacts = [OK, Contact("c2"), Contact("c3", consents=frozenset({"EMAIL"}), open_complaints=2)]
    result = dry_run(campaign, contacts, NOW, sample_size=2)
    assert result.counts == {Outcome.SEND: 1, Outcome.NO_CONSENT: 1, Outcome.OPEN_COMPLAINT: 1}
    assert result.sample == (("c1", Outcome.SEND), ("c2", Outcome.NO_CONSENT))
    assert campaign.state is CampaignState.DRAFT


def test_message_ids_repeat_for_the_same_reference_and_send_after_the_delay() -> None:
    campaign = running(cart_campaign(schedule=Schedule(delay=timedelta(hours=1))))
    happened = Occurrence(
        Trigger.CART_ABANDONED, "c1", NOW, reference="cart-9", variables={"cart_total": "EUR 42.00"}
    )
    first, again = message_for(campaign, happened), message_for(campaign, happened)
    other = message_for(campaign, Occurrence(Trigger.CART_ABANDONED, "c1", NOW, reference="cart-10"))
    assert first.message_id == again.message_id != other.message_id
    assert first.send_after == NOW + timedelta(hours=1)
    assert first.variables == {"cart_total": "EUR 42.00"} and first.purpose is Purpose.MARKETING


def test_lapsed_against_the_customers_own_rhythm() -> None:
    monthly = [date(2025, m, 1) for m in range(1, 7)]  # usual gap ~30 days, last 1 June
    assert not lapsed(monthly, date(2025, 7, 15), 1.5)
    assert lapsed(monthly, date(2025, 7, 20), 1.5)
    assert not lapsed([date(2025, 1, 1)], date(2026, 1, 1), 1.5)  # one order: no rhythm yet


def test_birthdays_including_the_29th_of_february() -> None:
    assert birthday_on(date(1990, 3, 1), date(2026, 3, 1))
    assert not birthday_on(date(1990, 3, 2), date(2026, 3, 1))
    assert birthday_on(date(2000, 2, 29), date(2026, 2, 28))
    assert not birthday_on(date(2000, 2, 29), date(2028, 2, 28))
    assert birthday_on(date(2000, 2, 29), date(2028, 2, 29))


def test_tier_up() -> None:
    assert tier_went_up("C", "B") and tier_went_up("", "C") and tier_went_up("b", "A")
    assert not tier_went_up("A", "B") and not tier_went_up("A", "A")


def test_lift_against_the_control_group() -> None:
    report = Report(sent=1000, control=250, opened=400, bought_sent=80, bought_control=10)
    assert report.open_rate == 0.4
    assert report.conversion_sent == 0.08 and report.conversion_control == 0.04
    assert report.uplift == pytest.approx(0.04)
    assert report.lift == pytest.approx(1.0)
    assert report.z_score is not None and report.z_score > 1.96
    assert Report(sent=10, control=0, opened=0, bought_sent=1, bought_control=0).lift is None
    assert Report(sent=10, control=5, opened=0, bought_sent=1, bought_control=0).lift is None


def test_attribution_window() -> None:
    assert attributable(NOW, NOW + timedelta(days=13))
    assert not attributable(NOW, NOW + timedelta(days=14))
    assert not attributable(NOW, NOW - timedelta(minutes=1))
