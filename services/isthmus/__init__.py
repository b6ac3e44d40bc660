"""Isthmus: a customer-data integration hub."""

__version__ = "0.1.0"
