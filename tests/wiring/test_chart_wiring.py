"""The chart's own wiring, run end to end without a cluster.

The chart is rendered for the production shape (external PostgreSQL and RabbitMQ through an existing
Secret, bearer tokens, TLS with client certificates, NetworkPolicies, two replicas of every component,
connector instances with their secrets in an existing Secret) and every rendered workload is started
as Kubernetes would start it, as local processes (podkit.py): the migration Job first, then each
Deployment's pods, then the ``helm test`` pod. The reference connectors then sync their simulated
systems, and the demo's story is checked through the APIs, over TLS, through the Services. A value
the chart forgets (a variable, a port, a mounted file, a Secret key) fails here.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import kubernetes_validate
import pytest
import yaml
from isthmus_connector_ecommerce.simulator import SECRET
from isthmus_connector_ecommerce.webhooks import sign

from isthmus_client.api.customers.v1 import customers_pb2, customers_pb2_grpc, records_pb2
from isthmus_client.api.loyalty.v1 import loyalty_pb2, loyalty_pb2_grpc
from isthmus_client.api.orders.v1 import orders_pb2, orders_pb2_grpc
from isthmus_client.api.service_requests.v1 import service_requests_pb2, service_requests_pb2_grpc
from isthmus_client.api.value.v1 import value_pb2, value_pb2_grpc

from . import podkit

helm = pytest.importorskip("helm_python", reason="helm-python-sdk (dev extra) renders the chart")

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.rabbitmq]

KUBE_VERSION = "1.31.0"  # as tests/chart validates
RELEASE = "rel"
NAMESPACE = "crm"
APP_TOKEN = "crm-app-token-0123456789abcdef"
CONNECTORS_TOKEN = "connectors-token-0123456789abcdef"
# The scopes docs/operating.md tells users to give the connectors' client, and no more.
CONNECTORS_SCOPES = [
    "customers:read",
    "customers:write",
    "orders:write",
    "service_requests:write",
    "value:write",
]
STORY_DEADLINE_S = 120
# A marketplace that only drops files, configured in values (docs/files-connector.md): its inbox is a
# PersistentVolumeClaim mounted into the connectors' pods, named to the instance through the pods' env.
DROPS = "/drops/marketplace"
MARKETPLACE = {
    "name": "marketplace",
    "connector": "files",
    "scheduleSeconds": 5,
    "config": {
        "inbox": "${MARKETPLACE_INBOX}",
        "source_system": "marketplace",
        "streams": {
            "customers": {
                "files": "buyers_*.csv",
                "delimiter": ";",
                "fields": {
                    "source_id": "Kundennr",
                    "name.given_name": "Vorname",
                    "name.family_name": "Nachname",
                    "emails.0.address": "E-Mail",
                },
            }
        },
    },
}


def render(values: dict[str, Any]) -> list[dict[str, Any]]:
    """``helm template`` with Helm's own engine, as tests/chart renders it."""
    with helm.Chart.load(podkit.ROOT / "charts" / "isthmus") as chart:
        manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    return [
        doc
        for path, text in sorted(manifests.items())
        if not path.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    ]


def name_of(component: str) -> str:
    return f"{RELEASE}-isthmus-{component}"


def production_values(instances: list[dict[str, Any]]) -> dict[str, Any]:
    """What an operator writes (docs/operating.md), plus two replicas of everything."""
    replicas = {c: {"replicas": 2} for c in ("customers", "orders", "service-requests", "loyalty", "value")}
    return {
        "database": {"existingSecret": "isthmus-connections"},
        "amqp": {"existingSecret": "isthmus-connections"},
        "auth": {"existingSecret": "isthmus-connections"},
        "tls": {"enabled": True, "secretName": "isthmus-grpc-tls", "clientCA": {"enabled": True}},
        "networkPolicy": {"enabled": True},
        "config": {"logFormat": "text", "shutdownGraceSeconds": 5},
        "extraEnv": [
            {"name": "ISTHMUS_CUSTOMERS_SOURCE_SYSTEMS", "value": "erp,webshop,callcenter,marketplace"}
        ],
        "services": replicas
        | {
            "connectors": {
                "replicas": 2,
                "extraVolumes": [
                    {"name": "marketplace-drops", "persistentVolumeClaim": {"claimName": "marketplace-drops"}}
                ],
                "extraVolumeMounts": [{"name": "marketplace-drops", "mountPath": DROPS, "readOnly": True}],
                "extraEnv": [{"name": "MARKETPLACE_INBOX", "value": DROPS}],
                # The shop pushes through the Service's webhook port (an Ingress in a cluster).
                "webhooks": {"enabled": True, "port": 8081, "from": [{"ipBlock": {"cidr": "127.0.0.1/32"}}]},
                "hubToken": {
                    "existingSecret": "isthmus-connections",
                    "existingSecretKey": "connectors-token",
                },
                "instances": instances,
            }
        },
    }


