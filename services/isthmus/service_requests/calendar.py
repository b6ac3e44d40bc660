"""Business calendar: working hours in a time zone, minus holidays, for SLA arithmetic.

Holidays are the public holidays of a country or one of its regions, as the ``holidays`` package
keeps them (every year, computed on demand: Easter, regional feasts, substitutes), plus any dates
the operator adds (company days).

All arithmetic runs on UTC instants; local times are only used to lay out each day's working
intervals, so a DST change shortens or lengthens that day's window exactly as a wall clock would.
"""

from __future__ import annotations

import itertools
from collections.abc import Container, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Enough to cross any realistic run of holidays; a calendar with no working time at all is refused
# when built, so the bound only guards against a bug, never a valid request.
_MAX_DAYS = 3 * 366


class Holidays(Container[date]):
    """Public holidays of ``region`` (``DE``, ``DE-BY``, ``US-CA``; empty: none) plus ``extra`` dates."""

    def __init__(self, region: str = "", extra: frozenset[date] = frozenset()) -> None:
        self.region = region
        self.extra = extra
        self._public: Container[date] = frozenset()
        if region:
            country, _, subdivision = region.upper().partition("-")
            supported = holidays.list_supported_countries()
            if country not in supported:
                raise ValueError(f"{region!r}: no public holidays known for country {country!r}")
            if subdivision and subdivision not in supported[country]:
                regions = ", ".join(f"{country}-{s}" for s in supported[country]) or "none"
                raise ValueError(f"{region!r}: unknown region of {country} (known: {regions})")
            self._public = holidays.country_holidays(country, subdiv=subdivision or None)

    def __contains__(self, day: object) -> bool:
        return day in self.extra or day in self._public

    def __repr__(self) -> str:
        return f"Holidays({self.region!r}, {len(self.extra)} extra dates)"


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: ZoneInfo
    # Weekday (0 = Monday) -> working intervals of that day, in local time, sorted, non-overlapping.
    hours: Mapping[int, Sequence[tuple[time, time]]]
    holidays: Container[date] = field(default_factory=Holidays)

    def __post_init__(self) -> None:
        if not any(self.hours.get(d) for d in range(7)):
            raise ValueError("the calendar has no working hours on any weekday")

    @classmethod
    def default(cls) -> BusinessCalendar:
        nine_to_five = [(time(9), time(17))]
        return cls(ZoneInfo("UTC"), {d: nine_to_five for d in range(5)})

    def _intervals(self, start_day: date) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals as UTC instants, day by day from ``start_day`` (local date)."""
        for offset in range(_MAX_DAYS):
            day = start_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            for begin, end in self.hours.get(day.weekday(), ()):
                yield (
                    datetime.combine(day, begin, self.time_zone).astimezone(UTC),
                    datetime.combine(day, end, self.time_zone).astimezone(UTC),
                )
        raise ValueError(f"no working time within {_MAX_DAYS} days of {start_day}")

    def add(self, start: datetime, business_time: timedelta) -> datetime:
        """The instant when ``business_time`` of working time has passed after ``start``."""
        cursor = start.astimezone(UTC)
        remaining = business_time
        if remaining <= timedelta(0):
            return cursor
        for begin, end in self._intervals(self._local_date(cursor) - timedelta(days=1)):
            if end <= cursor:
                continue
            cursor = max(cursor, begin)
            available = end - cursor
            if remaining <= available:
                return cursor + remaining
            remaining -= available
        raise AssertionError("unreachable: _intervals raises when exhausted")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time inside [start, end); zero when end is not after start."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta(0)
        if end <= start:
            return total
        for begin, finish in self._intervals(self._local_date(start) - timedelta(days=1)):
            if begin >= end:
                break
            overlap = min(finish, end) - max(begin, start)
            if overlap > timedelta(0):
                total += overlap
        return total

    def _local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.time_zone).date()


def parse_working_hours(text: str) -> dict[int, list[tuple[time, time]]]:
    """``"mon-fri 09:00-17:00; sat 10:00-13:00"`` (several intervals a day: ``09:00-12:00,13:00-17:00``)."""
    hours: dict[int, list[tuple[time, time]]] = {}
    for clause in filter(None, (c.strip() for c in text.split(";"))):
        days_part, _, ranges_part = clause.partition(" ")
        days = _parse_days(days_part.strip().lower())
        intervals = []
        for item in filter(None, (r.strip() for r in ranges_part.split(","))):
            begin_text, sep, end_text = item.partition("-")
            if not sep:
                raise ValueError(f"{item!r} is not a range like 09:00-17:00")
            begin, end = time.fromisoformat(begin_text.strip()), time.fromisoformat(end_text.strip())
            if end <= begin:
                raise ValueError(f"{item!r} ends before it begins")
            intervals.append((begin, end))
        if not intervals:
            raise ValueError(f"{clause!r} names no hours")
        intervals.sort()
        for (_, end), (begin, _) in itertools.pairwise(intervals):
            if begin < end:
                raise ValueError(f"{clause!r} has overlapping hours")
        for day in days:
            if day in hours:
                raise ValueError(f"{WEEKDAYS[day]} is given twice")
            hours[day] = intervals
    return hours


def _parse_days(text: str) -> list[int]:
    first, sep, last = text.partition("-")
    if first not in WEEKDAYS or (sep and last not in WEEKDAYS):
        raise ValueError(f"{text!r} is not a weekday or range like mon-fri")
    a = WEEKDAYS.index(first)
    b = WEEKDAYS.index(last) if sep else a
    if b < a:
        raise ValueError(f"{text!r} runs backwards")
    return list(range(a, b + 1))
