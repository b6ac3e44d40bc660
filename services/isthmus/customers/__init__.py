"""The customers bounded context."""
