"""What the customer master's use cases run with: configuration, matcher, clock, transactions, events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from google.protobuf.message import Message
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from isthmus.customers.matching import (
    Comparator,
    ComparatorRegistry,
    MatchConfig,
    Matcher,
    MatchModel,
    Weights,
    builtin_comparators,
)
from isthmus.customers.normalise import SOURCE_SYSTEM_PATTERN
from isthmus.customers.store import Repository, is_concurrency_error
from isthmus.customers.survivorship import Rule, SurvivorshipConfig
from isthmus.kernel.errors import Conflict
from isthmus.platform.config import ConfigError

DEFAULT_SOURCE_SYSTEMS = ("erp", "webshop", "callcenter")
PREFIX = "ISTHMUS_CUSTOMERS_"

# (session, payload, aggregate_id) -> recorded in the same transaction (the outbox)
EventSink = Callable[[AsyncSession, Message, str], Awaitable[None]]


@dataclass(frozen=True)
class CustomerSettings:
    source_systems: tuple[str, ...] = DEFAULT_SOURCE_SYSTEMS  # also the survivorship priority order
    default_region: str = ""
    match: MatchConfig = field(default_factory=MatchConfig)
    survivorship: SurvivorshipConfig = field(
        default_factory=lambda: SurvivorshipConfig(DEFAULT_SOURCE_SYSTEMS)
    )

    @property
    def known_systems(self) -> frozenset[str]:
        return frozenset(self.source_systems)


def settings_from_env(env: Mapping[str, str]) -> CustomerSettings:
    """Read ``ISTHMUS_CUSTOMERS_*``; a malformed value raises ``ConfigError`` naming the variable."""
    systems: tuple[str, ...] = DEFAULT_SOURCE_SYSTEMS
    raw = env.get(PREFIX + "SOURCE_SYSTEMS", "").strip()
    if raw:
        systems = tuple(s.strip() for s in raw.split(",") if s.strip())
        bad = [s for s in systems if not SOURCE_SYSTEM_PATTERN.match(s)]
        if bad or not systems:
            raise ConfigError(f"{PREFIX}SOURCE_SYSTEMS: {bad} do not match {SOURCE_SYSTEM_PATTERN.pattern}")
    region = env.get(PREFIX + "DEFAULT_REGION", "").strip().upper()
    if region and len(region) != 2:
        raise ConfigError(f"{PREFIX}DEFAULT_REGION must be an ISO 3166-1 alpha-2 code, not {region!r}")
    match = MatchConfig()
    if PREFIX + "MATCH_CONFIG" in env:
        match = _match_config(env[PREFIX + "MATCH_CONFIG"])
    rules: dict[str, Rule] = {}
    raw_rules = env.get(PREFIX + "SURVIVORSHIP", "").strip()
    for item in filter(None, (x.strip() for x in raw_rules.split(","))):
        attr, _, rule = item.partition("=")
        if attr not in ("name", "date_of_birth", "company") or rule not in {r.value for r in Rule} - {
            "union",
            "steward",
        }:
            raise ConfigError(f"{PREFIX}SURVIVORSHIP: cannot read {item!r} (e.g. name=most_complete)")
        rules[attr] = Rule(rule)
    return CustomerSettings(systems, region, match, SurvivorshipConfig(systems, **rules))


def _match_config(text: str) -> MatchConfig:
    where = f"{PREFIX}MATCH_CONFIG"
    try:
        data = json.loads(text)
        weights = Weights(**data.get("weights", {}))
        config = MatchConfig(
            upper_threshold=float(data.get("upper_threshold", MatchConfig.upper_threshold)),
            lower_threshold=float(data.get("lower_threshold", MatchConfig.lower_threshold)),
            deterministic_rules=frozenset(data.get("deterministic_rules", MatchConfig().deterministic_rules)),
            max_candidates=int(data.get("max_candidates", MatchConfig.max_candidates)),
            max_key_records=int(data.get("max_key_records", MatchConfig.max_key_records)),
            max_name_key_records=int(data.get("max_name_key_records", MatchConfig.max_name_key_records)),
            weights=weights,
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{where} is not valid: {exc}") from None
    if config.lower_threshold > config.upper_threshold:
        raise ConfigError(f"{where}: lower_threshold is above upper_threshold")
    for name in ("max_candidates", "max_key_records", "max_name_key_records"):
        # The candidate query binds these as SQL integers; past a million they mean "no bound".
        if not 1 <= getattr(config, name) <= 1_000_000:
            raise ConfigError(f"{where}: {name} must be between 1 and 1000000")
    return config


def comparator_registry(model: MatchModel, plugins: Iterable[object]) -> ComparatorRegistry:
    """The built-in comparators weighed by ``model``, then those the installed plugins register
    (``register_match_comparators``); ``ConfigError`` names a plugin's comparator that cannot be used."""
    registry = ComparatorRegistry(builtin_comparators(model))
    for c in plugins:
        if not isinstance(c, Comparator):
            raise ConfigError(
                f"register_match_comparators returned {c!r}: a comparator is an"
                " isthmus.customers.matching.Comparator (similarity_comparator builds one)"
            )
        try:
            registry.register(c)
        except ValueError as exc:
            raise ConfigError(f"register_match_comparators: {exc}") from None
    return registry


