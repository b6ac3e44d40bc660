"""Run what the chart renders as local processes: the closest thing to ``helm install`` without a cluster.

What Kubernetes would do for a pod, done here for each container whose image is Isthmus's:

* the image's entrypoint and environment come from the Dockerfile (``isthmus`` is this checkout's);
* ``env`` and ``envFrom`` are resolved against the rendered Secrets and ConfigMaps plus the Secrets a
  user creates beforehand; a missing Secret, ConfigMap or key fails the pod, as it would in a cluster;
* every volume is a directory of the pod (emptyDir empty, Secret and ConfigMap keys written as files),
  but a PersistentVolumeClaim's, one directory of the cluster for every pod that mounts it; a value
  that starts with a mount path is rewritten to the directory behind it;
* each pod has its own ports: a value equal to one of the container's ports becomes that port's local
  number (a pod's network is its own; here the host's is shared);
* every Service is a TCP proxy on 127.0.0.1 spreading connections over its ready pods, as kube-proxy
  does; ``<service>[.<namespace>.svc[.cluster.local]]:<port>`` in a value becomes the proxy's address,
  and a name that looks like one of the release's but has no Service fails;
* readiness is the rendered gRPC readiness probe, asked on the pod's port.

Securities a container runtime enforces (users, read-only roots, capabilities) are not imitated here:
tests/image runs the image under them.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from free_ports import free_port
from grpc_health.v1 import health_pb2, health_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
_SERVICE_REF = re.compile(
    r"(?<![\w.@/-])([a-z0-9][a-z0-9-]*)(\.[a-z0-9-]+\.svc(?:\.cluster\.local)?)?:(\d+)\b"
)


class PodFailed(AssertionError):
    """A pod could not start, exited, or never became ready; the message holds its output."""


def image_config() -> tuple[list[str], dict[str, str]]:
    """The runtime image's entrypoint and environment, read from the Dockerfile's release stage."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stage = text.split(" AS release", 1)[1].split("\nFROM ", 1)[0]
    (entrypoint,) = re.findall(r"^ENTRYPOINT \[\"(\w+)\"\]$", stage, re.MULTILINE)
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV (.+)$", stage, re.MULTILINE):
        env.update(pair.split("=", 1) for pair in line.split())
    # The image's venv is this checkout's.
    env["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    env["VIRTUAL_ENV"] = str(Path(sys.executable).parent.parent)
    return [entrypoint], env


def _local_command(argv: list[str]) -> list[str]:
    """Programs of the image, as this checkout runs them."""
    program, *rest = argv
    if program == "isthmus":
        return [sys.executable, "-m", "isthmus", *rest]
    if program in {"python", "python3"}:
        return [sys.executable, *rest]
    raise PodFailed(f"the image has no program {program!r}")


@dataclass
class Objects:
    """The "API server": rendered objects plus the Secrets a user created before installing."""

    rendered: list[dict[str, Any]]
    existing_secrets: Mapping[str, Mapping[str, str]]

    def _find(self, kind: str, name: str) -> dict[str, Any] | None:
        for o in self.rendered:
            if o["kind"] == kind and o["metadata"]["name"] == name:
                return o
        return None

    def secret(self, name: str) -> dict[str, str]:
        if name in self.existing_secrets:
            return dict(self.existing_secrets[name])
        found = self._find("Secret", name)
        if found is None:
            raise PodFailed(f"CreateContainerConfigError: secret {name!r} not found")
        data = {k: base64.b64decode(v).decode() for k, v in (found.get("data") or {}).items()}
        return data | dict(found.get("stringData") or {})

    def config_map(self, name: str) -> dict[str, str]:
        found = self._find("ConfigMap", name)
        if found is None:
            raise PodFailed(f"CreateContainerConfigError: configmap {name!r} not found")
        return dict(found.get("data") or {})

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.rendered if o["kind"] == kind]


class Proxy:
    """One Service port: accepts on 127.0.0.1 and pipes each connection to the next ready pod."""

    def __init__(self, loop: asyncio.AbstractEventLoop, name: str) -> None:
        self.name = name
        self.backends: list[int] = []
        self._next = itertools.count()
        self._loop = loop
        self.port = free_port()
        asyncio.run_coroutine_threadsafe(self._serve(), loop).result(timeout=10)

    async def _serve(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.backends:
            writer.close()
            return
        port = self.backends[next(self._next) % len(self.backends)]
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._server.close)


