"""``isthmus customers``: train a match model on the deployment's own records, and manage the models
(list, show, activate or roll back, import, export)."""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from isthmus.customers import models
from isthmus.customers.bootstrap import SCHEMA
from isthmus.customers.deps import settings_from_env
from isthmus.customers.matching import BUILTIN, LEVELS, MatchModel
from isthmus.customers.matching.training import TrainingOptions, train
from isthmus.platform import db, logs
from isthmus.platform.config import ConfigError, load
from isthmus.platform.progress import Progress


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    customers = sub.add_parser(
        "customers",
        help="customer master: train and manage match models",
        description="Train a match model on the customer master's stored records and manage the versions.",
    )
    cmds = customers.add_subparsers(title="commands", metavar="COMMAND")

    tr = cmds.add_parser(
        "train",
        help="estimate match weights from the stored records (a new model version, inactive)",
        description="Estimates the m and u probabilities of every comparison level from the source "
        "records in the database (EM over the candidate pairs blocking produces; u from random pairs) "
        "and the frequency of each name, and stores the result as a new model version. The service "
        "keeps its current model until the new one is activated (--activate, or `model activate`).",
    )
    tr.add_argument("--activate", action="store_true", help="make the new model the one in force")
    tr.add_argument("--output", type=Path, help="also write the model to this JSON file")
    tr.add_argument(
        "--max-pairs", type=int, default=TrainingOptions.max_pairs, help="candidate pairs compared"
    )
    tr.add_argument("--random-pairs", type=int, default=TrainingOptions.random_pairs, help="pairs for u")
    tr.add_argument(
        "--seed",
        type=int,
        default=TrainingOptions.seed,
        help="of the pairs sampled (default %(default)s): the same records and seed train the same model;"
        " another seed shows how much the model owes to its sample",
    )
    tr.add_argument(
        "--link-probability",
        type=float,
        default=TrainingOptions.link_probability,
        help="link where a pair is one person with this probability or more (default %(default)s)",
    )
    tr.add_argument(
        "--review-probability",
        type=float,
        default=TrainingOptions.review_probability,
        help="below the link probability and from this one up, a steward decides (default %(default)s)",
    )
    tr.add_argument(
        "--link-weight",
        type=float,
        help="link at this weight of evidence (log2 likelihood ratio) or more, instead of a probability",
    )
    tr.add_argument(
        "--review-weight", type=float, help="a steward decides from this weight up, instead of a probability"
    )
    tr.add_argument("--actor", default="", help="who trains it (kept in the model log)")
    tr.set_defaults(func=_train)

    model = cmds.add_parser("model", help="list, show, activate, import or export match models")
    mcmds = model.add_subparsers(title="commands", metavar="COMMAND")
    ls = mcmds.add_parser("list", help="every model version, the active one marked, and the change log")
    ls.set_defaults(func=_list)
    show = mcmds.add_parser("show", help="a model's weights, probabilities and thresholds")
    show.add_argument("version", help=f"a version number, or {BUILTIN}")
    show.set_defaults(func=_show)
    act = mcmds.add_parser(
        "activate", help=f"match with this version from now on ({BUILTIN}: the built-in weights; a roll-back)"
    )
    act.add_argument("version")
    act.add_argument("--actor", default="", help="who changes it (kept in the model log)")
    act.add_argument("--note", default="", help="why (kept in the model log)")
    act.set_defaults(func=_activate)
    imp = mcmds.add_parser("import", help="store a model from a JSON file (e.g. trained elsewhere)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--activate", action="store_true")
    imp.add_argument("--actor", default="")
    imp.set_defaults(func=_import)
    exp = mcmds.add_parser("export", help="write a model version to a JSON file")
    exp.add_argument("version")
    exp.add_argument("file", type=Path)
    exp.set_defaults(func=_export)


@asynccontextmanager
async def _session() -> AsyncIterator[AsyncSession]:
    settings = load()
    logs.configure(settings.log_level, settings.log_format)
    engine = db.async_engine(settings, SCHEMA)
    try:
        async with db.session_factory(engine)() as session, session.begin():
            yield session
    finally:
        await engine.dispose()


def _run(work: Callable[[AsyncSession], Coroutine[Any, Any, int]]) -> int:
    async def go() -> int:
        async with _session() as session:
            return await work(session)

    try:
        return asyncio.run(go())
    except LookupError as exc:
        print(f"isthmus customers: {exc.args[0]}", file=sys.stderr)
        return 1


def _now() -> datetime:
    return datetime.now(UTC)


