from isthmus.connectors import Connector, hookimpl
from isthmus_connector_ecommerce.connector import EcommerceConnector


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [EcommerceConnector]
