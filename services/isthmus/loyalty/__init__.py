"""The loyalty bounded context."""
