import json
from pathlib import Path

import pytest

from isthmus.platform.config import ConfigError, load, lookalikes, require_auth_configured

TOKENS = '{"crm-app": {"token": "0123456789abcdef-crm", "scopes": ["customers:read", "orders:*"]}}'


def test_defaults_need_no_environment():
    settings = load({})
    assert settings.grpc_port == 50051
    assert settings.metrics_port == 9464
    assert settings.database_url is None  # embedded SQLite
    assert settings.amqp_url is None  # in-process bus
    assert not settings.auth_disabled


def test_tokens_parse_into_clients_with_scopes():
    (client,) = load({"ISTHMUS_AUTH_TOKENS": TOKENS}).clients
    assert client.name == "crm-app"
    assert client.scopes == {"customers:read", "orders:*"}


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ISTHMUS_GRPC_PORT": "http"}, "ISTHMUS_GRPC_PORT"),
        ({"ISTHMUS_GRPC_PORT": "70000"}, "ISTHMUS_GRPC_PORT"),
        ({"ISTHMUS_AUTH_DISABLED": "maybe"}, "ISTHMUS_AUTH_DISABLED"),
        ({"ISTHMUS_DATABASE_URL": "mysql://x/y"}, "ISTHMUS_DATABASE_URL"),
        ({"ISTHMUS_AMQP_URL": "localhost:5672"}, "ISTHMUS_AMQP_URL"),
        ({"ISTHMUS_AUTH_TOKENS": "{not json"}, "ISTHMUS_AUTH_TOKENS"),
        ({"ISTHMUS_AUTH_TOKENS": '{"a": {"token": "short", "scopes": ["x:read"]}}'}, "ISTHMUS_AUTH_TOKENS"),
        ({"ISTHMUS_AUTH_TOKENS": '{"a": {"token": "0123456789abcdef"}}'}, "ISTHMUS_AUTH_TOKENS"),
        ({"ISTHMUS_LOG_LEVEL": "loud"}, "ISTHMUS_LOG_LEVEL"),
        ({"ISTHMUS_TLS_CERT_FILE": "/no/such/cert.pem"}, "ISTHMUS_TLS_CERT_FILE"),
        ({"ISTHMUS_SHUTDOWN_GRACE_SECONDS": "-1"}, "ISTHMUS_SHUTDOWN_GRACE_SECONDS"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(env, named):
    with pytest.raises(ConfigError) as error:
        load(env)
    message = str(error.value)
    assert named in message
    assert "\n" not in message


def test_cert_without_key_is_refused(tmp_path: Path):
    cert = tmp_path / "cert.pem"
    cert.write_text("x")
    with pytest.raises(ConfigError, match="ISTHMUS_TLS_KEY_FILE"):
        load({"ISTHMUS_TLS_CERT_FILE": str(cert)})


def test_two_clients_may_not_share_a_token():
    tokens = (
        '{"a": {"token": "0123456789abcdef", "scopes": ["*"]},'
        ' "b": {"token": "0123456789abcdef", "scopes": ["*"]}}'
    )
    with pytest.raises(ConfigError, match="share one token"):
        load({"ISTHMUS_AUTH_TOKENS": tokens})


def test_server_without_tokens_must_be_opened_explicitly():
    with pytest.raises(ConfigError, match="ISTHMUS_AUTH_DISABLED"):
        require_auth_configured(load({}))
    require_auth_configured(load({"ISTHMUS_AUTH_DISABLED": "true"}))
    require_auth_configured(load({"ISTHMUS_AUTH_TOKENS": TOKENS}))


def test_a_misspelt_setting_is_named_with_the_one_it_looks_like():
    settings = load(
        {
            "ISTHMUS_DATABSE_URL": "postgresql://db/isthmus",  # a typo: SQLite would be used instead
            "ISTHMUS_ORDERS_SOURCE_SYSTEMS": "erp",  # another component's, not read in this process
            "ISTHMUS_BENCH_PROFILE": "/tmp/p",  # a tool's own
            "ISTHMUS_CUSTOMERS_DEFAULT_REGON": "DE",
        }
    )
    assert settings.database_url is None
    settings.extra.get("ISTHMUS_CUSTOMERS_DEFAULT_REGION")  # as the customer master reads its own
    assert lookalikes(settings) == [
        "ISTHMUS_CUSTOMERS_DEFAULT_REGON is set but nothing reads it: did you mean"
        " ISTHMUS_CUSTOMERS_DEFAULT_REGION? It is ignored",
        "ISTHMUS_DATABSE_URL is set but nothing reads it: did you mean ISTHMUS_DATABASE_URL? It is ignored",
    ]
    assert lookalikes(load({"ISTHMUS_DATABASE_URL": "postgresql://db/x"})) == []


def test_a_setting_an_instance_file_names_counts_as_read(tmp_path):
    from isthmus.connectors.bootstrap import instance_env
    from isthmus.connectors.runtime import load_instances

    file = tmp_path / "instances.json"
    shop = {"name": "shop", "connector": "ecommerce", "config": {"t": "${ISTHMUS_SHOP_TOKEN}"}}
    file.write_text(json.dumps({"instances": [shop]}))
    settings = load({"ISTHMUS_SHOP_TOKEN": "s3cret-token", "ISTHMUS_SHOP_TOKENS": "a typo of it"})
    (shop,) = load_instances(file, instance_env(settings))
    assert shop.config == {"t": "s3cret-token"}
    assert lookalikes(settings) == [
        "ISTHMUS_SHOP_TOKENS is set but nothing reads it: did you mean ISTHMUS_SHOP_TOKEN? It is ignored"
    ]
