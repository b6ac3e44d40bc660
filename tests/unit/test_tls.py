"""TLS and mutual TLS on the gRPC port, and the plaintext health-only port beside it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from isthmus.platform.component import Runtime
from isthmus.platform.config import load
from isthmus.platform.server import Server

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI is needed to make certs")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pki")
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
             "-keyout", "ca.key", "-out", "ca.pem", cwd=d)  # fmt: skip
    for name in ("server", "client"):
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
                 "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d)  # fmt: skip
        (d / f"{name}.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.pem", cwd=d)  # fmt: skip
    return d


async def _check(channel: grpc.aio.Channel) -> int:
    reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    return reply.status


def _client_credentials(pki: Path, with_cert: bool) -> grpc.ChannelCredentials:
    return grpc.ssl_channel_credentials(
        root_certificates=(pki / "ca.pem").read_bytes(),
        private_key=(pki / "client.key").read_bytes() if with_cert else None,
        certificate_chain=(pki / "client.pem").read_bytes() if with_cert else None,
    )


async def test_mutual_tls_requires_a_client_certificate(pki):
    settings = load(
        {
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_TLS_CERT_FILE": str(pki / "server.pem"),
            "ISTHMUS_TLS_KEY_FILE": str(pki / "server.key"),
            "ISTHMUS_TLS_CLIENT_CA_FILE": str(pki / "ca.pem"),
        }
    )
    server = Server(settings, [], Runtime(settings))
    await server.start()
    target = f"localhost:{server.port}"
    try:
        async with grpc.aio.secure_channel(target, _client_credentials(pki, with_cert=True)) as ch:
            assert await _check(ch) == health_pb2.HealthCheckResponse.SERVING
        async with grpc.aio.secure_channel(target, _client_credentials(pki, with_cert=False)) as ch:
            with pytest.raises(grpc.aio.AioRpcError) as error:
                await _check(ch)
            assert error.value.code() == grpc.StatusCode.UNAVAILABLE
        async with grpc.aio.insecure_channel(target) as ch:
            with pytest.raises(grpc.aio.AioRpcError):
                await _check(ch)
    finally:
        await server.stop()


async def test_plaintext_health_port_serves_probes_beside_tls(pki, unused_tcp_port):
    settings = load(
        {
            "ISTHMUS_AUTH_DISABLED": "true",
            "ISTHMUS_GRPC_PORT": "0",
            "ISTHMUS_HEALTH_PORT": str(unused_tcp_port),
            "ISTHMUS_TLS_CERT_FILE": str(pki / "server.pem"),
            "ISTHMUS_TLS_KEY_FILE": str(pki / "server.key"),
        }
    )
    server = Server(settings, [], Runtime(settings))
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{unused_tcp_port}") as ch:
            assert await _check(ch) == health_pb2.HealthCheckResponse.SERVING
        async with grpc.aio.secure_channel(f"localhost:{server.port}", _client_credentials(pki, False)) as ch:
            assert await _check(ch) == health_pb2.HealthCheckResponse.SERVING
    finally:
        await server.stop()
