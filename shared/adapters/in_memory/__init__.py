"""In-memory fakes of the ports, for unit tests only; nothing selects them from configuration."""
