"""``isthmus value``: fit the value models again and rescore every customer; work out the credit
ranks that time alone changed."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.platform import db, logs
from isthmus.platform.component import utcnow
from isthmus.platform.config import load
from isthmus.value import bootstrap, codec, config, credit, refit
from isthmus.value.handlers import CurrentModel


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    value = sub.add_parser(
        "value",
        help="customer value: refit the lifetime-value models",
        description="Customer value: historical and predicted lifetime value, RFM, tiers, churn risk.",
    )
    cmds = value.add_subparsers(title="commands", metavar="COMMAND")
    fit = cmds.add_parser(
        "refit",
        help="fit BG/NBD and Gamma-Gamma on the stored history and rescore every customer",
        description="Fits the purchase (BG/NBD) and spend (Gamma-Gamma) models on every customer's "
        "order history as the value service holds it, derives the tier and RFM cut-offs, stores the "
        "new model and rescores every customer (publishing the value and tier changes). The running "
        "value service uses the new model from its next batch of events.",
    )
    fit.set_defaults(func=_refit)
    review = cmds.add_parser(
        "credit-review",
        help="work out again the credit ranks that time alone changed, now",
        description="Stores and tells (CustomerValueChanged) the credit rank of every customer whose "
        "rank time alone changed (an order fell due, a strike left the window): what the value "
        "service does every ISTHMUS_VALUE_CREDIT_RECHECK_SECONDS. Prints how many customers it "
        "worked out again.",
    )
    review.set_defaults(func=_credit_review)


def _run(job: Callable[[async_sessionmaker[AsyncSession], config.ValueConfig], Awaitable[str]]) -> int:
    """Runs ``job`` on the value schema with the configuration of the environment; prints what it says."""
    settings = load()
    logs.configure(settings.log_level, settings.log_format)
    value_config = config.load(settings.extra)

    async def go() -> str:
        engine = db.async_engine(settings, bootstrap.SCHEMA)
        try:
            return await job(db.session_factory(engine), value_config)
        finally:
            await engine.dispose()

    print(asyncio.run(go()))
    return 0


def _refit(args: argparse.Namespace) -> int:
    async def job(sessions: async_sessionmaker[AsyncSession], cfg: config.ValueConfig) -> str:
        model = await refit.run(sessions, cfg, utcnow, bootstrap.record, CurrentModel())
        return str(codec.model_message(model, cfg.currency))

    return _run(job)


def _credit_review(args: argparse.Namespace) -> int:
    async def job(sessions: async_sessionmaker[AsyncSession], cfg: config.ValueConfig) -> str:
        found = await credit.recheck_due(sessions, cfg, utcnow, bootstrap.record, CurrentModel())
        return f"{found} credit ranks worked out again"

    return _run(job)
