"""`isthmus demo` as a user runs it: a real process, the hub in-process, three simulated sources."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from free_ports import free_port


@pytest.mark.slow
def test_demo_resolves_three_sources_into_golden_customers_and_shows_a_360() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "isthmus", "demo"], capture_output=True, text=True, timeout=120, check=False
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "hub refused" not in out, out
    # Anna is in the ERP twice, in the shop and in the call center; Jonas in all three; Lena in the shop.
    assert "8 customer source records -> 3 golden customers (5 auto-linked, 0 sent to review)" in out, out
    # The broken call-log line is dead-lettered with its reason; the rest of the file went through.
    assert re.search(r"dead letter, callcenter interactions: calls_\d+\.csv:5: 3 fields, expected 9", out)
    # Paid orders from the ERP and the shop became points; the complaint opened a case and suppression.
    assert (
        "Orders 4, loyalty points awarded 169, open cases 1, customers not to be approached with offers 1"
    ) in out, out
    assert re.search(r"Anna Schmidt +from callcenter:K-0815, erp:1, erp:2, webshop:1", out), out
    # The 360 explains each golden value; the misspelt old ERP contact does not win the family name.
    assert re.search(r"name\.family_name +Schmidt +<- erp:2 \(source_priority\)", out), out
    assert "open case: Damaged delivery (COMPLAINT" in out and "contact suppressed: open complaint" in out
    # Anna's two paid orders became points. Which one loyalty awarded first depends on how the
    # services' events interleave: each entry's running balance follows that order, the total not.
    assert re.search(r"Points earned: 79 \(balance (79|122)\)", out), out
    assert re.search(r"Points earned: 43 \(balance (43|122)\)", out), out
    assert "loyalty: 122 points" in out and "Order INV-24-001 paid: 79.80 EUR" in out, out
    # The shop's abandoned carts: Jonas gets a message request; Anna, with her open complaint, does not.
    assert "the shop reports 2 abandoned carts" in out, out
    assert re.search(r"Jonas Meyer +CampaignMessageRequested: e-mail 'cart-reminder'", out), out
    assert re.search(r"Anna Schmidt +held back \(open_complaint\): 1 open complaint", out), out
    # The call center's script: the offer is made to Jonas and skipped for Anna, whose complaint is open.
    assert re.search(
        r"Jonas Meyer +greet: About an order; order: INV-24-001; offer: yes; heard: TV; close", out
    )
    assert re.search(
        r"Anna Schmidt +.*; offer skipped \(a sales pitch, and the customer has an open complaint\)", out
    ), out
    assert out.count("logged on the customer's record as interaction") == 2, out
    # Jonas heard of the shop on TV: the captured trait puts him in a segment whose phone campaign asks
    # the call center for a call, which an agent makes; the campaign counts him reached.
    assert re.search(r"Jonas Meyer +thanks; offer: yes\n", out), out
    assert "campaign 'Thank our TV viewers': 1 call requested, 1 reached" in out, out
    # Each customer's value and tier, from the value service's events (Lena bought nothing).
    assert re.search(r"erp:2, webshop:1\n.*\n +value \d+\.\d\d EUR \(tier A", out), out
    assert "value: nothing bought yet" in out and "Value tier changed to A" in out, out
    # Both paid their two orders, none late (last year's orders are not overdue the day they arrive).
    assert out.count("; credit good") >= 2, out
    # The ERP's stock: the tea invoice was for three, the ERP counted two.
    assert "OIL-5: 12 on hand, 2 set aside for orders, 10 free" in out, out
    assert (
        "TEA-1: 2 on hand, 2 set aside for orders, 0 free, 1 on backorder (next delivery 2024-06-03)" in out
    ), out


@pytest.mark.slow
def test_demo_serve_prints_the_console_address_and_keeps_serving_the_demo_data() -> None:
    import os
    import signal

    import httpx

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "isthmus", "demo", "--serve", "--console-port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ISTHMUS_CONSOLE_SECRET_KEY": ""},
    )
    try:
        assert process.stdout is not None
        address = ""
        for line in process.stdout:
            if "web console" in line:
                address = line.rsplit(" ", 1)[1].strip()
                break
        assert address == f"http://127.0.0.1:{port}/", process.stderr.read() if process.stderr else ""
        assert process.poll() is None  # still serving
        # The session cookie is Secure: browsers keep it for http://127.0.0.1, httpx does not, so the
        # test carries it by hand.
        with httpx.Client(base_url=address, timeout=10) as client:
            cookie = ""

            def call(method: str, path: str, **kw: object) -> httpx.Response:
                nonlocal cookie
                response = client.request(method, path, headers={"cookie": cookie}, **kw)  # type: ignore[arg-type]
                cookie = response.headers["set-cookie"].split(";", 1)[0]
                return response

            assert call("GET", "/customers").headers["location"].startswith("/signin")
            csrf = re.search(r'name="csrf" value="([^"]+)"', call("GET", "/signin").text)
            assert csrf is not None
            # Authentication is off in the demo: signing in needs no token.
            signed = call("POST", "/signin", data={"csrf": csrf[1], "token": "", "next": "/customers"})
            assert signed.headers["location"] == "/customers"
            found = call("GET", "/customers", params={"q": "Anna Schmidt"})
            assert found.status_code == 200 and "Anna Schmidt" in found.text, found.text[-2000:]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0, process.stderr.read() if process.stderr else ""
