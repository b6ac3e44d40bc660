"""Private PostgreSQL and RabbitMQ servers for one benchmark run.

A benchmark that shares the machine's servers charges their other clients' work to itself, and the
machine's other load to nobody. Each run here starts its own PostgreSQL cluster (``initdb`` into a
temporary folder, the packaged server binary, the same settings as the machine's cluster) and its own
RabbitMQ node (its own name, ports and data folder), so every process of the run is known and
``measure.Meter`` charges CPU to exactly those process trees. Both are stopped and deleted after
the run. Starting them costs about ten seconds.

Set ``ISTHMUS_BENCH_SHARED=1`` to use the machine's servers instead (their CPU is then not charged).
The private cluster's default collation is the machine's, "C.UTF-8"; ``ISTHMUS_BENCH_ICU_LOCALE=en-US``
gives it a linguistic one instead (ICU's), as a database created under ``en_US.UTF-8`` has, the usual
default of managed and distribution-packaged PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pika
import psycopg
from scratch import free_port


def _sigterm_stops_the_run() -> None:
    """SIGTERM (``kill``, ``timeout``) ends a run as Ctrl-C does: the ``finally`` blocks stop the
    private servers and the services' processes and remove their folders, instead of leaving them
    running. Set once a private server starts (the main thread only: signals go there)."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


PG_BIN = Path(os.environ.get("ISTHMUS_BENCH_PG_BIN", "")) or None
ICU_LOCALE = os.environ.get("ISTHMUS_BENCH_ICU_LOCALE", "")


def _quarter_of_memory() -> str:
    """A quarter of the machine's memory, what docs/operating.md asks operators to give PostgreSQL's
    shared buffers (decision 72)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return f"{int(line.split()[1]) // 4 // 1024}MB"
    raise SystemExit("no MemTotal in /proc/meminfo")


# The machine's cluster's settings, but for the shared buffers sized as a deployment's are (see
# docs/benchmarks.md); ``ISTHMUS_BENCH_PG="shared_buffers=128MB"`` runs on the packaged default.
PG_SETTINGS = {
    "shared_buffers": _quarter_of_memory(),
    "max_connections": "200",
    "autovacuum": "off",
    "fsync": "on",
    "synchronous_commit": "on",
    "max_wal_size": "1GB",
    "listen_addresses": "127.0.0.1",
}
# ``ISTHMUS_BENCH_PG="shared_buffers=4GB,work_mem=8MB"``: settings over those, for every private cluster
# (a value cannot hold a comma).
_OVERRIDES = [item.strip() for item in os.environ.get("ISTHMUS_BENCH_PG", "").split(",") if item.strip()]
_PAIRS = [[part.strip() for part in item.split("=", 1)] for item in _OVERRIDES]
if any(len(pair) != 2 or not pair[0] for pair in _PAIRS):
    raise SystemExit(f"ISTHMUS_BENCH_PG: each setting is key=value, got {_OVERRIDES}")
PG_OVERRIDES = dict(_PAIRS)


@dataclass(frozen=True)
class Server:
    url: str
    pid: int  # the root of its process tree: postmaster, or the Erlang VM (beam.smp)
    name: str
    node: str | None = None  # RabbitMQ: the node name ``rabbitmqctl -n`` needs

    @property
    def host(self) -> str:
        """``user:password@host:port`` of an AMQP URL (what ``scratch.scratch_vhost`` takes)."""
        return self.url.split("://", 1)[1].rsplit("/", 1)[0]


def _pg_bin() -> Path:
    if PG_BIN is not None and (PG_BIN / "postgres").exists():
        return PG_BIN
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not found:
        raise SystemExit("no PostgreSQL server binary under /usr/lib/postgresql (set ISTHMUS_BENCH_PG_BIN)")
    return found[-1].parent


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: run its programs as the ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return []
    pwd.getpwnam("postgres")
    return ["runuser", "-u", "postgres", "--"]


class PrivatePostgres:
    """A PostgreSQL cluster of the run's own; ``restart()`` empties its caches (cold reads)."""

    def __init__(self, **settings: str) -> None:
        self.binaries, self.runas = _pg_bin(), _as_postgres()
        _sigterm_stops_the_run()
        self.root = Path(tempfile.mkdtemp(prefix="isthmus-bench-pg-"))
        self.data = self.root / "data"
        if self.runas:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            [*self.runas, str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
             *(["--locale-provider=icu", f"--icu-locale={ICU_LOCALE}"] if ICU_LOCALE else [])],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        self.port = free_port()
        options = {
            **PG_SETTINGS,
            **PG_OVERRIDES,
            **settings,
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
        }
        self.args = [arg for key, value in options.items() for arg in ("-c", f"{key}={value}")]
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        log = (self.root / "server.log").open("a")
        self.process = subprocess.Popen(
            [*self.runas, str(self.binaries / "postgres"), "-D", str(self.data), *self.args],
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=1).close()
                break
            except psycopg.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    text = (self.root / "server.log").read_text()
                    raise SystemExit(f"private PostgreSQL did not start: {text}") from None
                time.sleep(0.2)
        return Server(self.url, _postmaster(self.process.pid), "postgres")

    def stop(self) -> None:
        if self.process is not None:
            # "Smart" shutdown, sent to the postmaster itself: ``runuser`` kills its child two seconds
            # after a SIGTERM of its own, in the middle of a shutdown checkpoint that a busy machine
            # takes longer to write, and the next start then finds the old postmaster's lock.
            postmaster = _postmaster(self.process.pid)
            with contextlib.suppress(ProcessLookupError):
                os.kill(postmaster, signal.SIGTERM)
            try:
                self.process.wait(300)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None

    def restart(self) -> Server:
        """Stop and start again: shared buffers empty, as after a deployment or a failover."""
        self.stop()
        return self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


