"""The plugin module named by the entry point: it registers the connector class."""

from isthmus.connectors import Connector, hookimpl
from isthmus_connector_template.connector import TemplateConnector


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [TemplateConnector]
