"""ERP connector: reads the ERP's database incrementally by last-modified + id; writes corrections back."""

from isthmus_connector_erp.connector import ErpConnector

__all__ = ["ErpConnector"]
