"""Use cases, one transaction each; they raise domain errors and never touch the request."""
