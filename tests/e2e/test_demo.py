"""`isthmus demo` as a user runs it: a real process, the hub in-process, three simulated sources."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest


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
    assert re.search(r"Points earned: 79 \(balance 79\)", out) and "Order INV-24-001 paid: 79.80 EUR" in out
