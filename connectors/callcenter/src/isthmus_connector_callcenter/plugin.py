from isthmus.connectors import Connector, hookimpl
from isthmus_connector_callcenter.connector import CallCenterConnector


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [CallCenterConnector]
