"""Bearer tokens and scopes, as the chassis asks for them on every call."""

from __future__ import annotations

import pytest

from isthmus.kernel.errors import PermissionDenied, Unauthenticated
from isthmus.platform import auth
from isthmus.platform.auth import Authenticator
from isthmus.platform.config import load

READER = "reader-token-0123456789"
TOKENS = f'{{"reader": {{"token": "{READER}", "scopes": ["orders:read"]}}}}'
GET = "/isthmus.orders.v1.OrderService/GetOrder"
PAY = "/isthmus.orders.v1.OrderService/PayOrder"


def _authenticator() -> Authenticator:
    return Authenticator(load({"ISTHMUS_AUTH_TOKENS": TOKENS}).clients)


def test_a_grant_is_for_its_method_only_and_a_refusal_is_never_remembered():
    a = _authenticator()
    bearer = f"Bearer {READER}"
    for _ in range(3):  # granted, then found among the grants: the same client each time
        client = a.authorize(GET, bearer)
        assert client is not None and client.name == "reader"
    for _ in range(2):  # the reader's grant for reading does not carry over to paying
        with pytest.raises(PermissionDenied, match="orders:write"):
            a.authorize(PAY, bearer)
    for _ in range(2):
        with pytest.raises(Unauthenticated):
            a.authorize(GET, "Bearer not-a-known-token-000")
        with pytest.raises(Unauthenticated):
            a.authorize(GET, None)
    assert a.authorize("/grpc.health.v1.Health/Check", None) is None  # open methods need no token


def test_past_the_grants_it_remembers_each_call_is_checked_in_full(monkeypatch):
    monkeypatch.setattr(auth, "_MAX_GRANTS", 2)
    a = _authenticator()
    spellings = [f"Bearer {READER}", f"bearer {READER}", f"BEARER {READER}", f"Bearer  {READER}"]
    for _ in range(2):
        assert all(a.authorize(GET, s) is not None for s in spellings)
    assert len(a._granted) == 2  # a caller cannot grow the process with spellings of its token
    with pytest.raises(PermissionDenied):
        a.authorize(PAY, spellings[-1])


def test_a_grant_spelled_with_a_long_tail_is_checked_but_not_remembered():
    a = _authenticator()
    padded = f"Bearer {READER}" + " " * 2000
    assert a.authorize(GET, padded) is not None
    assert a._granted == {}


def test_batch_get_customers_takes_the_scope_get_customer_takes():
    tokens = (
        '{"crm": {"token": "crm-token-0123456789abcd", "scopes": ["customers:read"]},'
        f' "reader": {{"token": "{READER}", "scopes": ["orders:read"]}}}}'
    )
    a = Authenticator(load({"ISTHMUS_AUTH_TOKENS": tokens}).clients)
    batch = "/isthmus.customers.v1.CustomerMasterService/BatchGetCustomers"
    assert a.required_scope(batch) == a.required_scope(batch.replace("BatchGetCustomers", "GetCustomer"))
    client = a.authorize(batch, "Bearer crm-token-0123456789abcd")
    assert client is not None and client.name == "crm"
    with pytest.raises(PermissionDenied, match="customers:read"):
        a.authorize(batch, f"Bearer {READER}")
