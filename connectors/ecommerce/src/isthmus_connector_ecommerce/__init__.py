"""E-commerce connector: the shop's REST API (cursor paging, 429 + Retry-After) plus signed webhooks."""

from isthmus_connector_ecommerce.connector import EcommerceConnector

__all__ = ["EcommerceConnector"]
