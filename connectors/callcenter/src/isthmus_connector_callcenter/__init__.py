"""Legacy call center connector: CSV caller and call-log files dropped into an inbox directory."""

from isthmus_connector_callcenter.connector import CallCenterConnector

__all__ = ["CallCenterConnector"]