class Network:
    """Services as local proxies (an event loop in a thread of its own)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.proxies: dict[tuple[str, int], Proxy] = {}
        self.services: dict[str, dict[str, Any]] = {}

    def add_service(self, service: dict[str, Any]) -> None:
        name = service["metadata"]["name"]
        self.services[name] = service
        for port in service["spec"]["ports"]:
            self.proxies[(name, port["port"])] = Proxy(self.loop, f"{name}:{port['port']}")

    def address(self, name: str, port: int) -> str:
        if (name, port) not in self.proxies:
            known = sorted(f"{n}:{p}" for n, p in self.proxies)
            raise PodFailed(f"no Service port {name}:{port} (Services: {', '.join(known)})")
        return f"127.0.0.1:{self.proxies[(name, port)].port}"

    def pod_ready(self, pod: Pod) -> None:
        """Add a ready pod behind every Service that selects it, on each port's target."""
        for name, service in self.services.items():
            selector = service["spec"]["selector"]
            if not selector.items() <= pod.labels.items():
                continue
            for port in service["spec"]["ports"]:
                target = port.get("targetPort", port["port"])
                self.proxies[(name, port["port"])].backends.append(pod.local_port(target))

    def rewrite(self, value: str, release_prefix: str) -> str:
        def sub(match: re.Match[str]) -> str:
            name, suffix, port = match.group(1), match.group(2), int(match.group(3))
            if name in self.services:
                if suffix and suffix.split(".")[1] != self.namespace:
                    raise PodFailed(f"{match.group(0)}: the Service lives in namespace {self.namespace}")
                return self.address(name, port)
            if suffix or name.startswith(release_prefix):
                raise PodFailed(f"{match.group(0)} names no Service of the release")
            return match.group(0)

        return _SERVICE_REF.sub(sub, value)

    def close(self) -> None:
        for proxy in self.proxies.values():
            proxy.close()
        self.loop.call_soon_threadsafe(self.loop.stop)


@dataclass
class Pod:
    name: str
    labels: dict[str, str]
    spec: dict[str, Any]
    directory: Path
    ports: dict[str, int] = field(default_factory=dict)  # container port name/number -> local port
    by_number: dict[int, int] = field(default_factory=dict)
    processes: list[tuple[str, subprocess.Popen[bytes], Path]] = field(default_factory=list)
    volumes: dict[str, Path] = field(default_factory=dict)

    def local_port(self, target: int | str) -> int:
        if isinstance(target, str):
            if target not in self.ports:
                raise PodFailed(f"{self.name}: no container port named {target!r}")
            return self.ports[target]
        if target not in self.by_number:
            raise PodFailed(f"{self.name}: no container port {target}")
        return self.by_number[target]

    def output(self) -> str:
        parts = []
        for name, _, log in self.processes:
            text = log.read_text(errors="replace") if log.exists() else ""
            parts.append(f"--- {self.name}/{name} ---\n{text[-4000:]}")
        return "\n".join(parts)