@dataclass
class Deps:
    settings: CustomerSettings
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    emit: EventSink | None = None
    registry: ComparatorRegistry | None = None
    # The model in force (a trained one the service loaded); None: the built-in weights.
    model: MatchModel | None = None
    plugins: tuple[object, ...] = ()  # comparators from plugins, registered after the built-in ones
    # Sessions for reads, outside any transaction (AUTOCOMMIT); None: ``sessions``.
    reads: async_sessionmaker[AsyncSession] | None = None
    matcher: Matcher = field(init=False)

    def __post_init__(self) -> None:
        self.matcher = Matcher(self.settings.match, self.registry, self.model)  # None: built-in comparators

    def use_model(self, model: MatchModel) -> None:
        """Match with ``model`` from now on (a batch in flight finishes with the matcher it started with)."""
        registry = comparator_registry(model, self.plugins)
        self.model, self.registry = model, registry
        self.matcher = Matcher(self.settings.match, registry, model)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[UnitOfWork]:
        """Reads, with no transaction around them: each statement sees what was committed when it
        began, as it would in the READ COMMITTED transaction ``transaction`` opens, without the
        round trips of its BEGIN and COMMIT. Only for reads: a write here would commit at once."""
        async with (self.reads or self.sessions)() as session:
            yield UnitOfWork(session, Repository(session), self)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """One transaction; a lost race with another writer surfaces as ``Conflict`` (ABORTED)."""
        async with self.sessions() as session:
            uow = UnitOfWork(session, Repository(session), self)
            try:
                async with session.begin():
                    yield uow
                    await uow.flush_events()
            except DBAPIError as exc:
                if is_concurrency_error(exc):
                    raise Conflict(
                        "a concurrent change to the same customer or source record won; retry"
                    ) from exc
                raise


@dataclass
class UnitOfWork:
    session: AsyncSession
    repo: Repository
    deps: Deps
    events: list[tuple[Message, str]] = field(default_factory=list)
    flushed: int = 0

    def record(self, message: Message, aggregate_id: str) -> None:
        self.events.append((message, aggregate_id))

    async def flush_events(self) -> None:
        """Hands the events recorded since the last call to the outbox (in this transaction)."""
        if self.deps.emit is not None:
            for message, aggregate_id in self.events[self.flushed :]:
                await self.deps.emit(self.session, message, aggregate_id)
        self.flushed = len(self.events)


def actor_json(actor: Any) -> dict[str, Any]:
    if actor is None:
        return {"kind": 4, "id": "customer-master", "display_name": ""}
    return {"kind": int(actor.kind), "id": actor.id, "display_name": actor.display_name}
