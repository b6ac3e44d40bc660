"""Client for the Isthmus customer-data hub.

- ``isthmus_client.api.<context>.v1``: the generated protobuf messages and gRPC stubs.
- ``isthmus_client.proto``: the ``.proto`` files themselves, to generate clients in other languages
  (``proto_path()`` gives their root folder for ``protoc -I``; ``googleapis_proto_path()`` the root
  of the googleapis files they import, ``google/api/field_behavior.proto`` and
  ``google/rpc/status.proto``, as the ``googleapis-common-protos`` dependency installed them).
- ``connect`` / ``aio_connect``: a channel with bearer token, TLS and safe retries.
- ``Hub``: every service's stub; ``iterate`` / ``aiterate``: every item of a paged list.
- ``field_violations``: the fields a refused call or batch item names; ``rpc_error``: a refused batch
  item's ``google.rpc.Status`` as the exception its own call would have raised.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from isthmus_client.channel import RETRYABLE, TLS, aio_connect, connect
from isthmus_client.errors import field_violations, rpc_error
from isthmus_client.hub import Hub
from isthmus_client.paging import aiterate, iterate

__version__ = "0.1.0"

__all__ = [
    "RETRYABLE",
    "TLS",
    "Hub",
    "aio_connect",
    "aiterate",
    "connect",
    "field_violations",
    "googleapis_proto_path",
    "iterate",
    "proto_path",
    "rpc_error",
]


def proto_path() -> Path:
    """The folder holding ``isthmus/<context>/v1/*.proto`` (installed as package data)."""
    with as_file(files("isthmus_client") / "proto") as path:
        return Path(path)


def googleapis_proto_path() -> Path:
    """The folder holding ``google/api/*.proto`` and ``google/rpc/*.proto``, which the protos of
    ``proto_path()`` import: ``googleapis-common-protos`` installs each beside its Python module."""
    from google.api import field_behavior_pb2

    return Path(field_behavior_pb2.__file__).resolve().parents[2]
