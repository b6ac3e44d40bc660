"""With JSON logs, every line a serving process writes is one JSON object, even what gRPC's C core
prints about TLS handshakes that hostile clients start: a server name (SNI) with a newline and a
JSON object in it, bytes that are not UTF-8, records that are no TLS at all."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from free_ports import free_port

from .conftest import wait_serving

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="openssl CLI is needed to make a cert"
)

FORGED = b'{"ts": "2026-01-01T00:00:00Z", "level": "ERROR", "logger": "isthmus.rpc", "forged": true}'


def client_hello(server_name: bytes) -> bytes:
    """A TLS 1.2 ClientHello whose SNI extension carries ``server_name`` as it is, whatever it holds."""
    names = struct.pack("!BH", 0, len(server_name)) + server_name
    sni = struct.pack("!H", len(names)) + names
    extensions = struct.pack("!HH", 0, len(sni)) + sni
    body = (
        b"\x03\x03"
        + os.urandom(32)
        + b"\x00"  # no session id
        + struct.pack("!H", 2)
        + b"\xc0\x2f"  # one cipher suite
        + b"\x01\x00"  # no compression
        + struct.pack("!H", len(extensions))
        + extensions
    )
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


HOSTILE = [
    client_hello(b"evil.example\n" + FORGED + b"\nmore"),
    client_hello(b"\xff\xfe\x80\x1b[31mred\x07"),
    b"\x16\x03\x01\x00\x05hello",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
]


def _cert(folder: Path) -> tuple[Path, Path]:
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-keyout", "key.pem", "-out", "cert.pem"],
        cwd=folder, check=True, capture_output=True,
    )  # fmt: skip
    return folder / "cert.pem", folder / "key.pem"


def test_every_line_is_one_json_object_under_hostile_tls_clients(tmp_path: Path) -> None:
    cert, key = _cert(tmp_path)
    port, health_port = free_port(), free_port()
    env = {
        **os.environ,
        "ISTHMUS_TLS_CERT_FILE": str(cert),
        "ISTHMUS_TLS_KEY_FILE": str(key),
        "ISTHMUS_HEALTH_PORT": str(health_port),
        "ISTHMUS_LOG_FORMAT": "json",
        "ISTHMUS_LOG_LEVEL": "INFO",
    }
    for name in ("ISTHMUS_DATABASE_URL", "ISTHMUS_AMQP_URL", "ISTHMUS_AUTH_TOKENS"):
        env.pop(name, None)
    args = ["up", "--no-auth", "--data-dir", str(tmp_path / "data"), "--grpc-port", str(port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "isthmus", *args, "--metrics-port", "0", "--console-port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        wait_serving(health_port, process)  # type: ignore[arg-type]
        for payload in HOSTILE:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
                connection.sendall(payload)
                with contextlib.suppress(OSError):
                    connection.recv(4096)  # until the server closes the connection
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    records = []
    for stream in (out, err):
        for raw in stream.splitlines():
            record = json.loads(raw.decode("ascii"))  # one JSON object per line, hostile bytes escaped
            assert isinstance(record, dict), raw
            records.append(record)
    assert not any("forged" in r for r in records)
    foreign = [r for r in records if r.get("foreign")]
    assert foreign, "the C core's handshake lines were not captured"
    assert any("evil.example" in r["message"] for r in foreign)
    assert all(r["logger"] == "isthmus.stderr" for r in records if "forged" in r["message"])
