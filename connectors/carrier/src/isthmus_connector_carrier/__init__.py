"""Isthmus connector for a parcel carrier: files the hub's tracers as the carrier's trace claims."""

from isthmus_connector_carrier.connector import CarrierConnector

__all__ = ["CarrierConnector"]
