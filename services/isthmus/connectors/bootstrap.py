"""Wiring of the connectors component: the connector runtime and its status API (ConnectorService).

Settings (``ISTHMUS_*``, read at start): ``CONNECTORS_FILE`` (the instances, see runtime.py), how
to reach the hub's APIs (addresses, TLS, token: see channels.py) and ``CONNECTORS_WEBHOOK_PORT``
(where sources push, see webhooks.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import ChainMap
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any, cast

import grpc

from isthmus.connectors import mapping, webhooks
from isthmus.connectors.api import SERVICE, Connectors
from isthmus.connectors.channels import HubChannels, HubSettings, hub_settings
from isthmus.connectors.engine import Syncer
from isthmus.connectors.hub import GrpcHub
from isthmus.connectors.idmap import SqlIdMap
from isthmus.connectors.locks import instance_locks
from isthmus.connectors.metrics import connector_metrics
from isthmus.connectors.plugins import get_plugin_manager
from isthmus.connectors.runtime import FILE_ENV, ConnectorRuntime, load_instances
from isthmus.connectors.sdk import Tracer
from isthmus.connectors.state import SqlStateStore
from isthmus.platform.component import Component, Runtime, Stop
from isthmus.platform.config import Settings
from isthmus.platform.migrations import Stream
from isthmus_client.api.connectors.v1 import connectors_pb2_grpc

log = logging.getLogger("isthmus.connectors")

MIGRATIONS = Stream("isthmus.connectors:migrations", "alembic_version")


def instance_env(settings: Settings) -> Mapping[str, str]:
    """What ``${NAME}`` in an instance's config may name: any variable of the process (a Secret's key
    given to the pod under a name of the operator's choosing), read when the component starts. The
    settings first, so that an ``ISTHMUS_*`` name read here counts as read (``config.lookalikes``)."""
    # settings.extra is the process's own dict of them (config._Asked); nothing here writes to it.
    return ChainMap(cast(MutableMapping[str, str], settings.extra), os.environ)


def build_runtime(
    settings: Settings, runtime: Runtime, channels: HubChannels | grpc.aio.Channel, hub: HubSettings
) -> ConnectorRuntime:
    engine = runtime.engine("connectors")
    file = settings.extra.get(FILE_ENV)
    instances = load_instances(Path(file) if file else None, instance_env(settings))
    plugins = get_plugin_manager(settings.extra)
    sink = GrpcHub(channels, SqlIdMap(engine), token=hub.token)
    syncer = Syncer(
        SqlStateStore(engine, runtime.clock), sink, plugins, connector_metrics(), clock=runtime.clock
    )
    return ConnectorRuntime(instances, plugins, syncer, instance_locks(engine), runtime.clock)


def _write_back_subscription(connectors: ConnectorRuntime) -> Any:
    from isthmus.platform.events import Subscription  # the event bus; present once it is wired

    async def handle(_session: Any, event: Any) -> None:
        message = event.payload  # CustomerUpdated or CustomersMerged: both carry the golden customer
        customer = message.customer
        sources = [(s.source_system, s.source_id) for s in customer.sources]
        has_origin = "source_record" in message.DESCRIPTOR.fields_by_name and message.HasField(
            "source_record"
        )
        origin = message.source_record.source_system if has_origin else ""
        changed = list(getattr(message, "changed_fields", []))
        await connectors.write_back(
            mapping.golden_values(customer), customer.customer_id, sources, changed, origin
        )

    return Subscription("write-back", ["customers.CustomerUpdated", "customers.CustomersMerged"], handle)


def _tracer_subscription(connectors: ConnectorRuntime, sink: GrpcHub) -> Any:
    from isthmus.platform.events import Subscription  # the event bus; present once it is wired

    async def handle(_session: Any, event: Any) -> None:
        case, shipment = event.payload.service_request, event.payload.shipment
        tracer = Tracer(
            service_request_id=case.service_request_id,
            customer_id=case.customer_id,
            order_id=event.payload.order_id,
            carrier=shipment.carrier,
            tracking_number=shipment.tracking_number,
            shipped_at=shipment.ship_time.ToJsonString() if shipment.HasField("ship_time") else "",
            warehouse=shipment.warehouse,
            manifest_number=shipment.manifest_number,
            subject=case.subject,
            description=case.description,
        )
        for instance, system, reference in await connectors.file_tracer(tracer):
            await sink.tracer_filed(instance, system, tracer, reference)

    return Subscription("tracers", ["service_requests.TracerIssued"], handle)


def component() -> Component:
    async def start(server: grpc.aio.Server, runtime: Runtime) -> Stop:
        settings = runtime.settings
        hub = hub_settings(settings)
        port = webhooks.webhook_port(settings)
        channels = HubChannels(hub)
        connectors = build_runtime(settings, runtime, channels, hub)
        connectors_pb2_grpc.add_ConnectorServiceServicer_to_server(
            Connectors(
                connectors.instances,
                connectors.streams,
                runtime.engine("connectors"),
                runtime.clock,
                connectors.replay,
            ),
            server,
        )
        if runtime.bus is not None and any(i.write_back for i in connectors.instances):
            runtime.bus.subscribe(
                "connectors", runtime.engine("connectors"), _write_back_subscription(connectors)
            )
        if runtime.bus is not None and connectors.files_tracers():
            sink = connectors.syncer.sink
            assert isinstance(sink, GrpcHub)
            runtime.bus.subscribe(
                "connectors", runtime.engine("connectors"), _tracer_subscription(connectors, sink)
            )
        endpoint = await webhooks.start(connectors, "0.0.0.0", port) if port else None
        task = asyncio.create_task(connectors.run_forever(), name="connector-schedules")

        async def stop() -> None:
            if endpoint is not None:
                await endpoint.stop()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            connectors.close()
            await channels.close()

        return stop

    from isthmus.platform import events

    return Component("connectors", "connectors", (SERVICE,), (events.MIGRATIONS, MIGRATIONS), start)
