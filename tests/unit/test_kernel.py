"""The shared kernel's contract: timestamps checked on input, page tokens bound to their filters."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.timestamp_pb2 import Timestamp
from hypothesis import given
from hypothesis import strategies as st

from isthmus.kernel import paging, timestamps
from isthmus.kernel.enums import label, unlabel
from isthmus.kernel.errors import InvalidArgument
from isthmus.kernel.violations import Violations
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.orders.v1 import order_pb2

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)
INT32 = st.integers(min_value=-(2**31), max_value=2**31 - 1)


@given(
    st.datetimes(
        min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=st.just(UTC)
    )
)
def test_an_instant_survives_the_round_trip(value: datetime) -> None:
    stamp = timestamps.ts(value)
    assert stamp is not None
    assert timestamps.from_ts(stamp, "at") == value


def test_a_naive_datetime_is_utc() -> None:
    naive = datetime(2025, 3, 30, 1, 30)
    assert timestamps.ts(naive) == timestamps.ts(naive.replace(tzinfo=UTC))


@given(seconds=INT64, nanos=INT32)
def test_any_timestamp_is_an_instant_or_invalid_naming_the_field(seconds: int, nanos: int) -> None:
    stamp = Timestamp(seconds=seconds, nanos=nanos)
    try:
        value = timestamps.from_ts(stamp, "order.placed_at")
    except InvalidArgument as exc:
        assert exc.field == "order.placed_at"
        assert not (timestamps.MIN_SECONDS <= seconds <= timestamps.MAX_SECONDS and 0 <= nanos < 10**9)
    else:
        assert value.tzinfo is not None


@pytest.mark.parametrize(
    ("seconds", "nanos"),
    [(timestamps.MAX_SECONDS + 1, 0), (timestamps.MIN_SECONDS - 1, 0), (0, -1), (0, 10**9), (2**63 - 1, 0)],
)
def test_timestamps_protobuf_refuses_are_invalid_arguments(seconds: int, nanos: int) -> None:
    with pytest.raises(ValueError):  # what protobuf itself does: an INTERNAL error at the API
        Timestamp(seconds=seconds, nanos=nanos).ToDatetime()
    with pytest.raises(InvalidArgument, match="at"):
        timestamps.from_ts(Timestamp(seconds=seconds, nanos=nanos), "at")


@given(seconds=INT64, nanos=INT32)
def test_any_duration_is_a_timedelta_or_an_invalid_argument(seconds: int, nanos: int) -> None:
    try:
        value = timestamps.from_duration(Duration(seconds=seconds, nanos=nanos), "due_within")
    except InvalidArgument as exc:
        assert exc.field == "due_within"
    else:
        assert isinstance(value, timedelta)


def test_a_date_that_is_no_calendar_day_names_the_field() -> None:
    assert timestamps.from_date(common_pb2.Date(year=1945, month=4, day=9), "dob") == date(1945, 4, 9)
    with pytest.raises(InvalidArgument, match=r"dob: 1945-04-93 is not a calendar date"):
        timestamps.from_date(common_pb2.Date(year=1945, month=4, day=93), "dob")


def test_a_page_token_reads_back_its_position() -> None:
    token = paging.encode_token({"s": 41, "t": "2025-01-02T03:04:05+00:00", "i": "x"}, ("c-1", [2]))
    position = paging.decode_token(token, ("c-1", [2]))
    assert position is not None
    assert position.integer("s") == 41
    assert position.instant("t") == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert position.text("i") == "x"
    assert paging.decode_token("", ("c-1", [2])) is None
    exact = paging.decode_token(paging.encode_token({"w": 0.1 + 0.2, "n": 7}))
    assert exact is not None
    assert (exact.number("w"), exact.number("n")) == (0.1 + 0.2, 7.0)  # a float reads back as it was


def test_a_page_token_is_refused_under_other_filters() -> None:
    token = paging.encode_token({"s": 41}, "customer-a")
    with pytest.raises(InvalidArgument, match="page_token: was issued for a request with other filters"):
        paging.decode_token(token, "customer-b")


@given(st.text(max_size=200))
def test_any_string_is_a_position_or_an_invalid_page_token(token: str) -> None:
    try:
        position = paging.decode_token(token, None)
        if position is not None:
            position.integer("s")
    except InvalidArgument as exc:
        assert exc.field == "page_token"


@pytest.mark.parametrize("value", ["41", -1, 2**63, 1.5, True, None])
def test_a_forged_position_of_the_wrong_shape_is_refused(value: object) -> None:
    position = paging.decode_token(paging.encode_token({"s": value}))
    assert position is not None
    with pytest.raises(InvalidArgument, match="page_token"):
        position.integer("s")


@pytest.mark.parametrize("value", [41, None, ["a"], "a\x00b"])
def test_a_forged_text_position_is_refused_naming_the_token(value: object) -> None:
    position = paging.decode_token(paging.encode_token({"after": value}))
    assert position is not None
    with pytest.raises(InvalidArgument, match="page_token"):
        position.text("after")


@pytest.mark.parametrize("forged", [b'"41"', b"true", b"null", b"1e999", b"-1e999", b"[1]"])
def test_a_forged_number_of_the_wrong_shape_is_refused(forged: bytes) -> None:
    raw = b'{"f":"' + paging._fingerprint(None).encode() + b'","p":{"w":' + forged + b"}}"
    with pytest.raises(InvalidArgument, match="page_token"):  # an infinity is refused as it is read
        position = paging.decode_token(base64.urlsafe_b64encode(raw).decode())
        assert position is not None
        position.number("w")


def test_page_size_defaults_caps_and_refuses_negative() -> None:
    assert paging.page_size(0) == paging.DEFAULT_PAGE_SIZE
    assert paging.page_size(10_000) == paging.MAX_PAGE_SIZE
    with pytest.raises(InvalidArgument, match="page_size"):
        paging.page_size(-1)


def test_violations_collect_every_field_and_refuse_once() -> None:
    v = Violations()
    v.required(customer_id="", order_id="o-1")
    assert v.enum("actor.kind", 0, common_pb2.ActorKind, "ACTOR_KIND_") is None
    assert v.enum("actor.kind", -5, common_pb2.ActorKind, "ACTOR_KIND_", optional=True) is None
    with pytest.raises(InvalidArgument) as refused:
        v.raise_any()
    assert refused.value.violations == [
        ("customer_id", "required"),
        ("actor.kind", "required (UNSPECIFIED is not a value)"),
        ("actor.kind", "-5 is not a known value"),
    ]


def test_every_iso_4217_currency_with_minor_units_is_money() -> None:
    from isthmus.kernel.money import Money, check_currency, minor_units

    # Once refused by a hand-typed table of about fifty currencies.
    assert [check_currency(c, "currency_code") for c in ("IDR", "PHP", "COP")] == ["IDR", "PHP", "COP"]
    assert (minor_units("IDR"), minor_units("JPY"), minor_units("KWD"), minor_units("CLF")) == (2, 0, 3, 4)
    assert str(Money.parse("15000.5", "IDR", "amount").amount) == "15000.50"
    for code in ("XAU", "XTS", "EURO", "ABC"):  # gold, the testing code, no currency at all
        try:
            check_currency(code, "currency_code")
        except InvalidArgument as exc:
            assert exc.field == "currency_code"
        else:
            raise AssertionError(f"{code} accepted")


def test_an_enum_value_and_its_short_name_round_trip() -> None:
    for value in order_pb2.OrderState.values():
        if value:
            assert unlabel(order_pb2.OrderState, label(order_pb2.OrderState, value)) == value
    assert label(order_pb2.OrderState, order_pb2.ORDER_STATE_PAID) == "PAID"
    assert (label(order_pb2.OrderState, 0), label(order_pb2.OrderState, 999)) == ("", "")
    assert (unlabel(order_pb2.OrderState, ""), unlabel(order_pb2.OrderState, "NO_SUCH")) == (0, 0)


def test_a_page_cut_from_a_read_of_one_more_row_says_whether_another_follows() -> None:
    def position(n: int) -> dict[str, int]:
        return {"n": n}

    # One row beyond the page: the token starts after the page's last row, under the filters given.
    page, token = paging.page_of([1, 2, 3, 4], 3, position, "f")
    assert page == [1, 2, 3]
    after = paging.decode_token(token, "f")
    assert after is not None and after.integer("n") == 3
    # Exactly a page, fewer, or nothing: the last page, with no token to an empty one.
    assert paging.page_of([1, 2, 3], 3, position) == ([1, 2, 3], "")
    assert paging.page_of([1], 3, position) == ([1], "")
    assert paging.page_of([], 3, position) == ([], "")
