"""Segment rules: parsing with errors that name the node, matching, versions, incremental diffs, dry runs."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from isthmus.kernel.errors import FailedPrecondition, InvalidArgument
from isthmus.value.segments import (
    Profile,
    SegmentState,
    SegmentVersion,
    describe,
    dry_run,
    membership_diff,
    next_version,
    parse_rule,
    publish,
    relevant,
)

NOW = datetime(2026, 3, 1, tzinfo=UTC)

GARDEN_A_NO_EMAIL = {
    "all": [
        {"field": "tier", "op": "in", "value": ["A", "B"]},
        {"field": "categories", "op": "contains", "value": "Garden"},
        {"not": {"field": "consents", "op": "contains", "value": "EMAIL"}},
    ]
}


def profile(**kw: object) -> Profile:
    kw.setdefault("customer_id", "c1")
    return Profile(**kw)  # type: ignore[arg-type]


def published(segment_id: str, rule: dict[str, object], version: int = 1) -> SegmentVersion:
    draft = next_version(None, segment_id, parse_rule(rule), "", NOW)
    return publish(SegmentVersion(segment_id, version, draft.name, draft.rule, draft.state), NOW)


def test_and_or_not_over_tier_categories_and_consent() -> None:
    rule = parse_rule(GARDEN_A_NO_EMAIL)
    assert rule.matches(profile(tier="A", categories=frozenset({"garden", "tools"})))
    assert rule.matches(profile(tier="b", categories=frozenset({"GARDEN"})))
    assert not rule.matches(profile(tier="C", categories=frozenset({"garden"})))
    assert not rule.matches(
        profile(tier="A", categories=frozenset({"garden"}), consents=frozenset({"EMAIL"}))
    )
    either = parse_rule(
        {
            "any": [
                {"field": "country", "op": "eq", "value": "DE"},
                {"field": "city", "op": "prefix", "value": "Ber"},
            ]
        }
    )
    assert either.matches(profile(country="de"))
    assert either.matches(profile(country="FR", city="Bercy"))
    assert not either.matches(profile(country="FR", city="Paris"))


def test_numbers_compare_exactly_and_unset_never_matches() -> None:
    rich = parse_rule({"field": "historical_value", "op": "gte", "value": "1000.00"})
    assert rich.matches(profile(historical_value=Decimal("1000.00")))
    assert not rich.matches(profile(historical_value=Decimal("999.99")))
    band = parse_rule({"field": "recency_score", "op": "between", "value": [4, 5]})
    assert band.matches(profile(recency_score=4)) and not band.matches(profile(recency_score=3))
    quiet = parse_rule({"field": "days_since_last_order", "op": "gt", "value": 90})
    assert not quiet.matches(profile(days_since_last_order=None))
    assert quiet.matches(profile(days_since_last_order=91))
    never = parse_rule({"field": "days_since_last_order", "op": "is_set", "value": False})
    assert never.matches(profile()) and not never.matches(profile(days_since_last_order=3))


def test_rfm_flags_and_loyalty_tier() -> None:
    champions = parse_rule(
        {
            "all": [
                {"field": "rfm", "op": "in", "value": ["555", "554"]},
                {"field": "churn_risk", "op": "is", "value": False},
            ]
        }
    )
    assert champions.matches(profile(recency_score=5, frequency_score=5, monetary_score=4))
    assert not champions.matches(
        profile(recency_score=5, frequency_score=5, monetary_score=4, churn_risk=True)
    )
    gold = parse_rule({"field": "loyalty_tier", "op": "eq", "value": "gold"})
    assert gold.matches(profile(loyalty_tier="Gold"))
    pays_well = parse_rule({"field": "credit_rank", "op": "in", "value": ["good", "new"]})
    assert pays_well.matches(profile(credit_rank="good"))
    assert not pays_well.matches(profile(credit_rank="poor")) and not pays_well.matches(profile())


def test_every_bad_node_is_named_by_its_path() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_rule(
            {
                "all": [
                    {"field": "tier", "op": "gt", "value": "A"},
                    {"field": "shoe_size", "op": "eq", "value": 42},
                    {"not": {"field": "historical_value", "op": "gte", "value": "lots"}},
                    {"any": []},
                ]
            },
            "segment.rule",
        )
    fields = [f for f, _ in caught.value.violations]
    assert fields == [
        "segment.rule.all[0].op",
        "segment.rule.all[1].field",
        "segment.rule.all[2].not.value",
        "segment.rule.all[3].any",
    ]
    assert "is not a profile field" in caught.value.violations[1][1]


@pytest.mark.parametrize(
    "rule",
    [
        "tier = A",
        {"field": "tier"},
        {"all": [], "any": []},
        {"field": "historical_value", "op": "between", "value": [10, 1]},
        {"field": "categories", "op": "contains_any", "value": "garden"},
        {"field": "churn_risk", "op": "is", "value": "yes"},
    ],
)
def test_malformed_rules_are_invalid_arguments(rule: object) -> None:
    with pytest.raises(InvalidArgument):
        parse_rule(rule)


def test_a_rule_round_trips_through_json() -> None:
    rule = parse_rule(GARDEN_A_NO_EMAIL)
    assert parse_rule(rule.to_json()) == rule
    assert (
        describe(rule)
        == "(tier in ['a', 'b'] and categories contains garden and not (consents contains email))"
    )


def test_editing_a_published_segment_makes_the_next_version_and_a_draft_is_replaced() -> None:
    first = next_version(None, "Garden lovers", parse_rule(GARDEN_A_NO_EMAIL), "", NOW)
    assert (first.version, first.state) == (1, SegmentState.DRAFT)
    redrafted = next_version(
        first, "Garden lovers", parse_rule({"field": "tier", "op": "eq", "value": "A"}), "", NOW
    )
    assert redrafted.version == 1
    live = publish(redrafted, NOW)
    assert live.state is SegmentState.PUBLISHED and live.published_at == NOW
    second = next_version(live, "Garden lovers", parse_rule(GARDEN_A_NO_EMAIL), "wider", NOW)
    assert (second.version, second.state) == (2, SegmentState.DRAFT)
    with pytest.raises(FailedPrecondition):
        publish(live, NOW)


def test_only_segments_reading_a_changed_field_are_evaluated() -> None:
    by_tier = published("s-tier", {"field": "tier", "op": "eq", "value": "A"})
    by_rfm = published("s-rfm", {"field": "rfm", "op": "eq", "value": "555"})
    by_place = published("s-place", {"field": "country", "op": "eq", "value": "DE"})
    segments = [by_tier, by_rfm, by_place]
    assert relevant(segments, ["tier"]) == [by_tier]
    assert relevant(segments, ["monetary_score"]) == [by_rfm]
    assert relevant(segments, ["country", "tier"]) == [by_tier, by_place]
    assert relevant(segments, None) == segments


def test_membership_diff_reports_entered_and_left_only_on_change() -> None:
    a_tier = published("s-a", {"field": "tier", "op": "eq", "value": "A"}, version=3)
    german = published("s-de", {"field": "country", "op": "eq", "value": "DE"})
    c = profile(tier="A", country="FR")
    diff = membership_diff(c, [a_tier, german], {"s-de": 1})
    assert diff.entered == (("s-a", 3),)
    assert diff.left == (("s-de", 1),)
    unchanged = membership_diff(c, [a_tier, german], {"s-a": 2})
    assert not unchanged  # a member of an older version who still matches stays without events


def test_dry_run_counts_matches_and_samples_a_few() -> None:
    rule = parse_rule({"field": "tier", "op": "eq", "value": "A"})
    profiles = [profile(customer_id=f"c{i}", tier="A" if i % 3 == 0 else "B") for i in range(30)]
    result = dry_run(rule, profiles, sample_size=4)
    assert (result.matched, result.evaluated) == (10, 30)
    assert result.sample == ("c0", "c3", "c6", "c9")


def test_a_trait_captured_by_a_script_is_text_to_a_rule() -> None:
    rule = parse_rule({"field": "traits.heard_from", "op": "in", "value": ["TV", "radio"]})
    assert rule.matches(profile(traits={"heard_from": "tv"}))
    assert not rule.matches(profile(traits={"heard_from": "friend"}))
    assert not rule.matches(profile())  # never captured: ""
    by_trait = published("s-trait", {"field": "traits.heard_from", "op": "eq", "value": "tv"})
    by_tier = published("s-tier", {"field": "tier", "op": "eq", "value": "A"})
    assert relevant([by_trait, by_tier], ["traits"]) == [by_trait]
    assert describe(rule) == "traits.heard_from in ['radio', 'tv']"


@pytest.mark.parametrize("name", ["traits.", "traits.Heard", "traits.a-b", "trait.x", "traits.x.y", 7])
def test_a_trait_field_must_be_a_trait_name(name: object) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_rule({"field": name, "op": "eq", "value": "tv"})
    assert caught.value.field.endswith("field") and "traits.NAME" in caught.value.message


def test_a_trait_takes_text_operators_only() -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_rule({"field": "traits.heard_from", "op": "gt", "value": 3})
    assert caught.value.field.endswith(".op") or caught.value.field == "op"
