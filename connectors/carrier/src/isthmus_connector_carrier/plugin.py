from isthmus.connectors import Connector, hookimpl
from isthmus_connector_carrier.connector import CarrierConnector


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [CarrierConnector]
