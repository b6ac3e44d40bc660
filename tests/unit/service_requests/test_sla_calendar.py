"""SLA due times over working hours, weekends, holidays, DST and PENDING_CUSTOMER pauses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from isthmus.platform.config import ConfigError
from isthmus.service_requests import settings as sr_settings
from isthmus.service_requests.calendar import BusinessCalendar, parse_working_hours
from isthmus.service_requests.domain import Channel, Kind, Priority, ServiceRequest, SlaTarget, State

BERLIN = ZoneInfo("Europe/Berlin")
CHRISTMAS = frozenset({date(2026, 12, 25)})
CALENDAR = BusinessCalendar(BERLIN, parse_working_hours("mon-fri 09:00-17:00"), CHRISTMAS)
HIGH = SlaTarget(response=timedelta(hours=2), resolution=timedelta(hours=8))


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def case(opened_at: datetime) -> ServiceRequest:
    return ServiceRequest.open(
        id="sr-1", customer_id="c-1", opened_at=opened_at, priority=Priority.HIGH, target=HIGH,
        calendar=CALENDAR, channel=Channel.PHONE, kind=Kind.COMPLAINT, subject="parcel lost",
    )  # fmt: skip


def test_due_time_skips_a_holiday_and_the_weekend() -> None:
    # Thursday 24 Dec 16:00: one working hour that day; Friday 25 Dec is a holiday; then the weekend.
    sr = case(berlin(2026, 12, 24, 16, 0))
    assert sr.response_due == berlin(2026, 12, 28, 10, 0)
    assert sr.resolution_due == berlin(2026, 12, 28, 16, 0)  # 1h on Thursday + 7h on Monday


def test_opening_outside_working_hours_starts_the_clock_at_the_next_opening() -> None:
    sr = case(berlin(2026, 12, 26, 11, 0))  # a Saturday
    assert sr.response_due == berlin(2026, 12, 28, 11, 0)


def test_business_time_follows_the_wall_clock_across_a_dst_change() -> None:
    # Summer time starts on Sunday 29 March 2026; Monday 10:00 CEST is 08:00 UTC.
    due = CALENDAR.add(berlin(2026, 3, 27, 16, 0), timedelta(hours=2))
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_pending_customer_pauses_the_clock_and_moves_the_due_time_out() -> None:
    window = timedelta(days=14)
    sr = case(berlin(2026, 12, 28, 9, 0))
    assert sr.resolution_due == berlin(2026, 12, 28, 17, 0)
    sr.change_state(State.OPEN, berlin(2026, 12, 28, 9, 30), CALENDAR, reopen_window=window)
    sr.change_state(State.PENDING_CUSTOMER, berlin(2026, 12, 28, 10, 0), CALENDAR, reopen_window=window)
    assert sr.paused and sr.next_due_at is None
    assert sr.first_response_at == berlin(2026, 12, 28, 10, 0)  # asking the customer is a response
    # The customer answers on Wednesday 14:00: 7 business hours were left.
    sr.change_state(State.OPEN, berlin(2026, 12, 30, 14, 0), CALENDAR, reopen_window=window)
    assert sr.resolution_due == berlin(2026, 12, 31, 13, 0)
    assert sr.paused_total == timedelta(days=2, hours=4)
    assert not sr.paused


def test_a_breach_is_reported_once_and_not_again_on_the_next_scan() -> None:
    sr = case(berlin(2026, 12, 28, 9, 0))
    assert sr.detect_breaches(berlin(2026, 12, 28, 10, 59)) == []
    first = sr.detect_breaches(berlin(2026, 12, 28, 11, 1))
    assert [kind for kind, _ in first] == ["RESPONSE"]
    assert sr.detect_breaches(berlin(2026, 12, 28, 11, 2)) == []
    assert [kind for kind, _ in sr.detect_breaches(berlin(2026, 12, 28, 18, 0))] == ["RESOLUTION"]
    assert sr.breach_check_at is None


def test_a_due_time_that_passed_before_the_pause_stays_breached() -> None:
    window = timedelta(days=14)
    sr = case(berlin(2026, 12, 28, 9, 0))
    sr.change_state(State.OPEN, berlin(2026, 12, 28, 9, 0), CALENDAR, reopen_window=window)
    sr.change_state(State.PENDING_CUSTOMER, berlin(2026, 12, 28, 18, 0), CALENDAR, reopen_window=window)
    assert [k for k, _ in sr.detect_breaches(berlin(2026, 12, 29, 12, 0))] == ["RESPONSE", "RESOLUTION"]


def test_working_hours_config_is_checked_and_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="ISTHMUS_SERVICE_REQUESTS_WORKING_HOURS"):
        sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_WORKING_HOURS": "mon-fri 17:00-09:00"})
    with pytest.raises(ConfigError, match="ISTHMUS_SERVICE_REQUESTS_TIME_ZONE"):
        sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_TIME_ZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError, match="ISTHMUS_SERVICE_REQUESTS_SLA"):
        sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_SLA": "urgent=4h/1h"})
    loaded = sr_settings.load(
        {
            "ISTHMUS_SERVICE_REQUESTS_TIME_ZONE": "Europe/Berlin",
            "ISTHMUS_SERVICE_REQUESTS_WORKING_HOURS": "mon-fri 08:00-12:00,13:00-17:00; sat 10:00-14:00",
            "ISTHMUS_SERVICE_REQUESTS_HOLIDAYS": "2026-12-25, 2026-12-26",
            "ISTHMUS_SERVICE_REQUESTS_SLA": "urgent=30m/2h",
            "ISTHMUS_SERVICE_REQUESTS_REOPEN_WINDOW": "7d",
        }
    )
    assert loaded.sla[Priority.URGENT] == SlaTarget(timedelta(minutes=30), timedelta(hours=2))
    assert loaded.reopen_window == timedelta(days=7)
    # Lunch break: 11:30 + 1h of business time is 13:30.
    lunch = loaded.calendar.add(berlin(2026, 12, 28, 11, 30), timedelta(hours=1))
    assert lunch == berlin(2026, 12, 28, 13, 30)


def test_public_holidays_come_by_country_and_region() -> None:
    # Epiphany (Tuesday 6 January 2026) is a public holiday in Bavaria, not in Berlin.
    def due(region: str) -> datetime:
        loaded = sr_settings.load(
            {
                "ISTHMUS_SERVICE_REQUESTS_TIME_ZONE": "Europe/Berlin",
                "ISTHMUS_SERVICE_REQUESTS_HOLIDAY_REGION": region,
            }
        )
        return loaded.calendar.add(berlin(2026, 1, 5, 16, 0), timedelta(hours=2))

    assert due("DE-BY") == berlin(2026, 1, 7, 10, 0)
    assert due("DE-BE") == berlin(2026, 1, 6, 10, 0)
    # Good Friday and Easter Monday move every year; the library computes each year it is asked about.
    easter = sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_HOLIDAY_REGION": "DE"}).calendar
    assert easter.add(datetime(2031, 4, 10, 16, tzinfo=UTC), timedelta(hours=2)) == datetime(
        2031, 4, 15, 10, tzinfo=UTC
    )
    with pytest.raises(ConfigError, match=r"ISTHMUS_SERVICE_REQUESTS_HOLIDAY_REGION.*DE-BY"):
        sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_HOLIDAY_REGION": "DE-XX"})
    with pytest.raises(ConfigError, match="ISTHMUS_SERVICE_REQUESTS_HOLIDAY_REGION"):
        sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_HOLIDAY_REGION": "Atlantis"})


def test_a_value_tier_names_its_own_sla_targets_and_keeps_the_others() -> None:
    loaded = sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_SLA_TIER_A": "normal=1h/2h,urgent=15m/1h"})
    assert loaded.target(Priority.NORMAL, "A").response == timedelta(hours=1)
    assert loaded.target(Priority.HIGH, "A") == loaded.sla[Priority.HIGH]  # not named: the ordinary one
    assert (
        loaded.target(Priority.NORMAL, "C")
        == loaded.target(Priority.NORMAL, None)
        == loaded.sla[Priority.NORMAL]
    )
    with pytest.raises(ConfigError, match="SLA_TIER_B"):
        sr_settings.load({"ISTHMUS_SERVICE_REQUESTS_SLA_TIER_B": "normal=2h"})
