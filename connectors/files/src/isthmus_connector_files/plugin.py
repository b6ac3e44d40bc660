from isthmus.connectors import Connector, hookimpl
from isthmus_connector_files.connector import FilesConnector


@hookimpl
def register_connectors() -> list[type[Connector]]:
    return [FilesConnector]
