"""The domain: models, events and errors. Pure Python and pydantic; no I/O, no Google clients."""