class Cluster:
    """Pods of the rendered workloads, started as processes; Services as proxies."""

    def __init__(self, objects: Objects, *, namespace: str, release_prefix: str, workdir: Path) -> None:
        self.objects = objects
        self.namespace = namespace
        self.release_prefix = release_prefix
        self.workdir = workdir
        self.entrypoint, self.image_env = image_config()
        self.network = Network(namespace)
        self.pods: list[Pod] = []
        for service in objects.of_kind("Service"):
            self.network.add_service(service)

    # -- volumes and values -------------------------------------------------------------------

    def _volumes(self, pod: Pod) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for volume in pod.spec.get("volumes", []):
            path = pod.directory / "volumes" / volume["name"]
            if "persistentVolumeClaim" in volume:
                # A claim's volume is the same directory in every pod that mounts it (ReadWriteMany).
                path = self.workdir / "claims" / volume["persistentVolumeClaim"]["claimName"]
                path.mkdir(parents=True, exist_ok=True)
                found[volume["name"]] = path
                continue
            path.mkdir(parents=True)
            files: dict[str, str] = {}
            if "secret" in volume:
                files = self.objects.secret(volume["secret"]["secretName"])
            elif "configMap" in volume:
                files = self.objects.config_map(volume["configMap"]["name"])
            elif "emptyDir" not in volume:
                raise PodFailed(f"{pod.name}: volume {volume['name']} of a kind this runner cannot make")
            source = volume.get("secret") or volume.get("configMap") or {}
            items = source.get("items") or [{"key": k, "path": k} for k in files]
            for item in items:
                if item["key"] not in files:
                    raise PodFailed(f"{pod.name}: volume {volume['name']}: no key {item['key']!r}")
                (path / item["path"]).parent.mkdir(parents=True, exist_ok=True)
                (path / item["path"]).write_text(files[item["key"]])
            found[volume["name"]] = path
        return found

    def _mounts(self, pod: Pod, container: dict[str, Any], volumes: dict[str, Path]) -> dict[str, Path]:
        mounts: dict[str, Path] = {}
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volumes:
                raise PodFailed(f"{pod.name}/{container['name']}: no volume {mount['name']!r} to mount")
            mounts[mount["mountPath"].rstrip("/")] = volumes[mount["name"]]
        return mounts

    def _value(self, pod: Pod, value: str, mounts: dict[str, Path]) -> str:
        for mount_path in sorted(mounts, key=len, reverse=True):
            if value == mount_path or value.startswith(mount_path + "/"):
                value = str(mounts[mount_path]) + value[len(mount_path) :]
                break
        if value.isdigit() and int(value) in pod.by_number:
            return str(pod.by_number[int(value)])
        return self.network.rewrite(value, self.release_prefix)

    def _env(self, pod: Pod, container: dict[str, Any], mounts: dict[str, Path]) -> dict[str, str]:
        env = dict(self.image_env)
        for source in container.get("envFrom", []):
            if "configMapRef" in source:
                data = self.objects.config_map(source["configMapRef"]["name"])
            else:
                data = self.objects.secret(source["secretRef"]["name"])
            env.update({source.get("prefix", "") + k: v for k, v in data.items()})
        for item in container.get("env", []):
            if "value" in item:
                env[item["name"]] = str(item["value"])
                continue
            ref = item["valueFrom"]
            if "secretKeyRef" in ref:
                data, key = self.objects.secret(ref["secretKeyRef"]["name"]), ref["secretKeyRef"]["key"]
            elif "configMapKeyRef" in ref:
                data, key = (
                    self.objects.config_map(ref["configMapKeyRef"]["name"]),
                    ref["configMapKeyRef"]["key"],
                )
            else:
                raise PodFailed(f"{pod.name}: env {item['name']}: unsupported valueFrom {sorted(ref)}")
            if key not in data:
                raise PodFailed(f"CreateContainerConfigError: {pod.name}: env {item['name']}: no key {key!r}")
            env[item["name"]] = data[key]
        return {k: self._value(pod, v, mounts) for k, v in env.items()}

    # -- pods -----------------------------------------------------------------------------------

    def _pod(self, name: str, template: dict[str, Any]) -> Pod:
        directory = self.workdir / name
        directory.mkdir(parents=True)
        pod = Pod(name, dict(template["metadata"].get("labels") or {}), template["spec"], directory)
        for container in [*pod.spec.get("initContainers", []), *pod.spec["containers"]]:
            for port in container.get("ports", []):
                local = free_port()
                pod.by_number[port["containerPort"]] = local
                if "name" in port:
                    pod.ports[port["name"]] = local
        # The image listens on these even where the chart declares no port (the image's ENV).
        for number in (int(self.image_env["ISTHMUS_GRPC_PORT"]), int(self.image_env["ISTHMUS_METRICS_PORT"])):
            pod.by_number.setdefault(number, free_port())
        return pod

    def _start(self, pod: Pod, container: dict[str, Any], volumes: dict[str, Path]) -> None:
        if not container["image"].rsplit("/", 1)[-1].startswith("isthmus:"):
            raise PodFailed(f"{pod.name}/{container['name']}: image {container['image']} cannot run here")
        mounts = self._mounts(pod, container, volumes)
        env = self._env(pod, container, mounts)
        argv = [*(container.get("command") or self.entrypoint), *container.get("args", [])]
        argv = [self._value(pod, a, mounts) for a in argv]
        log = pod.directory / f"{container['name']}.log"
        process = subprocess.Popen(
            _local_command(argv),
            env=env,
            cwd=mounts.get("/var/lib/isthmus", pod.directory),
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        pod.processes.append((container["name"], process, log))

    def run_to_completion(self, kind: str, name: str, template: dict[str, Any], timeout: float) -> Pod:
        """A Job's pod: every container started, each must exit 0."""
        pod = self._pod(name, template)
        self.pods.append(pod)
        volumes = self._volumes(pod)
        for container in template["spec"]["containers"]:
            self._start(pod, container, volumes)
        deadline = time.monotonic() + timeout
        for container_name, process, _ in pod.processes:
            try:
                code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                raise PodFailed(f"{kind}/{name}: {container_name} still running\n{pod.output()}") from None
            if code != 0:
                raise PodFailed(f"{kind}/{name}: {container_name} exited {code}\n{pod.output()}")
        return pod

    def start(self, name: str, template: dict[str, Any]) -> Pod:
        """A Deployment's pod: init containers to completion, then the containers."""
        pod = self._pod(name, template)
        self.pods.append(pod)
        volumes = pod.volumes = self._volumes(pod)
        for init in template["spec"].get("initContainers", []):
            self._start(pod, init, volumes)
            _, process, _ = pod.processes[-1]
            if process.wait(timeout=300) != 0:
                raise PodFailed(f"{name}: init container {init['name']} failed\n{pod.output()}")
        for container in template["spec"]["containers"]:
            self._start(pod, container, volumes)
        return pod

    def wait_ready(self, pod: Pod, timeout: float = 120) -> None:
        """The rendered readiness probe (gRPC health on the pod's port), then into its Services."""
        container = pod.spec["containers"][0]
        probe = container.get("readinessProbe") or {}
        if "grpc" not in probe:
            raise PodFailed(f"{pod.name}: no gRPC readiness probe rendered")
        port = pod.local_port(int(probe["grpc"]["port"]))
        deadline = time.monotonic() + timeout
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            while True:
                for _, process, _ in pod.processes[-len(pod.spec["containers"]) :]:
                    if process.poll() is not None:
                        raise PodFailed(f"{pod.name} exited {process.returncode}\n{pod.output()}")
                try:
                    reply = stub.Check(
                        health_pb2.HealthCheckRequest(service=probe["grpc"].get("service", ""))
                    )
                    if reply.status == health_pb2.HealthCheckResponse.SERVING:
                        break
                except grpc.RpcError:
                    pass
                if time.monotonic() > deadline:
                    raise PodFailed(f"{pod.name} not ready after {timeout}s\n{pod.output()}")
                time.sleep(0.2)
        self.network.pod_ready(pod)

    def exec(self, pod: Pod, argv: list[str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """``kubectl exec`` into the pod's first container: its environment, its mounts."""
        container = pod.spec["containers"][0]
        mounts = self._mounts(pod, container, pod.volumes)
        env = self._env(pod, container, mounts)
        argv = [self._value(pod, a, mounts) for a in argv]
        return subprocess.run(
            _local_command(argv), env=env, capture_output=True, text=True, timeout=timeout, check=False
        )

    def deployments(self) -> Iterator[tuple[str, dict[str, Any], int]]:
        for deployment in self.objects.of_kind("Deployment"):
            yield (
                deployment["metadata"]["name"],
                deployment["spec"]["template"],
                deployment["spec"].get("replicas", 1),
            )

    def stop(self) -> None:
        """SIGTERM to every process (graceful, as the kubelet does), then SIGKILL for stragglers."""
        for pod in self.pods:
            for _, process, _ in pod.processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for pod in self.pods:
            for _, process, _ in pod.processes:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        self.network.close()

    def logs(self) -> str:
        return "\n".join(p.output() for p in self.pods)


def openssl(*args: str, cwd: Path) -> None:
    if shutil.which("openssl") is None:
        raise PodFailed("openssl is needed to make the release certificate")
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_certificate(directory: Path, dns_names: list[str]) -> dict[str, str]:
    """What cert-manager would put in the release's TLS Secret: tls.crt, tls.key and ca.crt.

    The certificate names every Service (``<service>.<namespace>.svc``) and 127.0.0.1, the address the
    Services have here; it serves both as server and as client certificate (mutual TLS).
    """
    directory.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=isthmus-test-ca",
            "-keyout", "ca.key", "-out", "ca.crt", cwd=directory)  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=isthmus", "-keyout", "tls.key",
            "-out", "tls.csr", cwd=directory)  # fmt: skip
    alt = ",".join([*(f"DNS:{n}" for n in dns_names), "IP:127.0.0.1"])
    (directory / "ext.cnf").write_text(
        f"subjectAltName={alt}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n"
    )
    openssl("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "2", "-extfile", "ext.cnf", "-out", "tls.crt", cwd=directory)  # fmt: skip
    return {name: (directory / name).read_text() for name in ("tls.crt", "tls.key", "ca.crt")}