def _train(args: argparse.Namespace) -> int:
    options = TrainingOptions(
        max_pairs=args.max_pairs,
        random_pairs=args.random_pairs,
        seed=args.seed,
        link_probability=args.link_probability,
        review_probability=args.review_probability,
        link_weight=args.link_weight,
        review_weight=args.review_weight,
    )
    if not 0 < options.review_probability <= options.link_probability < 1:
        raise ConfigError("--review-probability and --link-probability: 0 < review <= link < 1")
    if None not in (options.review_weight, options.link_weight) and args.review_weight > args.link_weight:
        raise ConfigError("--review-weight is above --link-weight")
    builtin = settings_from_env(load().extra).match.builtin_model()

    async def work(session: AsyncSession) -> int:
        # Steps, not records: the estimate runs in one call; the report says the job is alive meanwhile.
        with Progress("train match model", total=3, unit="steps") as progress:
            features = await models.stored_features(session)
            progress.advance(records=len(features))
            try:
                trained = await asyncio.to_thread(train, features, builtin, options)
            except ValueError as exc:
                print(f"isthmus customers train: {exc}", file=sys.stderr)
                return 1
            progress.advance()
            stored = await models.add(session, trained, "trained", args.actor, _now())
            if args.activate:
                await models.activate(session, stored.version, args.actor, _now(), "trained with --activate")
            progress.advance()
        if args.output:
            args.output.write_text(json.dumps(stored.to_json(), indent=1))
        state = (
            "active" if args.activate else f"inactive: `isthmus customers model activate {stored.version}`"
        )
        print(f"model {stored.version} ({state}): {models.summary(stored)}")
        return 0

    return _run(work)


def _list(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> int:
        stored = await models.listed(session)
        in_force = next((m.version for m in stored if m.active), BUILTIN)
        print(f"in force: {in_force}")
        for m in stored:
            mark = "*" if m.active else " "
            print(f"{mark} {m.version:>4}  {m.origin:<8}  {m.create_time:%Y-%m-%d %H:%M}  {m.summary}")
        for at, action, version, by, note in await models.log(session):
            print(f"  {at:%Y-%m-%d %H:%M:%S}  {action:<9} {version:>7}  {by}  {note}".rstrip())
        return 0

    return _run(work)


def _show(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> int:
        if args.version == BUILTIN:
            model = settings_from_env(load().extra).match.builtin_model()
        else:
            model = await models.get(session, args.version)
        print(describe(model))
        return 0

    return _run(work)


def describe(model: MatchModel) -> str:
    """A model as a steward or an operator reads it: each level's weight and, for a trained model, the
    probabilities behind it."""
    lines = [
        f"model {model.version}: link at {model.upper_threshold:.2f}, review from {model.lower_threshold:.2f}"
    ]
    if model.pair_prior:
        lines.append(
            f"pairs of records that are one person: 1 in {1 / model.pair_prior:,.0f}"
            f" (a weight w is odds of 2^(w - {-math.log2(model.pair_prior / (1 - model.pair_prior)):.1f}))"
        )
    if model.prior:
        lines.append(f"prior (share of candidate pairs that are one person): {model.prior:.4f}")
    for comparator, levels in LEVELS.items():
        lines.append(f"{comparator}:")
        for level in levels:
            w = model.weight(comparator, level)
            mu = model.probability(comparator, level)
            extra = f"   m {mu[0]:.4f}  u {mu[1]:.6f}" if mu else ""
            lines.append(f"  {level:<18} {w:+7.2f}{extra}")
    for comparator, table in model.term_frequencies.items():
        common = sorted(table.items(), key=lambda kv: -kv[1])[:5]
        if comparator in LEVELS:
            shown = ", ".join(f"{v} {model.adjusted(comparator, 'exact', v)[1]:+.1f}" for v, _ in common)
        else:
            shown = ", ".join(f"{v} ({share:.4%})" for v, share in common)
        lines.append(f"{comparator}: {len(table)} names by frequency; most common: {shown}")
    return "\n".join(lines)


def _activate(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> int:
        await models.activate(session, args.version, args.actor, _now(), args.note)
        print(f"model in force: {args.version} (running services pick it up within a minute)")
        return 0

    return _run(work)


def _import(args: argparse.Namespace) -> int:
    try:
        model = MatchModel.from_json(json.loads(args.file.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"isthmus customers model import: {args.file}: {exc}", file=sys.stderr)
        return 1

    async def work(session: AsyncSession) -> int:
        stored = await models.add(session, model, "imported", args.actor, _now())
        if args.activate:
            await models.activate(
                session, stored.version, args.actor, _now(), f"imported from {args.file.name}"
            )
        print(f"model {stored.version} imported{' and active' if args.activate else ''}")
        return 0

    return _run(work)


def _export(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession) -> int:
        model = await models.get(session, args.version)
        args.file.write_text(json.dumps(model.to_json(), indent=1))
        print(f"model {model.version} written to {args.file}")
        return 0

    return _run(work)
