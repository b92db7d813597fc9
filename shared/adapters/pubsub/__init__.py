"""Pub/Sub adapter: the event publisher of the messages topic."""
