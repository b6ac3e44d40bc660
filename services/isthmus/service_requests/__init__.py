"""The service-requests bounded context."""