def instance_values(seeded: list[Any]) -> list[dict[str, Any]]:
    """The demo's three instances as chart values: secrets as ${NAME} from an existing Secret."""
    secret_names = {
        "password": "ERP_PASSWORD",
        "api_token": "SHOP_API_TOKEN",
        "webhook_secret": "SHOP_WEBHOOK_SECRET",
    }
    out = []
    for instance in seeded:
        config, secret_env = {}, {}
        for key, value in instance.config.items():
            if key in secret_names:
                config[key] = "${" + secret_names[key] + "}"
                secret_env[secret_names[key]] = {"secretName": "source-systems", "key": key.replace("_", "-")}
            else:
                config[key] = value
        out.append(
            {
                "name": instance.name,
                "connector": instance.connector,
                "scheduleSeconds": 5,
                "config": config,
                "secretEnv": secret_env,
                "egress": [{"cidr": "127.0.0.1/32", "ports": [5432]}],
            }
        )
    return out


@pytest.fixture(scope="module")
def installed(
    tmp_path_factory: pytest.TempPathFactory, pg_module_database: str, amqp_module_vhost: str
) -> Iterator[tuple[podkit.Cluster, dict[str, str]]]:
    from isthmus.demo import seed

    workdir = tmp_path_factory.mktemp("wiring")
    (workdir / "sources").mkdir()
    seeded, simulators = seed(workdir / "sources")
    try:
        values = production_values([*instance_values(seeded), MARKETPLACE])
        rendered = render(values)
        for obj in rendered:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
        # What the operator created before `helm install` (cert-manager made the TLS one).
        tls = podkit.make_certificate(
            workdir / "pki",
            [f"{o['metadata']['name']}.{NAMESPACE}.svc" for o in rendered if o["kind"] == "Service"],
        )
        secrets = {
            "isthmus-connections": {
                "database-url": pg_module_database,
                "amqp-url": amqp_module_vhost,
                "auth-tokens": json.dumps(
                    {
                        "crm-app": {"token": APP_TOKEN, "scopes": ["*"]},
                        "connectors": {"token": CONNECTORS_TOKEN, "scopes": CONNECTORS_SCOPES},
                    }
                ),
                "connectors-token": CONNECTORS_TOKEN,
            },
            "isthmus-grpc-tls": tls,
            "source-systems": {
                "password": seeded[0].config["password"],
                "api-token": seeded[1].config["api_token"],
                "webhook-secret": seeded[1].config["webhook_secret"],
            },
        }
        cluster = podkit.Cluster(
            podkit.Objects(rendered, secrets),
            namespace=NAMESPACE,
            release_prefix=f"{RELEASE}-isthmus",
            workdir=workdir / "pods",
        )
        try:
            yield cluster, tls
        finally:
            cluster.stop()
    finally:
        for simulator in simulators:
            simulator.close()


@pytest.fixture(scope="module")
def running(installed: tuple[podkit.Cluster, dict[str, str]]) -> tuple[podkit.Cluster, dict[str, str]]:
    cluster, tls = installed
    # helm install: the pre-install hook Job, then the Deployments; `helm test` last.
    (job,) = cluster.objects.of_kind("Job")
    cluster.run_to_completion("Job", job["metadata"]["name"], job["spec"]["template"], timeout=240)
    pods = [
        cluster.start(f"{name}-{i}", template)
        for name, template, replicas in cluster.deployments()
        for i in range(replicas)
    ]
    for pod in pods:
        cluster.wait_ready(pod)
    (pod,) = cluster.objects.of_kind("Pod")
    cluster.run_to_completion("Pod", pod["metadata"]["name"], pod, timeout=60)
    return cluster, tls


def channel(cluster: podkit.Cluster, tls: dict[str, str], component: str) -> grpc.Channel:
    """A client of the release's Service, as an application in the cluster would be: TLS with its
    client certificate (mutual TLS is on) and a bearer token."""
    credentials = grpc.ssl_channel_credentials(
        root_certificates=tls["ca.crt"].encode(),
        private_key=tls["tls.key"].encode(),
        certificate_chain=tls["tls.crt"].encode(),
    )
    return grpc.secure_channel(cluster.network.address(name_of(component), 50051), credentials)


TOKEN = [("authorization", f"Bearer {APP_TOKEN}")]


