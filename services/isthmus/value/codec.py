"""Stored rows and domain values to API messages and back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from isthmus.kernel.money import Money
from isthmus.kernel.timestamps import from_ts, ts
from isthmus.platform import jsoncodec
from isthmus.value import domain, models
from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.value.v1 import value_pb2


def money(minor: int, currency: str) -> common_pb2.Money:
    return common_pb2.Money(amount=Money.from_minor(int(minor), currency).text(), currency_code=currency)


def customer_value(row: dict[str, Any], currency: str) -> value_pb2.CustomerValue:
    message = value_pb2.CustomerValue(
        customer_id=row["customer_id"],
        revenue=money(row["revenue_minor"], currency),
        cost_of_goods=money(row["cost_minor"], currency),
        cost_to_serve=money(row["service_minor"], currency),
        margin=money(row["margin_minor"], currency),
        historical_value=money(row["historical_minor"], currency),
        predicted_value=money(row["predicted_minor"], currency),
        expected_purchases=row["expected_purchases"],
        alive_probability=row["alive_probability"],
        expected_spend=money(row["expected_spend_minor"], currency),
        lifetime_value=money(row["lifetime_minor"], currency),
        tier=row["tier"],
        churn_risk=row["churn_risk"],
        churn_reason=row["churn_reason"],
        orders=row["orders"],
        repeat_purchases=row["repeat_purchases"],
        first_purchase_time=ts(row["first_purchase_at"]),
        last_purchase_time=ts(row["last_purchase_at"]),
        model_id=row["model_id"],
        update_time=ts(row["update_time"]),
        version=row["version"],
    )
    message.credit.CopyFrom(credit_message(row, currency))
    if row["rfm_recency"]:
        message.rfm.CopyFrom(
            value_pb2.RfmScore(
                recency=row["rfm_recency"], frequency=row["rfm_frequency"], monetary=row["rfm_monetary"]
            )
        )
    return message


# --- credit ------------------------------------------------------------------------------------

# What a change of credit is told for: its rank and the strikes against it (not the amount owed,
# which every order placed and paid moves).
_CREDIT_VISIBLE = ("overdue_orders", "oldest_due", "failures", "late")


def credit_json(c: domain.Credit, now: datetime) -> str:
    """What a credit rank rests on, as value_customers.credit keeps it."""
    return jsoncodec.dumps(
        {
            "outstanding": c.outstanding,
            "overdue": c.overdue,
            "overdue_orders": c.overdue_orders,
            "oldest_due": c.oldest_due.isoformat() if c.oldest_due is not None else None,
            "failures": c.failures,
            "late": c.late,
            "paid": c.paid,
            "good_after": c.good_after,
            "window_days": c.window_days,
            "as_of": now.isoformat(),
        }
    )


def credit_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    if before["credit_rank"] != after["credit_rank"]:
        return True
    old, new = jsoncodec.loads(before["credit"]), jsoncodec.loads(after["credit"])
    return any(old.get(k) != new.get(k) for k in _CREDIT_VISIBLE)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def credit_reasons(rank: int, facts: dict[str, Any], currency: str, window_days: int) -> list[str]:
    """Why a customer has their rank, worst first."""
    reasons = []
    overdue = facts.get("overdue_orders", 0)
    if overdue:
        due = str(facts["oldest_due"])[:10]
        amount = f"{currency} {Money.from_minor(int(facts['overdue']), currency).text()}"
        if overdue == 1:
            reasons.append(f"1 order with {amount} overdue since {due}")
        else:
            reasons.append(f"{overdue} orders with {amount} overdue, the first since {due}")
    if facts.get("failures"):
        failed = _plural(facts["failures"], "payment", "payments")
        reasons.append(f"{failed} failed in the last {window_days} days")
    if facts.get("late"):
        late = _plural(facts["late"], "order paid after its due date", "orders paid after their due dates")
        reasons.append(f"{late} in the last {window_days} days")
    if rank == domain.CreditRank.NEW:
        paid, needed = facts.get("paid", 0), facts.get("good_after", 0)
        reasons.append(f"{_plural(paid, 'order', 'orders')} paid of the {needed} a GOOD rank asks for")
    return reasons


def credit_message(row: dict[str, Any], currency: str) -> value_pb2.Credit:
    """The credit part of a customer's value row."""
    facts: dict[str, Any] = jsoncodec.loads(row["credit"]) if row["credit"] else {}
    message = value_pb2.Credit(
        rank=row["credit_rank"],
        outstanding=money(facts.get("outstanding", 0), currency),
        overdue=money(facts.get("overdue", 0), currency),
        overdue_orders=facts.get("overdue_orders", 0),
        payment_failures=facts.get("failures", 0),
        late_payments=facts.get("late", 0),
        paid_orders=facts.get("paid", 0),
    )
    message.reasons.extend(credit_reasons(row["credit_rank"], facts, currency, facts.get("window_days", 0)))
    as_of = ts(datetime.fromisoformat(facts["as_of"])) if facts.get("as_of") else None
    if as_of is not None:
        message.as_of_time.CopyFrom(as_of)
    return message


def model_message(model: domain.Model, currency: str) -> value_pb2.ValueModel:
    message = value_pb2.ValueModel(
        model_id=model.model_id,
        fit_time=ts(model.fitted_at),
        customers=model.customers,
        recency_boundaries=model.recency,
        frequency_boundaries=model.frequency,
        monetary_boundaries=model.monetary,
        fit_seconds=model.fit_seconds,
    )
    if model.bgnbd is not None:
        b = model.bgnbd
        message.bg_nbd.CopyFrom(value_pb2.BgNbdParameters(r=b.r, alpha=b.alpha, a=b.a, b=b.b))
    if model.gamma_gamma is not None:
        g = model.gamma_gamma
        message.gamma_gamma.CopyFrom(value_pb2.GammaGammaParameters(p=g.p, q=g.q, gamma=g.gamma))
    if model.tier_a_from is not None and model.tier_b_from is not None:
        message.tier_a_from.CopyFrom(money(model.tier_a_from, currency))
        message.tier_b_from.CopyFrom(money(model.tier_b_from, currency))
    return message


def model_of(message: value_pb2.ValueModel) -> domain.Model:
    fitted_at: datetime = from_ts(message.fit_time)
    bgnbd = gamma_gamma = None
    if message.HasField("bg_nbd"):
        b = message.bg_nbd
        bgnbd = models.BgNbd(b.r, b.alpha, b.a, b.b)
    if message.HasField("gamma_gamma"):
        g = message.gamma_gamma
        gamma_gamma = models.GammaGamma(g.p, g.q, g.gamma)
    tiers = message.HasField("tier_a_from") and message.HasField("tier_b_from")
    return domain.Model(
        model_id=message.model_id,
        fitted_at=fitted_at,
        customers=message.customers,
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        tier_a_from=_minor(message.tier_a_from) if tiers else None,
        tier_b_from=_minor(message.tier_b_from) if tiers else None,
        recency=tuple(message.recency_boundaries),
        frequency=tuple(message.frequency_boundaries),
        monetary=tuple(message.monetary_boundaries),
        fit_seconds=message.fit_seconds,
    )


def _minor(m: common_pb2.Money) -> int:
    return Money.stored(m.amount, m.currency_code).minor
