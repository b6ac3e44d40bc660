from isthmus.connectors import Connector, hookimpl
from isthmus_connector_erp.connector import ErpConnector


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [ErpConnector]
