"""``isthmus-client`` installed alone in a fresh virtualenv calls a running hub.

The wheel is built from ``clients/python`` and installed with the lock's pins as constraints; the
venv must not be able to import the server (``isthmus``) nor its database and broker drivers.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from free_ports import free_port

from .conftest import running

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "client-package-token-0123456789"

SCRIPT = textwrap.dedent(
    """
    import importlib.util, json, sys
    import grpc
    from isthmus_client import Hub, connect, field_violations, googleapis_proto_path, iterate, proto_path
    from isthmus_client.api.customers.v1 import customers_pb2, records_pb2

    port, token = sys.argv[1], sys.argv[2]
    out = {"server_importable": [m for m in ("isthmus", "sqlalchemy", "asyncpg", "pika", "rapidfuzz")
                                 if importlib.util.find_spec(m) is not None]}
    out["protos"] = sorted(str(p.relative_to(proto_path())) for p in proto_path().rglob("*.proto"))
    out["proto_path"], out["googleapis_proto_path"] = str(proto_path()), str(googleapis_proto_path())
    hub = Hub(connect(f"127.0.0.1:{port}", token=token))
    for i in range(5):
        hub.customers.UpsertSourceRecord(customers_pb2.UpsertSourceRecordRequest(record=records_pb2.SourceRecord(
            source_system="erp", source_id=f"C-{i}",
            name=records_pb2.PersonName(given_name=f"Given{i}", family_name="Lindqvist"),
            emails=[records_pb2.EmailAddress(address=f"person{i}@example.com")])), timeout=30)
    found = list(iterate(hub.customers.SearchCustomers,
                         customers_pb2.SearchCustomersRequest(family_name="Lindqvist", page_size=2),
                         "customers", timeout=30))
    out["found"] = len(found)
    try:
        hub.customers.UpsertSourceRecord(customers_pb2.UpsertSourceRecordRequest(
            record=records_pb2.SourceRecord(source_id="C-x")), timeout=30)
    except grpc.RpcError as error:
        out["refused"] = [error.code().name, [f for f, _ in field_violations(error)]]
    unauthenticated = Hub(connect(f"127.0.0.1:{port}"))
    try:
        unauthenticated.customers.GetCustomer(customers_pb2.GetCustomerRequest(customer_id="x"), timeout=30)
    except grpc.RpcError as error:
        out["without_token"] = error.code().name
    print(json.dumps(out))
    """
)


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        pytest.fail("uv is missing from the dev environment (requirements.lock installs it)")
    venv = tmp_path_factory.mktemp("client") / "venv"
    subprocess.run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [uv, "pip", "install", "--quiet", "--python", str(python), "--constraint",
         str(ROOT / "requirements.lock"), str(ROOT / "clients" / "python")],
        check=True,
        env={**os.environ, "UV_NO_PROGRESS": "1"},
    )  # fmt: skip
    return python


def test_client_installs_alone_and_calls_a_running_hub(client_venv: Path, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "ISTHMUS_AUTH_TOKENS": json.dumps({"app": {"token": TOKEN, "scopes": ["customers:*"]}}),
        "ISTHMUS_GRPC_PORT": str(port),
        "ISTHMUS_METRICS_PORT": "0",
        "ISTHMUS_CONSOLE_PORT": "0",  # no web console: port 8080 may be another process's
    }
    with running("up", "--data-dir", str(tmp_path / "data"), env=env, port=port):
        done = subprocess.run(
            [str(client_venv), "-c", SCRIPT, str(port), TOKEN],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,  # not the repository: nothing of the server on the path
            env={k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}},
        )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["server_importable"] == []
    assert "isthmus/customers/v1/customers.proto" in out["protos"]
    assert "isthmus/common/v1/common.proto" in out["protos"]
    assert out["found"] == 5  # three pages of two
    assert out["refused"] == ["INVALID_ARGUMENT", ["record.source_system"]]
    assert out["without_token"] == "UNAUTHENTICATED"
    _generate_from_the_installed_protos(Path(out["proto_path"]), Path(out["googleapis_proto_path"]), tmp_path)


def _generate_from_the_installed_protos(protos: Path, googleapis: Path, tmp_path: Path) -> None:
    """What the README tells another language to do: protoc with the two roots the installed package
    names (here with the dev environment's protoc, for Python, since the venv has no protoc)."""
    from grpc_tools import protoc

    well_known = importlib.resources.files("grpc_tools") / "_proto"
    files = sorted(str(p.relative_to(protos)) for p in protos.rglob("*.proto"))
    out = tmp_path / "generated"
    out.mkdir()
    args = ["protoc", f"-I{protos}", f"-I{googleapis}", f"-I{well_known}", f"--python_out={out}", *files]
    assert protoc.main(args) == 0
    assert (out / "isthmus" / "customers" / "v1" / "customers_pb2.py").is_file()
