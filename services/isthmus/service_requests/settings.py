"""The service-requests context's own settings: business calendar, SLA targets, reopen window, scans.

Read from ``ISTHMUS_SERVICE_REQUESTS_*`` variables (``Settings.extra``) when the component starts;
a bad value raises :class:`ConfigError` naming the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from isthmus.platform.config import ConfigError
from isthmus.service_requests.calendar import BusinessCalendar, Holidays, parse_working_hours
from isthmus.service_requests.domain import Priority, SlaTarget

PREFIX = "ISTHMUS_SERVICE_REQUESTS_"
# The value service's share-of-value tiers (value.CustomerTierChanged).
VALUE_TIERS = ("A", "B", "C")

# Business time (working hours of the calendar), not wall-clock time.
DEFAULT_SLA: dict[Priority, SlaTarget] = {
    Priority.URGENT: SlaTarget(timedelta(hours=1), timedelta(hours=4)),
    Priority.HIGH: SlaTarget(timedelta(hours=2), timedelta(hours=8)),
    Priority.NORMAL: SlaTarget(timedelta(hours=4), timedelta(hours=24)),
    Priority.LOW: SlaTarget(timedelta(hours=8), timedelta(hours=40)),
}


@dataclass(frozen=True)
class ServiceRequestSettings:
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar.default)
    sla: Mapping[Priority, SlaTarget] = field(default_factory=lambda: dict(DEFAULT_SLA))
    reopen_window: timedelta = timedelta(days=14)
    # How often the breach detector scans; zero turns the background job off.
    breach_scan_interval: timedelta = timedelta(seconds=60)
    # Faster (or other) targets for customers of a value tier ("A", "B", "C"), per priority; a
    # priority a tier does not name keeps ``sla``.
    sla_by_tier: Mapping[str, Mapping[Priority, SlaTarget]] = field(default_factory=dict)

    def target(self, priority: Priority, tier: str | None) -> SlaTarget:
        by_tier = self.sla_by_tier.get(tier or "", {})
        return by_tier.get(priority) or self.sla[priority]


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def parse_duration(text: str) -> timedelta:
    """``"1d"``, ``"4h"``, ``"1h30m"``, ``"90s"``."""
    match = _DURATION.match(text.strip().lower())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not a duration like 4h, 1h30m or 14d")
    d, h, m, s = (int(g) if g else 0 for g in match.groups())
    return timedelta(days=d, hours=h, minutes=m, seconds=s)


def load(extra: Mapping[str, str]) -> ServiceRequestSettings:
    def get(name: str) -> str | None:
        value = extra.get(PREFIX + name, "").strip()
        return value or None

    def fail(name: str, why: object) -> ConfigError:
        return ConfigError(f"{PREFIX}{name}: {why}")

    base = ServiceRequestSettings()
    try:
        zone = ZoneInfo(get("TIME_ZONE") or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise fail("TIME_ZONE", f"unknown time zone ({exc})") from None
    hours = base.calendar.hours
    if (text := get("WORKING_HOURS")) is not None:
        try:
            hours = parse_working_hours(text)
        except ValueError as exc:
            raise fail("WORKING_HOURS", exc) from None
    holidays: set[date] = set()
    for item in filter(None, (h.strip() for h in (get("HOLIDAYS") or "").split(","))):
        try:
            holidays.add(date.fromisoformat(item))
        except ValueError:
            raise fail("HOLIDAYS", f"{item!r} is not a date like 2026-12-25") from None
    try:
        public = Holidays(get("HOLIDAY_REGION") or "", frozenset(holidays))
    except ValueError as exc:
        raise fail("HOLIDAY_REGION", exc) from None
    try:
        calendar = BusinessCalendar(zone, hours, public)
    except ValueError as exc:
        raise fail("WORKING_HOURS", exc) from None
    sla = dict(DEFAULT_SLA)
    if (text := get("SLA")) is not None:
        try:
            sla.update(_parse_sla(text))
        except ValueError as exc:
            raise fail("SLA", exc) from None
    sla_by_tier: dict[str, dict[Priority, SlaTarget]] = {}
    for tier in VALUE_TIERS:
        if (text := get(f"SLA_TIER_{tier}")) is not None:
            try:
                sla_by_tier[tier] = _parse_sla(text)
            except ValueError as exc:
                raise fail(f"SLA_TIER_{tier}", exc) from None
    durations = {}
    for name, default in (
        ("REOPEN_WINDOW", base.reopen_window),
        ("BREACH_SCAN_INTERVAL", base.breach_scan_interval),
    ):
        try:
            durations[name] = parse_duration(value) if (value := get(name)) is not None else default
        except ValueError as exc:
            raise fail(name, exc) from None
    return ServiceRequestSettings(
        calendar, sla, durations["REOPEN_WINDOW"], durations["BREACH_SCAN_INTERVAL"], sla_by_tier
    )


def _parse_sla(text: str) -> dict[Priority, SlaTarget]:
    """``"urgent=1h/4h,high=2h/8h"``: response/resolution business time per priority."""
    targets = {}
    for item in filter(None, (i.strip() for i in text.split(","))):
        name, sep, times = item.partition("=")
        response_text, slash, resolution_text = times.partition("/")
        if not sep or not slash:
            raise ValueError(f"{item!r} is not like high=2h/8h")
        try:
            priority = Priority[name.strip().upper()]
        except KeyError:
            raise ValueError(f"{name!r} is not a priority (low, normal, high, urgent)") from None
        response, resolution = parse_duration(response_text), parse_duration(resolution_text)
        if response <= timedelta(0) or resolution < response:
            raise ValueError(f"{item!r}: response must be positive and not after resolution")
        targets[priority] = SlaTarget(response, resolution)
    return targets
