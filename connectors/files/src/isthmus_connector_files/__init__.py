"""A connector configured, not written: CSV or JSON Lines files dropped into an inbox, each column
mapped to a canonical field in the instance's configuration."""

from isthmus_connector_files.connector import FilesConnector

__all__ = ["FilesConnector"]
