"""A minimal connector to copy: customers from a JSON Lines file, incremental by updated_at + id."""

from isthmus_connector_template.connector import TemplateConnector

__all__ = ["TemplateConnector"]