def eventually(check: Callable[[], Any], cluster: podkit.Cluster, what: str) -> Any:
    deadline = time.monotonic() + STORY_DEADLINE_S
    while True:
        try:
            return check()
        except (AssertionError, grpc.RpcError) as exc:
            if time.monotonic() > deadline:
                raise AssertionError(f"{what}: {exc}\n{cluster.logs()[-30000:]}") from exc
            time.sleep(1)


def test_every_workload_starts_and_helm_test_passes(running: tuple[podkit.Cluster, dict[str, str]]) -> None:
    cluster, _ = running
    started = {p.name.rsplit("-", 1)[0] for p in cluster.pods if p.name.endswith(("-0", "-1"))}
    assert started == {
        name_of(c) for c in ("customers", "orders", "service-requests", "loyalty", "value", "connectors")
    }
    assert sum(p.name.endswith(("-0", "-1")) for p in cluster.pods) == 12, "two replicas of each"


def test_the_connectors_sync_the_sources_and_the_story_holds_through_the_apis(
    running: tuple[podkit.Cluster, dict[str, str]],
) -> None:
    cluster, tls = running
    with (
        channel(cluster, tls, "customers") as c_channel,
        channel(cluster, tls, "orders") as o_channel,
        channel(cluster, tls, "service-requests") as s_channel,
        channel(cluster, tls, "loyalty") as l_channel,
        channel(cluster, tls, "value") as v_channel,
    ):
        customers = customers_pb2_grpc.CustomerMasterServiceStub(c_channel)
        orders = orders_pb2_grpc.OrderServiceStub(o_channel)
        cases = service_requests_pb2_grpc.ServiceRequestServiceStub(s_channel)
        loyalty = loyalty_pb2_grpc.LoyaltyServiceStub(l_channel)
        value = value_pb2_grpc.ValueServiceStub(v_channel)

        def golden() -> dict[str, Any]:
            found = customers.SearchCustomers(
                customers_pb2.SearchCustomersRequest(page_size=100), metadata=TOKEN
            )
            people = {}
            for customer in found.customers:
                sources = sorted(f"{s.source_system}:{s.source_id}" for s in customer.sources)
                people[customer.name.family_name] = (customer.customer_id, sources)
            # Eight source records, three people; the ERP's misspelt duplicate joins Anna.
            assert sorted(people) == ["Meyer", "Schmidt", "Vogel"], people
            assert people["Schmidt"][1] == ["callcenter:K-0815", "erp:1", "erp:2", "webshop:1"], people
            assert len(people["Meyer"][1]) == 3, people
            return people

        people = eventually(golden, cluster, "golden customers")
        anna, _ = people["Schmidt"]

        def story() -> None:
            views = {
                family: customers.GetCustomer360(
                    customers_pb2.GetCustomer360Request(customer_id=cid), metadata=TOKEN
                ).customer360
                for family, (cid, _) in people.items()
            }
            assert sum(v.orders.order_count for v in views.values()) == 4
            assert sum(v.loyalty.points_balance for v in views.values()) == 169
            assert sum(len(v.service_requests.open) for v in views.values()) == 1
            assert [f for f, v in views.items() if v.contact_suppression.suppressed] == ["Schmidt"]
            # The 360 agrees with the services that own the data.
            for family, (cid, _) in people.items():
                try:
                    balance = loyalty.GetAccount(
                        loyalty_pb2.GetAccountRequest(customer_id=cid), metadata=TOKEN
                    ).account.balance
                except grpc.RpcError as error:
                    assert error.code() == grpc.StatusCode.NOT_FOUND, error
                    balance = 0  # never bought anything
                assert views[family].loyalty.points_balance == balance, family
            listed = orders.ListOrders(orders_pb2.ListOrdersRequest(customer_id=anna), metadata=TOKEN)
            assert len(listed.orders) == views["Schmidt"].orders.order_count == 2
            open_cases = cases.ListServiceRequests(
                service_requests_pb2.ListServiceRequestsRequest(customer_id=anna), metadata=TOKEN
            )
            assert [c.subject for c in open_cases.service_requests] == ["Damaged delivery"]
            # The value component saw the same orders and the case, through events only.
            anna_value = value.GetCustomerValue(
                value_pb2.GetCustomerValueRequest(customer_id=anna), metadata=TOKEN
            ).customer_value
            assert anna_value.orders >= 1 and float(anna_value.cost_to_serve.amount) > 0, anna_value

        eventually(story, cluster, "orders, points, cases, value and the 360")

        full = customers.GetCustomer(
            customers_pb2.GetCustomerRequest(customer_id=anna, view=records_pb2.CUSTOMER_VIEW_FULL),
            metadata=TOKEN,
        ).customer
        lineage = {line.field: (line.value, line.source_system) for line in full.lineage}
        # The ERP's record, by source priority: erp:2, or erp:1 once its misspelt name has been written
        # back corrected and read again (it is then the newer), whichever this moment sees.
        assert lineage["name.family_name"] == ("Schmidt", "erp")


