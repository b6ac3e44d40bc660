"""The chassis every Isthmus component stands on: config, gRPC server, errors, auth, db, events."""