@contextlib.contextmanager
def private_postgres(**settings: str) -> Iterator[Server]:
    """A fresh PostgreSQL cluster on a free port; yields its admin URL and postmaster pid."""
    cluster = PrivatePostgres(**settings)
    try:
        yield cluster.start()
    finally:
        cluster.remove()


def _postmaster(launcher: int) -> int:
    """``runuser`` forks the server: the postmaster is its child (or the launcher itself)."""
    children = Path(f"/proc/{launcher}/task/{launcher}/children")
    with contextlib.suppress(FileNotFoundError):
        kids = children.read_text().split()
        if kids and Path(f"/proc/{kids[0]}/comm").read_text().strip() in {"postgres", "postmaster"}:
            return int(kids[0])
    return launcher


@contextlib.contextmanager
def private_rabbitmq() -> Iterator[Server]:
    """A fresh RabbitMQ node (own node name, ports and data) with a guest user; yields its AMQP URL and
    the Erlang VM's pid. A port picked free can be taken (by an outgoing connection's ephemeral port)
    before the node binds it: then the node is started again on other ports."""
    for attempt in range(3):
        try:
            node = _start_rabbitmq()
            break
        except _PortTaken:
            if attempt == 2:
                raise
    try:
        yield node.server
    finally:
        node.stop()


class _PortTaken(Exception):
    pass


@dataclass
class _Node:
    server: Server
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    root: Path

    def stop(self) -> None:
        subprocess.run(
            ["rabbitmqctl", "-n", self.server.node or "", "stop"],
            env=self.env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
        shutil.rmtree(self.root, ignore_errors=True)


def _start_rabbitmq() -> _Node:
    _sigterm_stops_the_run()
    root = Path(tempfile.mkdtemp(prefix="isthmus-bench-mq-"))
    port, dist = free_port(), free_port()
    node = f"bench{port}@localhost"
    (root / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{port}\n"
        "loopback_users = none\n"
        "log.console = false\nlog.file.level = warning\n"
        "management_agent.disable_metrics_collector = true\n"
    )
    (root / "enabled_plugins").write_text("[].\n")
    if os.geteuid() == 0:  # the packaged wrapper runs the node as the ``rabbitmq`` user
        with contextlib.suppress(KeyError):
            pwd.getpwnam("rabbitmq")
            shutil.chown(root, "rabbitmq", "rabbitmq")
            for child in root.iterdir():
                shutil.chown(child, "rabbitmq", "rabbitmq")
    env = {
        **os.environ,
        "RABBITMQ_NODENAME": node,
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist),
        "RABBITMQ_CONFIG_FILE": str(root / "rabbitmq"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(root / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(root / "mnesia"),
        "RABBITMQ_LOG_BASE": str(root / "log"),
        "RABBITMQ_PID_FILE": str(root / "node.pid"),
    }
    process = subprocess.Popen(
        ["rabbitmq-server"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"amqp://guest:guest@127.0.0.1:{port}/%2F"
    started = _Node(Server(url, process.pid, "rabbitmq", node), process, env, root)
    deadline = time.monotonic() + 120
    while True:
        try:
            pika.BlockingConnection(pika.URLParameters(url + "?connection_attempts=1")).close()
            break
        except pika.exceptions.AMQPError:
            if process.poll() is not None or time.monotonic() > deadline:
                logs = (
                    "\n".join(p.read_text() for p in (root / "log").glob("*.log"))
                    if (root / "log").exists()
                    else ""
                )
                started.stop()
                if "could_not_start_listener" in logs or "eaddrinuse" in logs:
                    raise _PortTaken from None
                raise SystemExit(f"private RabbitMQ did not start:\n{logs[-4000:]}") from None
            time.sleep(0.5)
    started.server = Server(url, _beam(root / "node.pid", process.pid), "rabbitmq", node)
    return started


def _beam(pid_file: Path, launcher: int) -> int:
    with contextlib.suppress(FileNotFoundError, ValueError):
        return int(pid_file.read_text().strip())
    return launcher


@contextlib.contextmanager
def servers(
    *, postgres: bool = True, rabbitmq: bool = True, pg_settings: Mapping[str, str] | None = None
) -> Iterator[dict[str, Server]]:
    """The servers a run needs: private ones (PostgreSQL with ``pg_settings`` over the machine's), or
    the machine's with ``ISTHMUS_BENCH_SHARED=1``."""
    if os.environ.get("ISTHMUS_BENCH_SHARED"):
        from scratch import AMQP_HOST, PG_ADMIN

        shared = {
            "postgres": Server(PG_ADMIN, 0, "postgres"),
            "rabbitmq": Server(f"amqp://{AMQP_HOST}/%2F", 0, "rabbitmq"),
        }
        yield {
            k: v
            for k, v in shared.items()
            if (k == "postgres" and postgres) or (k == "rabbitmq" and rabbitmq)
        }
        return
    with contextlib.ExitStack() as stack:
        found: dict[str, Server] = {}
        if postgres:
            found["postgres"] = stack.enter_context(private_postgres(**(pg_settings or {})))
        if rabbitmq:
            found["rabbitmq"] = stack.enter_context(private_rabbitmq())
        yield found