def test_an_api_refuses_a_caller_without_the_release_client_certificate(
    running: tuple[podkit.Cluster, dict[str, str]],
) -> None:
    cluster, tls = running
    credentials = grpc.ssl_channel_credentials(root_certificates=tls["ca.crt"].encode())
    address = cluster.network.address(name_of("orders"), 50051)
    with grpc.secure_channel(address, credentials) as plain:
        stub = orders_pb2_grpc.OrderServiceStub(plain)
        with pytest.raises(grpc.RpcError) as refused:
            stub.GetOrder(orders_pb2.GetOrderRequest(order_id="x"), metadata=TOKEN, timeout=10)
    assert refused.value.code() == grpc.StatusCode.UNAVAILABLE


def test_the_demo_runs_against_the_deployed_components_from_the_connectors_pod(
    running: tuple[podkit.Cluster, dict[str, str]],
) -> None:
    # What the Tilt loop's demo resource does:
    #   kubectl exec deploy/<release>-connectors -- isthmus demo --deployed
    cluster, _ = running
    pod = next(p for p in cluster.pods if p.name.startswith(name_of("connectors")))
    done = cluster.exec(pod, ["isthmus", "demo", "--deployed"])
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "hub refused" not in done.stdout
    assert "Orders 4, loyalty points awarded 169, open cases 1" in done.stdout, done.stdout
    assert "dead letter, demo-" in done.stdout and "The 360 of Anna Schmidt" in done.stdout


def golden_named(customers: customers_pb2_grpc.CustomerMasterServiceStub, family: str) -> Any:
    """The one golden customer of this family name, as SearchCustomers lists it."""
    found = customers.SearchCustomers(customers_pb2.SearchCustomersRequest(page_size=100), metadata=TOKEN)
    (one,) = [c for c in found.customers if c.name.family_name == family]
    return one


def push(
    cluster: podkit.Cluster, instance: str, topic: str, obj: dict[str, Any], secret: str = SECRET
) -> int:
    """What the shop sends: a signed webhook, to the connectors' Service port ``webhooks``."""
    body = json.dumps(obj).encode()
    url = f"http://{cluster.network.address(name_of('connectors'), 8081)}/webhooks/{instance}"
    headers = {
        "X-Shop-Topic": topic,
        "X-Shop-Webhook-Id": f"wh-{time.time_ns()}",
        "X-Shop-Signature": sign(secret, body),
    }
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_webhook_the_shop_pushes_reaches_the_golden_customer(
    running: tuple[podkit.Cluster, dict[str, str]],
) -> None:
    cluster, tls = running
    lena = {
        "id": 3,
        "first_name": "Lena",
        "last_name": "Vogel",
        "email": "lena.vogel@web.example",
        "phone": "+49 30 9876543",
        "updated_at": "2030-01-01T00:00:00+00:00",
    }
    assert push(cluster, "webshop", "customers/update", lena, secret="guessed") == 401
    assert push(cluster, "webshop", "customers/update", lena) == 200
    with channel(cluster, tls, "customers") as c_channel:
        customers = customers_pb2_grpc.CustomerMasterServiceStub(c_channel)

        def phone_pushed() -> None:
            vogel = golden_named(customers, "Vogel")
            assert "+49309876543" in [p.number for p in vogel.phones], vogel

        eventually(phone_pushed, cluster, "the pushed phone number on the golden customer")


def test_a_marketplace_mapped_in_values_reads_its_drops_from_the_mounted_claim(
    running: tuple[podkit.Cluster, dict[str, str]],
) -> None:
    """The files connector in the deployed shape: a buyer file dropped into the claim's volume (what
    the marketplace's SFTP server writes) is read by a connectors pod and joins Lena Vogel's golden
    customer by her e-mail."""
    cluster, tls = running
    inbox = cluster.workdir / "claims" / "marketplace-drops"
    (inbox / "buyers_0001.csv").write_text(
        "Kundennr;Vorname;Nachname;E-Mail\nM-3;Lena;Vogel;lena.vogel@web.example\n"
    )
    (inbox / "buyers_0001.csv.done").touch()
    with channel(cluster, tls, "customers") as c_channel:
        customers = customers_pb2_grpc.CustomerMasterServiceStub(c_channel)

        def joined() -> None:
            vogel = golden_named(customers, "Vogel")
            assert "marketplace:M-3" in {f"{x.source_system}:{x.source_id}" for x in vogel.sources}, vogel

        eventually(joined, cluster, "the marketplace's buyer on Lena Vogel's golden customer")
